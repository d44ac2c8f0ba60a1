"""Tokens: /v1/tokens (create, retrieve), and the single use of a card token.

A card token carries a legacy `card` object (`card_...`, brand spelled "Visa",
"American Express"...). `tok_visa` and the other test tokens are not stored: every use
makes a fresh card for that test card, so they never run out, and they are not
retrievable. A token from /v1/tokens is spent by its first use (`consume`): a second use
is Stripe's `token_already_used`.
"""

from __future__ import annotations

from typing import Any

from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.routing import Route
from ..framework.testcards import TestCard
from . import payment_methods

MAGIC_PREFIX = "tok_"
LEGACY_BRANDS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "unknown": "Unknown",
}
_BRANDS_BY_LEGACY = {legacy: brand for brand, legacy in LEGACY_BRANDS.items()}
LEGACY_ADDRESS = ("address_city", "address_country", "address_line1", "address_line2")
LEGACY_ADDRESS_ALL = (*LEGACY_ADDRESS, "address_state", "address_zip")
# Token types that carry nothing the sandbox models beyond their type.
_PLAIN_TYPES = ("pii", "cvc_update", "account", "person")


def legacy_card(
    ctx: RequestContext,
    card: TestCard,
    *,
    exp_month: int,
    exp_year: int,
    cvc_given: bool,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A legacy `card` object (as on tokens, customer sources and charges' `source`).
    `details` gives `name` and the `address_*` fields; a given address line or zip is
    "unchecked" until the card is first verified."""
    details = details or {}
    address = {f: details.get(f) or None for f in LEGACY_ADDRESS_ALL}
    return {
        "id": ctx.new_id("card"),
        "object": "card",
        **address,
        "address_line1_check": "unchecked" if address["address_line1"] else None,
        "address_zip_check": "unchecked" if address["address_zip"] else None,
        "allow_redisplay": "unspecified",
        "brand": LEGACY_BRANDS.get(card.brand, "Unknown"),
        "country": card.country,
        "cvc_check": "unchecked" if cvc_given else None,
        "dynamic_last4": None,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": card.fingerprint,
        "funding": card.funding,
        "last4": card.last4,
        "metadata": {},
        "name": details.get("name") or None,
        "networks": {"preferred": None},
        "regulated_status": "unregulated",
        "tokenization_method": None,
    }


def card_of_legacy(card: dict[str, Any]) -> TestCard:
    """The test card behind a legacy card object (its outcome drives charges)."""
    return payment_methods.card_of(
        {
            "card": {
                "fingerprint": card.get("fingerprint") or "",
                "last4": card.get("last4", "0000"),
                "brand": _BRANDS_BY_LEGACY.get(card.get("brand", ""), "visa"),
            }
        }
    )


def magic_card(ctx: RequestContext, token_id: str) -> tuple[dict[str, Any], TestCard] | None:
    """`tok_visa` and the other test tokens: a fresh card each time, or None."""
    if not token_id.startswith(MAGIC_PREFIX):
        return None
    card = payment_methods.magic_card(token_id[len(MAGIC_PREFIX) :])
    if card is None:
        return None
    year = payment_methods.today_of(ctx.now)[0] + 3
    return legacy_card(ctx, card, exp_month=12, exp_year=year, cvc_given=True), card


def card_from_details(
    ctx: RequestContext, given: dict[str, Any]
) -> tuple[dict[str, Any], TestCard]:
    """A legacy card object from raw `card[...]` details, with Stripe's card errors."""
    card, exp_month, exp_year, cvc_given = payment_methods.card_from_params(ctx, given, legacy=True)
    return legacy_card(
        ctx, card, exp_month=exp_month, exp_year=exp_year, cvc_given=cvc_given, details=given
    ), card


def consume(ctx: RequestContext, token_id: str, *, param: str) -> tuple[dict[str, Any], TestCard]:
    """Spend a card token where a card source is given (`source=tok_...` on a charge or a
    customer, `card[token]` on a PaymentMethod): its card object (same `card_` id) and the
    test card behind it. Errors name `param` (400 for an unknown token)."""
    magic = magic_card(ctx, token_id)
    if magic is not None:
        return magic
    token = ctx.find("token", token_id) if isinstance(token_id, str) else None
    if token is None:
        raise ResourceMissing("token", str(token_id), param=param, status=400)
    if token["used"]:
        raise InvalidRequestError(
            f"You cannot use a Stripe token more than once: {token_id}.",
            code="token_already_used",
        )
    if token.get("type") != "card":
        raise InvalidRequestError(
            f"The token {token_id} is a {token.get('type')} token, not a card token.",
            param=param,
        )
    token["used"] = True
    ctx.save(token)
    card = dict(token["card"])
    return card, card_of_legacy(card)


def _token(ctx: RequestContext, type_: str, **fields: Any) -> dict[str, Any]:
    token = {
        "id": ctx.new_id("tok"),
        "object": "token",
        **fields,
        # The sandbox never sees the caller's address; Stripe allows null here.
        "client_ip": None,
        "created": ctx.now,
        "livemode": False,
        "type": type_,
        "used": False,
    }
    return ctx.insert(token)


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    card = params.get("card")
    if isinstance(card, dict):
        legacy, _ = card_from_details(ctx, card)
        return _token(ctx, "card", card=legacy)
    if params.get("customer"):
        return _token(ctx, "card", card=_customer_card(ctx, params["customer"], card))
    if params.get("bank_account"):
        raise InvalidRequestError(
            "The sandbox supports card tokens (and pii, cvc_update, account and person "
            "tokens); bank_account tokens are not modeled.",
            param="bank_account",
        )
    for kind in _PLAIN_TYPES:
        if params.get(kind):
            return _token(ctx, kind)
    if isinstance(card, str) and card:
        raise InvalidRequestError(
            "A card id only makes a token together with the `customer` it belongs to.",
            param="card",
        )
    raise InvalidRequestError(
        "You must supply either a card, customer, PII data, bank account, or account legal "
        "entity to create a token."
    )


def _customer_card(ctx: RequestContext, customer_id: str, card_id: Any) -> dict[str, Any]:
    """A token of a customer's saved card (its default one unless `card` names one): a
    copy with its own `card_` id, as Stripe shares a card with a connected account."""
    customer = ctx.load("customer", customer_id, param="customer", in_path=False)
    wanted = card_id if isinstance(card_id, str) and card_id else customer.get("default_source")
    saved = ctx.find("card", wanted) if wanted else None
    if saved is None or saved.get("customer") != customer_id:
        if not wanted:
            raise InvalidRequestError(
                f"Customer {customer_id} has no default card to make a token from.",
                param="customer",
            )
        raise InvalidRequestError(
            f"Customer {customer_id} does not have a linked source with ID {wanted}.",
            param="card",
            code="missing",
        )
    copy = {k: v for k, v in saved.items() if k not in ("customer", "metadata")}
    return {**copy, "id": ctx.new_id("card"), "metadata": {}}


def retrieve(ctx: RequestContext, params: dict[str, Any], token: str) -> dict[str, Any]:
    return ctx.load("token", token, param="token", noun="token")


ROUTES = [
    Route("POST", "/v1/tokens", create),
    Route("GET", "/v1/tokens/{token}", retrieve),
]
