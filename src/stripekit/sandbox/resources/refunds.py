"""Refunds: /v1/refunds and the legacy charge-scoped routes.

A refund takes back part or all of a captured charge, repeatedly, up to what was captured.
It records a negative balance transaction (Stripe keeps its fee) and keeps the charge's
`amount_refunded`, `refunded` and embedded `refunds` list in step. Card refunds succeed at
once and cannot be canceled, except with the refundFail test card: the refund starts
`succeeded` and a minute of sandbox time later fails, giving the money back to the balance.

Releasing an uncaptured charge (a canceled PaymentIntent, an expired authorization, a
refund of a legacy uncaptured charge) is also a refund, of the whole amount, that moves
no money (`release`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..framework import ledger, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import embed, list_objects
from ..framework.routing import Route
from ..framework.testcards import REFUND_FAIL
from ..store import Filter
from . import accounts, application_fees, disputes, payment_methods, transfers
from .payment_intents.charging import public
from .payment_intents.money import format_amount

FAIL_TIMER = "refund.fail"
FAIL_DELAY = 60  # seconds of sandbox time before a refundFail card's refund fails
FAILURE_REASON = "expired_or_canceled_card"


def _refund_object(
    ctx: RequestContext,
    charge: dict[str, Any],
    amount: int,
    *,
    reason: str | None,
    meta: dict[str, str],
    reversal: bool,
) -> dict[str, Any]:
    return {
        "id": ctx.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": ctx.now,
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "destination_details": _destination(charge, reversal=reversal),
        "metadata": meta,
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def _destination(charge: dict[str, Any], *, reversal: bool) -> dict[str, Any]:
    """Where the money goes back: the card (a refund, or a released authorization), or
    the debited bank account, of which Stripe shows nothing more than the type."""
    kind = charge["payment_method_details"]["type"]
    if kind != "card":
        return {"type": kind}
    card = (
        {"type": "reversal"}
        if reversal
        else {
            "reference_status": "pending",
            "reference_type": "acquirer_reference_number",
            "type": "refund",
        }
    )
    return {"card": card, "type": "card"}


def _add_to_charge(
    ctx: RequestContext, charge: dict[str, Any], refund: dict[str, Any]
) -> dict[str, Any]:
    previous: dict[str, Any] = {"amount_refunded": charge["amount_refunded"]}
    charge["amount_refunded"] += refund["amount"]
    base = charge["amount_captured"] if charge["captured"] else charge["amount"]
    refunded = charge["amount_refunded"] >= base
    if refunded != charge["refunded"]:
        previous["refunded"] = charge["refunded"]
        charge["refunded"] = refunded
    embed(charge["refunds"], refund, new=True)
    ctx.save(charge)
    return previous


def refund_charge(
    ctx: RequestContext,
    charge: dict[str, Any],
    amount: int,
    *,
    reason: str | None = None,
    meta: dict[str, str] | None = None,
    connect_side: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Refund `amount` of a captured charge (checked by `refundable_amount` first);
    `connect_side` (from `connect_terms`) reverses a transfer or refunds a fee with it."""
    refund = _refund_object(ctx, charge, amount, reason=reason, meta=meta or {}, reversal=False)
    txn = ledger.record(
        ctx,
        type_="refund",
        amount=-amount,
        currency=charge["currency"],
        source=refund["id"],
        reporting_category="refund",
    )
    refund["balance_transaction"] = txn["id"]
    if connect_side is not None:
        connect_side(refund)
    ctx.insert(refund)
    previous = _add_to_charge(ctx, charge, refund)
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", public(charge), previous)
    if payment_methods.card_of(charge["payment_method_details"]).outcome == REFUND_FAIL:
        ctx.schedule(ctx.now + FAIL_DELAY, FAIL_TIMER, refund["id"])
    return refund


def release(
    ctx: RequestContext, charge: dict[str, Any], *, reason: str | None = None
) -> dict[str, Any]:
    """Release an uncaptured charge's authorization: a full refund that moves no money."""
    refund = _refund_object(ctx, charge, charge["amount"], reason=reason, meta={}, reversal=True)
    ctx.insert(refund)
    charge["payment_method_details"]["card"].pop("capture_before", None)
    previous = _add_to_charge(ctx, charge, refund)
    ctx.emit("refund.created", refund)
    if reason != "expired_uncaptured_charge":  # an expiry says charge.expired instead
        ctx.emit("charge.refunded", public(charge), previous)
    return refund


def refundable_amount(
    ctx: RequestContext, charge: dict[str, Any], amount: int | None
) -> int | None:
    """How much a refund of `amount` (None: the rest) takes, or Stripe's refusal.
    None back means the charge is uncaptured and the refund releases it."""
    if charge["status"] != "succeeded":
        raise InvalidRequestError(
            f"Charge {charge['id']} has a status of {charge['status']} and cannot be refunded."
        )
    if not charge["captured"]:
        if charge["payment_intent"]:
            raise InvalidRequestError(
                "This uncaptured Charge was created by a PaymentIntent "
                f"({charge['payment_intent']}). You must cancel the PaymentIntent to reverse "
                "the authorization instead of refunding the Charge directly. For more "
                "information, see https://stripe.com/docs/payments/place-a-hold-on-a-payment-method"
            )
        if charge["refunded"]:
            raise InvalidRequestError(
                f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        if amount is not None and amount != charge["amount"]:
            raise InvalidRequestError(
                "An uncaptured charge can only be refunded in full, which releases its "
                "authorization.",
                param="amount",
            )
        return None
    blocked = disputes.refund_blocked(ctx, charge)  # a chargeback took the money already
    if blocked is not None:
        raise blocked
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise InvalidRequestError(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    if amount is None:
        return remaining
    if amount <= 0:
        raise InvalidRequestError("Invalid positive integer", param="amount")
    if amount > remaining:
        currency = charge["currency"]
        raise InvalidRequestError(
            f"Refund amount ({format_amount(amount, currency)}) is greater than unrefunded "
            f"amount on charge ({format_amount(remaining, currency)})",
            param="amount",
        )
    return amount


def connect_terms(
    ctx: RequestContext, charge: dict[str, Any], amount: int, params: dict[str, Any]
) -> Callable[[dict[str, Any]], None] | None:
    """A refund's `reverse_transfer` and `refund_application_fee`, checked: what the
    refund does besides (reverse the destination charge's transfer, refund the fee, each
    in proportion to the amount refunded), or None. Without them a destination charge's
    refund is the platform's alone: its balance pays, going negative if it must, as
    Stripe documents."""
    last = charge["amount_refunded"] + amount >= charge["amount_captured"]
    transfer = None
    if params.get("reverse_transfer"):
        transfer = ctx.find("transfer", charge.get("transfer") or "")
        if transfer is None:
            # Proposal: Stripe's wording for a charge with no transfer was not recorded.
            raise InvalidRequestError(
                f"Charge {charge['id']} has no transfer to reverse.", param="reverse_transfer"
            )
    fee, platform = None, ctx
    if params.get("refund_application_fee") and charge.get("application_fee"):
        # A direct charge's fee is the platform's; a destination charge's is the caller's.
        owner = ctx.platform()
        platform = accounts.acting_as(ctx, owner) if owner is not None else ctx
        fee = platform.find(application_fees.OBJECT, charge["application_fee"])
    whole = charge["amount_captured"]

    def side(refund: dict[str, Any]) -> None:
        if transfer is not None:
            share = ledger.proportional_share(
                transfer["amount"], transfer["amount_reversed"], amount, whole, last=last
            )
            if share > 0:
                reversal = transfers.reverse(ctx, transfer, share, source_refund=refund["id"])
                refund["transfer_reversal"] = reversal["id"]
        if fee is not None:
            share = ledger.proportional_share(
                fee["amount"], fee["amount_refunded"], amount, whole, last=last
            )
            if share > 0:
                application_fees.refund(platform, fee, share)

    return side if transfer is not None or fee is not None else None


def _charge_of(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    charge_id, intent_id = params.get("charge") or None, params.get("payment_intent") or None
    if charge_id is None and intent_id is None:
        raise InvalidRequestError(
            "One of the following params should be provided for this request: "
            "payment_intent or charge."
        )
    if intent_id is None:
        return ctx.load("charge", charge_id)  # Stripe answers 404 on `id` here
    intent = ctx.load(
        "payment_intent", intent_id, param="payment_intent", noun="payment_intent", in_path=False
    )
    latest = intent["latest_charge"]
    if charge_id is not None and charge_id != latest:
        raise InvalidRequestError(
            f"The charge {charge_id} does not belong to the PaymentIntent {intent_id}.",
            param="charge",
        )
    if intent["status"] == "requires_capture" and latest:
        return ctx.load("charge", latest)  # refundable_amount explains: cancel it instead
    if intent["status"] != "succeeded" or not latest:
        raise InvalidRequestError(
            f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
            param="payment_intent",
        )
    return ctx.load("charge", latest)


def _create_on(
    ctx: RequestContext, charge: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    amount = refundable_amount(ctx, charge, params.get("amount"))
    meta = metadata.merge(None, params.get("metadata") or {})
    if amount is None:
        refund = release(ctx, charge, reason=params.get("reason"))
        if meta:
            refund["metadata"] = meta
            ctx.save(refund)
        return refund
    return refund_charge(
        ctx,
        charge,
        amount,
        reason=params.get("reason"),
        meta=meta,
        connect_side=connect_terms(ctx, charge, amount, params),
    )


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _create_on(ctx, _charge_of(ctx, params), params)


def retrieve(ctx: RequestContext, params: dict[str, Any], refund: str) -> dict[str, Any]:
    return ctx.load("refund", refund, param="refund")


def _update(ctx: RequestContext, obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    previous = updates.apply(obj, params, ("metadata",))
    if previous:
        ctx.save(obj)
        _show_on_charge(ctx, obj)
        ctx.emit("refund.updated", obj, previous)
        ctx.emit("charge.refund.updated", obj, previous)
    return obj


def _show_on_charge(ctx: RequestContext, refund: dict[str, Any]) -> None:
    charge = ctx.find("charge", refund["charge"])
    if charge is not None:
        embed(charge["refunds"], refund)
        ctx.save(charge)


def update(ctx: RequestContext, params: dict[str, Any], refund: str) -> dict[str, Any]:
    return _update(ctx, ctx.load("refund", refund, param="refund"), params)


def cancel(ctx: RequestContext, params: dict[str, Any], refund: str) -> dict[str, Any]:
    ctx.load("refund", refund, param="refund")
    # Only refunds waiting on the customer (requires_action) can be canceled; card
    # refunds never wait.
    raise InvalidRequestError("Canceling this refund is unsupported.")


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = tuple(
        Filter((name,), "eq", params[name])
        for name in ("charge", "payment_intent")
        if params.get(name)
    )
    return list_objects(ctx, "refund", params, "/v1/refunds", filters)


# -- the legacy charge-scoped routes -----------------------------------------------------


def _scoped(ctx: RequestContext, charge: str, refund: str) -> dict[str, Any]:
    ctx.load("charge", charge, param="charge")
    found = ctx.find("refund", refund)
    if found is None or found["charge"] != charge:
        raise ResourceMissing("refund", refund, param="refund")
    return found


def charge_refund(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    """`POST /v1/charges/{charge}/refund`: refund, and answer with the charge."""
    obj = ctx.load("charge", charge, param="charge")
    _create_on(ctx, obj, params)
    return ctx.load("charge", charge, param="charge")


def charge_create(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    return _create_on(ctx, ctx.load("charge", charge, param="charge"), params)


def charge_list(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    ctx.load("charge", charge, param="charge")
    filters = (Filter(("charge",), "eq", charge),)
    return list_objects(ctx, "refund", params, f"/v1/charges/{charge}/refunds", filters)


def charge_retrieve(
    ctx: RequestContext, params: dict[str, Any], charge: str, refund: str
) -> dict[str, Any]:
    return _scoped(ctx, charge, refund)


def charge_update(
    ctx: RequestContext, params: dict[str, Any], charge: str, refund: str
) -> dict[str, Any]:
    return _update(ctx, _scoped(ctx, charge, refund), params)


# -- sandbox time: the refundFail card's refunds fail ----------------------------------------


def fail(ctx: RequestContext, refund_id: str) -> None:
    refund = ctx.find("refund", refund_id)
    if refund is None or refund["status"] not in ("succeeded", "pending"):
        return
    txn = ledger.record(
        ctx,
        type_="refund_failure",
        amount=refund["amount"],
        currency=refund["currency"],
        source=refund_id,
        reporting_category="refund_failure",
    )
    previous = {"status": refund["status"]}
    refund["status"] = "failed"
    refund["failure_reason"] = FAILURE_REASON
    refund["failure_balance_transaction"] = txn["id"]
    ctx.save(refund)
    charge = ctx.find("charge", refund["charge"])
    if charge is not None:
        # The money is back: the charge counts the refund no more.
        charge["amount_refunded"] = max(charge["amount_refunded"] - refund["amount"], 0)
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"] > 0
        embed(charge["refunds"], refund)
        ctx.save(charge)
    ctx.emit("refund.updated", refund, previous)
    ctx.emit("refund.failed", refund)
    ctx.emit("charge.refund.updated", refund, previous)


ROUTES = [
    Route("POST", "/v1/refunds", create),
    Route("GET", "/v1/refunds", list_),
    Route("GET", "/v1/refunds/{refund}", retrieve),
    Route("POST", "/v1/refunds/{refund}", update),
    Route("POST", "/v1/refunds/{refund}/cancel", cancel),
    Route("POST", "/v1/charges/{charge}/refund", charge_refund),
    Route("POST", "/v1/charges/{charge}/refunds", charge_create),
    Route("GET", "/v1/charges/{charge}/refunds", charge_list),
    Route("GET", "/v1/charges/{charge}/refunds/{refund}", charge_retrieve),
    Route("POST", "/v1/charges/{charge}/refunds/{refund}", charge_update),
]

TIMERS = {FAIL_TIMER: fail}
