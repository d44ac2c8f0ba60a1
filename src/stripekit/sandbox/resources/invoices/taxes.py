"""Tax rates on invoice lines: which rates a line carries, and the tax they make.

Which rates: a line's own rates when it has any, else the invoice's `default_tax_rates`.
A line made from an invoice item has the item's `tax_rates` (the item and the line are
edited together). A line billed from a subscription item has no item behind it, and
line objects show no rates at this API version, so its own rates are kept in a private
record per invoice (`LINE_RATES`, never served), written by `set_line_rates`.

The tax (per line, per rate, each amount rounded half up, as Stripe rounds per line):
the taxable base is what is left of the line after its discounts. Inclusive rates are
part of that base: the amount without them is `base * 100 / (100 + sum of inclusive
percentages)`, each inclusive rate taking `base * p / (100 + sum)`. Exclusive rates are
added on top of the amount without inclusive tax, `net * p / 100`. Each entry's
`taxable_amount` is that net amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...framework.context import RequestContext

LINE_RATES = "sandbox.invoice_line_tax_rates"
# Manual tax rates come with no taxability decision (that is Stripe Tax's); the spec's
# enum has this value for "no reason available".
TAXABILITY_REASON = "not_available"


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def set_line_rates(
    ctx: RequestContext, invoice_id: str, line_id: str, rates: list[dict[str, Any]]
) -> None:
    """Give a subscription-item line of `invoice_id` its own rates ([] = the defaults)."""
    record = ctx.find(LINE_RATES, invoice_id)
    if record is None:
        if not rates:
            return
        record = ctx.insert({"id": invoice_id, "object": LINE_RATES, "created": 0, "lines": {}})
    if rates:
        record["lines"][line_id] = [dict(rate) for rate in rates]
    else:
        record["lines"].pop(line_id, None)
    ctx.save(record)


def own_line_rates(ctx: RequestContext, invoice_id: str, line_id: str) -> list[dict[str, Any]]:
    record = ctx.find(LINE_RATES, invoice_id)
    rates: list[dict[str, Any]] = ((record or {}).get("lines") or {}).get(line_id) or []
    return rates


def _item_rates(ctx: RequestContext, line: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The invoice item's rates for an item line, None for a subscription-item line."""
    details = (line.get("parent") or {}).get("invoice_item_details")
    if not details:
        return None
    item = ctx.find("invoiceitem", details.get("invoice_item") or "")
    rates: list[dict[str, Any]] = (item or {}).get("tax_rates") or []
    return rates


def rates_by_line(
    ctx: RequestContext, invoice: dict[str, Any], lines: list[dict[str, Any]]
) -> list[list[dict[str, Any]]]:
    defaults: list[dict[str, Any]] = invoice.get("default_tax_rates") or []
    record: dict[str, Any] | None = None
    looked_up = False
    out = []
    for line in lines:
        own = _item_rates(ctx, line)
        if own is None:
            if not looked_up:
                record = ctx.find(LINE_RATES, invoice["id"])
                looked_up = True
            own = ((record or {}).get("lines") or {}).get(line["id"]) or []
        out.append(own or defaults)
    return out


def _entry(rate: dict[str, Any], amount: int, taxable: int) -> dict[str, Any]:
    return {
        "amount": amount,
        "tax_behavior": "inclusive" if rate["inclusive"] else "exclusive",
        "tax_rate_details": {"tax_rate": rate["id"]},
        "taxability_reason": TAXABILITY_REASON,
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def line_taxes(base: int, rates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `taxes` of a line whose discounted amount is `base`."""
    if not rates:
        return []
    amount = Decimal(base)
    inclusive_sum = sum(
        (Decimal(str(r["percentage"])) for r in rates if r["inclusive"]), Decimal(0)
    )
    inclusive: dict[str, int] = {}
    for rate in rates:
        if rate["inclusive"]:
            share = amount * Decimal(str(rate["percentage"])) / (100 + inclusive_sum)
            inclusive[rate["id"]] = _half_up(share)
    net = base - sum(inclusive.values())
    out = []
    for rate in rates:
        if rate["inclusive"]:
            out.append(_entry(rate, inclusive[rate["id"]], net))
        else:
            tax = _half_up(Decimal(net) * Decimal(str(rate["percentage"])) / 100)
            out.append(_entry(rate, tax, net))
    return out


def apply(
    ctx: RequestContext, invoice: dict[str, Any], lines: list[dict[str, Any]]
) -> tuple[int, int]:
    """Set every line's `taxes` and the invoice's `total_taxes` (one entry per rate and
    behavior, in the order the rates first appear); return (exclusive tax, inclusive
    tax). Discounts must already be allocated (`discount_amounts`)."""
    if not lines:
        invoice["total_taxes"] = []
        return 0, 0
    aggregated: dict[tuple[str, str], dict[str, Any]] = {}
    exclusive = inclusive = 0
    for line, rates in zip(lines, rates_by_line(ctx, invoice, lines), strict=True):
        base = line["amount"] - sum(d["amount"] for d in line.get("discount_amounts") or [])
        line["taxes"] = line_taxes(base, rates)
        for entry in line["taxes"]:
            if entry["tax_behavior"] == "inclusive":
                inclusive += entry["amount"]
            else:
                exclusive += entry["amount"]
            key = (entry["tax_rate_details"]["tax_rate"], entry["tax_behavior"])
            if key in aggregated:
                aggregated[key]["amount"] += entry["amount"]
                aggregated[key]["taxable_amount"] += entry["taxable_amount"]
            else:
                aggregated[key] = {**entry, "tax_rate_details": dict(entry["tax_rate_details"])}
    invoice["total_taxes"] = list(aggregated.values())
    return exclusive, inclusive
