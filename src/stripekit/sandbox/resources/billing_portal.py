"""The customer portal: /v1/billing_portal/sessions and /v1/billing_portal/configurations,
and the sandbox page a portal session's `url` opens.

The page lists the customer's subscriptions with a cancel button (at period end or at
once, as the configuration's `subscription_cancel[mode]` says) and a form that saves a
new card as the customer's default; a link goes back to `return_url`. Every change goes
through the subscriptions, payment methods and customers code, with their events.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..framework import metadata, pages
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, StripeError
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter
from . import customers, payment_methods
from .checkout_sessions.completion import card_from_form
from .payment_intents.money import format_amount
from .subscriptions import handlers as subscription_handlers
from .subscriptions import updates as subscription_updates

SESSION = "billing_portal.session"
CONFIGURATION = "billing_portal.configuration"
PAGE = "/_sandbox/pages/billing_portal/{account}/{session}"
_SHOWN = ("active", "trialing", "past_due", "unpaid", "paused", "incomplete")


# -- configurations -------------------------------------------------------------------------


def _features(
    given: dict[str, Any] | None, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    features: dict[str, Any] = current or {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "options": []},
            "enabled": True,
            "mode": "at_period_end",
            "proration_behavior": "none",
        },
        "subscription_update": {
            "billing_cycle_anchor": None,
            "default_allowed_updates": [],
            "enabled": False,
            "proration_behavior": "none",
            "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
        },
    }
    for name, values in (given or {}).items():
        if name in features and isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, dict) and isinstance(features[name].get(key), dict):
                    features[name][key].update(value)
                else:
                    features[name][key] = value
    return features


def _new_configuration(
    ctx: RequestContext, params: dict[str, Any], config_id: str, *, default: bool
) -> dict[str, Any]:
    profile = params.get("business_profile") or {}
    return {
        "id": config_id,
        "object": CONFIGURATION,
        "active": True,
        "application": None,
        "business_profile": {
            "headline": profile.get("headline"),
            "privacy_policy_url": profile.get("privacy_policy_url"),
            "terms_of_service_url": profile.get("terms_of_service_url"),
        },
        "created": ctx.now,
        "default_return_url": params.get("default_return_url") or None,
        "features": _features(params.get("features")),
        "is_default": default,
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "name": params.get("name") or None,
        "updated": ctx.now,
    }


def default_configuration(ctx: RequestContext) -> dict[str, Any]:
    """The account's default configuration, made on first use (stable id per account)."""
    config_id = "bpc_1" + hashlib.blake2b(ctx.account.encode(), digest_size=12).hexdigest()[:23]
    found = ctx.find(CONFIGURATION, config_id)
    if found is not None:
        return found
    return ctx.insert(_new_configuration(ctx, {}, config_id, default=True))


def create_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    default_configuration(ctx)
    config = _new_configuration(ctx, params, ctx.new_id("bpc"), default=False)
    ctx.insert(config)
    ctx.emit("billing_portal.configuration.created", config)
    return config


def _load_configuration(
    ctx: RequestContext, config_id: str, *, in_path: bool = True
) -> dict[str, Any]:
    if in_path:
        default_configuration(ctx)
    return ctx.load(
        CONFIGURATION, config_id, param="configuration", noun=CONFIGURATION, in_path=in_path
    )


def retrieve_configuration(
    ctx: RequestContext, params: dict[str, Any], configuration: str
) -> dict[str, Any]:
    return _load_configuration(ctx, configuration)


def update_configuration(
    ctx: RequestContext, params: dict[str, Any], configuration: str
) -> dict[str, Any]:
    config = _load_configuration(ctx, configuration)
    if params.get("active") is False and config["is_default"]:
        raise InvalidRequestError(
            "You cannot deactivate the default configuration.", param="active"
        )
    for name in ("active", "default_return_url", "name"):
        if name in params:
            config[name] = params[name] if params[name] != "" else None
    if "business_profile" in params:
        config["business_profile"].update(params["business_profile"] or {})
    if "features" in params:
        config["features"] = _features(params["features"], config["features"])
    if "metadata" in params:
        config["metadata"] = metadata.merge(config["metadata"], params["metadata"])
    config["updated"] = ctx.now
    ctx.save(config)
    ctx.emit("billing_portal.configuration.updated", config)
    return config


def list_configurations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    default_configuration(ctx)
    filters = tuple(
        Filter((name,), "eq", params[name]) for name in ("active", "is_default") if name in params
    )
    return list_objects(ctx, CONFIGURATION, params, "/v1/billing_portal/configurations", filters)


# -- sessions -------------------------------------------------------------------------------


def create_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("customer"):
        raise InvalidRequestError(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    customer = ctx.load("customer", params["customer"], param="customer", in_path=False)
    if params.get("configuration"):
        config = _load_configuration(ctx, params["configuration"], in_path=False)
        if not config["active"]:
            raise InvalidRequestError("This configuration is inactive.", param="configuration")
    else:
        config = default_configuration(ctx)
    return_url = params.get("return_url") or config["default_return_url"]
    session_id = ctx.new_id("bps")
    session = {
        "id": session_id,
        "object": SESSION,
        "configuration": config["id"],
        "created": ctx.now,
        "customer": customer["id"],
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": params.get("locale"),
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{ctx.base_url.rstrip('/')}/_sandbox/pages/billing_portal/{ctx.account}/"
        f"{session_id}",
    }
    ctx.insert(session)
    return session


# -- the page -------------------------------------------------------------------------------


def _subscriptions(ctx: RequestContext, customer_id: str) -> list[dict[str, Any]]:
    mine = Filter(("customer",), "eq", customer_id)
    found = [s for s in ctx.tx.scan(ctx.account, "subscription", (mine,)) if s["status"] in _SHOWN]
    return sorted(found, key=lambda s: s["created"], reverse=True)


def _subscription_html(ctx: RequestContext, sub: dict[str, Any], can_cancel: bool) -> str:
    items = sub["items"]["data"]
    names = ", ".join(
        pages.escape(
            (ctx.find("product", i["price"]["product"]) or {}).get("name") or i["price"]["id"]
        )
        for i in items
    )
    amount = sum((i["price"].get("unit_amount") or 0) * (i.get("quantity") or 1) for i in items)
    interval = (items[0]["price"].get("recurring") or {}).get("interval", "") if items else ""
    state = pages.escape(sub["status"])
    if sub.get("cancel_at_period_end"):
        state += " &middot; cancels at the end of the period"
    button = ""
    if can_cancel and not sub.get("cancel_at_period_end"):
        button = (
            "<form method=post style=display:inline><input type=hidden name=action value=cancel>"
            f"<input type=hidden name=subscription value={pages.escape(sub['id'])}>"
            f"<button type=submit class=secondary id=cancel-{pages.escape(sub['id'])}>"
            "Cancel plan</button></form>"
        )
    return (
        f"<li><b>{names}</b> &middot; {pages.escape(format_amount(amount, sub['currency']))}"
        f"/{pages.escape(interval)} <span class=muted>({state})</span> {button}</li>"
    )


def _render(
    ctx: RequestContext, session: dict[str, Any], error: str | None = None, status: int = 200
) -> pages.Page:
    customer = ctx.load("customer", session["customer"])
    config = ctx.find(CONFIGURATION, session["configuration"]) or default_configuration(ctx)
    features = config["features"]
    subs = _subscriptions(ctx, customer["id"])
    can_cancel = bool(features["subscription_cancel"]["enabled"])
    listed = "".join(_subscription_html(ctx, sub, can_cancel) for sub in subs)
    default_pm = (customer.get("invoice_settings") or {}).get("default_payment_method")
    card_text = "No default card"
    found = ctx.find("payment_method", default_pm or "")
    if found is not None and found.get("card"):
        card_text = f"{found['card']['brand'].title()} ending in {found['card']['last4']}"
    card_form = ""
    if features["payment_method_update"]["enabled"]:
        card_form = (
            "<h2>Payment method</h2>"
            f"<p id=default-card>{pages.escape(card_text)}</p>"
            "<form method=post><input type=hidden name=action value=card>"
            "<p><label>Card number<br><input name=card_number inputmode=numeric required>"
            '</label></p><p><label>Expiry<br><input name=exp placeholder="MM / YY" required>'
            "</label> <label>CVC<br><input name=cvc inputmode=numeric></label></p>"
            "<button type=submit id=save-card>Save card</button></form>"
        )
    back = (
        f'<p><a href="{pages.escape(session["return_url"])}" id=return>Return</a></p>'
        if session.get("return_url")
        else ""
    )
    error_html = f"<p class=error role=alert id=error>{pages.escape(error)}</p>" if error else ""
    page = pages.render(
        "Billing portal",
        f"<h1>{pages.escape(customer.get('email') or customer['id'])}</h1>{error_html}"
        f"<h2>Subscriptions</h2><ul>{listed or '<li>No subscriptions</li>'}</ul>"
        f"{card_form}{back}",
    )
    page.status = status
    return page


def _load_session(ctx: RequestContext, session_id: str) -> dict[str, Any]:
    session = ctx.find(SESSION, session_id)
    if session is None:
        raise InvalidRequestError("This portal session does not exist.", status=404)
    return session


def show(ctx: RequestContext, params: dict[str, Any], session: str) -> pages.Page:
    return _render(ctx, _load_session(ctx, session))


def submit(ctx: RequestContext, params: dict[str, Any], session: str) -> pages.Page:
    obj = _load_session(ctx, session)
    config = ctx.find(CONFIGURATION, obj["configuration"]) or default_configuration(ctx)
    ctx.tx.savepoint()
    try:
        if params.get("action") == "cancel":
            _cancel(ctx, obj, config, str(params.get("subscription") or ""))
        elif params.get("action") == "card":
            _save_card(ctx, obj, params)
        else:
            raise InvalidRequestError("`action` must be cancel or card.")
    except StripeError as exc:
        ctx.tx.rollback_savepoint()
        return _render(ctx, obj, exc.message, status=400 if exc.status != 402 else 402)
    ctx.tx.release_savepoint()
    return pages.redirect(
        f"{ctx.base_url.rstrip('/')}{PAGE.format(account=ctx.account, session=obj['id'])}"
    )


def _cancel(
    ctx: RequestContext, session: dict[str, Any], config: dict[str, Any], sub_id: str
) -> None:
    cancel = config["features"]["subscription_cancel"]
    if not cancel["enabled"]:
        raise InvalidRequestError("Canceling subscriptions is turned off for this portal.")
    sub = ctx.find("subscription", sub_id)
    if sub is None or sub["customer"] != session["customer"]:
        raise InvalidRequestError("This subscription does not belong to this customer.")
    if cancel["mode"] == "immediately":
        subscription_handlers.cancel_now(
            ctx, sub, {"prorate": cancel["proration_behavior"] != "none"}
        )
    else:
        subscription_updates.apply_update(ctx, sub, {"cancel_at_period_end": True})


def _save_card(ctx: RequestContext, session: dict[str, Any], form: dict[str, Any]) -> None:
    card = card_from_form(ctx, form)
    payment_methods.attach(ctx, {"customer": session["customer"]}, card["id"])
    customers.update(
        ctx, {"invoice_settings": {"default_payment_method": card["id"]}}, session["customer"]
    )


ROUTES = [
    Route("POST", "/v1/billing_portal/sessions", create_session),
    Route("POST", "/v1/billing_portal/configurations", create_configuration),
    Route("GET", "/v1/billing_portal/configurations", list_configurations),
    Route("GET", "/v1/billing_portal/configurations/{configuration}", retrieve_configuration),
    Route("POST", "/v1/billing_portal/configurations/{configuration}", update_configuration),
    Route("GET", PAGE, show, public=True),
    Route("POST", PAGE, submit, public=True),
]
