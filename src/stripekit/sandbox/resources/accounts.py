"""Connected accounts: /v1/accounts (create, retrieve, update, delete, list), the caller's
own account (`GET /v1/account`) and onboarding links (`POST /v1/account_links`).

A connected account is a sandbox account of its own: its objects, balance and events live
under its id, as any key's account does. The `account` object describing it is stored on
the platform that created it (so the platform lists it and `Stripe-Account` finds it
there), and a marker stored on the connected account names its platform (so its events
reach the platform's Connect webhook endpoints, and `GET /v1/account` made as it answers
its own object).

Test mode is kept simple: every capability requested becomes `active` at once, and the
account can take charges and receive payouts from the start, as a Stripe test account
does once its required information is given. Nothing is ever `currently_due`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..framework import connect, metadata, pages, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route

OBJECT = "account"
ACCOUNT_TYPES = ("custom", "express", "standard")
# What each account type means for its controller (Stripe's mapping of the legacy `type`).
_CONTROLLERS: dict[str, dict[str, Any]] = {
    "custom": {
        "fees": {"payer": "application_custom"},
        "is_controller": True,
        "losses": {"payments": "application"},
        "requirement_collection": "application",
        "stripe_dashboard": {"type": "none"},
        "type": "application",
    },
    "express": {
        "fees": {"payer": "application_express"},
        "is_controller": True,
        "losses": {"payments": "application"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "express"},
        "type": "application",
    },
    "standard": {
        "fees": {"payer": "account"},
        "is_controller": True,
        "losses": {"payments": "stripe"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "full"},
        "type": "application",
    },
}
UPDATABLE = ("business_type", "default_currency", "email", "metadata")
LINK_SECONDS = 300  # an account link expires a few minutes after it is made
COUNTRY = "US"


def application_id(platform: str) -> str:
    """The platform's Connect application (`ca_...`), named after the platform's account."""
    return "ca_" + platform.removeprefix("acct_")


def acting_as(ctx: RequestContext, account: str) -> RequestContext:
    """The same request acting on another account (a connected account's side of a
    transfer): its own objects and events, sharing the request's outbox."""
    return dataclasses.replace(ctx, account=account, events=[])


def connected(ctx: RequestContext, account_id: str, *, param: str) -> dict[str, Any]:
    """An account connected to the acting account, or Stripe's 400 `resource_missing`."""
    return ctx.load(OBJECT, account_id, param=param, in_path=False)


def _requirements() -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


def _business_profile(given: dict[str, Any] | None) -> dict[str, Any]:
    given = given or {}
    return {
        "mcc": given.get("mcc"),
        "name": given.get("name"),
        "product_description": given.get("product_description"),
        "support_email": given.get("support_email"),
        "support_phone": given.get("support_phone"),
        "support_url": given.get("support_url"),
        "url": given.get("url"),
    }


def _given(profile: dict[str, Any]) -> dict[str, Any]:
    """The business profile fields an update names (`""` clears one)."""
    shown = _business_profile(None)
    return {k: (v or None) for k, v in profile.items() if k in shown}


def _capabilities(requested: Any) -> dict[str, str]:
    """Requested capabilities are active at once (the sandbox's simplification)."""
    if not isinstance(requested, dict):
        return {}
    return {
        name: "active"
        for name, ask in sorted(requested.items())
        if isinstance(ask, dict) and ask.get("requested") in (True, "true")
    }


def _settings(given: dict[str, Any] | None) -> dict[str, Any]:
    payments = (given or {}).get("payments") or {}
    return {
        "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
        "card_payments": {
            "decline_on": {"avs_failure": False, "cvc_failure": False},
            "statement_descriptor_prefix": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
        "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "always"},
        "payments": {
            "statement_descriptor": payments.get("statement_descriptor"),
            "statement_descriptor_kana": None,
            "statement_descriptor_kanji": None,
        },
        "payouts": {
            "debit_negative_balances": True,
            "schedule": {"delay_days": 2, "interval": "daily"},
            "statement_descriptor": None,
        },
    }


def _account(
    ctx: RequestContext,
    account_id: str,
    *,
    account_type: str,
    controller: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    country = params.get("country") or COUNTRY
    currency = params.get("default_currency") or "usd"
    capabilities = _capabilities(params.get("capabilities"))
    return {
        "id": account_id,
        "object": OBJECT,
        "business_profile": _business_profile(params.get("business_profile")),
        "business_type": params.get("business_type") or None,
        "capabilities": capabilities,
        "charges_enabled": capabilities.get("card_payments") == "active",
        "controller": controller,
        "country": country,
        "created": ctx.now,
        "default_currency": currency,
        "details_submitted": True,
        "email": params.get("email") or None,
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
        "future_requirements": _requirements(),
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "payouts_enabled": capabilities.get("transfers") == "active",
        "requirements": _requirements(),
        "settings": _settings(params.get("settings")),
        "tos_acceptance": {
            "date": (params.get("tos_acceptance") or {}).get("date"),
            "ip": (params.get("tos_acceptance") or {}).get("ip"),
            "user_agent": (params.get("tos_acceptance") or {}).get("user_agent"),
        },
        "type": account_type,
    }


def _account_type(params: dict[str, Any]) -> str:
    """The legacy `type`, or the one a `controller` hash describes."""
    if params.get("type"):
        if params.get("controller"):
            # Stripe refuses the two together; its exact wording was not recorded.
            raise InvalidRequestError(
                "You cannot specify `type` and `controller` at the same time.", param="type"
            )
        return str(params["type"])
    controller = params.get("controller")
    if not controller:
        # Proposal: Stripe asks for one of the two; the wording here is the sandbox's.
        raise InvalidRequestError(
            "You must specify either `type` or `controller` to create an account.",
            param="type",
        )
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    if dashboard == "express":
        return "express"
    if dashboard == "full" or (controller.get("fees") or {}).get("payer") == "account":
        return "standard"
    return "custom"


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.platform() is not None:
        # Proposal: a connected account is not a platform in the sandbox.
        raise InvalidRequestError(
            "A connected account cannot create connected accounts of its own."
        )
    account_type = _account_type(params)
    account_id = ctx.new_id("acct", 16)
    account = _account(
        ctx,
        account_id,
        account_type=account_type,
        controller=_CONTROLLERS[account_type],
        params=params,
    )
    ctx.insert(account)
    connect.mark(ctx.tx, account_id, ctx.account)
    ctx.emit("account.updated", account)
    return account


def _find(ctx: RequestContext, account: str) -> dict[str, Any]:
    return ctx.load(OBJECT, account, param="account")


def retrieve(ctx: RequestContext, params: dict[str, Any], account: str) -> dict[str, Any]:
    if account == ctx.account:
        return retrieve_own(ctx, params)
    return _find(ctx, account)


def update(ctx: RequestContext, params: dict[str, Any], account: str) -> dict[str, Any]:
    obj = _find(ctx, account)
    previous = updates.apply(obj, params, UPDATABLE)
    if isinstance(params.get("business_profile"), dict):
        profile = {**obj["business_profile"], **_given(params["business_profile"])}
        if profile != obj["business_profile"]:
            previous["business_profile"] = obj["business_profile"]
            obj["business_profile"] = profile
    requested = _capabilities(params.get("capabilities"))
    if requested and {**obj["capabilities"], **requested} != obj["capabilities"]:
        previous["capabilities"] = dict(obj["capabilities"])
        obj["capabilities"] = {**obj["capabilities"], **requested}
        obj["charges_enabled"] = obj["capabilities"].get("card_payments") == "active"
        obj["payouts_enabled"] = obj["capabilities"].get("transfers") == "active"
    if previous:
        ctx.save(obj)
        ctx.emit("account.updated", obj, previous)
    return obj


def delete(ctx: RequestContext, params: dict[str, Any], account: str) -> dict[str, Any]:
    """Test-mode accounts can be deleted whatever their type (Stripe keeps live Standard
    accounts from it). Stripe sends no event for a deletion."""
    obj = _find(ctx, account)
    ctx.remove(OBJECT, obj["id"])
    connect.unmark(ctx.tx, obj["id"])
    return {"id": obj["id"], "object": OBJECT, "deleted": True}


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return list_objects(ctx, OBJECT, params, "/v1/accounts")


def retrieve_own(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The caller's account: a connected account's own object, or the platform (every
    key's account) as a Standard account controlled by itself."""
    platform = ctx.platform()
    if platform is not None:
        own = ctx.tx.get(platform, OBJECT, ctx.account)
        if own is not None:
            return own
    account = _account(
        ctx,
        ctx.account,
        account_type="standard",
        controller={"type": "account"},
        params={"capabilities": {"card_payments": {"requested": True}}},
    )
    account["capabilities"]["transfers"] = "active"
    account["payouts_enabled"] = True
    # The sandbox keeps no creation time for a key's account: the epoch stands for it.
    account["created"] = 0
    return account


# -- onboarding links ---------------------------------------------------------------------


def create_link(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    account = connected(ctx, params["account"], param="account")
    return_url = params.get("return_url")
    if not return_url:
        # Proposal: Stripe requires a return URL for onboarding links.
        raise InvalidRequestError("Missing required param: return_url.", param="return_url")
    link_id = ctx.new_id("acctlink", 14)
    ctx.tx.insert(
        ctx.account,
        "account_link.target",
        {
            "id": link_id,
            "object": "account_link.target",
            "created": ctx.now,
            "account": account["id"],
            "return_url": return_url,
        },
    )
    base = ctx.base_url.rstrip("/")
    return {
        "object": "account_link",
        "created": ctx.now,
        "expires_at": ctx.now + LINK_SECONDS,
        "url": f"{base}/_sandbox/pages/account_links/{ctx.account}/{link_id}",
    }


def onboarding_page(ctx: RequestContext, params: dict[str, Any], link: str) -> pages.Page:
    """The hosted onboarding page: the sandbox asks nothing, so it sends the browser
    straight back to the platform's `return_url`."""
    target = ctx.tx.get(ctx.account, "account_link.target", link)
    if target is None:
        raise ResourceMissing("account link", link)
    return pages.redirect(target["return_url"])


ROUTES = [
    Route("POST", "/v1/accounts", create),
    Route("GET", "/v1/accounts", list_),
    Route("GET", "/v1/accounts/{account}", retrieve),
    Route("POST", "/v1/accounts/{account}", update),
    Route("DELETE", "/v1/accounts/{account}", delete),
    Route("GET", "/v1/account", retrieve_own),
    Route("POST", "/v1/account_links", create_link),
    Route(
        "GET",
        "/_sandbox/pages/account_links/{account}/{link}",
        onboarding_page,
        public=True,
    ),
]
