"""/v1/payment_intents: create, retrieve, update, list, search, confirm, capture, cancel,
increment_authorization and apply_customer_balance."""

from __future__ import annotations

from typing import Any

from ...framework import currencies, metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, StripeError
from ...framework.listing import list_objects
from ...framework.params import operation_schema
from ...framework.routing import Route
from ...framework.searching import search_objects
from ...store import Filter
from .. import payment_methods
from . import charging, debits, intents
from .intents import CANCELABLE, CANCELABLE_LISTED, MODIFIABLE, state_error, with_intent
from .money import check_amount

NOUN = "payment_intent"
# Fields that follow the payment itself: Stripe lets them change only before it happens.
PAYMENT_FIELDS = (
    "amount",
    "application_fee_amount",
    "capture_method",
    "currency",
    "customer",
    "payment_method",
    "payment_method_data",
    "payment_method_options",
    "payment_method_types",
    "setup_future_usage",
    "statement_descriptor",
    "statement_descriptor_suffix",
)
FREE_FIELDS = ("description", "receipt_email", "transfer_group")
_CONFIRM_ONLY = (
    "off_session",
    "return_url",
    "error_on_requires_action",
    "mandate_data",
    "mandate",
)


def _known_types() -> frozenset[str]:
    schema = operation_schema("POST", "/v1/payment_intents") or {}
    item = ((schema.get("p") or {}).get("excluded_payment_method_types") or {}).get("i") or {}
    return frozenset(item.get("e") or ()) | {"card", "link"}


KNOWN_TYPES = _known_types()


def load(ctx: RequestContext, intent_id: str) -> dict[str, Any]:
    return ctx.load("payment_intent", intent_id, param="intent", noun=NOUN)


def _check_secret(intent: dict[str, Any], params: dict[str, Any]) -> None:
    secret = params.get("client_secret")
    if secret is not None and secret != intent["client_secret"]:
        raise InvalidRequestError(
            "The client_secret provided does not match the client_secret associated with "
            "the PaymentIntent.",
            param="client_secret",
        )


def _types(params: dict[str, Any]) -> list[str] | None:
    """`payment_method_types` as given (None: automatic payment methods)."""
    given = params.get("payment_method_types")
    enabled = (params.get("automatic_payment_methods") or {}).get("enabled")
    if given:
        if enabled:
            raise InvalidRequestError(
                "You may only specify one of these parameters: automatic_payment_methods, "
                "payment_method_types.",
                param="automatic_payment_methods",
            )
        for i, kind in enumerate(given):
            if kind not in KNOWN_TYPES:
                raise InvalidRequestError(
                    f'The payment method type "{kind}" is invalid. Please ensure the provided '
                    "type is activated in your dashboard "
                    "(https://dashboard.stripe.com/account/payments/settings) and your account "
                    "is enabled for any preview features that you are trying to use.",
                    param=f"payment_method_types[{i}]",
                )
        return list(dict.fromkeys(given))
    if enabled is False:
        return ["card"]
    return None


# Payment method types that take one currency only (Stripe's SEPA debits are in euros, its
# ACH debits in US dollars).
SINGLE_CURRENCY_TYPES = {"sepa_debit": "eur", "us_bank_account": "usd"}


def check_currency(currency: str, types: list[str] | None) -> None:
    for kind in types or ():
        only = SINGLE_CURRENCY_TYPES.get(kind)
        if only is not None and currency != only:
            # Stripe's message; its body names no param, the sandbox names the currency.
            raise InvalidRequestError(
                f"The currency provided ({currency}) is invalid for one or more payment "
                "method types on this PaymentIntent. The payment method type "
                f"{kind} only supports the following currencies: {only}. Either correct "
                "the provided currency, or use a different PaymentIntent to accept this "
                "payment method type.",
                param="currency",
            )


def _payment_method(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any] | None:
    if params.get("confirmation_token"):
        # ConfirmationTokens are made client-side by Stripe.js; the sandbox has none.
        ctx.load(
            "confirmation_token",
            params["confirmation_token"],
            param="confirmation_token",
            noun="confirmationtoken",
            in_path=False,
        )
    if params.get("payment_method_data"):
        return payment_methods.create(ctx, params["payment_method_data"])
    if params.get("payment_method"):
        return payment_methods.resolve(ctx, params["payment_method"])
    return None


def _check_type(intent: dict[str, Any], payment_method: dict[str, Any]) -> None:
    kind = payment_method.get("type", "card")
    if kind not in intent["payment_method_types"]:
        raise InvalidRequestError(
            f"The PaymentMethod provided ({kind}) is not allowed for this PaymentIntent. "
            "Please attach a PaymentMethod of one of the following types: "
            f"{', '.join(intent['payment_method_types'])}. Alternatively update the allowed "
            f'payment_method_types for this PaymentIntent to include "{kind}".',
            param="payment_method",
        )


def _off_session(params: dict[str, Any]) -> bool:
    value = params.get("off_session")
    return value not in (None, False, "", "false")


# -- create, retrieve, update, list, search --------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    currency = currencies.check(params["currency"])
    check_amount(params["amount"], currency)
    confirm_now = params.get("confirm") is True
    for name in _CONFIRM_ONLY:
        if name in params and not confirm_now:
            raise InvalidRequestError(
                f"The parameter `{name}` cannot be passed when creating a PaymentIntent "
                "unless `confirm` is set to true.",
                param=name,
            )
    customer = None
    if params.get("customer"):
        customer = ctx.load("customer", params["customer"], param="customer", in_path=False)["id"]
    types = _types(params)
    check_currency(currency, types)
    payment_method = _payment_method(ctx, params)
    intent = intents.new_intent(
        ctx,
        params,
        currency=currency,
        customer=customer,
        payment_method=payment_method["id"] if payment_method else None,
        types=types,
    )
    intent["metadata"] = metadata.merge(None, params.get("metadata") or {})
    if payment_method is not None:
        _check_type(intent, payment_method)
    ctx.insert(intent)
    ctx.emit("payment_intent.created", intent)
    if confirm_now:
        try:
            _confirm(ctx, intent, params, payment_method)
        except StripeError as exc:
            # A refused confirmation still leaves the new PaymentIntent behind.
            exc.keep_writes = True
            raise with_intent(exc, intent) from None
    return intent


def retrieve(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = load(ctx, intent)
    _check_secret(obj, params)
    return obj


def update(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = load(ctx, intent)
    try:
        _update(ctx, obj, params)
    except StripeError as exc:
        raise with_intent(exc, _as_stored(ctx, obj)) from None
    return obj


def _as_stored(ctx: RequestContext, obj: dict[str, Any]) -> dict[str, Any]:
    """The intent as it was before a refused request changed it (nothing was saved)."""
    return ctx.find("payment_intent", obj["id"]) or obj


def _update(ctx: RequestContext, obj: dict[str, Any], params: dict[str, Any]) -> None:
    status = obj["status"]
    for name in PAYMENT_FIELDS:
        if name in params and status not in MODIFIABLE:
            raise state_error(
                obj,
                f"This PaymentIntent's {name} could not be updated because it has a status of "
                f"{status}. You may only update the {name} of a PaymentIntent with one of the "
                f"following statuses: {', '.join(MODIFIABLE)}.",
                param=name,
            )
    if "currency" in params:
        obj["currency"] = currencies.check(params["currency"])
    if "amount" in params or "currency" in params:
        amount = params.get("amount", obj["amount"])
        check_amount(amount, obj["currency"])
        obj["amount"] = amount
    if "currency" in params or "payment_method_types" in params:
        check_currency(obj["currency"], _types(params) or obj["payment_method_types"])
    if "customer" in params:
        obj["customer"] = (
            ctx.load("customer", params["customer"], param="customer", in_path=False)["id"]
            if params["customer"]
            else None
        )
    if "payment_method_types" in params:
        obj["payment_method_types"] = _types(params) or ["card", "link"]
        obj["automatic_payment_methods"] = None
        obj["payment_method_configuration_details"] = None
    if "payment_method_options" in params:
        card = (params["payment_method_options"] or {}).get("card")
        options = obj["payment_method_options"]
        options["card"] = intents.card_options(card, options.get("card"))
    if "payment_method" in params or "payment_method_data" in params:
        payment_method = _payment_method(ctx, params)
        if payment_method is not None:
            _check_type(obj, payment_method)
        obj["payment_method"] = payment_method["id"] if payment_method else None
    for name in ("capture_method", "application_fee_amount"):
        if name in params:
            obj[name] = params[name] if params[name] != "" else None
    for name in ("setup_future_usage", "statement_descriptor", "statement_descriptor_suffix"):
        if name in params:
            obj[name] = params[name] or None
    for name in FREE_FIELDS:
        if name in params:
            obj[name] = params[name] or None
    if "shipping" in params:
        obj["shipping"] = charging.shipping_of(params["shipping"])
    if "metadata" in params:
        obj["metadata"] = metadata.merge(obj["metadata"], params["metadata"])
    if status in MODIFIABLE and any(name in params for name in PAYMENT_FIELDS):
        # What was confirmed (or asked of the customer) no longer holds.
        obj["next_action"] = None
        obj["status"] = (
            "requires_confirmation" if obj["payment_method"] else "requires_payment_method"
        )
    ctx.save(obj)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = ()
    if params.get("customer"):
        filters = (Filter(("customer",), "eq", params["customer"]),)
    return list_objects(ctx, "payment_intent", params, "/v1/payment_intents", filters)


def search(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return search_objects(ctx, "payment_intent", params, "/v1/payment_intents/search")


# -- confirm -----------------------------------------------------------------------------------


def confirm(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = load(ctx, intent)
    try:
        _check_secret(obj, params)
        if obj["status"] not in intents.CONFIRMABLE:
            raise state_error(
                obj,
                "You cannot confirm this PaymentIntent because it has a status of "
                f"{obj['status']}. Only a PaymentIntent with one of the following statuses may "
                f"be confirmed: {', '.join(intents.CONFIRMABLE)}.",
            )
        payment_method = _payment_method(ctx, params)
        if payment_method is not None:
            _check_type(obj, payment_method)
        for name in ("receipt_email", "setup_future_usage", "capture_method"):
            if name in params:
                obj[name] = params[name] or None
        if obj["capture_method"] is None:
            obj["capture_method"] = "automatic_async"
        if "shipping" in params:
            obj["shipping"] = charging.shipping_of(params["shipping"])
        if "payment_method_options" in params:
            options = obj["payment_method_options"]
            card = (params["payment_method_options"] or {}).get("card")
            options["card"] = intents.card_options(card, options.get("card"))
        _confirm(ctx, obj, params, payment_method)
    except StripeError as exc:
        raise with_intent(exc, obj if exc.keep_writes else _as_stored(ctx, obj)) from None
    return obj


def _confirm(
    ctx: RequestContext,
    obj: dict[str, Any],
    params: dict[str, Any],
    payment_method: dict[str, Any] | None,
) -> None:
    if payment_method is None and obj["payment_method"]:
        payment_method = ctx.find("payment_method", obj["payment_method"])
    if payment_method is None:
        if obj["customer"]:
            message = (
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                f"To confirm the PaymentIntent with {obj['customer']}, specify a payment "
                "method attached to this customer along with the customer ID."
            )
        else:
            message = (
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "You can either update the PaymentIntent with a payment method and then "
                "confirm it again, or confirm it again directly with a payment method or "
                "ConfirmationToken."
            )
        raise state_error(obj, message)
    payment_methods.ensure_reusable(ctx, payment_method)
    intents.check_owner(obj, payment_method)
    intents.attempt(
        ctx,
        obj,
        payment_method,
        off_session=_off_session(params),
        error_on_requires_action=params.get("error_on_requires_action") is True,
        return_url=params.get("return_url") or None,
        mandate_data=params.get("mandate_data") or None,
        mandate=params.get("mandate") or None,
    )


# -- capture, cancel, increment ------------------------------------------------------------


def capture(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = load(ctx, intent)
    _capture(ctx, obj, params.get("amount_to_capture"), params)
    return obj


def capture_for_charge(ctx: RequestContext, charge: dict[str, Any], amount: int | None) -> None:
    """The legacy `POST /v1/charges/{charge}/capture` on a PaymentIntent's charge."""
    _capture(ctx, load(ctx, charge["payment_intent"]), amount, {})


def _capture(
    ctx: RequestContext, obj: dict[str, Any], amount: int | None, params: dict[str, Any]
) -> None:
    status = obj["status"]
    if status != "requires_capture":
        if status == "succeeded" and obj["amount_received"] < obj["amount"]:
            raise state_error(
                obj,
                "The remaining amount on this PaymentIntent could not be captured because the "
                "remainder of the authorized amount has been released.",
            )
        raise state_error(
            obj,
            f"This PaymentIntent could not be captured because it has a status of {status}. "
            "Only a PaymentIntent with one of the following statuses may be captured: "
            "requires_capture.",
        )
    amount = obj["amount_capturable"] if amount is None else amount
    charging.check_capture_amount(
        amount, obj["amount_capturable"], param="amount_to_capture", payment_intent=obj
    )
    charge = ctx.load("charge", obj["latest_charge"])
    if "metadata" in params:
        obj["metadata"] = metadata.merge(obj["metadata"], params["metadata"])
    for name in ("statement_descriptor", "statement_descriptor_suffix"):
        if params.get(name):
            obj[name] = charge[name] = params[name]
    if "application_fee_amount" in params:
        obj["application_fee_amount"] = charge["application_fee_amount"] = params[
            "application_fee_amount"
        ]
    charging.capture(ctx, charge, amount)
    obj.update(status="succeeded", amount_received=amount, amount_capturable=0)
    ctx.save(obj)
    ctx.emit("payment_intent.succeeded", obj)


def cancel(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = load(ctx, intent)
    status = obj["status"]
    if status not in CANCELABLE:
        raise state_error(
            obj,
            f"You cannot cancel this PaymentIntent because it has a status of {status}. Only a "
            f"PaymentIntent with one of the following statuses may be canceled: "
            f"{CANCELABLE_LISTED}.",
        )
    if status == "processing":
        # A submitted debit can no longer be called back (the sandbox's wording).
        raise state_error(
            obj,
            "You cannot cancel this PaymentIntent because its payment is being processed; "
            "wait for it to succeed or fail.",
        )
    if status == "requires_capture" and obj["latest_charge"]:
        from .. import refunds

        refunds.release(ctx, ctx.load("charge", obj["latest_charge"]))
    _canceled(ctx, obj, params.get("cancellation_reason") or None)
    return obj


def _canceled(ctx: RequestContext, obj: dict[str, Any], reason: str | None) -> None:
    obj.update(
        status="canceled",
        canceled_at=ctx.now,
        cancellation_reason=reason,
        amount_capturable=0,
        next_action=None,
    )
    ctx.save(obj)
    ctx.emit("payment_intent.canceled", obj)


def cancel_after_expiry(ctx: RequestContext, intent_id: str) -> None:
    """Its authorization expired uncaptured: Stripe cancels the PaymentIntent."""
    obj = ctx.find("payment_intent", intent_id)
    if obj is not None and obj["status"] == "requires_capture":
        _canceled(ctx, obj, "automatic")


def increment_authorization(
    ctx: RequestContext, params: dict[str, Any], intent: str
) -> dict[str, Any]:
    obj = load(ctx, intent)
    if obj["status"] != "requires_capture":
        raise state_error(
            obj,
            "This PaymentIntent's authorization could not be incremented because it has a "
            f"status of {obj['status']}. Only a PaymentIntent with one of the following "
            "statuses may be incremented: requires_capture.",
        )
    charge = ctx.load("charge", obj["latest_charge"])
    card = charge["payment_method_details"]["card"]
    if card["incremental_authorization"]["status"] != "available":
        raise InvalidRequestError(
            "Incremental authorization is not available for this PaymentIntent: it must be "
            "confirmed with `payment_method_options[card][request_incremental_authorization]"
            "=if_available`.",
            payment_intent=obj,
        )
    amount = params["amount"]
    if amount <= obj["amount"]:
        raise InvalidRequestError(
            f"The amount to increment to must be greater than the current amount "
            f"({obj['amount']}).",
            param="amount",
            payment_intent=obj,
        )
    check_amount(amount, obj["currency"])
    for name in ("description", "statement_descriptor"):
        if params.get(name):
            obj[name] = params[name]
    if "metadata" in params:
        obj["metadata"] = metadata.merge(obj["metadata"], params["metadata"])
    previous = {"amount": obj["amount"], "amount_capturable": obj["amount_capturable"]}
    obj.update(amount=amount, amount_capturable=amount)
    charge["amount"] = card["amount_authorized"] = amount
    card["overcapture"]["maximum_amount_capturable"] = amount
    ctx.save(charge)
    ctx.save(obj)
    ctx.emit("payment_intent.amount_capturable_updated", obj, previous)
    return obj


def apply_customer_balance(
    ctx: RequestContext, params: dict[str, Any], intent: str
) -> dict[str, Any]:
    obj = load(ctx, intent)
    if "customer_balance" not in obj["payment_method_types"]:
        raise InvalidRequestError(
            "This PaymentIntent does not accept the customer_balance payment method; add it "
            "to `payment_method_types` first.",
            payment_intent=obj,
        )
    raise InvalidRequestError(
        "The sandbox does not simulate customer cash balances.", payment_intent=obj
    )


def verify_microdeposits(
    ctx: RequestContext, params: dict[str, Any], intent: str
) -> dict[str, Any]:
    """The customer's microdeposit amounts or descriptor code for an ACH debit."""
    obj = load(ctx, intent)
    try:
        _check_secret(obj, params)
        debits.verify_microdeposits(ctx, obj, params)
    except StripeError as exc:
        raise with_intent(exc, obj if exc.keep_writes else _as_stored(ctx, obj)) from None
    return obj


ROUTES = [
    Route("POST", "/v1/payment_intents", create),
    Route("GET", "/v1/payment_intents", list_),
    Route("GET", "/v1/payment_intents/search", search),
    Route("GET", "/v1/payment_intents/{intent}", retrieve),
    Route("POST", "/v1/payment_intents/{intent}", update),
    Route("POST", "/v1/payment_intents/{intent}/confirm", confirm),
    Route("POST", "/v1/payment_intents/{intent}/capture", capture),
    Route("POST", "/v1/payment_intents/{intent}/cancel", cancel),
    Route("POST", "/v1/payment_intents/{intent}/increment_authorization", increment_authorization),
    Route("POST", "/v1/payment_intents/{intent}/apply_customer_balance", apply_customer_balance),
    Route("POST", "/v1/payment_intents/{intent}/verify_microdeposits", verify_microdeposits),
]
