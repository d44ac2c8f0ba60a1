"""Events: /v1/events (retrieve, list). Resources record them through `ctx.emit`."""

from __future__ import annotations

from typing import Any

from ..framework.context import RequestContext
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter


def _type_filter(pattern: str) -> Filter:
    # `customer.*` matches every customer event, as Stripe's `type` filter allows.
    if "*" in pattern:
        escaped = pattern.replace("%", r"\%").replace("_", r"\_").replace("*", "%")
        return Filter(("type",), "like", escaped)
    return Filter(("type",), "eq", pattern)


def retrieve(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.load("event", id)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    if params.get("type"):
        filters.append(_type_filter(params["type"]))
    if params.get("types"):
        filters.append(Filter(("type",), "in", tuple(params["types"])))
    return list_objects(ctx, "event", params, "/v1/events", tuple(filters))


ROUTES = [
    Route("GET", "/v1/events", list_),
    Route("GET", "/v1/events/{id}", retrieve),
]
