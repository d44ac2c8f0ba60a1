"""Invoices: /v1/invoices (and their lines, previews and payments), the pages behind
`hosted_invoice_url` and `invoice_pdf`, and what sandbox time does to invoices.

* `model`: the invoice object, `present` (what the API shows), `recompute`.
* `totals`: price amounts and the invoice totals (`compute`), always from the lines.
* `discounts`: `discount` objects and how coupons split over lines (`allocate`).
* `items`: invoice items and lines (`line_from_item`, `subscription_line`).
* `lifecycle`: `create_invoice`, `finalize`, void, uncollectible, send, delete, timers.
* `payment`: the default PaymentIntent, `attempt_payment`, retries, `mark_paid`.
* `handlers`, `lines`, `preview`, `upcoming`, `invoice_payments`: the API routes.
* `pages`: the hosted invoice page and the PDF.

For the subscriptions code (the billing cycle), the entry points are exported here:
`create_invoice`, `finalize`, `attempt_payment`, `mark_paid`, `compute_totals`,
`allocate_discounts`, `discount_is_active`, `subscription_line`,
`pending_items`, `new_item`, `price_amount`, `listen` (hear of an invoice's fate),
`provide_previews` (answer subscription previews), `payment_intent_succeeded` and
`payment_intent_failed` (the hooks the payments code calls when a PaymentIntent succeeds,
or an invoice's debit fails).
"""

from collections.abc import Callable

from ...framework.context import RequestContext
from . import handlers, invoice_payments, lifecycle, lines, pages, preview, upcoming
from .common import listen, provide_previews
from .discounts import allocate as allocate_discounts
from .discounts import is_active as discount_is_active
from .items import new_item, pending_items, subscription_line
from .lifecycle import create_invoice, finalize
from .model import INCLUDABLE, present
from .payment import (
    attempt_payment,
    mark_paid,
    payment_intent_failed,
    payment_intent_succeeded,
)
from .totals import compute as compute_totals
from .totals import price_amount

ROUTES = [
    *preview.ROUTES,
    *upcoming.ROUTES,
    *handlers.ROUTES,
    *lines.ROUTES,
    *invoice_payments.ROUTES,
    *pages.ROUTES,
]
TIMERS: dict[str, Callable[[RequestContext, str], None]] = dict(lifecycle.TIMERS)

__all__ = [
    "INCLUDABLE",
    "ROUTES",
    "TIMERS",
    "allocate_discounts",
    "attempt_payment",
    "compute_totals",
    "create_invoice",
    "discount_is_active",
    "finalize",
    "listen",
    "mark_paid",
    "new_item",
    "payment_intent_failed",
    "payment_intent_succeeded",
    "pending_items",
    "present",
    "price_amount",
    "provide_previews",
    "subscription_line",
]
