"""Subscription items: /v1/subscription_items (create, retrieve, update, delete, list).

An item call is the matching subscription update with one `items[]` entry: the same
validation, prorations (`proration_behavior`, `proration_date`), immediate invoice and
`payment_behavior` rules, and the subscription's `customer.subscription.updated` event.
A subscription keeps at least one item; delete the subscription to end it.
"""

from __future__ import annotations

from typing import Any

from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter
from . import tax_rates
from .subscriptions import model, updates

NOUN = "subscription_item"
_CHANGE_PARAMS = ("proration_behavior", "proration_date", "payment_behavior", "off_session")


def _load(ctx: RequestContext, item_id: str) -> dict[str, Any]:
    return ctx.load(model.ITEM, item_id, param="item", noun=NOUN)


def _subscription_of(ctx: RequestContext, item: dict[str, Any]) -> dict[str, Any]:
    return model.load(ctx, item["subscription"], param="subscription", in_path=False)


def _change(params: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    change = {k: params[k] for k in _CHANGE_PARAMS if params.get(k) is not None}
    change["items"] = [entry]
    return change


def _refuse_unsupported(params: dict[str, Any]) -> None:
    for name in ("billing_thresholds", "discounts"):
        if params.get(name) not in (None, "", []):
            raise InvalidRequestError(
                f"The sandbox does not support `{name}` on subscription items.", param=name
            )


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_unsupported(params)
    sub = model.load(ctx, params["subscription"], param="subscription", in_path=False)
    before = {item["id"] for item in model.items_of(sub)}
    # Checked here so that errors name this call's own `tax_rates[n]`.
    tax_rates.resolve(ctx, params.get("tax_rates"), param="tax_rates")
    entry: dict[str, Any] = {
        k: params[k]
        for k in ("price", "price_data", "quantity", "metadata", "tax_rates")
        if k in params
    }
    updated = updates.apply_update(ctx, sub, _change(params, entry))
    added = [item for item in model.items_of(updated) if item["id"] not in before]
    if not added:  # held as a pending update: the item exists only there
        pending = (updated.get("pending_update") or {}).get("subscription_items") or []
        added = [item for item in pending if item["id"] not in before]
    return added[0]


def retrieve(ctx: RequestContext, params: dict[str, Any], item: str) -> dict[str, Any]:
    return _load(ctx, item)


def update(ctx: RequestContext, params: dict[str, Any], item: str) -> dict[str, Any]:
    _refuse_unsupported(params)
    found = _load(ctx, item)
    sub = _subscription_of(ctx, found)
    tax_rates.resolve(ctx, params.get("tax_rates"), param="tax_rates")
    entry: dict[str, Any] = {"id": found["id"]}
    entry.update(
        {
            k: params[k]
            for k in ("price", "price_data", "quantity", "metadata", "tax_rates")
            if k in params
        }
    )
    updates.apply_update(ctx, sub, _change(params, entry))
    return ctx.find(model.ITEM, found["id"]) or found


def delete(ctx: RequestContext, params: dict[str, Any], item: str) -> dict[str, Any]:
    found = _load(ctx, item)
    sub = _subscription_of(ctx, found)
    entry: dict[str, Any] = {"id": found["id"], "deleted": True}
    if params.get("clear_usage") is not None:
        entry["clear_usage"] = params["clear_usage"]
    updates.apply_update(ctx, sub, _change(params, entry))
    return {"id": found["id"], "object": NOUN, "deleted": True}


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    sub_id = params.get("subscription")
    if not sub_id:
        raise InvalidRequestError(
            "Missing required param: subscription.",
            param="subscription",
            code="parameter_missing",
        )
    model.load(ctx, sub_id, param="subscription", in_path=False)
    filters = (Filter(("subscription",), "eq", sub_id),)
    return list_objects(
        ctx,
        model.ITEM,
        params,
        "/v1/subscription_items",
        filters,
        noun=NOUN,
    )


ROUTES = [
    Route("POST", "/v1/subscription_items", create),
    Route("GET", "/v1/subscription_items", list_),
    Route("GET", "/v1/subscription_items/{item}", retrieve),
    Route("POST", "/v1/subscription_items/{item}", update),
    Route("DELETE", "/v1/subscription_items/{item}", delete),
]
