"""Discounts on invoices and invoice items: `discounts[]` params turned into `discount`
objects (`di_...`, made and redeemed by the discounts module), and how their coupons
split into per-line amounts.

A discount names its coupon by id only, and a coupon may be deleted while discounts made
from it live on (Stripe keeps applying them), so each discount has a private snapshot of
its coupon (`COUPON_SNAPSHOT`, written by the discounts module, never served).

Allocation (`allocate`): line discounts apply before invoice discounts, each to what is
left of a line after the discounts before it. A percentage takes its share of each
eligible line, rounded half up; a fixed amount is capped at what is left on the eligible
lines and split across them in proportion, the cents that rounding leaves going to the
lines with the largest remainders. Eligible: a discountable line with something left,
whose product the coupon's `applies_to` names (when it names any). Every line lists every
invoice discount in `discount_amounts` (0 where it took nothing), as Stripe does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from .. import discounts as discount_objects

COUPON_SNAPSHOT = discount_objects.SNAPSHOT_TYPE
MAX_DISCOUNTS = 20


def coupon_of(ctx: RequestContext, discount_id: str) -> dict[str, Any] | None:
    """The coupon a discount was made from, as it was then (even if since deleted)."""
    snapshot = ctx.find(COUPON_SNAPSHOT, discount_id)
    if snapshot is not None:
        coupon: dict[str, Any] = snapshot["coupon"]
        return coupon
    discount = ctx.find("discount", discount_id)
    if discount is None:
        return None
    return ctx.find("coupon", (discount.get("source") or {}).get("coupon") or "")


def is_active(discount: dict[str, Any], at: int) -> bool:
    """Whether a discount still applies at `at` (a repeating coupon's months ran out)."""
    end = discount.get("end")
    return end is None or at < end


def amount_off_in(coupon: dict[str, Any], currency: str) -> int | None:
    """An amount_off coupon's amount in `currency` (None: it has none in that currency)."""
    if coupon.get("currency") == currency:
        amount: int = coupon["amount_off"]
        return amount
    option = (coupon.get("currency_options") or {}).get(currency)
    return option.get("amount_off") if option else None


def resolve(
    ctx: RequestContext,
    given: Any,
    *,
    currency: str,
    customer: str | None,
    now: int,
    param: str = "discounts",
    invoice: str | None = None,
    invoice_item: str | None = None,
    amount: int | None = None,
) -> list[str]:
    """`discounts[]` params -> discount ids. A coupon or promotion code becomes a new
    discount on the invoice or item (validated and redeemed by the discounts module); an
    existing `discount` id is reused as is. `""` or `[]` means none."""
    if not given:
        return []
    if len(given) > MAX_DISCOUNTS:
        raise InvalidRequestError(
            f"You can only apply up to {MAX_DISCOUNTS} discounts at a time.", param=param
        )
    ids: list[str] = []
    seen_coupons: set[str] = set()
    for index, entry in enumerate(given):
        here = f"{param}[{index}]"
        if entry.get("discount"):
            if entry.get("coupon") or entry.get("promotion_code"):
                raise InvalidRequestError(
                    "You may only specify one of these parameters: coupon, discount, "
                    "promotion_code.",
                    param=f"{here}[discount]",
                )
            discount = ctx.find("discount", entry["discount"])
            if discount is None or discount.get("deleted"):
                raise ResourceMissing(
                    "discount", entry["discount"], param=f"{here}[discount]", status=400
                )
            if discount.get("customer") not in (None, customer):
                raise InvalidRequestError(
                    f"The discount {entry['discount']} belongs to another customer.",
                    param=f"{here}[discount]",
                )
        else:
            discount = discount_objects.create_discount(
                ctx,
                coupon=entry.get("coupon") or None,
                promotion_code=entry.get("promotion_code") or None,
                customer=customer,
                invoice=invoice,
                invoice_item=invoice_item,
                start=now,
                amount=amount,
                currency=currency,
                param=here,
            )
        coupon = coupon_of(ctx, discount["id"]) or {}
        kind = (
            "discount"
            if entry.get("discount")
            else ("promotion_code" if entry.get("promotion_code") else "coupon")
        )
        if coupon.get("amount_off") is not None and amount_off_in(coupon, currency) is None:
            raise InvalidRequestError(
                f"The coupon {coupon['id']} has no amount in {currency}: an amount_off coupon "
                "must be in the invoice's currency (or have a currency_options entry for it).",
                param=f"{here}[{kind}]",
            )
        if coupon.get("id") in seen_coupons:
            raise InvalidRequestError(
                "The same coupon cannot be applied twice.", param=f"{here}[{kind}]"
            )
        seen_coupons.add(coupon.get("id", discount["id"]))
        ids.append(discount["id"])
    return ids


# -- allocation -------------------------------------------------------------------------------


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _eligible(coupon: dict[str, Any], line: dict[str, Any], left: int) -> bool:
    if not line.get("discountable") or left <= 0:
        return False
    products = ((coupon.get("applies_to") or {}).get("products")) or None
    if products is None:
        return True
    details = ((line.get("pricing") or {}).get("price_details")) or {}
    return details.get("product") in products


def _apply(
    coupon: dict[str, Any], currency: str, lines: list[dict[str, Any]], left: list[int]
) -> list[int]:
    """What one coupon takes from each line, given what is left of each."""
    taken = [0] * len(lines)
    eligible = [i for i, line in enumerate(lines) if _eligible(coupon, line, left[i])]
    if not eligible:
        return taken
    if coupon.get("percent_off") is not None:
        percent = Decimal(str(coupon["percent_off"]))
        for i in eligible:
            taken[i] = min(left[i], _round_half_up(Decimal(left[i]) * percent / 100))
        return taken
    amount = amount_off_in(coupon, currency) or 0
    base = sum(left[i] for i in eligible)
    applied = min(amount, base)
    if applied <= 0:
        return taken
    shares = []
    for i in eligible:
        exact = Decimal(applied) * left[i] / base
        taken[i] = int(exact)
        shares.append((exact - taken[i], -i))
    short = applied - sum(taken)
    for _, neg_i in sorted(shares, reverse=True)[:short]:
        taken[-neg_i] += 1
    return taken


def allocate(
    ctx: RequestContext,
    lines: list[dict[str, Any]],
    invoice_discounts: list[str],
    currency: str,
) -> dict[str, int]:
    """Set each line's `discount_amounts` and `pretax_credit_amounts`; return the amount
    each discount took over the invoice, in the order the totals list them."""
    left = [line["amount"] for line in lines]
    per_line: list[list[tuple[str, int]]] = [[] for _ in lines]
    totals: dict[str, int] = {}
    # Line discounts first, each on its own line.
    for i, line in enumerate(lines):
        for discount_id in line.get("discounts") or []:
            coupon = coupon_of(ctx, discount_id)
            took = _apply(coupon, currency, [line], [left[i]])[0] if coupon else 0
            left[i] -= took
            per_line[i].append((discount_id, took))
            totals[discount_id] = totals.get(discount_id, 0) + took
    for discount_id in invoice_discounts:
        coupon = coupon_of(ctx, discount_id)
        taken = _apply(coupon, currency, lines, left) if coupon else [0] * len(lines)
        for i, took in enumerate(taken):
            left[i] -= took
            per_line[i].append((discount_id, took))
        totals[discount_id] = totals.get(discount_id, 0) + sum(taken)
    for line, entries in zip(lines, per_line, strict=True):
        line["discount_amounts"] = [{"amount": a, "discount": d} for d, a in entries]
        line["pretax_credit_amounts"] = [
            {"amount": a, "credit_balance_transaction": None, "discount": d, "type": "discount"}
            for d, a in entries
        ]
    return totals
