"""The PaymentIntent object and its state machine.

    requires_payment_method -> requires_confirmation -> (confirm)
        -> requires_action (3-D Secure) -> page approves -> charge, or fails -> back to
           requires_payment_method
        -> charge declined -> requires_payment_method (`last_payment_error`, 402)
        -> charge approved -> succeeded (automatic capture) or requires_capture (manual)
    requires_capture -> capture -> succeeded;  open states -> cancel -> canceled

`attempt` runs one confirmation with a PaymentMethod; `finish_authentication` is what the
3-D Secure page calls. A decline saves the intent's new state and raises Stripe's 402 with
`keep_writes`, so the failed charge and `last_payment_error` are kept.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ...framework import testcards
from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError, StripeError
from ...framework.testcards import AUTHENTICATE, AUTHENTICATE_UNLESS_SET_UP
from .. import payment_methods, setup_intents, transfers
from . import charging, debits

MODIFIABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
# What a PaymentIntent hands its charge for Connect (`transfers.charge_terms`).
CONNECT_FIELDS = ("application_fee_amount", "on_behalf_of", "transfer_data")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
# Stripe's refusal names these (two are states cards never reach here).
CANCELABLE_LISTED = (
    "requires_payment_method, requires_capture, requires_reauthorization, "
    "requires_confirmation, requires_action, expired, processing"
)
# A PaymentIntent confirmed with `confirmation_method=manual` and authenticated waits for
# the server's confirm; this private record says the card needs no second challenge.
AUTHENTICATED = "sandbox_authentication"
AUTH_FAILURE_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
NOT_HANDLED_MESSAGE = (
    "This payment required an authentication action to complete, but "
    "`error_on_requires_action` was set. When you're ready, you can upgrade your "
    "integration to handle actions at "
    "https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions."
)


def state_error(
    intent: dict[str, Any], message: str, *, param: str | None = None
) -> InvalidRequestError:
    """Stripe's 400 for a call the intent's status forbids (the intent in the body)."""
    return InvalidRequestError(
        message, param=param, code="payment_intent_unexpected_state", payment_intent=intent
    )


def with_intent(exc: StripeError, intent: dict[str, Any]) -> StripeError:
    """Stripe puts the PaymentIntent in the body of errors about one."""
    exc.extra.setdefault("payment_intent", intent)
    return exc


def configuration_id(account: str) -> str:
    """The account's default payment method configuration (stable per account)."""
    return "pmc_1" + hashlib.blake2b(account.encode(), digest_size=12).hexdigest()[:23]


def card_options(given: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    options = dict(
        current
        or {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
        }
    )
    for name, value in (given or {}).items():
        if value == "":
            options.pop(name, None)
        else:
            options[name] = value
    return options


def new_intent(
    ctx: RequestContext,
    params: dict[str, Any],
    *,
    currency: str,
    customer: str | None,
    payment_method: str | None,
    types: list[str] | None,
) -> dict[str, Any]:
    terms = transfers.charge_terms(ctx, params, params["amount"])
    intent_id = ctx.new_id("pi")
    automatic = types is None
    types = types or ["card", "link"]
    given_options = params.get("payment_method_options") or {}
    options: dict[str, Any] = {}
    if "card" in types:
        options["card"] = card_options(given_options.get("card"))
    if "link" in types:
        options["link"] = {"persistent_token": None}
    if "sepa_debit" in types:
        options["sepa_debit"] = {}
    if "us_bank_account" in types:
        options["us_bank_account"] = payment_methods.us_bank_account.options(
            given_options.get("us_bank_account")
        )
    apm = params.get("automatic_payment_methods") or {}
    return {
        "id": intent_id,
        "object": "payment_intent",
        "allowed_payment_method_types": None,
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": terms["application_fee_amount"],
        "automatic_payment_methods": (
            {"allow_redirects": apm.get("allow_redirects", "always"), "enabled": True}
            if automatic
            else None
        ),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method") or "automatic_async",
        "client_secret": f"{intent_id}_secret_{ctx.ids.random_chars(25)}",
        "confirmation_method": params.get("confirmation_method") or "automatic",
        "created": ctx.now,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "description": params.get("description") or None,
        "excluded_payment_method_types": params.get("excluded_payment_method_types") or None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": {},
        "next_action": None,
        "on_behalf_of": terms["on_behalf_of"],
        "payment_method": payment_method,
        "payment_method_configuration_details": (
            {"id": configuration_id(ctx.account), "parent": None} if automatic else None
        ),
        "payment_method_options": options,
        "payment_method_types": types,
        "payment_record": None,
        "processing": None,
        "receipt_email": params.get("receipt_email") or None,
        "review": None,
        "setup_future_usage": params.get("setup_future_usage") or None,
        "shared_payment_granted_token": None,
        "shipping": charging.shipping_of(params.get("shipping")),
        "source": None,
        "statement_descriptor": params.get("statement_descriptor") or None,
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix") or None,
        "status": "requires_confirmation" if payment_method else "requires_payment_method",
        "transfer_data": terms["transfer_data"],
        "transfer_group": params.get("transfer_group") or None,
    }


def manual_capture(intent: dict[str, Any]) -> bool:
    card = (intent.get("payment_method_options") or {}).get("card") or {}
    return intent["capture_method"] == "manual" or card.get("capture_method") == "manual"


def check_owner(intent: dict[str, Any], payment_method: dict[str, Any]) -> None:
    """A customer's PaymentMethod pays only that customer's PaymentIntents."""
    owner = payment_method.get("customer")
    if not owner or owner == intent["customer"]:
        return
    if intent["customer"] is None:
        raise InvalidRequestError(
            f"The `payment_method` parameter supplied {payment_method['id']} belongs to the "
            f"Customer {owner}. Please include the Customer in the `customer` parameter on "
            "the PaymentIntent.",
            param="source",
            code="parameter_missing",
        )
    raise InvalidRequestError(
        f"The PaymentMethod {payment_method['id']} does not belong to the Customer you "
        f"supplied {intent['customer']}. Please use this PaymentMethod with the Customer "
        "that it belongs to instead.",
        param="payment_method",
    )


def needs_authentication(
    ctx: RequestContext, intent: dict[str, Any], payment_method: dict[str, Any]
) -> bool:
    """3-D Secure cards ask for it (the set-up-once card only until it is set up), and
    so does any card when the intent requests it (`request_three_d_secure=any|challenge`)."""
    outcome = payment_methods.card_of(payment_method).outcome
    options = (intent.get("payment_method_options") or {}).get("card") or {}
    requested = options.get("request_three_d_secure") in ("any", "challenge")
    if not requested and outcome not in (AUTHENTICATE, AUTHENTICATE_UNLESS_SET_UP):
        return False
    if ctx.find(AUTHENTICATED, f"{intent['id']}.{payment_method['id']}") is not None:
        return False
    if requested or outcome == AUTHENTICATE:
        return True
    return not setup_intents.is_set_up(ctx, payment_method["id"])


def _fail(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any],
    fields: dict[str, Any],
    charge: dict[str, Any] | None,
) -> CardError:
    """Back to requires_payment_method with the decline recorded; the 402 to raise."""
    error = {k: v for k, v in fields.items() if k != "message"}
    last: dict[str, Any] = {**error, "doc_url": charging.doc_url(fields["code"])}
    if charge is not None:
        last["charge"] = charge["id"]
    last.update(
        message=fields["message"],
        payment_method=payment_method,
        payment_method_type="card",
        type="card_error",
    )
    intent.update(
        last_payment_error=last,
        next_action=None,
        payment_method=None,
        status="requires_payment_method",
    )
    ctx.save(intent)
    ctx.emit("payment_intent.payment_failed", intent)
    extra = {k: v for k, v in error.items() if k not in ("code", "param")}
    if charge is not None:
        extra["charge"] = charge["id"]
    return CardError(
        fields["message"],
        code=fields["code"],
        param=fields.get("param"),
        keep_writes=True,
        payment_intent=intent,
        payment_method=payment_method,
        **extra,
    )


def page_url(ctx: RequestContext, intent_id: str) -> str:
    """The sandbox's 3-D Secure page for a PaymentIntent or a SetupIntent."""
    return f"{charging.page_base(ctx)}/_sandbox/pages/3ds/{ctx.account}/{intent_id}"


def attempt(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any],
    *,
    off_session: bool = False,
    error_on_requires_action: bool = False,
    return_url: str | None = None,
    mandate_data: Any = None,
    mandate: str | None = None,
) -> None:
    """Confirm `intent` with `payment_method`: ask for 3-D Secure, or charge the card,
    or submit the SEPA or ACH debit (which settles later, under its mandate; an ACH bank
    account not yet verified waits for its microdeposits first)."""
    intent.update(payment_method=payment_method["id"], last_payment_error=None, next_action=None)
    if payment_method["type"] in debits.TYPES:
        debits.start(ctx, intent, payment_method, mandate_data=mandate_data, mandate_id=mandate)
        _save_for_later(ctx, intent, payment_method)
        return
    if needs_authentication(ctx, intent, payment_method):
        card = payment_methods.card_of(payment_method)
        if off_session:
            raise _fail(ctx, intent, payment_method, charging.authentication_required(card), None)
        if error_on_requires_action:
            fields = {
                "code": "authentication_required",
                "decline_code": "authentication_not_handled",
                "message": NOT_HANDLED_MESSAGE,
            }
            raise _fail(ctx, intent, payment_method, fields, None)
        intent["status"] = "requires_action"
        intent["next_action"] = {
            "redirect_to_url": {"return_url": return_url, "url": page_url(ctx, intent["id"])},
            "type": "redirect_to_url",
        }
        ctx.save(intent)
        ctx.emit("payment_intent.requires_action", intent)
        return
    pay(ctx, intent, payment_method)


def pay(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any],
    three_d_secure: dict[str, Any] | None = None,
) -> None:
    """Charge the card for the intent's amount: succeeded, requires_capture, or a 402."""
    card = payment_methods.card_of(payment_method)
    declined = testcards.decline_details(card) if card.decline_code is not None else None
    manual = manual_capture(intent)
    card_options = (intent.get("payment_method_options") or {}).get("card") or {}
    charge = charging.authorize(
        ctx,
        charging.instrument_for(payment_method),
        amount=intent["amount"],
        currency=intent["currency"],
        capture=not manual,
        declined=declined,
        customer=intent["customer"],
        payment_intent=intent["id"],
        description=intent["description"],
        meta=intent["metadata"],
        receipt_email=intent["receipt_email"],
        shipping=intent["shipping"],
        statement_descriptor=intent["statement_descriptor"],
        statement_descriptor_suffix=intent["statement_descriptor_suffix"],
        transfer_group=intent["transfer_group"],
        three_d_secure=three_d_secure,
        connect_terms={name: intent[name] for name in CONNECT_FIELDS},
        incremental=card_options.get("request_incremental_authorization") == "if_available",
    )
    intent["latest_charge"] = charge["id"]
    if declined is not None:
        raise _fail(ctx, intent, payment_method, declined, charge)
    intent["next_action"] = None
    if manual:
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        ctx.save(intent)
        ctx.emit("payment_intent.amount_capturable_updated", intent, {"amount_capturable": 0})
    else:
        intent.update(status="succeeded", amount_received=intent["amount"])
        ctx.save(intent)
        ctx.emit("payment_intent.succeeded", intent)
        # An invoice's PaymentIntent paid here (the 3-D Secure page, a confirm with the
        # invoice's confirmation secret) pays the invoice. Imported here: invoices build
        # on payment intents, not the other way round.
        from .. import invoices

        invoices.payment_intent_succeeded(ctx, intent)
    _save_for_later(ctx, intent, payment_method)


def _save_for_later(
    ctx: RequestContext, intent: dict[str, Any], payment_method: dict[str, Any]
) -> None:
    """After a payment: `setup_future_usage` attaches the card to the intent's customer
    (and `off_session` sets it up for later off-session payments); a card left without
    a customer is spent and may not pay again."""
    usage = intent["setup_future_usage"]
    if usage and intent["customer"] and not payment_method.get("customer"):
        payment_methods.attach_to(ctx, payment_method, intent["customer"])
    customer = payment_method.get("customer")
    if (
        usage == "off_session"
        and customer
        and not setup_intents.is_set_up(ctx, payment_method["id"])
    ):
        record = {"id": payment_method["id"], "object": setup_intents.SET_UP}
        ctx.insert({**record, "created": ctx.now})
    if not payment_method.get("customer"):
        payment_methods.mark_consumed(ctx, payment_method["id"])


def three_d_secure_result(ctx: RequestContext) -> dict[str, Any]:
    raw = hashlib.blake2b(ctx.ids.random_chars(16).encode(), digest_size=16).hexdigest()
    return {
        "authentication_flow": "challenge",
        "electronic_commerce_indicator": "05",
        "exemption_indicator": None,
        "result": "authenticated",
        "result_reason": None,
        "transaction_id": f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}",
        "version": "2.2.0",
    }


def finish_authentication(ctx: RequestContext, intent: dict[str, Any], approved: bool) -> None:
    """The customer passed or failed the 3-D Secure challenge of a requires_action intent.
    A declined charge after approval is recorded like any decline (a CardError raised)."""
    payment_method = ctx.find("payment_method", intent["payment_method"] or "")
    if payment_method is None:
        raise InvalidRequestError("This PaymentIntent has no PaymentMethod to authenticate.")
    if not approved:
        code = "payment_intent_authentication_failure"
        intent.update(
            last_payment_error={
                "code": code,
                "doc_url": charging.doc_url(code),
                "message": AUTH_FAILURE_MESSAGE,
                "payment_method": payment_method,
                "payment_method_type": "card",
                "type": "invalid_request_error",
            },
            next_action=None,
            payment_method=None,
            status="requires_payment_method",
        )
        ctx.save(intent)
        ctx.emit("payment_intent.payment_failed", intent)
        return
    if intent["confirmation_method"] == "manual":
        # The server confirms again; the card is not challenged a second time.
        key = f"{intent['id']}.{payment_method['id']}"
        ctx.insert({"id": key, "object": AUTHENTICATED, "created": ctx.now})
        intent.update(next_action=None, status="requires_confirmation")
        ctx.save(intent)
        return
    pay(ctx, intent, payment_method, three_d_secure_result(ctx))
