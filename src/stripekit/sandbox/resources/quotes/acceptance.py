"""What accepting, canceling or outliving a quote does.

Accepting an open quote (`accept`):
- with only one-time lines, creates a draft invoice for its customer (`parent.type:
  quote_details`): one invoice item per line (with the line's rates and discounts), the
  quote's discounts, default tax rates, collection method and due date (sent invoices are
  due `invoice_settings[days_until_due]` days later). The draft waits for you to finalize
  it, as Stripe's quote guide describes;
- with recurring lines, creates a subscription through the subscriptions package
  (`creation.create`): the recurring lines become its items and the one-time lines
  pending invoice items its first invoice bills; `subscription_data` gives its
  description, metadata and trial. `quote.invoice` is that first invoice.

`cancel` (the endpoint, and `expires_at` reached while draft or open) sets `canceled`.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ..invoices import items as invoice_items
from ..invoices import lifecycle as invoice_lifecycle
from ..invoices import model as invoice_model
from ..subscriptions import creation as subscription_creation
from ..test_clocks import now_for
from . import model

EXPIRE = "quote.expire"
DAY = 86400
_PRICE_DATA_FIELDS = ("currency", "product", "recurring", "tax_behavior", "unit_amount_decimal")


def _ref(quote: dict[str, Any]) -> str:
    return f"{quote['id']}@{quote['expires_at']}"


def schedule_expiry(ctx: RequestContext, quote: dict[str, Any]) -> None:
    """A timer at `expires_at` (on the quote's test clock when it has one); a timer made
    stale by a later `expires_at` finds its moment no longer matches and does nothing."""
    ctx.schedule(quote["expires_at"], EXPIRE, _ref(quote), clock=quote.get("test_clock"))


def expire(ctx: RequestContext, ref: str) -> None:
    quote_id, _, at = ref.partition("@")
    quote = ctx.find(model.OBJECT, quote_id)
    if quote is None or quote["status"] not in ("draft", "open"):
        return
    if quote["expires_at"] != int(at):
        return
    cancel(ctx, quote)


def cancel(ctx: RequestContext, quote: dict[str, Any]) -> None:
    quote["status"] = "canceled"
    quote["status_transitions"]["canceled_at"] = now_for(ctx, quote.get("test_clock"))
    ctx.save(quote)
    model.emit(ctx, "quote.canceled", quote)


def _priced(item: dict[str, Any]) -> dict[str, Any]:
    quantity = item["quantity"] or 0
    return {
        "amount": item["amount_subtotal"],
        "currency": item["currency"],
        "price": item["price"],
        "quantity": quantity,
        "quantity_decimal": str(quantity),
    }


def _invoice_item(
    ctx: RequestContext,
    customer: dict[str, Any],
    item: dict[str, Any],
    invoice_id: str | None,
) -> dict[str, Any]:
    created = invoice_items.new_item(
        ctx,
        customer=customer,
        priced=_priced(item),
        now=now_for(ctx, customer.get("test_clock")),
        description=item["description"],
        discount_ids=list(item["_discount_ids"]),
        invoice=invoice_id,
        tax_rates=list(item["_tax_rates"]),
    )
    ctx.emit("invoiceitem.created", invoice_items.public(created))
    return created


def _accept_as_invoice(
    ctx: RequestContext, quote: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any]:
    now = now_for(ctx, customer.get("test_clock"))
    days = quote["invoice_settings"]["days_until_due"]
    sending = quote["collection_method"] == "send_invoice"
    invoice = invoice_lifecycle.create_invoice(
        ctx,
        customer,
        collection_method=quote["collection_method"],
        currency=quote["currency"],
        due_date=now + int(days or 0) * DAY if sending else None,
        discount_ids=list(quote["discounts"]),
        emit_created=False,
        description=quote["description"],
        footer=quote["footer"],
        default_tax_rates=list(quote["_default_tax_rates"]),
    )
    invoice["parent"] = {
        "quote_details": {"quote": quote["id"]},
        "subscription_details": None,
        "type": "quote_details",
    }
    lines = invoice_model.lines_of(invoice)
    for item in model.items_of(quote):
        created = _invoice_item(ctx, customer, item, invoice["id"])
        lines.append(invoice_items.line_from_item(created, invoice["id"], ctx.new_id("il")))
    invoice_model.recompute(ctx, invoice)
    ctx.save(invoice)
    invoice_model.emit(ctx, "invoice.created", invoice)
    return invoice


def _subscription_item(item: dict[str, Any]) -> dict[str, Any]:
    price = item["price"]
    entry: dict[str, Any] = {
        "quantity": item["quantity"],
        "tax_rates": [rate["id"] for rate in item["_tax_rates"]],
    }
    if price.get("active"):
        entry["price"] = price["id"]
    else:
        # An inline price (`price_data`) is not active, so it cannot be named again; the
        # subscription item gets an equal inline price of its own.
        entry["price_data"] = {k: price[k] for k in _PRICE_DATA_FIELDS if price.get(k)}
        entry["price_data"]["recurring"] = {
            "interval": price["recurring"]["interval"],
            "interval_count": price["recurring"].get("interval_count", 1),
        }
    return entry


def _accept_as_subscription(
    ctx: RequestContext, quote: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any]:
    for item in model.items_of(quote):
        if not model.is_recurring(item):
            _invoice_item(ctx, customer, item, None)  # billed on the first invoice
    sub_data = quote["subscription_data"]
    params: dict[str, Any] = {
        "customer": customer["id"],
        "items": [
            _subscription_item(item) for item in model.items_of(quote) if model.is_recurring(item)
        ],
        "collection_method": quote["collection_method"],
        "default_tax_rates": list(quote["default_tax_rates"]),
        "discounts": [{"discount": discount} for discount in quote["discounts"]],
        "description": sub_data["description"],
        "metadata": sub_data["metadata"] or {},
    }
    if quote["collection_method"] == "send_invoice":
        params["days_until_due"] = quote["invoice_settings"]["days_until_due"] or 0
    if sub_data["trial_period_days"]:
        params["trial_period_days"] = sub_data["trial_period_days"]
    return subscription_creation.create(ctx, params)


def accept(ctx: RequestContext, quote: dict[str, Any]) -> None:
    customer = ctx.load("customer", quote["customer"], param="customer", in_path=False)
    if any(model.is_recurring(item) for item in model.items_of(quote)):
        sub = _accept_as_subscription(ctx, quote, customer)
        quote["subscription"] = sub["id"]
        quote["invoice"] = sub.get("latest_invoice")
    else:
        quote["invoice"] = _accept_as_invoice(ctx, quote, customer)["id"]
    quote["status"] = "accepted"
    quote["status_transitions"]["accepted_at"] = now_for(ctx, quote.get("test_clock"))
    ctx.save(quote)
    model.emit(ctx, "quote.accepted", quote)
