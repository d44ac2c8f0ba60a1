"""Delayed-settlement payments: a SEPA or ACH Direct Debit from confirmation to its outcome.

    confirm -> charge `pending` (charge.pending), intent `processing`
            (payment_intent.processing); a timer (`SETTLE_TIMER`) then settles it:
        succeeded -> charge `succeeded` with its balance transaction (charge.succeeded),
                     intent `succeeded` (payment_intent.succeeded); the disputed test
                     IBANs are disputed at once
        failed    -> charge `failed` with the IBAN's failure code (charge.failed),
                     intent `requires_payment_method` with `last_payment_error`
                     (payment_intent.payment_failed)

ACH debits (`us_bank_account`) follow the same path once their bank account is verified;
Stripe's ACH test accounts settle at once, except the one that "stays in processing
indefinitely" (no timer is set for it). Stripe's test IBANs settle at once (the timer is
due straight away and runs before the next request) or "after at least three minutes" of
sandbox time — the test clock's time when the intent's customer lives on one (an invoice's
debit settles as its clock moves).
A Checkout Session paid by the debit hears the outcome (`checkout.session.async_payment_*`),
an invoice paid by it is paid or records the failed payment.

The charge names the debit's Mandate (`<type>.mandate`): the one the `mandate`
parameter names, a new one when the confirmation brings `mandate_data` or
`setup_future_usage`, else the PaymentMethod's multi-use mandate from an earlier set up
(null when it has none).
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.testcards import (
    ACH_FAILURE_MESSAGES,
    ACH_PROCESSING,
    SEPA_DELAY_SECONDS,
    SEPA_FAIL,
    SEPA_FAILURE_MESSAGES,
    TestIban,
    TestUsBankAccount,
)
from .. import mandates, payment_methods
from ..test_clocks import now_for
from . import charging

SETTLE_TIMER = "payment_intent.settle_debit"
TYPES = (payment_methods.sepa_debit.TYPE, payment_methods.us_bank_account.TYPE)
_FAILURE_MESSAGES = {**SEPA_FAILURE_MESSAGES, **ACH_FAILURE_MESSAGES}


def bank_account_of(method: dict[str, Any]) -> TestIban | TestUsBankAccount:
    """The test bank account behind a debit PaymentMethod (or a charge's details)."""
    if method["type"] == payment_methods.us_bank_account.TYPE:
        return payment_methods.us_bank_account.bank_account_of(method)
    return payment_methods.sepa_debit.bank_account_of(method)


def _charge_details(payment_method: dict[str, Any], mandate_id: str | None) -> dict[str, Any]:
    """The charge's `payment_method_details` for a debit of `payment_method`."""
    kind = payment_method["type"]
    shown = payment_method[kind]
    if kind == payment_methods.us_bank_account.TYPE:
        names = ("account_holder_type", "account_type", "bank_name", "fingerprint", "last4")
        account = {name: shown[name] for name in names}
        account.update(payment_reference=None, routing_number=shown["routing_number"])
    else:
        names = ("bank_code", "branch_code", "country", "fingerprint", "last4")
        account = {name: shown[name] for name in names}
    return {kind: {**account, "mandate": mandate_id}, "type": kind}


def _outcome(failure_code: str | None) -> dict[str, Any]:
    """The charge's outcome: no risk assessment; the bank's answer once settled."""
    if failure_code is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "not_assessed",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": failure_code,
        "risk_level": "not_assessed",
        "seller_message": _FAILURE_MESSAGES.get(failure_code, ""),
        "type": "issuer_declined",
    }


def _mandate(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any],
    mandate_data: Any,
    mandate_id: str | None,
) -> dict[str, Any] | None:
    """The mandate this debit is made under (see the module's docstring)."""
    if mandate_id:
        return mandates.load_for(ctx, mandate_id, payment_method["id"])
    if intent["setup_future_usage"]:
        return mandates.create(ctx, payment_method, mandate_data)
    if mandate_data:
        single = (intent["amount"], intent["currency"])
        return mandates.create(ctx, payment_method, mandate_data, single_use=single)
    return mandates.reusable_for(ctx, payment_method["id"])


def _pending_charge(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any],
    mandate: dict[str, Any] | None,
) -> dict[str, Any]:
    """A card charge's shape, as a debit shows it: pending, captured, not yet paid."""
    charge = charging.authorize(
        ctx,
        charging.instrument_for(payment_method),
        amount=intent["amount"],
        currency=intent["currency"],
        capture=False,
        customer=intent["customer"],
        payment_intent=intent["id"],
        description=intent["description"],
        meta=intent["metadata"],
        receipt_email=intent["receipt_email"],
        shipping=intent["shipping"],
        statement_descriptor=intent["statement_descriptor"],
        statement_descriptor_suffix=intent["statement_descriptor_suffix"],
        transfer_group=intent["transfer_group"],
        pending=True,
    )
    charge.update(
        amount_captured=intent["amount"],
        captured=True,
        outcome=_outcome(None),
        paid=False,
        payment_method_details=_charge_details(payment_method, mandate["id"] if mandate else None),
        status="pending",
    )
    ctx.save(charge)
    ctx.emit("charge.pending", charging.public(charge))
    return charge


def start(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any],
    *,
    mandate_data: Any = None,
    mandate_id: str | None = None,
) -> None:
    """Submit the debit: the intent waits in `processing` until the bank answers — or,
    for a US bank account not yet verified, in `requires_action` for its microdeposits."""
    mandate = _mandate(ctx, intent, payment_method, mandate_data, mandate_id)
    ach = payment_methods.us_bank_account
    if payment_method["type"] == ach.TYPE and not ach.is_verified(ctx, payment_method["id"]):
        ach.begin_verification(ctx, payment_method["id"], mandate["id"] if mandate else None)
        intent.update(
            next_action=ach.verification_action(ctx, intent["id"], "amounts"),
            status="requires_action",
        )
        ctx.save(intent)
        ctx.emit("payment_intent.requires_action", intent)
        return
    _submit(ctx, intent, payment_method, mandate)


def _submit(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any],
    mandate: dict[str, Any] | None,
) -> None:
    charge = _pending_charge(ctx, intent, payment_method, mandate)
    intent.update(latest_charge=charge["id"], next_action=None, status="processing")
    ctx.save(intent)
    ctx.emit("payment_intent.processing", intent)
    account = bank_account_of(payment_method)
    if account.outcome == ACH_PROCESSING:
        return  # the bank never answers: the debit stays processing until canceled
    delay = SEPA_DELAY_SECONDS if account.delayed else 0
    customer = ctx.find("customer", intent["customer"] or "") or {}
    clock = customer.get("test_clock")
    if clock:
        ctx.schedule(now_for(ctx, clock) + delay, SETTLE_TIMER, intent["id"], clock=clock)
    else:
        ctx.schedule(ctx.now + delay, SETTLE_TIMER, intent["id"])


def verify_microdeposits(
    ctx: RequestContext, intent: dict[str, Any], params: dict[str, Any]
) -> None:
    """The customer's microdeposit values for an intent waiting for them: right values
    submit the debit; a wrong guess is counted; too many, or a timeout, fail the payment
    (the intent needs a new payment method)."""
    ach = payment_methods.us_bank_account
    payment_method, ended = ach.verify_intent(
        ctx, intent, params, "payment_intent_unexpected_state"
    )
    if ended is None:
        mandate_id = ach.verification_mandate(ctx, payment_method["id"])
        mandate = ctx.find(mandates.OBJECT, mandate_id) if mandate_id else None
        _submit(ctx, intent, payment_method, mandate)
        return
    intent.update(
        last_payment_error=ach.failed_verification(ended, payment_method),
        next_action=None,
        payment_method=None,
        status="requires_payment_method",
    )
    ctx.save(intent)
    ctx.emit("payment_intent.payment_failed", intent)
    ended.keep_writes = True
    raise ended


def settle(ctx: RequestContext, intent_id: str) -> None:
    """The bank's answer, as the test IBAN behind the debit dictates."""
    intent = ctx.find("payment_intent", intent_id)
    if intent is None or intent["status"] != "processing":
        return
    charge = ctx.find("charge", intent["latest_charge"] or "")
    if charge is None:
        return
    account = bank_account_of(charge["payment_method_details"])
    # Checkout and invoices build on payment intents, not the other way round: imported
    # here.
    from .. import invoices
    from ..checkout_sessions import completion

    if account.outcome == SEPA_FAIL:
        _failed(ctx, intent, charge, account)
        invoices.payment_intent_failed(ctx, intent)
    else:
        _succeeded(ctx, intent, charge)
        invoices.payment_intent_succeeded(ctx, intent)
    completion.debit_settled(ctx, intent)


def _succeeded(ctx: RequestContext, intent: dict[str, Any], charge: dict[str, Any]) -> None:
    charge.update(paid=True, status="succeeded")
    charging.record_capture(ctx, charge, charge["amount"])
    ctx.emit("charge.succeeded", charging.public(charge))
    intent.update(status="succeeded", amount_received=intent["amount"])
    ctx.save(intent)
    ctx.emit("payment_intent.succeeded", intent)
    charging.open_dispute_if_due(ctx, charge)


def _failed(
    ctx: RequestContext,
    intent: dict[str, Any],
    charge: dict[str, Any],
    account: TestIban | TestUsBankAccount,
) -> None:
    code = account.failure_code or "generic_could_not_process"
    message = _FAILURE_MESSAGES[code]
    charge.update(
        amount_captured=0,
        captured=False,
        failure_code=code,
        failure_message=message,
        outcome=_outcome(code),
        receipt_url=None,
        status="failed",
    )
    ctx.save(charge)
    ctx.emit("charge.failed", charging.public(charge))
    payment_method = ctx.find("payment_method", intent["payment_method"] or "")
    intent.update(
        last_payment_error={
            "charge": charge["id"],
            "code": code,
            "doc_url": charging.doc_url(code),
            "message": message,
            "payment_method": payment_method,
            "payment_method_type": charge["payment_method_details"]["type"],
            "type": "card_error",
        },
        payment_method=None,
        status="requires_payment_method",
    )
    ctx.save(intent)
    ctx.emit("payment_intent.payment_failed", intent)
