"""/v1/invoice_payments (retrieve, list): the payments recorded against invoices (see
payment.py for how they come and go)."""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import ResourceMissing
from ...framework.listing import list_objects
from ...framework.routing import Route
from ...store import Filter


def retrieve(ctx: RequestContext, params: dict[str, Any], invoice_payment: str) -> dict[str, Any]:
    found = ctx.find("invoice_payment", invoice_payment)
    if found is None:
        raise ResourceMissing("invoice_payment", invoice_payment, param="invoice_payment")
    return found


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    if params.get("invoice"):
        filters.append(Filter(("invoice",), "eq", params["invoice"]))
    if params.get("status"):
        filters.append(Filter(("status",), "eq", params["status"]))
    payment = params.get("payment") or {}
    if payment.get("type"):
        filters.append(Filter(("payment", "type"), "eq", payment["type"]))
    if payment.get("payment_intent"):
        filters.append(Filter(("payment", "payment_intent"), "eq", payment["payment_intent"]))
    if payment.get("payment_record"):
        filters.append(Filter(("payment", "payment_record"), "eq", payment["payment_record"]))
    return list_objects(ctx, "invoice_payment", params, "/v1/invoice_payments", tuple(filters))


ROUTES = [
    Route("GET", "/v1/invoice_payments", list_),
    Route("GET", "/v1/invoice_payments/{invoice_payment}", retrieve),
]
