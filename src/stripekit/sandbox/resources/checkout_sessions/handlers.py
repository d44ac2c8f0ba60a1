"""/v1/checkout/sessions: create, retrieve, update, list, line_items, expire; and the
expiry timer at `expires_at`."""

from __future__ import annotations

from typing import Any

from ...framework import metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from ...framework.listing import list_objects
from ...framework.routing import Route
from ...store import Filter
from .. import shipping_rates
from ..payment_intents import handlers as intent_handlers
from ..payment_intents.handlers import KNOWN_TYPES
from ..subscriptions.creation import MAX_TRIAL_DAYS
from . import line_items, model
from .model import DAY, MIN_EXPIRY, TYPE

EXPIRE_TIMER = "checkout_session.expire"
_MODE_ONLY = {
    "payment_intent_data": "payment",
    # Stripe also takes shipping in subscription mode (billed on the first invoice); the
    # sandbox models it in payment mode only and refuses it elsewhere.
    "shipping_options": "payment",
    "subscription_data": "subscription",
    "setup_intent_data": "setup",
}


def _only_one(*names: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"You may only specify one of these parameters: {', '.join(names)}.", param=names[-1]
    )


def _check_urls(params: dict[str, Any]) -> None:
    ui_mode = params.get("ui_mode") or "hosted_page"
    if ui_mode == "hosted_page":
        if params.get("return_url"):
            raise InvalidRequestError(
                "`return_url` cannot be used with `ui_mode=hosted_page`; use `success_url` "
                "instead.",
                param="return_url",
            )
        if params.get("redirect_on_completion"):
            raise InvalidRequestError(
                "`redirect_on_completion` can only be used when `ui_mode` is not `hosted_page`.",
                param="redirect_on_completion",
            )
        return
    if params.get("success_url"):
        raise InvalidRequestError(
            f"`success_url` cannot be used with `ui_mode={ui_mode}`; use `return_url` instead.",
            param="success_url",
        )
    if params.get("cancel_url"):
        raise InvalidRequestError(
            f"`cancel_url` cannot be used with `ui_mode={ui_mode}`.", param="cancel_url"
        )
    never = params.get("redirect_on_completion") == "never"
    if not params.get("return_url") and not never:
        raise InvalidRequestError(
            "Missing required param: return_url.", param="return_url", code="parameter_missing"
        )
    if params.get("return_url") and never:
        raise InvalidRequestError(
            "`return_url` cannot be used with `redirect_on_completion=never`.",
            param="return_url",
        )


def _check_customer(ctx: RequestContext, params: dict[str, Any], mode: str) -> None:
    if params.get("customer") and params.get("customer_email"):
        raise _only_one("customer", "customer_email")
    if params.get("customer_creation"):
        if params.get("customer"):
            raise _only_one("customer", "customer_creation")
        if mode == "subscription":
            raise InvalidRequestError(
                "`customer_creation` can only be used in `payment` and `setup` mode.",
                param="customer_creation",
            )
    if params.get("customer"):
        ctx.load("customer", params["customer"], param="customer", in_path=False)


def _check_expiry(params: dict[str, Any], now: int) -> None:
    expires_at = params.get("expires_at")
    if expires_at is None:
        return
    if expires_at > now + DAY:
        raise InvalidRequestError(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    if expires_at < now + MIN_EXPIRY:
        raise InvalidRequestError(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )


def _check_types(params: dict[str, Any]) -> None:
    for index, kind in enumerate(params.get("payment_method_types") or []):
        if kind not in KNOWN_TYPES:
            raise InvalidRequestError(
                f'The payment method type "{kind}" is invalid. Please ensure the provided type '
                "is activated in your dashboard "
                "(https://dashboard.stripe.com/account/payments/settings) and your account is "
                "enabled for any preview features that you are trying to use.",
                param=f"payment_method_types[{index}]",
            )


def _check_mode_params(params: dict[str, Any], mode: str) -> None:
    for name, only in _MODE_ONLY.items():
        if params.get(name) and mode != only:
            raise InvalidRequestError(f"You can not pass `{name}` in `{mode}` mode.", param=name)
    if mode == "setup":
        if params.get("line_items"):
            raise InvalidRequestError(
                "You can not pass `line_items` in `setup` mode.", param="line_items"
            )
        if not params.get("currency") and not params.get("payment_method_types"):
            raise InvalidRequestError(
                "You must provide `currency` or `payment_method_types` in `setup` mode.",
                param="currency",
            )
    elif not params.get("line_items"):
        raise InvalidRequestError(
            f"`line_items` is required in `{mode}` mode.",
            param="line_items",
            code="parameter_missing",
        )
    trial = (params.get("subscription_data") or {}).get("trial_period_days")
    if trial is not None and not 1 <= trial <= MAX_TRIAL_DAYS:
        raise InvalidRequestError(
            f"The maximum number of trial period days is {MAX_TRIAL_DAYS} (and the minimum 1).",
            param="subscription_data[trial_period_days]",
        )


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    mode = params.get("mode")
    if not mode:
        raise InvalidRequestError(
            "Missing required param: mode.", param="mode", code="parameter_missing"
        )
    _check_mode_params(params, mode)
    _check_urls(params)
    _check_customer(ctx, params, mode)
    _check_expiry(params, ctx.now)
    _check_types(params)
    if params.get("allow_promotion_codes") and params.get("discounts"):
        raise _only_one("allow_promotion_codes", "discounts")
    discounts = params.get("discounts") or []
    if len(discounts) > 1:
        raise InvalidRequestError(
            "You may only specify one discount per Checkout Session.", param="discounts"
        )
    items = line_items.build(ctx, params.get("line_items") or [], mode)
    session = model.new_session(ctx, params, mode, items)
    state = model.new_state(session["id"], params, ctx.now)
    if params.get("shipping_address_collection"):
        session["shipping_address_collection"] = {
            "allowed_countries": params["shipping_address_collection"]["allowed_countries"]
        }
    session["metadata"] = metadata.merge(None, params.get("metadata") or {})
    for entry in discounts:
        if entry.get("coupon") and entry.get("promotion_code"):
            raise _only_one("discounts[0][coupon]", "discounts[0][promotion_code]")
        param = (
            "discounts[0][promotion_code]"
            if entry.get("promotion_code")
            else "discounts[0][coupon]"
        )
        model.add_discount(
            ctx,
            session,
            state,
            coupon=entry.get("coupon"),
            promotion_code=entry.get("promotion_code"),
            param=param,
        )
    _offer_shipping(ctx, session, params.get("shipping_options") or [])
    model.compute_totals(ctx, session, state)
    ctx.insert(session)
    ctx.insert(state)
    ctx.schedule(session["expires_at"], EXPIRE_TIMER, session["id"])
    return session


def _offer_shipping(
    ctx: RequestContext, session: dict[str, Any], options: list[dict[str, Any]]
) -> None:
    """`shipping_options`: each an existing rate or `shipping_rate_data` for a new one,
    priced in the session's currency. The first is charged (`shipping_cost`) until the
    buyer chooses another (`model.choose_shipping`)."""
    offered = []
    for index, entry in enumerate(options):
        prefix = f"shipping_options[{index}]"
        if entry.get("shipping_rate") and entry.get("shipping_rate_data"):
            raise _only_one(f"{prefix}[shipping_rate]", f"{prefix}[shipping_rate_data]")
        if entry.get("shipping_rate_data"):
            param = f"{prefix}[shipping_rate_data]"
            rate = shipping_rates.build(ctx, entry["shipping_rate_data"], prefix=param)
        elif entry.get("shipping_rate"):
            param = f"{prefix}[shipping_rate]"
            rate = shipping_rates.choose(ctx, entry["shipping_rate"], param=param)
        else:
            # Proposal: Stripe's wording for an empty shipping option was not recorded.
            raise InvalidRequestError(
                f"You must provide {prefix}[shipping_rate] or {prefix}[shipping_rate_data].",
                param=f"{prefix}[shipping_rate]",
                code="parameter_missing",
            )
        amount = shipping_rates.amount_in(rate, session["currency"], param=param)
        offered.append({"shipping_amount": amount, "shipping_rate": rate["id"]})
    if not offered:
        return
    session["shipping_options"] = offered
    model.charge_shipping(session, offered[0])


def open_for_link(
    ctx: RequestContext, link: dict[str, Any], items: list[dict[str, Any]]
) -> dict[str, Any]:
    """A new session for a payment link's buyer: the link's items (copied, with new ids)
    and settings; a subscription when any price recurs."""
    copies = [
        line_items.new_item(ctx, item["price"], item["quantity"], item["adjustable_quantity"])
        for item in items
    ]
    mode = "subscription" if any(item["price"].get("recurring") for item in copies) else "payment"
    after = link["after_completion"]
    params: dict[str, Any] = {
        "allow_promotion_codes": link["allow_promotion_codes"],
        "billing_address_collection": link["billing_address_collection"],
        "payment_method_collection": link["payment_method_collection"],
        "submit_type": link["submit_type"],
        "payment_intent_data": link["payment_intent_data"] if mode == "payment" else None,
        "subscription_data": link["subscription_data"] if mode == "subscription" else None,
    }
    if mode == "payment":
        params["customer_creation"] = link["customer_creation"]
    if after["type"] == "redirect":
        params["success_url"] = after["redirect"]["url"]
    session = model.new_session(ctx, params, mode, copies)
    session["payment_link"] = link["id"]
    state = model.new_state(session["id"], params, ctx.now)
    model.compute_totals(ctx, session, state)
    ctx.insert(session)
    ctx.insert(state)
    ctx.schedule(session["expires_at"], EXPIRE_TIMER, session["id"])
    return session


def retrieve(ctx: RequestContext, params: dict[str, Any], session: str) -> dict[str, Any]:
    return model.load(ctx, session)


def update(ctx: RequestContext, params: dict[str, Any], session: str) -> dict[str, Any]:
    obj = model.load(ctx, session)
    if obj["status"] != "open":
        raise InvalidRequestError(
            f"This Checkout Session is {obj['status']} and can no longer be updated. Only "
            "open Checkout Sessions can be updated."
        )
    previous: dict[str, Any] = {}
    if "metadata" in params:
        previous["metadata"] = obj["metadata"]
        obj["metadata"] = metadata.merge(obj["metadata"], params["metadata"])
    for index, entry in enumerate(params.get("line_items") or []):
        _update_item(obj, entry, index)
    if params.get("line_items"):
        model.compute_totals(ctx, obj, model.state_of(ctx, obj))
    ctx.save(obj)
    return obj


def _update_item(session: dict[str, Any], entry: dict[str, Any], index: int) -> None:
    """Change the quantity of an existing line item (found by `id`)."""
    wanted = entry.get("id")
    for item in model.items_of(session):
        if item["id"] == wanted:
            if "quantity" in entry:
                line_items.set_quantity(item, entry["quantity"])
            return
    raise InvalidRequestError(
        f"No line item with id '{wanted}' on this Checkout Session.",
        param=f"line_items[{index}][id]",
    )


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = tuple(
        Filter((name,), "eq", params[name])
        for name in ("customer", "status", "payment_intent", "subscription", "payment_link")
        if params.get(name)
    )
    return list_objects(ctx, TYPE, params, "/v1/checkout/sessions", filters)


def list_line_items(ctx: RequestContext, params: dict[str, Any], session: str) -> dict[str, Any]:
    obj = model.load(ctx, session)
    return line_items.page(model.items_of(obj), params, model.items_url(obj["id"]))


def expire(ctx: RequestContext, params: dict[str, Any], session: str) -> dict[str, Any]:
    obj = model.load(ctx, session)
    if obj["status"] != "open":
        raise InvalidRequestError(
            f'Only Checkout Sessions with a status in ["open"] can be expired; this one is '
            f"{obj['status']}."
        )
    expire_now(ctx, obj)
    return obj


def expire_now(ctx: RequestContext, session: dict[str, Any]) -> None:
    """Close an open session: its incomplete PaymentIntent is canceled, as Stripe does."""
    if session["payment_intent"]:
        intent = ctx.find("payment_intent", session["payment_intent"])
        if intent is not None and intent["status"] in (
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        ):
            intent_handlers.cancel(ctx, {}, intent["id"])
    session.update(status="expired", url=None)
    ctx.save(session)
    ctx.emit("checkout.session.expired", model.shown(session))


def run_expiry(ctx: RequestContext, session_id: str) -> None:
    session = ctx.find(TYPE, session_id)
    if session is not None and session["status"] == "open" and ctx.now >= session["expires_at"]:
        expire_now(ctx, session)


ROUTES = [
    Route("POST", "/v1/checkout/sessions", create),
    Route("GET", "/v1/checkout/sessions", list_),
    Route("GET", "/v1/checkout/sessions/{session}", retrieve),
    Route("POST", "/v1/checkout/sessions/{session}", update),
    Route("GET", "/v1/checkout/sessions/{session}/line_items", list_line_items),
    Route("POST", "/v1/checkout/sessions/{session}/expire", expire),
]
TIMERS = {EXPIRE_TIMER: run_expiry}
