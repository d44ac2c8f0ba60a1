"""Paying invoices, the way this API version models it: at finalization an invoice gets a
default PaymentIntent for its amount due, recorded as its default `invoice_payment`
(`inpay_...`); paying confirms that PaymentIntent off-session through the payments code,
so the charge, its balance transaction and the events are the ones any payment makes.

    attempt_payment: pick a payment method (the one given, else the invoice's default,
        the subscription's, the customer's invoice default, the customer's default card
        source), confirm, and settle: paid, or failed (`attempt_count`, the next retry,
        `invoice.payment_failed`, the card's 402 for a caller), or waiting for 3-D Secure
        (`invoice.payment_action_required`).
    payment_intent_succeeded: a PaymentIntent attached to an invoice succeeded elsewhere
        (Stripe.js with `confirmation_secret`, the 3-D Secure page, a settled SEPA debit):
        the invoice is paid.
    payment_intent_failed: an invoice's SEPA debit failed when it settled: the invoice
        records the failed attempt as a declined card's (retry, `invoice.payment_failed`).

A SEPA Direct Debit leaves the invoice `open` while its PaymentIntent is `processing`; the
debit settles on sandbox time (the customer's test clock when it has one). Debits are in
euros: another currency is refused before anything is tried.
    mark_paid: paid by a PaymentIntent, out of band, or because nothing was due.

`attempt_count` counts the first attempt, whoever made it, and then only automatic
retries; a retry is scheduled (`RETRY_DAYS`) only for auto-advancing charge_automatically
invoices.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError, ResourceMissing, StripeError
from .. import customer_balance, payment_methods, sources
from ..payment_intents import handlers as intent_handlers
from ..payment_intents import intents
from . import common, model

NO_PAYMENT_METHOD = (
    "This customer has no attached payment source or default payment method. Please "
    "consider adding a default payment method. For more information, visit "
    "https://docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority."
)
REQUIRES_ACTION = (
    "This payment requires additional user action before it can be completed "
    "successfully. Payment can be completed using the PaymentIntent associated with the "
    "invoice. For more details see: "
    "https://docs.stripe.com/billing/subscriptions/overview#requires-action"
)
_PAYABLE = ("open", "uncollectible")
# Private record (never served): PaymentIntent id -> the invoice payment it makes.
INTENT_INDEX = "sandbox.invoice_payment_by_intent"


# -- invoice payments --------------------------------------------------------------------------


def _payment_ids(ctx: RequestContext, invoice: dict[str, Any] | str) -> list[str]:
    found = ctx.find("invoice", invoice) if isinstance(invoice, str) else invoice
    payments = (found or {}).get("payments") or {}
    return [p["id"] for p in payments.get("data") or []]


def payments_of(ctx: RequestContext, invoice: dict[str, Any] | str) -> list[dict[str, Any]]:
    """An invoice's payments, newest first (the invoice or its id). The invoice keeps
    their ids in its `payments` list, so no scan of every payment is needed."""
    out = []
    for payment_id in _payment_ids(ctx, invoice):
        found = ctx.find("invoice_payment", payment_id)
        if found is not None:
            out.append(found)
    return out


def sync_payments(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """The invoice's includable `payments` list mirrors its invoice_payment objects."""
    invoice["payments"]["data"] = payments_of(ctx, invoice)


def payment_for_intent(ctx: RequestContext, intent_id: str) -> dict[str, Any] | None:
    """The invoice payment a PaymentIntent makes (through a private index record, since
    the PaymentIntent itself names no invoice at this API version)."""
    ref = ctx.find(INTENT_INDEX, intent_id)
    return ctx.find("invoice_payment", ref["invoice_payment"]) if ref is not None else None


def default_payment(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any] | None:
    return next((p for p in payments_of(ctx, invoice) if p["is_default"]), None)


def new_invoice_payment(
    ctx: RequestContext, invoice: dict[str, Any], intent: dict[str, Any], *, is_default: bool
) -> dict[str, Any]:
    now = common.now_of(ctx, invoice)
    payment = {
        "id": ctx.new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": intent["amount"],
        "created": now,
        "currency": intent["currency"],
        "invoice": invoice["id"],
        "is_default": is_default,
        "livemode": False,
        "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    ctx.insert(payment)
    ctx.insert(
        {
            "id": intent["id"],
            "object": INTENT_INDEX,
            "created": now,
            "invoice_payment": payment["id"],
        }
    )
    invoice["payments"]["data"].insert(0, payment)
    return payment


def _description(invoice: dict[str, Any]) -> str:
    reason = invoice.get("billing_reason")
    if reason == "subscription_create":
        return "Subscription creation"
    if reason in ("subscription_cycle", "subscription_update", "subscription_threshold"):
        return "Subscription update"
    return "Payment for Invoice"


def create_default_payment(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any]:
    """The PaymentIntent Stripe makes when it finalizes an invoice with something due."""
    settings = invoice.get("payment_settings") or {}
    intent = intents.new_intent(
        ctx,
        {
            "amount": invoice["amount_due"],
            "description": _description(invoice),
            "statement_descriptor": invoice.get("statement_descriptor"),
        },
        currency=invoice["currency"],
        customer=invoice["customer"],
        payment_method=None,
        types=list(settings.get("payment_method_types") or ["card"]),
    )
    intent["created"] = common.now_of(ctx, invoice)
    ctx.insert(intent)
    ctx.emit("payment_intent.created", intent)
    new_invoice_payment(ctx, invoice, intent, is_default=True)
    invoice["confirmation_secret"] = {
        "client_secret": intent["client_secret"],
        "type": "payment_intent",
    }
    sync_payments(ctx, invoice)
    return intent


def cancel_open_payments(ctx: RequestContext, invoice: dict[str, Any], reason: str) -> None:
    """A voided (or otherwise settled) invoice's unpaid payments are canceled, and so are
    their PaymentIntents."""
    now = common.now_of(ctx, invoice)
    for payment in payments_of(ctx, invoice):
        if payment["status"] != "open":
            continue
        payment["status"] = "canceled"
        payment["status_transitions"]["canceled_at"] = now
        ctx.save(payment)
        intent = ctx.find("payment_intent", payment["payment"]["payment_intent"])
        if intent is not None and intent["status"] in intents.CANCELABLE:
            intent.update(
                status="canceled",
                canceled_at=now,
                cancellation_reason=reason,
                amount_capturable=0,
                next_action=None,
            )
            ctx.save(intent)
            ctx.emit("payment_intent.canceled", intent)
    sync_payments(ctx, invoice)


# -- settling -------------------------------------------------------------------------------


def mark_paid(
    ctx: RequestContext,
    invoice: dict[str, Any],
    *,
    intent: dict[str, Any] | None = None,
    out_of_band: bool = False,
) -> None:
    """The invoice is paid: by `intent`, out of band, or because nothing is due."""
    now = common.now_of(ctx, invoice)
    if intent is not None:
        payment = payment_for_intent(ctx, intent["id"])
        received = intent.get("amount_received") or intent["amount"]
        if payment is not None and payment["status"] != "paid":
            payment.update(status="paid", amount_paid=received)
            payment["status_transitions"]["paid_at"] = now
            ctx.save(payment)
            ctx.emit("invoice_payment.paid", payment)
        invoice["amount_paid"] += received
    elif out_of_band:
        off = invoice["amount_remaining"]
        invoice["amount_paid"] += off
        invoice["amount_paid_off_stripe"] += off
        cancel_open_payments(ctx, invoice, "abandoned")
    overpaid = max(0, invoice["amount_paid"] - invoice["amount_due"])
    invoice["amount_overpaid"] = overpaid
    invoice["amount_remaining"] = max(0, invoice["amount_due"] - invoice["amount_paid"])
    if intent is not None and invoice["amount_remaining"] > 0:
        _resize_default(ctx, invoice)
        sync_payments(ctx, invoice)
        ctx.save(invoice)
        return  # a partial payment: still open
    if intent is not None:
        cancel_open_payments(ctx, invoice, "abandoned")
    invoice.update(
        status="paid",
        auto_advance=False,
        next_payment_attempt=None,
        automatically_finalizes_at=None,
    )
    invoice["status_transitions"]["paid_at"] = now
    sync_payments(ctx, invoice)
    ctx.save(invoice)
    if overpaid:
        customer = ctx.find("customer", invoice["customer"])
        if customer is not None and not customer.get("deleted"):
            customer_balance.record(
                ctx,
                customer,
                -overpaid,
                invoice["currency"],
                "invoice_overpaid",
                invoice=invoice["id"],
            )
        model.emit(ctx, "invoice.overpaid", invoice)
    model.emit(ctx, "invoice.paid", invoice)
    if not out_of_band:
        model.emit(ctx, "invoice.payment_succeeded", invoice)
    common.notify(ctx, "paid", invoice)


def _resize_default(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """The default payment follows what is left to pay (after a partial payment)."""
    payment = default_payment(ctx, invoice)
    if payment is None or payment["status"] != "open":
        return
    intent = ctx.find("payment_intent", payment["payment"]["payment_intent"])
    if intent is None or intent["status"] not in intents.MODIFIABLE:
        return
    intent["amount"] = invoice["amount_remaining"]
    payment["amount_requested"] = invoice["amount_remaining"]
    ctx.save(intent)
    ctx.save(payment)


def payment_intent_succeeded(ctx: RequestContext, intent: dict[str, Any]) -> None:
    """A PaymentIntent succeeded; if it pays an invoice, the invoice takes the payment.
    Safe to call for any PaymentIntent, and more than once."""
    payment = payment_for_intent(ctx, intent["id"])
    if payment is None or payment["status"] == "paid":
        return
    invoice = ctx.find("invoice", payment["invoice"])
    if invoice is None or invoice.get("deleted") or invoice["status"] not in _PAYABLE:
        return
    mark_paid(ctx, invoice, intent=intent)


def payment_intent_failed(ctx: RequestContext, intent: dict[str, Any]) -> None:
    """An invoice's debit failed after its attempt returned: the invoice records the
    failure as that attempt would have (its retry schedule, `invoice.payment_failed`)."""
    ref = ctx.find(INTENT_INDEX, intent["id"])
    payment = payment_for_intent(ctx, intent["id"])
    if ref is None or payment is None or payment["status"] != "open":
        return
    invoice = ctx.find("invoice", payment["invoice"])
    if invoice is None or invoice.get("deleted") or invoice["status"] not in _PAYABLE:
        return
    attempt = ref.get("pending_attempt") or {}
    _failed(
        ctx,
        invoice,
        automatic=bool(attempt.get("automatic")),
        first=bool(attempt.get("first")),
    )


def _await_debit(
    ctx: RequestContext,
    invoice: dict[str, Any],
    intent: dict[str, Any],
    *,
    automatic: bool,
    first: bool,
) -> None:
    """The debit is submitted: the invoice stays open until it settles, remembering how
    this attempt was made for `payment_intent_failed`."""
    ref = ctx.find(INTENT_INDEX, intent["id"])
    if ref is not None:
        ref["pending_attempt"] = {"automatic": automatic, "first": first}
        ctx.save(ref)
    sync_payments(ctx, invoice)
    ctx.save(invoice)


def _debit_currency_error(invoice: dict[str, Any], chosen: dict[str, Any]) -> StripeError | None:
    """A SEPA debit pays euros only: Stripe's currency refusal for anything else."""
    try:
        intent_handlers.check_currency(invoice["currency"], [chosen.get("type") or "card"])
    except StripeError as exc:
        return exc
    return None


def _accept_type(intent: dict[str, Any], invoice: dict[str, Any], kind: str) -> None:
    """An invoice whose payment settings name no types takes what its customer pays
    with: its PaymentIntent accepts that PaymentMethod's type."""
    settings = invoice.get("payment_settings") or {}
    if settings.get("payment_method_types") or kind in intent["payment_method_types"]:
        return
    intent["payment_method_types"] = [*intent["payment_method_types"], kind]
    if kind == "sepa_debit":
        intent["payment_method_options"]["sepa_debit"] = {}


def reconcile(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """Take payments made outside the invoice's own calls (its PaymentIntent confirmed
    with `confirmation_secret`, or through the 3-D Secure page) before acting on it, in
    case the payments code did not report them (see `payment_intent_succeeded`)."""
    if invoice["status"] not in _PAYABLE:
        return
    for entry in payments_of(ctx, invoice):
        if entry["status"] != "open":
            continue
        intent = ctx.find("payment_intent", entry["payment"]["payment_intent"])
        if intent is not None and intent["status"] == "succeeded":
            mark_paid(ctx, invoice, intent=intent)
            if invoice["status"] == "paid":
                return


# -- choosing what pays ---------------------------------------------------------------------


def _source_as_payment_method(card: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """A legacy card source in the shape the payment code confirms with (Stripe accepts
    `card_...` ids as a PaymentIntent's payment method)."""
    return {
        "id": card["id"],
        "object": "payment_method",
        "billing_details": {"name": card.get("name")},
        "card": {
            "brand": (card.get("brand") or "visa").lower().replace(" ", "_"),
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
        },
        "customer": customer_id,
        "type": "card",
    }


def choose_payment_method(
    ctx: RequestContext,
    invoice: dict[str, Any],
    *,
    payment_method: str | None = None,
    source: str | None = None,
) -> dict[str, Any] | None:
    """What pays the invoice, in Stripe's order of precedence (None: nothing does)."""
    customer = ctx.find("customer", invoice["customer"]) or {}
    customer_id = invoice["customer"]
    if payment_method:
        found = payment_methods.resolve(ctx, payment_method, param="payment_method")
        if not found.get("customer") and customer:
            payment_methods.check_and_attach(ctx, found, customer)
        return found
    if source:
        card = sources.find_card(ctx, customer_id, source, param="source")
        return _source_as_payment_method(card, customer_id)
    candidates: list[tuple[str, Any]] = [
        ("pm", invoice.get("default_payment_method")),
        ("card", invoice.get("default_source")),
    ]
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get(
        "subscription"
    )
    subscription = ctx.find("subscription", subscription_id) if subscription_id else None
    if subscription:
        candidates += [
            ("pm", subscription.get("default_payment_method")),
            ("card", subscription.get("default_source")),
        ]
    candidates += [
        ("pm", (customer.get("invoice_settings") or {}).get("default_payment_method")),
        ("card", customer.get("default_source")),
    ]
    for kind, value in candidates:
        if isinstance(value, dict):
            value = value.get("id")
        if not value:
            continue
        if kind == "pm":
            found = ctx.find("payment_method", value)
            if found is not None:
                return found
        else:
            card = ctx.find("card", value)
            if card is not None and card.get("customer") == customer_id:
                return _source_as_payment_method(card, customer_id)
    return None


# -- attempts -------------------------------------------------------------------------------


def _count_attempt(invoice: dict[str, Any], automatic: bool) -> bool:
    """Count an attempt; True when it starts the retry schedule (the first attempt)."""
    first = invoice["attempt_count"] == 0
    if automatic or first:
        invoice["attempt_count"] += 1
    invoice["attempted"] = True
    return first


def _schedule_retry(
    ctx: RequestContext, invoice: dict[str, Any], *, automatic: bool, first: bool
) -> None:
    """After a failed attempt: when automatic collection tries again (if it does)."""
    if not (invoice["auto_advance"] and invoice["collection_method"] == "charge_automatically"):
        invoice["next_payment_attempt"] = None
        return
    if not (automatic or first):
        return  # a manual retry leaves the schedule as it was
    done = invoice["attempt_count"]
    if done > len(common.RETRY_DAYS):
        invoice["next_payment_attempt"] = None
        return
    due = common.now_of(ctx, invoice) + common.RETRY_DAYS[done - 1] * common.DAY
    invoice["next_payment_attempt"] = due
    common.schedule(ctx, invoice, due, common.COLLECT_TIMER)


def _failed(ctx: RequestContext, invoice: dict[str, Any], *, automatic: bool, first: bool) -> None:
    _schedule_retry(ctx, invoice, automatic=automatic, first=first)
    sync_payments(ctx, invoice)
    ctx.save(invoice)
    model.emit(ctx, "invoice.payment_failed", invoice)
    common.notify(ctx, "payment_failed", invoice)
    if automatic and invoice["next_payment_attempt"] is None and invoice["auto_advance"]:
        common.notify(ctx, "retries_exhausted", invoice)


def _default_intent(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any]:
    payment = default_payment(ctx, invoice)
    intent = ctx.find("payment_intent", payment["payment"]["payment_intent"]) if payment else None
    if intent is None or intent["status"] == "canceled":
        intent = create_default_payment(ctx, invoice)
    return intent


def attempt_payment(
    ctx: RequestContext,
    invoice: dict[str, Any],
    *,
    payment_method: str | None = None,
    source: str | None = None,
    off_session: bool = True,
    automatic: bool = False,
) -> dict[str, Any]:
    """Try to collect an open invoice now; returns it (paid, or still open).

    A caller's attempt (`automatic=False`) raises what the caller should see: the card's
    402 (the failed charge and the invoice's failure kept), the 3-D Secure 402, or a 400
    when nothing can pay. Automatic collection (timers, subscriptions' renewals) raises
    nothing: the invoice records the failure and its next retry."""
    if invoice["status"] not in _PAYABLE:
        raise InvalidRequestError(f"Invoice is already {invoice['status']}")
    if invoice["amount_remaining"] <= 0:
        mark_paid(ctx, invoice)
        return invoice
    intent = _default_intent(ctx, invoice)
    if intent["status"] == "succeeded":
        mark_paid(ctx, invoice, intent=intent)
        return invoice
    chosen = choose_payment_method(ctx, invoice, payment_method=payment_method, source=source)
    if chosen is None:
        if not automatic:
            raise InvalidRequestError(NO_PAYMENT_METHOD)
        first = _count_attempt(invoice, automatic)
        _failed(ctx, invoice, automatic=automatic, first=first)
        return invoice
    payment_methods.ensure_reusable(ctx, chosen)
    intents.check_owner(intent, chosen)
    refused = _debit_currency_error(invoice, chosen)
    if refused is not None and not automatic:
        raise refused
    first = _count_attempt(invoice, automatic)
    if refused is not None:
        _failed(ctx, invoice, automatic=automatic, first=first)
        return invoice
    _accept_type(intent, invoice, chosen.get("type") or "card")
    # Stored before charging: a success reaches the invoice through the payments code's
    # hook (`payment_intent_succeeded`), which reads the stored invoice.
    ctx.save(invoice)
    if intent["amount"] != invoice["amount_remaining"] and intent["status"] in intents.MODIFIABLE:
        intent["amount"] = invoice["amount_remaining"]
    try:
        intents.attempt(ctx, intent, chosen, off_session=off_session)
    except CardError:
        _failed(ctx, invoice, automatic=automatic, first=first)
        if automatic:
            return invoice
        raise
    except StripeError:
        if automatic:
            _failed(ctx, invoice, automatic=automatic, first=first)
            return invoice
        raise
    stored = ctx.find("invoice", invoice["id"]) or invoice
    if stored["status"] == "paid":  # the payments code already told us (see report)
        invoice.clear()
        invoice.update(stored)
        return invoice
    if intent["status"] == "succeeded":
        mark_paid(ctx, invoice, intent=intent)
        return invoice
    if intent["status"] == "processing":
        _await_debit(ctx, invoice, intent, automatic=automatic, first=first)
        return invoice
    # 3-D Secure: the customer must authenticate (only on-session attempts get here).
    sync_payments(ctx, invoice)
    ctx.save(invoice)
    model.emit(ctx, "invoice.payment_action_required", invoice)
    common.notify(ctx, "payment_action_required", invoice)
    if automatic:
        return invoice
    raise CardError(
        REQUIRES_ACTION,
        code="invoice_payment_intent_requires_action",
        keep_writes=True,
        payment_intent=intent,
    )


def attach_payment(ctx: RequestContext, invoice: dict[str, Any], intent_id: str) -> dict[str, Any]:
    """`POST /v1/invoices/{invoice}/attach_payment`: another PaymentIntent pays (part
    of) the invoice, now if it already succeeded, else when it does."""
    if invoice["status"] not in _PAYABLE:
        raise InvalidRequestError(common.NOT_OPEN)
    intent = ctx.find("payment_intent", intent_id) if isinstance(intent_id, str) else None
    if intent is None:
        raise ResourceMissing("payment_intent", str(intent_id), param="payment_intent", status=400)
    if payment_for_intent(ctx, intent["id"]) is not None:
        raise InvalidRequestError(
            f"The PaymentIntent {intent['id']} is already attached to an invoice.",
            param="payment_intent",
        )
    if intent["customer"] not in (None, invoice["customer"]):
        raise InvalidRequestError(
            f"The PaymentIntent {intent['id']} belongs to another customer than the invoice.",
            param="payment_intent",
        )
    if intent["currency"] != invoice["currency"]:
        raise InvalidRequestError(
            f"The PaymentIntent's currency ({intent['currency']}) must match the invoice's "
            f"currency ({invoice['currency']}).",
            param="payment_intent",
        )
    if intent["status"] == "canceled":
        raise InvalidRequestError(
            "A canceled PaymentIntent cannot be attached to an invoice.", param="payment_intent"
        )
    new_invoice_payment(ctx, invoice, intent, is_default=False)
    if intent["status"] == "succeeded":
        mark_paid(ctx, invoice, intent=intent)
    else:
        sync_payments(ctx, invoice)
        ctx.save(invoice)
    return invoice
