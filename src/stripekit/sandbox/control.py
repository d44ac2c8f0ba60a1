"""Sandbox control endpoints under `/_sandbox/` (not part of Stripe's API).

They let a test or a developer move the sandbox clock and issue restricted keys over
HTTP; the same operations exist as methods on `Sandbox` for in-process use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .framework import outbox, permissions, settings
from .framework.context import RequestContext
from .framework.errors import InvalidRequestError
from .framework.routing import Route

if TYPE_CHECKING:
    from .engine import Engine


def _int_param(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        if value is None:
            raise InvalidRequestError(
                f"Missing required param: {name}.", param=name, code="parameter_missing"
            ) from None
        raise InvalidRequestError(
            f"Invalid integer: {value}", param=name, code="parameter_invalid_integer"
        ) from None


def get_clock(engine: Engine, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"object": "sandbox.clock", "now": ctx.now}


def advance_clock(engine: Engine, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if "to" in params:
        target = _int_param(params, "to")
        if target < ctx.now:
            raise InvalidRequestError("The sandbox clock only moves forward.", param="to")
        seconds = target - ctx.now
    else:
        seconds = _int_param(params, "seconds")
        if seconds < 0:
            raise InvalidRequestError("The sandbox clock only moves forward.", param="seconds")
    now = engine.clock.advance(seconds)
    ctx.tx.meta_put("clock_offset", repr(engine.clock.current_offset()))
    return {"object": "sandbox.clock", "now": now}


def create_restricted_key(
    engine: Engine, ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    granted = permissions.check(params.get("permissions"))
    key = engine.issue_key(ctx.tx, ctx.account, granted)
    return {"object": "sandbox.restricted_key", "secret": key, "permissions": granted}


def get_settings(engine: Engine, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"object": "sandbox.settings", **settings.all_for(ctx.tx, ctx.account)}


def update_settings(engine: Engine, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    for name, value in params.items():
        settings.put(ctx.tx, ctx.account, name, str(value))
    return get_settings(engine, ctx, params)


def list_webhook_deliveries(
    engine: Engine, ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """The account's webhook deliveries, newest first, with every attempt."""
    limit = _int_param(params, "limit") if params.get("limit") not in (None, "") else 100
    if not 1 <= limit <= 1000:
        raise InvalidRequestError("limit must be between 1 and 1000.", param="limit")
    found = ctx.tx.deliveries(
        ctx.account,
        event=params.get("event") or None,
        endpoint=params.get("endpoint") or None,
        limit=limit + 1,
    )
    return {
        "object": "list",
        "data": [outbox.render(d) for d in found[:limit]],
        "has_more": len(found) > limit,
        "url": "/_sandbox/webhook_deliveries",
    }


ROUTES = [
    Route("GET", "/_sandbox/clock", get_clock, control=True),
    Route("POST", "/_sandbox/clock/advance", advance_clock, control=True),
    Route("POST", "/_sandbox/restricted_keys", create_restricted_key, control=True),
    Route("GET", "/_sandbox/settings", get_settings, control=True),
    Route("POST", "/_sandbox/settings", update_settings, control=True),
    Route(
        "GET",
        "/_sandbox/webhook_deliveries",
        list_webhook_deliveries,
        permission="webhook_endpoints",
        control=True,
    ),
]
