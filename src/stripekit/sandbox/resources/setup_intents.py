"""SetupIntents: /v1/setup_intents (create, retrieve, update, confirm, cancel, list).

Statuses: requires_payment_method -> requires_confirmation -> (requires_action) ->
succeeded, or canceled. Confirming checks the card as Stripe's test mode does: the
decline cards fail (402, `last_setup_error`, back to requires_payment_method), the
3-D Secure cards (`authenticationRequired`, `threeDSecure2Required`,
`authenticationRequiredOnSetup`, or any card with `request_three_d_secure=any|challenge`)
ask for authentication on the sandbox's 3-D Secure page, everything else succeeds and is
attached to the SetupIntent's customer. Setup attempts are not modeled
(`latest_attempt` stays null).

A SEPA Direct Debit (`payment_method_types=["sepa_debit"]`) needs no verification in
test mode: confirming succeeds at once, makes the PaymentMethod's multi-use Mandate (from
`mandate_data`, offline acceptance when none is given; the intent's `mandate` names it)
and attaches the PaymentMethod to the customer, for later off-session debits.

An ACH Direct Debit (`us_bank_account`) is verified with microdeposits, as for a
PaymentIntent: confirming makes the multi-use Mandate and waits in `requires_action`
(`next_action.verify_with_microdeposits`); `POST .../verify_microdeposits` with Stripe's
test values succeeds, attaching the PaymentMethod, whose bank account is then verified
(later off-session debits skip the microdeposits). Failed verification ends in
`requires_payment_method` with `last_setup_error` (`setup_intent.setup_failed`).

`finish_authentication` is what the 3-D Secure page calls for a `seti_` id; a
PaymentMethod set up here is remembered (`is_set_up`) so that payments can skip the
authentication `authenticationRequiredOnSetup` asks for only until it is set up.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from ..framework import metadata, testcards
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing, StripeError
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..framework.testcards import TestCard
from ..store import Filter
from . import mandates, payment_methods

SET_UP = "sandbox.payment_method_setup"  # side record: a PaymentMethod set up off-session
_CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_AUTHENTICATES_ON_SETUP = (testcards.AUTHENTICATE, testcards.AUTHENTICATE_UNLESS_SET_UP)
SUPPORTED_TYPES = ("card", payment_methods.sepa_debit.TYPE, payment_methods.us_bank_account.TYPE)


# -- helpers ----------------------------------------------------------------------------


def is_set_up(ctx: RequestContext, payment_method_id: str) -> bool:
    """Whether a SetupIntent set this PaymentMethod up for off-session use."""
    return ctx.find(SET_UP, payment_method_id) is not None


def authentication_url(ctx: RequestContext, intent: dict[str, Any]) -> str:
    """The sandbox's 3-D Secure page for this intent (the page for payment intents,
    which hands `seti_` ids to `finish_authentication`), on the host the request used."""
    secret = quote(intent["client_secret"], safe="")
    return (
        f"{ctx.base_url.rstrip('/')}/_sandbox/pages/3ds/{ctx.account}/{intent['id']}"
        f"?client_secret={secret}"
    )


def _configuration_id(account: str) -> str:
    """The account's default payment method configuration: one stable id per account."""
    digest = hashlib.blake2b(account.encode(), digest_size=18).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "pmc_" + "".join(alphabet[b % 62] for b in digest)[:24]


def _state_error(intent: dict[str, Any], message: str) -> InvalidRequestError:
    return InvalidRequestError(
        message, code="setup_intent_unexpected_state", setup_intent=dict(intent)
    )


def _load(ctx: RequestContext, intent: str) -> dict[str, Any]:
    found = ctx.find("setup_intent", intent)
    if found is None:
        raise ResourceMissing("setupintent", intent, param="intent")
    return found


def _check_secret(intent: dict[str, Any], given: Any) -> None:
    if given not in (None, "") and given != intent["client_secret"]:
        raise InvalidRequestError(
            "The client_secret provided does not match the client_secret associated with "
            "the SetupIntent.",
            param="client_secret",
        )


def _payment_method_for(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method_id: str,
    customer_id: str | None,
    *,
    in_error: bool,
) -> dict[str, Any]:
    """The PaymentMethod to set up, refused as Stripe refuses another customer's one or
    a spent one. `in_error` adds the SetupIntent to the error body (it exists already)."""
    extra = {"setup_intent": dict(intent)} if in_error else {}
    payment_method = payment_methods.resolve(ctx, payment_method_id)
    owner = payment_method.get("customer")
    try:
        payment_methods.ensure_reusable(ctx, payment_method)
    except StripeError as exc:
        exc.extra.update(extra)
        raise
    if owner and customer_id is None:
        raise InvalidRequestError(
            f"The payment method supplied ({payment_method['id']}) belongs to the Customer "
            f"{owner}. Please include the Customer in the `customer` parameter on the "
            "SetupIntent.",
            param="payment_method",
            **extra,
        )
    if owner and owner != customer_id:
        raise InvalidRequestError(
            f"The PaymentMethod {payment_method['id']} does not belong to the Customer you "
            f"supplied {customer_id}. Please use this PaymentMethod with the Customer that it "
            "belongs to instead.",
            param="payment_method",
            **extra,
        )
    return payment_method


def _check_types(params: dict[str, Any]) -> list[str] | None:
    types = params.get("payment_method_types")
    if types is None:
        return None
    for index, kind in enumerate(types):
        if kind not in SUPPORTED_TYPES:
            raise InvalidRequestError(
                f'The payment method type "{kind}" is invalid. Please ensure the provided type '
                "is activated in your dashboard (https://dashboard.stripe.com/account/payments/"
                "settings) and your account is enabled for any preview features that you are "
                "trying to use. (The sandbox supports card, sepa_debit and us_bank_account only.)",
                param=f"payment_method_types[{index}]"
                if len(types) > 1
                else "payment_method_types",
            )
    return list(dict.fromkeys(types)) or ["card"]


def _refuse_payment_method_data(params: dict[str, Any]) -> None:
    data = params.get("payment_method_data")
    if data:
        raise InvalidRequestError(
            "The sandbox takes card details only through a PaymentMethod (`payment_method`, "
            "a `pm_card_` test id, or one made with POST /v1/payment_methods); "
            f"payment_method_data of type {data.get('type')} is not modeled.",
            param="payment_method_data[type]",
        )


def _card_options(given: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    options = dict(
        current or {"mandate_options": None, "network": None, "request_three_d_secure": "automatic"}
    )
    card = (given or {}).get("card") if isinstance(given, dict) else None
    if isinstance(card, dict):
        for name in ("network", "request_three_d_secure"):
            if card.get(name):
                options[name] = card[name]
        if isinstance(card.get("mandate_options"), dict):
            options["mandate_options"] = {
                "description": None,
                "end_date": None,
                "interval_count": None,
                "supported_types": None,
                **card["mandate_options"],
            }
    return options


def _options(types: list[str], given: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """`payment_method_options` for the intent's payment method types."""
    current = current or {}
    options: dict[str, Any] = {}
    if "card" in types:
        options["card"] = _card_options(given, current.get("card"))
    if payment_methods.sepa_debit.TYPE in types:
        options["sepa_debit"] = current.get("sepa_debit") or {}
    ach = payment_methods.us_bank_account
    if ach.TYPE in types:
        given_ach = given.get(ach.TYPE) if isinstance(given, dict) else None
        kept = current.get(ach.TYPE) if given_ach is None else None
        options[ach.TYPE] = kept or ach.options(given_ach)
    return options


def _check_type(
    intent: dict[str, Any], payment_method: dict[str, Any], *, in_error: bool = True
) -> None:
    """The PaymentMethod's type must be one the intent takes. `in_error` adds the
    SetupIntent to the error body (it exists already)."""
    kind = payment_method.get("type", "card")
    if kind not in intent["payment_method_types"]:
        # Stripe's PaymentIntent wording, said of the SetupIntent.
        raise InvalidRequestError(
            f"The PaymentMethod provided ({kind}) is not allowed for this SetupIntent. "
            "Please attach a PaymentMethod of one of the following types: "
            f"{', '.join(intent['payment_method_types'])}. Alternatively update the allowed "
            f'payment_method_types for this SetupIntent to include "{kind}".',
            param="payment_method",
            **({"setup_intent": dict(intent)} if in_error else {}),
        )


# -- create, retrieve, update, list -------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_payment_method_data(params)
    types = _check_types(params)
    automatic = params.get("automatic_payment_methods")
    automatic = automatic if isinstance(automatic, dict) else None
    if types is not None and automatic and automatic.get("enabled"):
        raise InvalidRequestError(
            "You may only specify one of these parameters: automatic_payment_methods, "
            "payment_method_types.",
            param="automatic_payment_methods",
        )
    # With neither given, Stripe turns automatic payment methods on (the account's
    # default configuration, which here offers cards).
    automatic_on = types is None and (automatic is None or bool(automatic.get("enabled")))
    if params.get("return_url") and not params.get("confirm"):
        raise InvalidRequestError(
            "The `return_url` parameter can only be passed when `confirm` is true.",
            param="return_url",
        )
    customer_id = params.get("customer") or None
    if customer_id:
        ctx.load("customer", customer_id, param="customer", in_path=False)
    payment_method = None
    if params.get("payment_method"):
        payment_method = _payment_method_for(
            ctx, {}, params["payment_method"], customer_id, in_error=False
        )
    intent_id = ctx.new_id("seti")
    intent = {
        "id": intent_id,
        "object": "setup_intent",
        "allowed_payment_method_types": None,
        "application": None,
        "automatic_payment_methods": (
            {
                "allow_redirects": (automatic or {}).get("allow_redirects") or "always",
                "enabled": True,
            }
            if automatic_on
            else None
        ),
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{ctx.ids.random_chars(25)}",
        "created": ctx.now,
        "customer": customer_id,
        "customer_account": None,
        "description": params.get("description") or None,
        "excluded_payment_method_types": None,
        "flow_directions": params.get("flow_directions") or None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "mandate": None,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method["id"] if payment_method else None,
        "payment_method_configuration_details": (
            {"id": _configuration_id(ctx.account), "parent": None} if automatic_on else None
        ),
        "payment_method_options": _options(types or ["card"], params.get("payment_method_options")),
        "payment_method_types": types or ["card"],
        "single_use_mandate": None,
        "status": "requires_confirmation" if payment_method else "requires_payment_method",
        "usage": params.get("usage") or "off_session",
    }
    if payment_method is not None:
        _check_type(intent, payment_method, in_error=False)
    ctx.insert(intent)
    ctx.emit("setup_intent.created", intent)
    if params.get("confirm"):
        return _confirm(
            ctx, intent, payment_method, params.get("return_url"), params.get("mandate_data")
        )
    return intent


def retrieve(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = _load(ctx, intent)
    _check_secret(obj, params.get("client_secret"))
    return obj


def update(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = _load(ctx, intent)
    _refuse_payment_method_data(params)
    # Description and metadata stay editable after the fact; the setup itself does not.
    structural = {
        k
        for k in params
        if k not in ("description", "metadata", "expand") and params[k] is not None
    }
    if structural and obj["status"] in ("succeeded", "canceled"):
        verb = "has already succeeded" if obj["status"] == "succeeded" else "has been canceled"
        raise _state_error(obj, f"You cannot update this SetupIntent because it {verb}.")
    if structural and obj["status"] == "processing":
        raise _state_error(
            obj, "You cannot update this SetupIntent because it has a status of processing."
        )
    types = _check_types(params)
    if "customer" in params:
        customer_id = params["customer"] or None
        if customer_id:
            ctx.load("customer", customer_id, param="customer", in_path=False)
        obj["customer"] = customer_id
    if types is not None:
        obj["payment_method_types"] = types
        obj["automatic_payment_methods"] = None
        obj["payment_method_configuration_details"] = None
    if params.get("payment_method"):
        payment_method = _payment_method_for(
            ctx, obj, params["payment_method"], obj["customer"], in_error=True
        )
        _check_type(obj, payment_method)
        obj["payment_method"] = payment_method["id"]
    elif params.get("payment_method") == "":
        obj["payment_method"] = None
    if "payment_method_options" in params or types is not None:
        obj["payment_method_options"] = _options(
            obj["payment_method_types"],
            params.get("payment_method_options"),
            obj["payment_method_options"],
        )
    if "description" in params:
        obj["description"] = params["description"] or None
    if "metadata" in params:
        obj["metadata"] = metadata.merge(obj["metadata"], params["metadata"])
    if "flow_directions" in params:
        obj["flow_directions"] = params["flow_directions"] or None
    if structural and obj["status"] in ("requires_payment_method", "requires_confirmation"):
        obj["status"] = (
            "requires_confirmation" if obj["payment_method"] else "requires_payment_method"
        )
    elif structural and obj["status"] == "requires_action" and "payment_method" in params:
        # A new PaymentMethod abandons the pending authentication.
        obj["next_action"] = None
        obj["status"] = (
            "requires_confirmation" if obj["payment_method"] else "requires_payment_method"
        )
    ctx.save(obj)
    return obj


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    if params.get("customer"):
        filters.append(Filter(("customer",), "eq", params["customer"]))
    if params.get("payment_method"):
        filters.append(Filter(("payment_method",), "eq", params["payment_method"]))
    return list_objects(
        ctx, "setup_intent", params, "/v1/setup_intents", tuple(filters), noun="setupintent"
    )


# -- confirm, authentication, cancel ------------------------------------------------


def confirm(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = _load(ctx, intent)
    _check_secret(obj, params.get("client_secret"))
    _refuse_payment_method_data(params)
    if obj["status"] == "succeeded":
        raise _state_error(
            obj, "You cannot confirm this SetupIntent because it has already succeeded."
        )
    if obj["status"] == "canceled":
        raise _state_error(obj, "You cannot confirm this SetupIntent because it has been canceled.")
    if obj["status"] not in _CONFIRMABLE:
        raise _state_error(
            obj,
            f"You cannot confirm this SetupIntent because it has a status of {obj['status']}.",
        )
    # The PaymentMethod given now, or the one set before (which may have been detached
    # or attached elsewhere since: checked again).
    chosen = params.get("payment_method") or obj["payment_method"]
    payment_method = None
    if chosen:
        payment_method = _payment_method_for(ctx, obj, chosen, obj["customer"], in_error=True)
    if payment_method is None:
        raise _state_error(
            obj,
            "You cannot confirm this SetupIntent because it's missing a payment method. You "
            "can either update the SetupIntent with a payment method and then confirm it "
            "again, or confirm it again directly with a payment method or ConfirmationToken.",
        )
    _check_type(obj, payment_method)
    if params.get("payment_method_options"):
        obj["payment_method_options"] = _options(
            obj["payment_method_types"],
            params["payment_method_options"],
            obj["payment_method_options"],
        )
    return _confirm(ctx, obj, payment_method, params.get("return_url"), params.get("mandate_data"))


def _confirm(
    ctx: RequestContext,
    intent: dict[str, Any],
    payment_method: dict[str, Any] | None,
    return_url: str | None,
    mandate_data: Any = None,
) -> dict[str, Any]:
    if payment_method is None:  # `confirm=true` on create without a PaymentMethod
        error = _state_error(
            intent,
            "You cannot confirm this SetupIntent because it's missing a payment method. You "
            "can either update the SetupIntent with a payment method and then confirm it "
            "again, or confirm it again directly with a payment method or ConfirmationToken.",
        )
        error.keep_writes = True  # the SetupIntent was created; the error shows it
        raise error
    intent["payment_method"] = payment_method["id"]
    intent["next_action"] = None
    if payment_method["type"] == payment_methods.sepa_debit.TYPE:
        intent["mandate"] = mandates.create(ctx, payment_method, mandate_data)["id"]
        return _succeed(ctx, intent, payment_method)
    ach = payment_methods.us_bank_account
    if payment_method["type"] == ach.TYPE:
        intent["mandate"] = mandates.create(ctx, payment_method, mandate_data)["id"]
        if ach.is_verified(ctx, payment_method["id"]):
            return _succeed(ctx, intent, payment_method)
        ach.begin_verification(ctx, payment_method["id"], intent["mandate"])
        intent["next_action"] = ach.verification_action(ctx, intent["id"], "amounts")
        intent["status"] = "requires_action"
        ctx.save(intent)
        ctx.emit("setup_intent.requires_action", intent)
        return intent
    card = payment_methods.card_of(payment_method)
    payment_methods.mark_checked(payment_method)
    ctx.save(payment_method)
    if payment_methods.declines_on_save(card):
        _fail(ctx, intent, payment_method, card)
    three_d_secure = intent["payment_method_options"]["card"]["request_three_d_secure"]
    if card.outcome in _AUTHENTICATES_ON_SETUP or three_d_secure in ("any", "challenge"):
        intent["status"] = "requires_action"
        intent["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {
                "return_url": return_url or None,
                "url": authentication_url(ctx, intent),
            },
        }
        ctx.save(intent)
        ctx.emit("setup_intent.requires_action", intent)
        return intent
    return _succeed(ctx, intent, payment_method)


def _fail(
    ctx: RequestContext, intent: dict[str, Any], payment_method: dict[str, Any], card: TestCard
) -> None:
    """A declined setup: the error is kept on the intent, which needs a new card."""
    error = payment_methods.decline_error(card, payment_method=dict(payment_method))
    intent["last_setup_error"] = {"type": "card_error", **error.body()["error"]}
    intent["payment_method"] = None
    intent["status"] = "requires_payment_method"
    ctx.save(intent)
    ctx.emit("setup_intent.setup_failed", intent)
    error.keep_writes = True
    error.extra["setup_intent"] = dict(intent)
    raise error


def _succeed(
    ctx: RequestContext, intent: dict[str, Any], payment_method: dict[str, Any]
) -> dict[str, Any]:
    intent["status"] = "succeeded"
    intent["next_action"] = None
    intent["last_setup_error"] = None
    ctx.save(intent)
    if intent["customer"] and payment_method.get("customer") != intent["customer"]:
        payment_methods.attach_to(ctx, payment_method, intent["customer"])
    if intent["usage"] == "off_session" and not is_set_up(ctx, payment_method["id"]):
        ctx.insert({"id": payment_method["id"], "object": SET_UP, "created": ctx.now})
    ctx.emit("setup_intent.succeeded", intent)
    return intent


def finish_authentication(ctx: RequestContext, intent_id: str, approved: bool) -> dict[str, Any]:
    """The 3-D Secure page's answer for a `seti_` intent: approved completes the setup,
    refused fails it (`setup_intent_authentication_failure`, back to
    requires_payment_method). An intent no longer awaiting authentication is returned
    as it is, so a page submitted twice changes nothing. The page should read
    `next_action.redirect_to_url.return_url` before calling: it is cleared here."""
    intent = _load(ctx, intent_id)
    if intent["status"] != "requires_action":
        return intent
    payment_method = ctx.find("payment_method", intent["payment_method"] or "")
    if approved and payment_method is not None:
        return _succeed(ctx, intent, payment_method)
    intent["last_setup_error"] = {
        "code": "setup_intent_authentication_failure",
        "doc_url": "https://stripe.com/docs/error-codes/setup-intent-authentication-failure",
        "message": "We are unable to authenticate your payment method. Please choose a "
        "different payment method and try again.",
        "type": "invalid_request_error",
        **({"payment_method": dict(payment_method)} if payment_method else {}),
    }
    intent["payment_method"] = None
    intent["next_action"] = None
    intent["status"] = "requires_payment_method"
    ctx.save(intent)
    ctx.emit("setup_intent.setup_failed", intent)
    return intent


def verify_microdeposits(
    ctx: RequestContext, params: dict[str, Any], intent: str
) -> dict[str, Any]:
    """The customer's microdeposit amounts or descriptor code for an ACH set up: right
    values complete it; too many wrong ones, or a timeout, fail it."""
    obj = _load(ctx, intent)
    _check_secret(obj, params.get("client_secret"))
    ach = payment_methods.us_bank_account
    try:
        payment_method, ended = ach.verify_intent(ctx, obj, params, "setup_intent_unexpected_state")
    except StripeError as exc:
        exc.extra["setup_intent"] = dict(obj)
        raise
    if ended is None:
        return _succeed(ctx, obj, payment_method)
    obj.update(
        last_setup_error=ach.failed_verification(ended, payment_method),
        next_action=None,
        payment_method=None,
        status="requires_payment_method",
    )
    ctx.save(obj)
    ctx.emit("setup_intent.setup_failed", obj)
    ended.keep_writes = True
    ended.extra["setup_intent"] = dict(obj)
    raise ended


def cancel(ctx: RequestContext, params: dict[str, Any], intent: str) -> dict[str, Any]:
    obj = _load(ctx, intent)
    if obj["status"] == "canceled":
        raise _state_error(
            obj, "You cannot cancel this SetupIntent because it is already canceled."
        )
    if obj["status"] not in _CANCELABLE:
        raise _state_error(
            obj,
            f"You cannot cancel this SetupIntent because it has a status of {obj['status']}. "
            "Only a SetupIntent with one of the following statuses may be canceled: "
            "`requires_payment_method`, `requires_confirmation`, or `requires_action`.",
        )
    obj["status"] = "canceled"
    obj["cancellation_reason"] = params.get("cancellation_reason") or None
    obj["next_action"] = None
    ctx.save(obj)
    ctx.emit("setup_intent.canceled", obj)
    return obj


ROUTES = [
    Route("POST", "/v1/setup_intents", create),
    Route("GET", "/v1/setup_intents", list_),
    Route("GET", "/v1/setup_intents/{intent}", retrieve),
    Route("POST", "/v1/setup_intents/{intent}", update),
    Route("POST", "/v1/setup_intents/{intent}/confirm", confirm),
    Route("POST", "/v1/setup_intents/{intent}/cancel", cancel),
    Route("POST", "/v1/setup_intents/{intent}/verify_microdeposits", verify_microdeposits),
]
