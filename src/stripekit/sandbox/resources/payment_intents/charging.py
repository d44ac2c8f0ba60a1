"""The payment attempt: what both a PaymentIntent's confirmation and a legacy
`POST /v1/charges` do to take money from a card.

`authorize` records the charge an attempt makes, approved or declined as the test card
behind it says (codes, decline codes and Radar blocks as Stripe's test cards give them).
An approved charge is captured at once or held; `record_capture` moves the money into the
ledger (a balance transaction net of Stripe's card fee). The createDispute cards are
disputed as soon as their money is captured (`open_dispute_if_due`, the one call into
disputes).

This lives with PaymentIntents rather than in `charges.py` so that `charges` and
`refunds` can import it while this package never imports them at module level.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ...framework import ledger
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from ...framework.testcards import (
    BYPASS_PENDING,
    DISPUTE,
    SEPA_DISPUTE,
    TestCard,
    decline_details,
    seller_message,
)
from .. import disputes, payment_methods, transfers

DAY = 86400
AUTHORIZATION_SECONDS = 7 * DAY
EXPIRE_TIMER = "charge.expire_authorization"
STATEMENT_DESCRIPTOR = "Stripe"  # what a new test account's descriptor reads
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


@dataclass
class Instrument:
    """What pays: the test card, and how the charge names and describes it."""

    card: TestCard
    payment_method: str  # a pm_ id, or a legacy card_/src_ id
    details: dict[str, Any]  # the card hash: brand, exp_month, fingerprint, last4, checks
    billing_details: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] | None = None  # the legacy card object a charge shows


def instrument_for(payment_method: dict[str, Any]) -> Instrument:
    return Instrument(
        card=payment_methods.card_of(payment_method),
        payment_method=payment_method["id"],
        details=payment_method.get("card") or {},
        billing_details=payment_method.get("billing_details") or {},
    )


def doc_url(code: str) -> str:
    """Stripe's page about an error code (`last_payment_error.doc_url`)."""
    return f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"


def public(charge: dict[str, Any]) -> dict[str, Any]:
    """The charge as events and embeddings show it (without the includable `refunds`)."""
    return {k: v for k, v in charge.items() if k != "refunds"}


def page_base(ctx: RequestContext) -> str:
    """Where the sandbox's own pages live: the address the request came in on."""
    return ctx.base_url.rstrip("/")


def _digits(seed: str, count: int) -> str:
    """Stable pseudo-random digits for a charge (authorization codes, network ids)."""
    raw = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=16).digest(), "big")
    return str(raw)[-count:].rjust(count, "0")


def authentication_required(card: TestCard) -> dict[str, Any]:
    """The decline of a 3-D Secure card that cannot be authenticated (off-session)."""
    required = TestCard(card.number, card.brand, decline_code="authentication_required")
    return decline_details(required, code="authentication_required")


def _outcome(charge_id: str, declined: dict[str, Any] | None) -> dict[str, Any]:
    score = int(_digits(charge_id, 2)) % 60 + 5
    outcome: dict[str, Any] = {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": score,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }
    if declined is None:
        return outcome
    decline_code = declined["decline_code"]
    if decline_code == "fraudulent":
        outcome.update(
            network_status="not_sent_to_network",
            reason="highest_risk_level",
            risk_level="highest",
            risk_score=95,
            seller_message="Stripe blocked this payment as too risky.",
            type="blocked",
        )
        return outcome
    outcome.update(
        advice_code=declined.get("advice_code"),
        network_decline_code=declined.get("network_decline_code"),
        network_status="declined_by_network",
        reason=decline_code,
        seller_message=seller_message(decline_code),
        type="issuer_declined",
    )
    return outcome


def _card_details(
    charge_id: str,
    instrument: Instrument,
    amount: int | None,
    *,
    capture_before: int | None,
    three_d_secure: dict[str, Any] | None,
    incremental: bool,
) -> dict[str, Any]:
    card, test_card = instrument.details, instrument.card
    checks = card.get("checks") or {}
    out: dict[str, Any] = {
        "amount_authorized": amount,
        "authorization_code": _digits(charge_id + "auth", 6),
        "brand": card.get("brand", test_card.brand),
        "checks": {
            "address_line1_check": checks.get("address_line1_check"),
            "address_postal_code_check": checks.get("address_postal_code_check"),
            "cvc_check": checks.get("cvc_check"),
        },
        "country": card.get("country", test_card.country),
        "electronic_commerce_indicator": "05" if three_d_secure else "07",
        "exp_month": card.get("exp_month", 12),
        "exp_year": card.get("exp_year", 2030),
        "extended_authorization": {"status": "disabled"},
        "fingerprint": card.get("fingerprint", test_card.fingerprint),
        "funding": card.get("funding", test_card.funding),
        "incremental_authorization": {"status": "available" if incremental else "unavailable"},
        "installments": None,
        "last4": card.get("last4", test_card.last4),
        "mandate": None,
        "multicapture": {"status": "unavailable"},
        "network": card.get("brand", test_card.brand),
        "network_token": {"used": False},
        "network_transaction_id": _digits(charge_id + "network", 15),
        "overcapture": {"maximum_amount_capturable": amount or 0, "status": "unavailable"},
        "regulated_status": "unregulated",
        "three_d_secure": three_d_secure,
        "transaction_link_id": None,
        "wallet": None,
    }
    if capture_before is not None:
        out["capture_before"] = capture_before
    return out


def shipping_of(value: Any) -> dict[str, Any] | None:
    """A `shipping` param as Stripe's shipping hash (None when unset)."""
    if not isinstance(value, dict) or not value:
        return None
    address = value.get("address") if isinstance(value.get("address"), dict) else {}
    return {
        "address": {f: address.get(f) or None for f in ADDRESS_FIELDS},
        "carrier": value.get("carrier") or None,
        "name": value.get("name"),
        "phone": value.get("phone") or None,
        "tracking_number": value.get("tracking_number") or None,
    }


def _descriptor(descriptor: str | None, suffix: str | None) -> str:
    if descriptor:
        return descriptor
    if suffix:
        return f"{STATEMENT_DESCRIPTOR}* {suffix}"[:22]
    return STATEMENT_DESCRIPTOR


def authorize(
    ctx: RequestContext,
    instrument: Instrument,
    *,
    amount: int,
    currency: str,
    capture: bool,
    declined: dict[str, Any] | None = None,
    customer: str | None = None,
    payment_intent: str | None = None,
    description: str | None = None,
    meta: dict[str, str] | None = None,
    receipt_email: str | None = None,
    shipping: dict[str, Any] | None = None,
    statement_descriptor: str | None = None,
    statement_descriptor_suffix: str | None = None,
    transfer_group: str | None = None,
    three_d_secure: dict[str, Any] | None = None,
    incremental: bool = False,
    pending: bool = False,
    connect_terms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record one payment attempt with `instrument` as a charge, and emit its event.

    `declined` (from `testcards.decline_details`) makes it a failed charge; the caller reads the
    outcome from the card so that it can shape its own error. An approved charge is
    captured now when `capture`, else held until captured or expired (a timer);
    `pending` only records it (a debit that settles later), emitting nothing.
    `connect_terms` (from `transfers.charge_terms`) makes it a destination charge or one
    paying an application fee."""
    charge_id = ctx.new_id("ch")
    approved = declined is None
    held = approved and not capture
    charge: dict[str, Any] = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": payment_methods.billing_details(instrument.billing_details),
        "calculated_statement_descriptor": _descriptor(
            statement_descriptor, statement_descriptor_suffix
        ),
        "captured": False,
        "created": ctx.now,
        "currency": currency,
        "customer": customer,
        "description": description or None,
        "destination": None,
        "dispute": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": declined["code"] if declined else None,
        "failure_message": declined["message"] if declined else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(meta or {}),
        "on_behalf_of": None,
        "order": None,
        "outcome": _outcome(charge_id, declined),
        "paid": approved,
        "payment_intent": payment_intent,
        "payment_method": instrument.payment_method,
        "payment_method_details": {
            "card": _card_details(
                charge_id,
                instrument,
                amount if approved else None,
                capture_before=ctx.now + AUTHORIZATION_SECONDS if held else None,
                three_d_secure=three_d_secure,
                incremental=incremental and held,
            ),
            "type": "card",
        },
        "radar_options": {},
        "receipt_email": receipt_email or None,
        "receipt_number": None,
        "receipt_url": (
            f"{page_base(ctx)}/_sandbox/pages/receipts/{ctx.account}/{charge_id}"
            if approved
            else None
        ),
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": shipping,
        "source": instrument.source,
        "source_transfer": None,
        "statement_descriptor": statement_descriptor or None,
        "statement_descriptor_suffix": statement_descriptor_suffix or None,
        "status": "succeeded" if approved else "failed",
        "transfer_data": None,
        "transfer_group": transfer_group or None,
    }
    if connect_terms:
        charge.update(connect_terms)
        terms = connect_terms.get("transfer_data")
        if terms:
            # A charge shows the transfer amount always (null: the whole amount).
            charge["transfer_data"] = {
                "amount": terms.get("amount"),
                "destination": terms["destination"],
            }
    ctx.insert(charge)
    if pending:
        return charge  # a debit: the caller reshapes it and says what happened
    if not approved:
        ctx.emit("charge.failed", public(charge))
        return charge
    if capture:
        record_capture(ctx, charge, amount)
    else:
        ctx.schedule(ctx.now + AUTHORIZATION_SECONDS, EXPIRE_TIMER, charge_id)
    ctx.emit("charge.succeeded", public(charge))
    if capture:
        open_dispute_if_due(ctx, charge)
    return charge


def record_capture(ctx: RequestContext, charge: dict[str, Any], amount: int) -> None:
    """Capture `amount` of an approved charge (or settle a debit): the money lands in the
    ledger, fee taken; the rest of a card authorization is released. Saves the charge and
    emits nothing."""
    method = charge["payment_method_details"]
    is_card = method["type"] == "card"
    bypass = is_card and payment_methods.card_of(method).outcome == BYPASS_PENDING
    customer = ctx.find("customer", charge["customer"]) if charge.get("customer") else None
    # A test clock's customer: the funds become available as that clock passes the day.
    clock_id = (customer or {}).get("test_clock")
    clock = ctx.find("test_helpers.test_clock", clock_id) if clock_id else None
    paid_at = int(clock["frozen_time"]) if clock is not None else ctx.now
    txn = ledger.record(
        ctx,
        type_="charge",
        amount=amount,
        currency=charge["currency"],
        source=charge["id"],
        reporting_category="charge",
        fee=(
            ledger.card_fee(amount, charge["currency"])
            if is_card
            else ledger.bank_debit_fee(amount)
        ),
        description=charge["description"],
        available=ledger.available_on(paid_at, immediately=bypass),
        clock=clock["id"] if clock is not None else None,
        application_fee=transfers.direct_fee(ctx, charge),
    )
    charge["captured"] = True
    charge["amount_captured"] = amount
    charge["balance_transaction"] = txn["id"]
    if is_card:
        method["card"].pop("capture_before", None)
        method["card"]["incremental_authorization"] = {"status": "unavailable"}
    ctx.save(charge)
    transfers.settle_charge(ctx, charge, amount)


def capture(ctx: RequestContext, charge: dict[str, Any], amount: int) -> None:
    """Capture a held charge (a PaymentIntent's capture or the legacy capture)."""
    previous = {"amount_captured": 0, "balance_transaction": None, "captured": False}
    record_capture(ctx, charge, amount)
    ctx.emit("charge.captured", public(charge), previous)
    open_dispute_if_due(ctx, charge)


def open_dispute_if_due(ctx: RequestContext, charge: dict[str, Any]) -> None:
    """The createDispute test cards, and the disputed test IBANs and US bank accounts, are
    disputed as soon as their money is captured (a bank debit's dispute says it was not
    authorized)."""
    method = charge["payment_method_details"]
    if method["type"] == "card":
        card = payment_methods.card_of(method)
        due, reason = card.outcome == DISPUTE, card.dispute_reason
    else:
        # Debits build on this module, not the other way round: imported here.
        from .debits import bank_account_of

        account = bank_account_of(method)
        due, reason = account.outcome == SEPA_DISPUTE, "debit_not_authorized"
    if not due:
        return
    try:
        disputes.open_for_charge(ctx, charge, reason)
    except NotImplementedError:
        return  # disputes are not built yet: the charge stays undisputed until they are
    # The dispute marks the stored charge; keep the caller's copy in step with it.
    stored = ctx.find("charge", charge["id"])
    if stored is not None:
        charge.clear()
        charge.update(stored)


def check_capture_amount(amount: int, capturable: int, *, param: str, **extra: Any) -> None:
    """Stripe's refusals of a capture amount (`extra` lands in the error body)."""
    if amount < 0:
        raise InvalidRequestError("Invalid non-negative integer", param=param, **extra)
    if amount == 0:
        raise InvalidRequestError(
            "This value must be greater than or equal to 1.",
            param="amount",
            code="parameter_invalid_integer",
            **extra,
        )
    if amount > capturable:
        raise InvalidRequestError(
            "The payment could not be captured because the requested capture amount is "
            "greater than the amount you can capture for this charge. Contact us via "
            "https://support.stripe.com/contact/ for help.",
            code="amount_too_large",
            **extra,
        )
