"""The quote object: its line items (`item` objects, stored on the quote and shown only
when expanded), and the amounts Stripe computes for it.

Amounts come from the invoices package, so a quote shows what its invoice will: each
line is priced with `price_amount`, discounts split over the lines with the invoices'
`allocate` (line discounts first, then the quote's), and tax rates (a line's own, else the
quote's `default_tax_rates`) tax what is left with the invoices' `line_taxes`.

- `computed.upfront`: what the customer pays on acceptance: every one-time line, and the
  recurring lines' first period unless `subscription_data[trial_period_days]` defers it.
- `computed.recurring`: the recurring lines, billed every interval (null without any).
- `amount_subtotal` / `amount_total` / `total_details`: every line once, which is the
  upfront amount when there is no trial.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ..invoices import discounts as invoice_discounts
from ..invoices import taxes as invoice_taxes
from ..invoices.totals import price_amount

OBJECT = "quote"
INCLUDABLE = {OBJECT: ("line_items",)}
DAY = 86400
DEFAULT_LIFETIME_DAYS = 30


def items_of(quote: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = quote["line_items"]["data"]
    return items


def items_url(quote_id: str) -> str:
    return f"/v1/quotes/{quote_id}/line_items"


def is_recurring(item: dict[str, Any]) -> bool:
    return bool(item["price"].get("recurring"))


def new_item(
    ctx: RequestContext,
    price: dict[str, Any],
    quantity: int,
    *,
    discount_ids: list[str],
    tax_rates: list[dict[str, Any]],
) -> dict[str, Any]:
    """A quote line (`item`). `discounts` and `taxes` keep what the totals computed."""
    product = ctx.find("product", price["product"]) or {}
    return {
        "id": ctx.new_id("li"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": 0,
        "amount_tax": 0,
        "amount_total": 0,
        "currency": price["currency"],
        "description": product.get("name"),
        "discounts": [],
        "price": price,
        "quantity": quantity,
        "taxes": [],
        # Private: what the amounts are computed from (never served; see `shown_item`).
        "_discount_ids": discount_ids,
        "_tax_rates": tax_rates,
    }


def shown_item(ctx: RequestContext, item: dict[str, Any]) -> dict[str, Any]:
    """An item as the API shows it: the discounts and tax rates as objects."""
    out = {k: v for k, v in item.items() if not k.startswith("_")}
    out["discounts"] = [
        {"amount": entry["amount"], "discount": ctx.find("discount", entry["discount"])}
        for entry in item["discounts"]
    ]
    rates = {rate["id"]: rate for rate in item["_tax_rates"] or []}
    out["taxes"] = [
        {
            "amount": entry["amount"],
            "rate": rates.get(entry["rate"]) or ctx.find("tax_rate", entry["rate"]),
            "taxability_reason": None,
            "taxable_amount": entry["taxable_amount"],
        }
        for entry in item["taxes"]
    ]
    return out


def _totals(items: list[dict[str, Any]]) -> dict[str, Any]:
    discount = sum(item["amount_discount"] for item in items)
    tax = sum(item["amount_tax"] for item in items)
    exclusive = sum(
        entry["amount"] for item in items for entry in item["taxes"] if not entry["inclusive"]
    )
    subtotal = sum(item["amount_subtotal"] for item in items)
    return {
        "amount_subtotal": subtotal,
        "amount_total": subtotal - discount + exclusive,
        "total_details": {"amount_discount": discount, "amount_shipping": 0, "amount_tax": tax},
    }


def recompute(ctx: RequestContext, quote: dict[str, Any]) -> None:
    """Every amount of the quote from its lines, discounts and tax rates."""
    items = items_of(quote)
    lines = []
    for item in items:
        product = item["price"].get("product")
        lines.append(
            {
                "amount": price_amount(item["price"], item["quantity"] or 0),
                "discountable": True,
                "discounts": item["_discount_ids"],
                "pricing": {"price_details": {"product": product}},
            }
        )
    invoice_discounts.allocate(ctx, lines, quote["discounts"], quote["currency"] or "usd")
    defaults = quote["_default_tax_rates"]
    for item, line in zip(items, lines, strict=True):
        taken = [entry for entry in line["discount_amounts"] if entry["amount"]]
        discount = sum(entry["amount"] for entry in taken)
        taxes = invoice_taxes.line_taxes(line["amount"] - discount, item["_tax_rates"] or defaults)
        item["amount_subtotal"] = line["amount"]
        item["amount_discount"] = discount
        item["discounts"] = taken
        item["taxes"] = [
            {
                "amount": entry["amount"],
                "rate": entry["tax_rate_details"]["tax_rate"],
                "inclusive": entry["tax_behavior"] == "inclusive",
                "taxable_amount": entry["taxable_amount"],
            }
            for entry in taxes
        ]
        item["amount_tax"] = sum(entry["amount"] for entry in taxes)
        exclusive = sum(e["amount"] for e in item["taxes"] if not e["inclusive"])
        item["amount_total"] = line["amount"] - discount + exclusive
    quote.update(_totals(items))
    trial = (quote["subscription_data"] or {}).get("trial_period_days")
    upfront = [item for item in items if not (trial and is_recurring(item))]
    recurring = [item for item in items if is_recurring(item)]
    computed: dict[str, Any] = {"recurring": None, "upfront": _totals(upfront)}
    if recurring:
        schedule = recurring[0]["price"]["recurring"]
        computed["recurring"] = {
            **_totals(recurring),
            "interval": schedule["interval"],
            "interval_count": schedule.get("interval_count", 1),
        }
    quote["computed"] = computed


def upfront_items(quote: dict[str, Any]) -> list[dict[str, Any]]:
    trial = (quote["subscription_data"] or {}).get("trial_period_days")
    return [item for item in items_of(quote) if not (trial and is_recurring(item))]


def present(ctx: RequestContext, quote: dict[str, Any]) -> dict[str, Any]:
    """The quote as the API answers (`line_items` still in: the engine hides it unless
    expanded); private fields dropped."""
    out = {k: v for k, v in quote.items() if not k.startswith("_")}
    out["line_items"] = {
        **quote["line_items"],
        "data": [shown_item(ctx, item) for item in items_of(quote)],
        "has_more": False,
    }
    return out


def shown(ctx: RequestContext, quote: dict[str, Any]) -> dict[str, Any]:
    """The quote as an event shows it (without the includable line items)."""
    out = present(ctx, quote)
    out.pop("line_items")
    return out


def emit(
    ctx: RequestContext,
    event_type: str,
    quote: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> None:
    ctx.emit(event_type, shown(ctx, quote), previous)
