"""List endpoints: Stripe's cursor pagination over the store, newest first."""

from __future__ import annotations

from typing import Any

from ..store import CursorNotFound, Filter
from .context import RequestContext
from .errors import InvalidRequestError, ResourceMissing

LIST_PARAMS = ("limit", "starting_after", "ending_before", "created", "expand")
EMBEDDED = 10  # children a parent shows in its embedded list (a charge's refunds ...)


def embedded_list(url: str) -> dict[str, Any]:
    """An empty list a parent object carries (a transfer's `reversals` ...)."""
    return {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": url}


def embed(listing: dict[str, Any], child: dict[str, Any], *, new: bool = False) -> None:
    """Show a new or changed child in its parent's embedded list (newest first, the
    first `EMBEDDED`; a changed child too old to be shown there changes nothing)."""
    if not new:
        for i, shown in enumerate(listing["data"]):
            if shown["id"] == child["id"]:
                listing["data"][i] = child
        return
    listing["data"].insert(0, child)
    listing["total_count"] = listing.get("total_count", 0) + 1
    del listing["data"][EMBEDDED:]
    listing["has_more"] = listing["total_count"] > len(listing["data"])


def limit_of(params: dict[str, Any]) -> int:
    """Stripe clamps an out-of-range limit into 1..100 instead of rejecting it."""
    limit = params.get("limit", 10)
    if limit == "" or limit is None:
        return 10
    return min(max(int(limit), 1), 100)


def cursors(params: dict[str, Any]) -> tuple[str | None, str | None]:
    starting_after = params.get("starting_after") or None
    ending_before = params.get("ending_before") or None
    if starting_after and ending_before:
        raise InvalidRequestError(
            "Received both starting_after and ending_before parameters. Please pass in only one."
        )
    return starting_after, ending_before


def created_range(value: Any, param: str = "created") -> dict[str, int] | None:
    """`created=N` or `created[gt|gte|lt|lte]=N` (already integers after validation)."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return {"gte": value, "lte": value}
    if isinstance(value, dict):
        return {op: v for op, v in value.items() if v != ""}
    raise InvalidRequestError(
        "Invalid integer: " + str(value), param=param, code="parameter_invalid_integer"
    )


def in_range(value: int, bounds: dict[str, int] | None) -> bool:
    """Whether `value` passes a `created`-style range (`gt`, `gte`, `lt`, `lte`)."""
    bounds = bounds or {}
    return (
        ("gt" not in bounds or value > bounds["gt"])
        and ("gte" not in bounds or value >= bounds["gte"])
        and ("lt" not in bounds or value < bounds["lt"])
        and ("lte" not in bounds or value <= bounds["lte"])
    )


def page_in_memory(
    everything: list[dict[str, Any]],
    matching: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    noun: str,
    url: str,
) -> dict[str, Any]:
    """Stripe's cursor paging over objects filtered here rather than by the store (a
    filter on something derived, such as a clock-dependent flag). `everything` is the
    whole list newest first, so a cursor the filters leave out still marks a place;
    `matching` is the filtered ones, in the same order."""
    position = {obj["id"]: i for i, obj in enumerate(everything)}
    starting_after, ending_before = cursors(params)
    limit = limit_of(params)
    for cursor, which in ((starting_after, "starting_after"), (ending_before, "ending_before")):
        if cursor and cursor not in position:
            raise ResourceMissing(noun, cursor, param=which, status=400)
    if starting_after:
        rest = [obj for obj in matching if position[obj["id"]] > position[starting_after]]
        data, has_more = rest[:limit], len(rest) > limit
    elif ending_before:
        rest = [obj for obj in matching if position[obj["id"]] < position[ending_before]]
        data, has_more = rest[-limit:], len(rest) > limit
    else:
        data, has_more = matching[:limit], len(matching) > limit
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def list_objects(
    ctx: RequestContext,
    type_: str,
    params: dict[str, Any],
    url: str,
    filters: tuple[Filter, ...] = (),
    *,
    noun: str | None = None,
) -> dict[str, Any]:
    starting_after, ending_before = cursors(params)
    try:
        page = ctx.tx.page(
            ctx.account,
            type_,
            filters=filters,
            created=created_range(params.get("created")),
            limit=limit_of(params),
            starting_after=starting_after,
            ending_before=ending_before,
        )
    except CursorNotFound as exc:
        which = "starting_after" if starting_after == exc.id else "ending_before"
        raise ResourceMissing(noun or type_, exc.id, param=which, status=400) from None
    return {"object": "list", "data": page.items, "has_more": page.has_more, "url": url}
