"""The subscription and subscription item objects, and how they are kept.

A subscription is stored with its items embedded (`items.data`), as Stripe returns it, so
lists and search serve it as is; every item is also stored on its own for
`/v1/subscription_items`. `save` writes both, so the two never disagree.

What the sandbox must remember and Stripe never shows lives in one side record per
subscription (`STATE`, never served): for each item, the full-period amount last debited
(flexible billing mode credits what was billed, not what the price says now), and the
pending update a `pending_if_incomplete` change left waiting for its invoice.
"""

from __future__ import annotations

from typing import Any

from ...framework import metadata
from ...framework.context import RequestContext
from .. import prices
from ..test_clocks import now_for

TYPE = "subscription"
ITEM = "subscription_item"
STATE = "sandbox.subscription_state"
ITEM_ID_LENGTH = 14
ID_LENGTH = 24

# Statuses that bill and can change; the others are final.
LIVE = ("trialing", "active", "past_due", "unpaid", "incomplete", "paused")
ENDED = ("canceled", "incomplete_expired")
TRIAL_WILL_END_BEFORE = 3 * 86400


def now_of(ctx: RequestContext, sub: dict[str, Any]) -> int:
    """Now, for a subscription: its test clock's time when it lives on one."""
    return now_for(ctx, sub.get("test_clock"))


def item_price(price: dict[str, Any]) -> dict[str, Any]:
    """The price as an item shows it: without its includable fields."""
    return prices.shown(price)


def new_item(
    ctx: RequestContext,
    sub_id: str,
    price: dict[str, Any],
    *,
    quantity: int | None,
    meta: Any,
    start: int,
    end: int,
    created: int,
    param: str = "metadata",
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": ctx.new_id("si", ITEM_ID_LENGTH),
        "object": ITEM,
        "billing_thresholds": None,
        "created": created,
        "current_period_end": end,
        "current_period_start": start,
        "discounts": [],
        "metadata": metadata.merge(None, meta or {}, param=param),
        "price": item_price(price),
        "subscription": sub_id,
        "tax_rates": [],
    }
    # A metered item has no quantity: its usage is what gets billed.
    if not is_metered(price):
        item["quantity"] = 1 if quantity is None else quantity
    return item


def is_metered(price: dict[str, Any]) -> bool:
    return ((price.get("recurring") or {}).get("usage_type")) == "metered"


def quantity_of(item: dict[str, Any]) -> int:
    return int(item.get("quantity") or 0)


def items_of(sub: dict[str, Any]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = sub["items"]["data"]
    return data


def period_of(sub: dict[str, Any]) -> tuple[int, int]:
    """The current period (every item of a subscription shares it in the sandbox)."""
    items = items_of(sub)
    if not items:
        return sub["billing_cycle_anchor"], sub["billing_cycle_anchor"]
    return items[0]["current_period_start"], items[0]["current_period_end"]


def set_period(sub: dict[str, Any], start: int, end: int) -> None:
    for item in items_of(sub):
        item["current_period_start"] = start
        item["current_period_end"] = end


def items_list(sub_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "has_more": False,
        "url": f"/v1/subscription_items?subscription={sub_id}",
    }


def new_subscription(
    ctx: RequestContext,
    *,
    sub_id: str,
    customer: dict[str, Any],
    currency: str,
    created: int,
    params: dict[str, Any],
) -> dict[str, Any]:
    """A subscription with Stripe's defaults for every field (items, periods and status
    are filled in by the caller)."""
    collection = params.get("collection_method") or "charge_automatically"
    trial_settings = params.get("trial_settings") or {}
    missing_pm = (trial_settings.get("end_behavior") or {}).get(
        "missing_payment_method", "create_invoice"
    )
    billing_mode = (params.get("billing_mode") or {}).get("type") or "flexible"
    mode: dict[str, Any] = {"type": billing_mode, "updated_at": created}
    if billing_mode == "flexible":
        flexible = (params.get("billing_mode") or {}).get("flexible") or {}
        mode["flexible"] = {
            "proration_discounts": flexible.get("proration_discounts") or "included"
        }
    return {
        "id": sub_id,
        "object": TYPE,
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": created,
        "billing_cycle_anchor_config": None,
        "billing_mode": mode,
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": collection,
        "created": created,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "days_until_due": params.get("days_until_due") if collection == "send_invoice" else None,
        "default_payment_method": params.get("default_payment_method") or None,
        "default_source": params.get("default_source") or None,
        "default_tax_rates": [],
        "description": params.get("description") or None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": items_list(sub_id, []),
        "latest_invoice": None,
        "livemode": False,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": (params.get("payment_settings") or {}).get(
                "save_default_payment_method"
            )
            or "off",
        },
        "pending_invoice_item_interval": params.get("pending_invoice_item_interval") or None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": "incomplete",
        "test_clock": customer.get("test_clock"),
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": missing_pm}},
        "trial_start": None,
    }


# -- storage ---------------------------------------------------------------------------------


def insert(ctx: RequestContext, sub: dict[str, Any]) -> None:
    ctx.insert(sub)
    for item in items_of(sub):
        ctx.insert(item)
    record = {"id": sub["id"], "object": STATE, "created": sub["created"], "billed": {}}
    # While the create request runs, invoice listeners leave the subscription to it.
    record["creating"] = True
    ctx.insert(record)
    ctx.save(record, listed=False)


def save(ctx: RequestContext, sub: dict[str, Any]) -> None:
    """Write the subscription and each of its items (new ones inserted)."""
    ctx.save(sub)
    for item in items_of(sub):
        if ctx.find(ITEM, item["id"]) is None:
            ctx.insert(item)
        else:
            ctx.save(item)


def state(ctx: RequestContext, sub: dict[str, Any]) -> dict[str, Any]:
    found = ctx.find(STATE, sub["id"])
    if found is None:
        found = {"id": sub["id"], "object": STATE, "created": sub["created"], "billed": {}}
        ctx.insert(found)
        ctx.save(found, listed=False)
    return found


def save_state(ctx: RequestContext, record: dict[str, Any]) -> None:
    ctx.save(record, listed=False)


def billed(ctx: RequestContext, sub: dict[str, Any], item_id: str) -> int | None:
    """The full-period amount last debited for an item (None: never billed)."""
    value = state(ctx, sub)["billed"].get(item_id)
    return None if value is None else int(value)


def set_billed(ctx: RequestContext, sub: dict[str, Any], amounts: dict[str, int | None]) -> None:
    record = state(ctx, sub)
    for item_id, value in amounts.items():
        if value is None:
            record["billed"].pop(item_id, None)
        else:
            record["billed"][item_id] = value
    save_state(ctx, record)


def creating(ctx: RequestContext, sub: dict[str, Any]) -> bool:
    found = ctx.find(STATE, sub["id"])
    return bool(found and found.get("creating"))


def set_creating(ctx: RequestContext, sub: dict[str, Any], value: bool) -> None:
    record = state(ctx, sub)
    record["creating"] = value
    save_state(ctx, record)


def load(
    ctx: RequestContext,
    sub_id: str,
    *,
    param: str = "subscription_exposed_id",
    in_path: bool = True,
) -> dict[str, Any]:
    return ctx.load(TYPE, sub_id, param=param, noun="subscription", in_path=in_path)


def has_payment_method(ctx: RequestContext, sub: dict[str, Any]) -> bool:
    """Whether invoices of this subscription have something to charge (Stripe's order:
    the subscription's default payment method or source, then the customer's)."""
    if sub.get("default_payment_method") or sub.get("default_source"):
        return True
    customer = ctx.find("customer", sub["customer"]) or {}
    settings = customer.get("invoice_settings") or {}
    return bool(settings.get("default_payment_method") or customer.get("default_source"))
