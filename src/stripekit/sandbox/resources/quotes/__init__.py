"""Quotes: /v1/quotes (create, retrieve, update, list, finalize, accept, cancel, the line
item lists and the PDF).

The package: `model` (the quote, its line items and the amounts, computed with the
invoices package), `handlers` (the API routes and the state rules), `acceptance` (the
invoice or subscription an accepted quote becomes, cancellation and expiry) and `pdf`.
"""

from __future__ import annotations

from collections.abc import Callable

from ...framework.context import RequestContext
from . import acceptance, handlers, pdf
from .model import INCLUDABLE

ROUTES = [*handlers.ROUTES, *pdf.ROUTES]
TIMERS: dict[str, Callable[[RequestContext, str], None]] = {acceptance.EXPIRE: acceptance.expire}

__all__ = ["INCLUDABLE", "ROUTES", "TIMERS"]
