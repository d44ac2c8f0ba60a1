"""PaymentMethods: /v1/payment_methods.

`pm_card_visa` and the other test ids are not stored objects: each use creates a real
`pm_...` PaymentMethod for that test card, as Stripe does (`resolve`). The card behind a
PaymentMethod (and so its outcome: success, a decline, 3-D Secure...) is found again from
its fingerprint (`card_of`); the full number is never stored.
"""

from __future__ import annotations

from typing import Any

from ..framework import metadata, testcards
from ..framework.context import RequestContext
from ..framework.errors import CardError, InvalidRequestError, ResourceMissing
from ..framework.routing import Route
from ..framework.testcards import TestCard

MAGIC_PREFIX = "pm_card_"
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
_BY_FINGERPRINT = {card.fingerprint: card for card in testcards.CARDS.values()}


def card_of(payment_method: dict[str, Any]) -> TestCard:
    """The test card a card PaymentMethod was made from (its outcome drives payments)."""
    card = payment_method.get("card") or {}
    known = _BY_FINGERPRINT.get(card.get("fingerprint", ""))
    if known is not None:
        return known
    return TestCard("0" * 12 + card.get("last4", "0000"), card.get("brand", "visa"))


def card_details(
    card: TestCard, exp_month: int, exp_year: int, *, cvc_given: bool
) -> dict[str, Any]:
    """The `card` hash of a PaymentMethod (and, reshaped, of charges and tokens)."""
    return {
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass" if cvc_given else None,
        },
        "country": card.country,
        "display_brand": card.brand,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": card.fingerprint,
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def billing_details(value: Any) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    address = value.get("address")
    return {
        "address": {f: (address or {}).get(f) or None for f in ADDRESS_FIELDS},
        "email": value.get("email") or None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
        "tax_id": value.get("tax_id") or None,
    }


def insert_card(
    ctx: RequestContext,
    card: TestCard,
    *,
    exp_month: int = 12,
    exp_year: int | None = None,
    cvc_given: bool = True,
    billing: Any = None,
    meta: Any = None,
    customer: str | None = None,
) -> dict[str, Any]:
    """Store a new card PaymentMethod for `card`. Stripe sends no event for a creation."""
    if exp_year is None:
        exp_year = _year_of(ctx.now) + 3
    payment_method = {
        "id": ctx.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(billing),
        "card": card_details(card, exp_month, exp_year, cvc_given=cvc_given),
        "created": ctx.now,
        "customer": customer,
        "livemode": False,
        "metadata": metadata.merge(None, meta or {}),
        "type": "card",
    }
    return ctx.insert(payment_method)


def _year_of(timestamp: int) -> int:
    return 1970 + int(timestamp // 31_556_952)


def resolve(
    ctx: RequestContext,
    payment_method: str,
    *,
    param: str = "payment_method",
    in_path: bool = False,
) -> dict[str, Any]:
    """The PaymentMethod an id names; a `pm_card_*` test id makes a new one each time."""
    if payment_method.startswith(MAGIC_PREFIX):
        card = testcards.card_for_magic(payment_method[len(MAGIC_PREFIX) :])
        if card is not None:
            return insert_card(ctx, card)
    return ctx.load(
        "payment_method", payment_method, param=param, noun="PaymentMethod", in_path=in_path
    )


def card_from_params(ctx: RequestContext, card: Any) -> tuple[TestCard, int, int, bool]:
    """Check `card[number|exp_month|exp_year|cvc]` as Stripe does; 402 card errors."""
    number = str(card.get("number") or "").replace(" ", "")
    if not number:
        raise InvalidRequestError(
            "Missing required param: card[number].",
            param="card[number]",
            code="parameter_missing",
        )
    found = testcards.card_for_number(number)
    if found is None:
        raise CardError("Your card number is incorrect.", param="number", code="incorrect_number")
    exp_month, exp_year = card.get("exp_month"), card.get("exp_year")
    for name, value in (("exp_month", exp_month), ("exp_year", exp_year)):
        if value is None:
            raise InvalidRequestError(
                f"Missing required param: card[{name}].",
                param=f"card[{name}]",
                code="parameter_missing",
            )
    if not 1 <= int(exp_month) <= 12:
        raise CardError(
            "Your card's expiration month is invalid.",
            param="exp_month",
            code="invalid_expiry_month",
        )
    year = int(exp_year)
    if year < 100:
        year += 2000
    now_year = _year_of(ctx.now)
    if year < now_year or year > now_year + 50:
        raise CardError(
            "Your card's expiration year is invalid.", param="exp_year", code="invalid_expiry_year"
        )
    return found, int(exp_month), year, bool(card.get("cvc"))


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kind = params.get("type")
    card = params.get("card")
    if kind is None and card is None:
        raise InvalidRequestError(
            "Missing required param: type.", param="type", code="parameter_missing"
        )
    if kind not in (None, "card"):
        raise InvalidRequestError(
            f"The sandbox supports PaymentMethods of type card only, not {kind}.",
            param="type",
        )
    if not isinstance(card, dict):
        raise InvalidRequestError(
            "Missing required param: card.", param="card", code="parameter_missing"
        )
    if card.get("token"):
        return from_token(ctx, card["token"], params)
    found, exp_month, exp_year, cvc_given = card_from_params(ctx, card)
    return insert_card(
        ctx,
        found,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc_given=cvc_given,
        billing=params.get("billing_details"),
        meta=params.get("metadata"),
    )


def from_token(ctx: RequestContext, token: str, params: dict[str, Any]) -> dict[str, Any]:
    """A PaymentMethod from a card token (`tok_visa` or a `tok_...` from /v1/tokens)."""
    if token.startswith("tok_"):
        magic = testcards.card_for_magic(token[4:])
        if magic is not None:
            return insert_card(
                ctx, magic, billing=params.get("billing_details"), meta=params.get("metadata")
            )
    found = ctx.find("token", token)
    if found is None or found.get("used"):
        raise ResourceMissing("token", token, param="card[token]", status=400)
    card = found["card"]
    test_card = card_of(
        {
            "card": {
                "fingerprint": card["fingerprint"],
                "last4": card["last4"],
                "brand": card["brand"].lower(),
            }
        }
    )
    return insert_card(
        ctx,
        test_card,
        exp_month=card["exp_month"],
        exp_year=card["exp_year"],
        billing=params.get("billing_details"),
        meta=params.get("metadata"),
    )


def retrieve(ctx: RequestContext, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    return resolve(ctx, payment_method, param="payment_method", in_path=True)


ROUTES = [
    Route("POST", "/v1/payment_methods", create),
    Route("GET", "/v1/payment_methods/{payment_method}", retrieve),
]
