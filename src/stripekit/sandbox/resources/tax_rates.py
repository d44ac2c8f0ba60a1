"""Tax rates: /v1/tax_rates (create, retrieve, update, list).

A tax rate is a manually defined percentage (`rate_type: "percentage"`, no
`flat_amount`, no `jurisdiction_level`: those describe rates Stripe Tax makes). Its
`percentage` and `inclusive` never change once created, which is why invoices may keep a
copy of the rate (`snapshot`) and compute with it later. Tax rates cannot be deleted;
archiving one (`active: false`) keeps it working where it is already applied but refuses
it for new applications (`resolve`).

How the rates turn into tax on invoices lives in `invoices.taxes`.
"""

from __future__ import annotations

import copy
from typing import Any

from ..framework import metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.params import empty_string_error
from ..framework.routing import Route
from ..store import Filter

OBJECT = "tax_rate"
# Stripe's "No such tax rate: 'txr_...'" spells the object with a space.
NOUN = "tax rate"
UPDATABLE = (
    "active",
    "country",
    "description",
    "display_name",
    "jurisdiction",
    "metadata",
    "state",
    "tax_type",
)
PERCENT_MAX = 100.0


def _find(ctx: RequestContext, tax_rate: str) -> dict[str, Any]:
    return ctx.load(OBJECT, tax_rate, param="tax_rate", noun=NOUN)


def _check_percentage(value: Any) -> float:
    # Proposal: no recorded Stripe body for an out-of-range percentage; the wording
    # follows the coupon's probed range messages.
    number = float(value)
    if number < 0:
        raise InvalidRequestError(
            f"This value must be greater than or equal to 0 (it currently is '{number!r}').",
            param="percentage",
        )
    if number > PERCENT_MAX:
        raise InvalidRequestError(
            f"This value must be less than or equal to 100 (it currently is '{number!r}').",
            param="percentage",
        )
    return number


def _number(value: float) -> int | float:
    """Stripe shows a whole percentage as an integer (`19`) and keeps decimals (`8.875`)."""
    return int(value) if float(value).is_integer() else value


def _text(value: Any) -> str | None:
    return value or None


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    display_name = params["display_name"]
    if not display_name:
        raise empty_string_error("display_name")
    percentage = _number(_check_percentage(params["percentage"]))
    rate: dict[str, Any] = {
        "id": ctx.new_id("txr"),
        "object": OBJECT,
        "active": bool(params.get("active", True)),
        "country": _text(params.get("country")),
        "created": ctx.now,
        "description": _text(params.get("description")),
        "display_name": display_name,
        # A manual rate applies in full: its effective percentage is its percentage.
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": bool(params["inclusive"]),
        "jurisdiction": _text(params.get("jurisdiction")),
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "percentage": percentage,
        "rate_type": "percentage",
        "state": _text(params.get("state")),
        "tax_type": _text(params.get("tax_type")),
    }
    ctx.insert(rate)
    ctx.emit("tax_rate.created", rate)
    return rate


def retrieve(ctx: RequestContext, params: dict[str, Any], tax_rate: str) -> dict[str, Any]:
    return _find(ctx, tax_rate)


def update(ctx: RequestContext, params: dict[str, Any], tax_rate: str) -> dict[str, Any]:
    rate = _find(ctx, tax_rate)
    if "display_name" in params and not params["display_name"]:
        # The display name is required on the object: it cannot be cleared.
        raise empty_string_error("display_name")
    previous = updates.apply(rate, params, UPDATABLE)
    if previous:
        ctx.save(rate)
        ctx.emit("tax_rate.updated", rate, previous)
    return rate


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = [
        Filter((name,), "eq", params[name])
        for name in ("active", "inclusive")
        if params.get(name) not in (None, "")
    ]
    return list_objects(ctx, OBJECT, params, "/v1/tax_rates", tuple(filters))


# -- for the billing code ---------------------------------------------------------------------


def resolve(ctx: RequestContext, given: Any, *, param: str) -> list[dict[str, Any]]:
    """Tax rate ids given as a parameter (`[]` or `""` for none) -> copies of the rates,
    in order. An unknown id is Stripe's 400 `resource_missing` naming the array entry; an
    archived rate cannot be newly applied."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, rate_id in enumerate(given or []):
        name = f"{param}[{index}]"
        rate = ctx.load(OBJECT, rate_id, param=name, in_path=False, noun=NOUN)
        if not rate.get("active"):
            # Proposal: Stripe documents that archived rates cannot be newly applied; the
            # text of its refusal was not recorded.
            raise InvalidRequestError(
                f"The tax rate {rate_id} is inactive and cannot be applied.", param=name
            )
        if rate_id in seen:
            # Proposal: a rate listed twice would tax the amount twice.
            raise InvalidRequestError(
                f"The tax rate {rate_id} is listed more than once.", param=name
            )
        seen.add(rate_id)
        found.append(snapshot(rate))
    return found


def snapshot(rate: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(rate)


def rate_ids(rates: list[dict[str, Any]] | None) -> list[str]:
    return [rate["id"] for rate in rates or []]


ROUTES = [
    Route("POST", "/v1/tax_rates", create),
    Route("GET", "/v1/tax_rates", list_),
    Route("GET", "/v1/tax_rates/{tax_rate}", retrieve),
    Route("POST", "/v1/tax_rates/{tax_rate}", update),
]
