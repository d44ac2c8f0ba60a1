"""Subscription previews for `POST /v1/invoices/create_preview` (the invoices package
runs the preview inside a savepoint it rolls back, and asks this module for the
subscription's part through `provide_previews`).

With `subscription`, the changes in `subscription_details` (items, `proration_date`,
`proration_behavior`, `billing_cycle_anchor`, `trial_end`, cancellation) are applied for
real, then undone with the savepoint; the preview is the invoice they would make at once
(`always_invoice`, a reset cycle) or else the next renewal, with the prorations they left
pending. Without `subscription`, `subscription_details[items]` previews a new
subscription's first invoice.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from . import billing, creation, cycle, model, updates

CHANGES = (
    "items",
    "proration_behavior",
    "proration_date",
    "billing_cycle_anchor",
    "trial_end",
    "cancel_at",
    "cancel_at_period_end",
)


def _none(customer: dict[str, Any]) -> InvalidRequestError:
    return InvalidRequestError(
        f"No upcoming invoices for customer: {customer['id']}", code="invoice_upcoming_none"
    )


def provide(
    ctx: RequestContext, params: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any] | None:
    details = params.get("subscription_details") or {}
    if params.get("subscription"):
        sub = ctx.find(model.TYPE, params["subscription"])
        if sub is None or sub["customer"] != customer["id"]:
            return None  # the invoices package answers with its 400
        return _existing(ctx, sub, details, customer)
    if details.get("items"):
        return _new(ctx, details, customer)
    return None


def _existing(
    ctx: RequestContext, sub: dict[str, Any], details: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any]:
    if sub["status"] in model.ENDED:
        raise _none(customer)
    change = {k: details[k] for k in CHANGES if k in details}
    behavior = change.get("proration_behavior") or "create_prorations"
    before_invoice = sub.get("latest_invoice")
    if change:
        # Bill nothing now: the immediate invoice, if any, is what is previewed.
        if behavior == "always_invoice":
            change["proration_behavior"] = "create_prorations"
        sub = updates.apply_update(ctx, sub, {**change, "payment_behavior": "default_incomplete"})
    now = model.now_of(ctx, sub)
    start, end = model.period_of(sub)
    if sub.get("latest_invoice") != before_invoice:
        # The change reset the cycle and billed at once: preview that invoice.
        invoice = ctx.find("invoice", sub["latest_invoice"]) or {}
        lines = [dict(line) for line in invoice.get("lines", {}).get("data", [])]
        return _kwargs(sub, lines, {"start": now, "end": now}, include_pending=False)
    if behavior == "always_invoice":
        return _kwargs(sub, [], {"start": now, "end": now}, include_pending=True)
    if sub.get("cancel_at_period_end") or (sub.get("cancel_at") or end + 1) <= end:
        raise _none(customer)
    interval, count = cycle.recurring_of(model.items_of(sub)[0]["price"])
    new_end = cycle.next_boundary(sub["billing_cycle_anchor"], interval, count, end)
    usage = billing.usage_lines(ctx, sub, start, end)
    if sub["status"] == "trialing" and sub.get("trial_end") == end:
        sub["status"] = "active"
    specs = usage + billing.period_lines(ctx, sub, end, new_end)
    lines = billing.ready_lines(ctx, sub, "upcoming", specs)
    kwargs = _kwargs(sub, lines, {"start": start, "end": end}, include_pending=True)
    kwargs["discount_ids"] = billing.active_discounts(ctx, sub, end)
    return kwargs


def _new(ctx: RequestContext, details: dict[str, Any], customer: dict[str, Any]) -> dict[str, Any]:
    given: dict[str, Any] = {
        k: details[k]
        for k in ("items", "trial_end", "billing_cycle_anchor", "cancel_at", "proration_behavior")
        if k in details and details[k] is not None
    }
    if isinstance(given.get("billing_cycle_anchor"), str):
        given.pop("billing_cycle_anchor")
    sub = creation.create(
        ctx, {**given, "customer": customer["id"], "payment_behavior": "default_incomplete"}
    )
    invoice = ctx.find("invoice", sub.get("latest_invoice") or "") or {}
    lines = [dict(line) for line in invoice.get("lines", {}).get("data", [])]
    if invoice:  # the real first invoice stands in for the preview's lines only
        for line in lines:
            line["id"] = ctx.new_id("il")
    now = model.now_of(ctx, sub)
    return _kwargs(sub, lines, {"start": now, "end": now}, include_pending=False)


def _kwargs(
    sub: dict[str, Any],
    lines: list[dict[str, Any]],
    period: dict[str, int],
    *,
    include_pending: bool,
) -> dict[str, Any]:
    return {
        "subscription": sub["id"],
        "lines": lines,
        "period": period,
        "include_pending": include_pending,
        "collection_method": sub["collection_method"],
        "currency": sub["currency"],
        "subscription_metadata": dict(sub.get("metadata") or {}),
    }
