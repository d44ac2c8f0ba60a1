"""Charges: /v1/charges (create, retrieve, update, capture, list, search).

Every payment attempt leaves a charge: a PaymentIntent's confirmation makes one, and so
does the legacy `POST /v1/charges` with a token, a card hash, a saved card or a customer's
default source. Both go through `payment_intents.charging.authorize`, where the test card
decides the outcome. A declined legacy charge is a 402 with the failed charge kept.

An uncaptured charge holds its authorization for seven days of sandbox time; then a timer
releases it (`refunded: true`, a `charge.expired` event) and cancels its PaymentIntent.
`receipt_url` points at a small receipt page the sandbox serves.
"""

from __future__ import annotations

from typing import Any

from ..framework import currencies, metadata, pages, testcards, updates
from ..framework.context import RequestContext
from ..framework.errors import CardError, InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..framework.searching import search_objects
from ..framework.testcards import AUTHENTICATE, AUTHENTICATE_UNLESS_SET_UP, TestCard
from ..store import Filter
from . import sources, tokens, transfers
from .payment_intents import charging
from .payment_intents.charging import Instrument, public
from .payment_intents.money import check_amount, format_amount

INCLUDABLE = {"charge": ("refunds",)}
UPDATABLE = ("customer", "description", "fraud_details", "metadata", "receipt_email", "shipping")


def load(ctx: RequestContext, charge_id: str, *, param: str = "id") -> dict[str, Any]:
    return ctx.load("charge", charge_id, param=param)


# -- what a legacy charge pays with ----------------------------------------------------------


def _instrument(card: dict[str, Any], test_card: TestCard) -> Instrument:
    """An Instrument from a legacy card object (`source` on the charge shows it). The
    payment verifies the card, so its unverified checks pass."""
    checks = ("cvc_check", "address_line1_check", "address_zip_check")
    card = {**card, **{c: "pass" for c in checks if card.get(c) == "unchecked"}}
    details = {
        "brand": test_card.brand,
        "checks": {
            "address_line1_check": card.get("address_line1_check"),
            "address_postal_code_check": card.get("address_zip_check"),
            "cvc_check": card.get("cvc_check"),
        },
        "country": card.get("country"),
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
        "fingerprint": card.get("fingerprint"),
        "funding": card.get("funding"),
        "last4": card.get("last4"),
    }
    return Instrument(test_card, card["id"], details, source=sources.public(card))


def _no_source(ctx: RequestContext, customer: dict[str, Any]) -> CardError:
    attached = Filter(("customer",), "eq", customer["id"])
    if next(ctx.tx.scan(ctx.account, "payment_method", (attached,)), None) is not None:
        message = (
            "This Customer doesn't have any legacy saved payment details, but does have a "
            "Payment Method attached. Use a Payment Intent instead of creating a Charge: "
            "https://stripe.com/docs/payments/payment-intents/migration"
        )
    else:
        message = (
            "This Customer doesn't have any saved payment details. Attach a legacy Token, "
            "Card, Bank Account, or Source to this Customer and then try this request again, "
            "or use Payment Intents and Payment Methods instead."
        )
    return CardError(message, param="card", code="missing")


def legacy_instrument(
    ctx: RequestContext, params: dict[str, Any], customer: dict[str, Any] | None
) -> Instrument:
    """What a legacy charge pays with: `source` (a token, or one of the customer's
    cards), a `card` hash or token, else the customer's default source."""
    source = params.get("source") or None
    card = params.get("card")
    if source is None and isinstance(card, str) and card:
        source = card
    if source is None and isinstance(card, dict):
        return _instrument(*tokens.card_from_details(ctx, card))
    if source is not None:
        if source.startswith("tok_"):
            return _instrument(*tokens.consume(ctx, source, param="source"))
        if customer is None:
            raise ResourceMissing("source", source, param="source", status=400)
        saved = sources.find_card(ctx, customer["id"], source)
        return _instrument(saved, tokens.card_of_legacy(saved))
    assert customer is not None
    default = sources.default_card(ctx, customer)
    if default is None:
        raise _no_source(ctx, customer)
    return _instrument(default, tokens.card_of_legacy(default))


# -- the API ------------------------------------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    for name in ("amount", "currency"):
        if params.get(name) in (None, ""):
            raise InvalidRequestError(
                f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
    currency = currencies.check(params["currency"])
    amount = params["amount"]
    check_amount(amount, currency)
    customer = None
    if params.get("customer"):
        customer = ctx.load("customer", params["customer"], param="customer", in_path=False)
    if not params.get("source") and not params.get("card") and customer is None:
        raise InvalidRequestError("Must provide source or customer.", code="parameter_missing")
    instrument = legacy_instrument(ctx, params, customer)
    outcome = instrument.card.outcome
    declined = None
    if outcome in (AUTHENTICATE, AUTHENTICATE_UNLESS_SET_UP):
        # The Charges API cannot run 3-D Secure: such cards decline.
        declined = charging.authentication_required(instrument.card)
    elif instrument.card.decline_code is not None:
        declined = testcards.decline_details(instrument.card)
    charge = charging.authorize(
        ctx,
        instrument,
        amount=amount,
        currency=currency,
        capture=params.get("capture") is not False,
        declined=declined,
        customer=customer["id"] if customer else None,
        description=params.get("description"),
        meta=metadata.merge(None, params.get("metadata") or {}),
        receipt_email=params.get("receipt_email"),
        shipping=charging.shipping_of(params.get("shipping")),
        statement_descriptor=params.get("statement_descriptor"),
        statement_descriptor_suffix=params.get("statement_descriptor_suffix"),
        transfer_group=params.get("transfer_group"),
        connect_terms=transfers.charge_terms(ctx, params, amount),
    )
    if declined is not None:
        extra = {k: v for k, v in declined.items() if k not in ("code", "message", "param")}
        raise CardError(
            declined["message"],
            code=declined["code"],
            param=declined.get("param"),
            keep_writes=True,  # the failed charge is a fact
            charge=charge["id"],
            **extra,
        )
    return charge


def retrieve(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    return load(ctx, charge)


def update(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    obj = load(ctx, charge)
    if "transfer_group" in params and obj["payment_intent"]:
        raise InvalidRequestError(
            f"This Charge was created by a PaymentIntent ({obj['payment_intent']}). You must "
            "update the `transfer_group` on the PaymentIntent instead of updating the Charge "
            "directly. See https://stripe.com/docs/api#update_payment_intent"
        )
    given = {**params}
    if given.get("customer"):
        if obj["customer"] and obj["customer"] != given["customer"]:
            raise InvalidRequestError(
                "This charge already has a customer; it cannot be changed.", param="customer"
            )
        ctx.load("customer", given["customer"], param="customer", in_path=False)
    elif "customer" in given:
        del given["customer"]  # an empty customer changes nothing
    if "shipping" in given:
        given["shipping"] = charging.shipping_of(given["shipping"])
    if "fraud_details" in given:
        report = (given["fraud_details"] or {}).get("user_report") or None
        given["fraud_details"] = {"user_report": report} if report else {}
    if "transfer_group" in given:
        given["transfer_group"] = given["transfer_group"] or None
    previous = updates.apply(obj, given, (*UPDATABLE, "transfer_group"))
    if previous:
        ctx.save(obj)
        ctx.emit("charge.updated", public(obj), previous)
    return obj


def capture(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    obj = load(ctx, charge)
    if obj["payment_intent"]:
        # A PaymentIntent's charge is captured by capturing the PaymentIntent.
        from . import payment_intents

        payment_intents.capture_for_charge(ctx, obj, params.get("amount"))
        return load(ctx, charge)
    check_capturable(obj)
    amount = obj["amount"] if params.get("amount") is None else params["amount"]
    charging.check_capture_amount(amount, obj["amount"], param="amount")
    for name in ("receipt_email", "statement_descriptor", "statement_descriptor_suffix"):
        if params.get(name):
            obj[name] = params[name]
    charging.capture(ctx, obj, amount)
    return obj


def check_capturable(charge: dict[str, Any]) -> None:
    if charge["captured"]:
        raise InvalidRequestError(
            f"Charge {charge['id']} has already been captured.", code="charge_already_captured"
        )
    if charge["status"] != "succeeded":
        raise InvalidRequestError(
            f"Charge {charge['id']} cannot be captured because it has a status of "
            f"{charge['status']}."
        )
    if charge["refunded"]:
        raise InvalidRequestError(
            f"Charge {charge['id']} has been refunded or its authorization has expired; it "
            "can no longer be captured.",
            code="charge_expired_for_capture",
        )


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = tuple(
        Filter((name,), "eq", params[name])
        for name in ("customer", "payment_intent", "transfer_group")
        if params.get(name)
    )
    return list_objects(ctx, "charge", params, "/v1/charges", filters)


def search(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return search_objects(ctx, "charge", params, "/v1/charges/search")


# -- sandbox time: authorizations expire -------------------------------------------------


def expire_authorization(ctx: RequestContext, charge_id: str) -> None:
    """Seven days on, an uncaptured charge is released (refunded in full, no money moved)
    and its PaymentIntent, if any, is canceled."""
    charge = ctx.find("charge", charge_id)
    if charge is None or charge["captured"] or charge["refunded"] or not charge["paid"]:
        return
    from . import payment_intents, refunds

    refunds.release(ctx, charge, reason="expired_uncaptured_charge")
    ctx.emit("charge.expired", public(charge))
    if charge["payment_intent"]:
        payment_intents.cancel_after_expiry(ctx, charge["payment_intent"])


def receipt_page(ctx: RequestContext, params: dict[str, Any], charge: str) -> pages.Page:
    found = ctx.find("charge", charge)
    if found is None or found["status"] != "succeeded":
        raise ResourceMissing("charge", charge)
    card = found["payment_method_details"]["card"]
    currency = found["currency"]
    rows = [
        ("Amount", format_amount(found["amount_captured"] or found["amount"], currency)),
        ("Payment method", f"{card['brand']} ending in {card['last4']}"),
        ("Status", "Captured" if found["captured"] else "Authorized"),
    ]
    if found["amount_refunded"]:
        rows.append(("Refunded", format_amount(found["amount_refunded"], currency)))
    body = "".join(
        f"<tr><th align=left>{pages.escape(k)}</th><td>{pages.escape(v)}</td></tr>" for k, v in rows
    )
    return pages.render(
        "Receipt",
        f"<h1>Receipt from {pages.escape(found['calculated_statement_descriptor'])}</h1>"
        f"<p class=muted>{pages.escape(found['id'])}</p><table>{body}</table>",
    )


ROUTES = [
    Route("POST", "/v1/charges", create),
    Route("GET", "/v1/charges", list_),
    Route("GET", "/v1/charges/search", search),
    Route("GET", "/v1/charges/{charge}", retrieve),
    Route("POST", "/v1/charges/{charge}", update),
    Route("POST", "/v1/charges/{charge}/capture", capture),
    Route("GET", "/_sandbox/pages/receipts/{account}/{charge}", receipt_page, public=True),
]

TIMERS = {charging.EXPIRE_TIMER: expire_authorization}
