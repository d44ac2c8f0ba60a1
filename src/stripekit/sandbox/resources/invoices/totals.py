"""Amounts: what a price charges for a quantity, and an invoice's totals from its lines.

`price_amount` follows the price's billing scheme: per unit (with `transform_quantity`
dividing the quantity first), or tiered (`volume`: the whole quantity at the tier it
reaches; `graduated`: each tier's share at its own rate), flat amounts included. Decimal
unit amounts are multiplied exactly and rounded half up once, at the end.

`compute` is the one place invoice totals come from, so they always agree with the lines:

    subtotal            = sum of line amounts (before any discount; inclusive tax in)
    total_discount      = what the discounts took (see discounts.allocate)
    exclusive/inclusive = the tax the lines' rates make after discounts (see taxes)
    total               = subtotal - total_discount + exclusive tax
    total_excluding_tax = subtotal - total_discount - inclusive tax
    subtotal_excluding_tax = subtotal - inclusive tax
    amount_due          = total + starting_balance - ending_balance   (never negative)
    amount_remaining    = amount_due - amount_paid
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...framework.context import RequestContext
from . import discounts, taxes


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def unit_decimal(price: dict[str, Any]) -> Decimal:
    if price.get("unit_amount_decimal") is not None:
        return Decimal(str(price["unit_amount_decimal"]))
    return _decimal(price.get("unit_amount"))


def _transformed(price: dict[str, Any], quantity: int) -> int:
    transform = price.get("transform_quantity")
    if not transform:
        return quantity
    divide_by = int(transform["divide_by"])
    if transform.get("round") == "up":
        return math.ceil(quantity / divide_by)
    return quantity // divide_by


def _tier_unit(tier: dict[str, Any]) -> Decimal:
    return _decimal(tier.get("unit_amount_decimal", tier.get("unit_amount")))


def _tier_flat(tier: dict[str, Any]) -> Decimal:
    return _decimal(tier.get("flat_amount_decimal", tier.get("flat_amount")))


def _tiered(price: dict[str, Any], quantity: int) -> Decimal:
    tiers = price.get("tiers") or []
    if price.get("tiers_mode") == "volume":
        for tier in tiers:
            if tier.get("up_to") is None or quantity <= tier["up_to"]:
                if quantity == 0:
                    return Decimal(0)
                return _tier_unit(tier) * quantity + _tier_flat(tier)
        return Decimal(0)
    total = Decimal(0)
    floor = 0
    for tier in tiers:
        if quantity <= floor:
            break
        ceiling = quantity if tier.get("up_to") is None else min(quantity, tier["up_to"])
        total += _tier_unit(tier) * (ceiling - floor) + _tier_flat(tier)
        floor = ceiling if tier.get("up_to") is None else tier["up_to"]
    return total


def price_amount(price: dict[str, Any], quantity: int) -> int:
    """What `quantity` of `price` costs, in the currency's smallest unit."""
    if price.get("billing_scheme") == "tiered":
        return _half_up(_tiered(price, quantity))
    return _half_up(unit_decimal(price) * _transformed(price, quantity))


def decimal_amount(unit_amount_decimal: str, quantity: Decimal | int) -> int:
    return _half_up(Decimal(unit_amount_decimal) * Decimal(quantity))


def compute(ctx: RequestContext, invoice: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Recompute every amount of `invoice` from `lines` (their discount amounts too).
    `starting_balance`/`ending_balance` must already be set (see model.apply_balance); a
    draft's `ending_balance` is null and its amount due previews the balance."""
    subtotal = sum(line["amount"] for line in lines)
    taken = discounts.allocate(ctx, lines, invoice.get("discounts") or [], invoice["currency"])
    for line in lines:
        line["subtotal"] = line["amount"]
    exclusive_tax, inclusive_tax = taxes.apply(ctx, invoice, lines)
    total_discount = sum(taken.values())
    total = subtotal - total_discount + exclusive_tax
    invoice["subtotal"] = subtotal
    invoice["subtotal_excluding_tax"] = subtotal - inclusive_tax
    invoice["total_discount_amounts"] = [{"amount": a, "discount": d} for d, a in taken.items()]
    invoice["total_pretax_credit_amounts"] = [
        {"amount": a, "credit_balance_transaction": None, "discount": d, "type": "discount"}
        for d, a in taken.items()
    ]
    invoice["total"] = total
    invoice["total_excluding_tax"] = subtotal - total_discount - inclusive_tax
    starting = invoice.get("starting_balance") or 0
    ending = invoice.get("ending_balance")
    if ending is None:  # a draft: preview what finalization would apply
        ending = balance_after(total, starting)
    invoice["amount_due"] = max(0, total + starting - ending)
    paid = invoice.get("amount_paid") or 0
    invoice["amount_remaining"] = max(0, invoice["amount_due"] - paid)


def balance_after(total: int, starting_balance: int) -> int:
    """The customer's balance once an invoice of `total` has used it: a credit (negative
    balance) pays as much as it can, a debit (positive) is added to what is due, and a
    negative total becomes credit."""
    combined = total + starting_balance
    return 0 if combined >= 0 else combined
