"""Prorations: what a change in the middle of a period credits and charges.

A change at moment `p` inside the item's period [start, end) credits the unused part of
what was billed for the old price and quantity and charges the remaining part of the new
ones, each prorated to the second: `amount * (end - p) / (end - start)`, rounded to the
nearest minor unit per line. In flexible billing mode (the default at this API version)
the credit is based on the full-period amount last debited for the item, not on what its
price says now (`model.billed`), so a change made with `proration_behavior=none` is
credited at what the customer really paid.

Each proration is a pending invoice item (`proration: true`, not discountable) carrying
the subscription and item, with Stripe's wording: `Unused time on Gold after 01 Sep
2020` / `Remaining time on 3 \u00d7 Gold after 01 Sep 2020` (a multiplication sign).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...framework.context import RequestContext
from ..invoices import items as invoice_items
from ..invoices import totals
from . import cycle, model

TIMES = "\N{MULTIPLICATION SIGN}"


def full_price(ctx: RequestContext, price: dict[str, Any]) -> dict[str, Any]:
    """The stored price (an item's copy leaves out the tiers amounts need)."""
    return ctx.find("price", price["id"]) or price


def full_amount(ctx: RequestContext, price: dict[str, Any], quantity: int) -> int:
    """A whole period of `quantity` units of `price`."""
    return totals.price_amount(full_price(ctx, price), quantity)


def _subject(ctx: RequestContext, price: dict[str, Any], quantity: int) -> str:
    product = ctx.find("product", price.get("product") or "") or {}
    name = product.get("name") or price.get("product")
    return f"{name}" if quantity == 1 else f"{quantity} {TIMES} {name}"


def _span(sub: dict[str, Any], item: dict[str, Any]) -> tuple[int, int]:
    """(full-period length, period end) an item's prorations are measured against."""
    end = item["current_period_end"]
    interval, count = cycle.recurring_of(item["price"])
    start = item["current_period_start"]
    if sub.get("status") != "trialing":
        start = min(
            start, cycle.full_period_start(sub["billing_cycle_anchor"], interval, count, end)
        )
    return end - start, end


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%d %b %Y")


def _pending_item(
    ctx: RequestContext,
    sub: dict[str, Any],
    item_id: str,
    price: dict[str, Any],
    quantity: int,
    amount: int,
    description: str,
    period: dict[str, int],
) -> dict[str, Any]:
    customer = ctx.load("customer", sub["customer"], param="customer", in_path=False)
    # A proration carries its subscription item's own tax rates (the invoice's defaults,
    # the subscription's, cover the rest).
    own = next((i for i in model.items_of(sub) if i["id"] == item_id), None)
    priced = {
        "currency": price["currency"],
        "amount": amount,
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "price": full_price(ctx, price),
    }
    created = invoice_items.new_item(
        ctx,
        customer=customer,
        priced=priced,
        now=model.now_of(ctx, sub),
        description=description,
        period=period,
        discountable=False,
        subscription=sub["id"],
        subscription_item=item_id,
        proration=True,
        tax_rates=list((own or {}).get("tax_rates") or []),
    )
    ctx.emit("invoiceitem.created", invoice_items.public(created))
    return created


def credit(
    ctx: RequestContext,
    sub: dict[str, Any],
    item: dict[str, Any],
    at: int,
) -> dict[str, Any] | None:
    """Credit the unused time of an item's current price and quantity from `at`."""
    length, end = _span(sub, item)
    if model.is_metered(item["price"]) or at >= end:
        return None
    quantity = model.quantity_of(item)
    billed = model.billed(ctx, sub, item["id"])
    if billed is None:
        return None  # nothing was ever charged for this item (a trial): nothing to credit
    amount = -cycle.fraction(end - at, length, billed)
    description = f"Unused time on {_subject(ctx, item['price'], quantity)} after {_date(at)}"
    return _pending_item(
        ctx,
        sub,
        item["id"],
        item["price"],
        quantity,
        amount,
        description,
        {"end": end, "start": at},
    )


def debit(
    ctx: RequestContext,
    sub: dict[str, Any],
    item: dict[str, Any],
    at: int,
    *,
    record: bool = True,
) -> dict[str, Any] | None:
    """Charge the remaining time of an item's (new) price and quantity from `at`."""
    length, end = _span(sub, item)
    if model.is_metered(item["price"]) or at >= end:
        return None
    quantity = model.quantity_of(item)
    whole = full_amount(ctx, item["price"], quantity)
    amount = cycle.fraction(end - at, length, whole)
    description = f"Remaining time on {_subject(ctx, item['price'], quantity)} after {_date(at)}"
    created = _pending_item(
        ctx,
        sub,
        item["id"],
        item["price"],
        quantity,
        amount,
        description,
        {"end": end, "start": at},
    )
    if record:
        model.set_billed(ctx, sub, {item["id"]: whole})
    return created


def pending_for(ctx: RequestContext, sub: dict[str, Any]) -> list[dict[str, Any]]:
    """The subscription's own pending invoice items (prorations not yet invoiced)."""
    return [
        item
        for item in invoice_items.pending_items(ctx, sub["customer"], subscription=sub["id"])
        if ((item.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        == sub["id"]
    ]


def drop_pending(ctx: RequestContext, sub: dict[str, Any]) -> None:
    """Delete the subscription's pending prorations (an immediate cancel without
    `invoice_now` or `prorate` leaves none behind, as Stripe does)."""
    for item in pending_for(ctx, sub):
        if item.get("proration"):
            ctx.remove("invoiceitem", item["id"])
            ctx.emit(
                "invoiceitem.deleted",
                {"id": item["id"], "object": "invoiceitem", "deleted": True},
            )
