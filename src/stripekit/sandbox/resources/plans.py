"""Plans (legacy): /v1/plans (create, retrieve, update, delete, list).

Stripe replaced plans with prices and keeps the two interchangeable: a plan *is* a
recurring price. So there is one stored object, a price, and this module is its Plans
API face (`prices.as_plan`): creating a plan makes `GET /v1/prices/<id>` work and counts
as a price of its product; any recurring price is retrievable, listable and deletable
here. Changes are announced on both faces, the plan's event first when the call came in
through this API. Deleting a plan deletes its price too: both then answer 404.
"""

from __future__ import annotations

from typing import Any

from ..framework import currencies, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.params import empty_string_error
from ..framework.routing import Route
from ..store import Filter
from . import prices, products

MAX_TRIAL_PERIOD_DAYS = 730


def _load(ctx: RequestContext, plan_id: str) -> dict[str, Any]:
    """The live recurring price behind a plan id (one-time prices are no plans)."""
    price = ctx.find("price", plan_id)
    if price is None or price.get("deleted") or not price.get("recurring"):
        raise ResourceMissing("plan", plan_id, param="plan")
    return price


def _trial_period_days(value: int) -> int:
    days = prices.non_negative(value, "trial_period_days")
    if days > MAX_TRIAL_PERIOD_DAYS:
        raise InvalidRequestError(
            f"Invalid trial_period_days: must be at most {MAX_TRIAL_PERIOD_DAYS}",
            param="trial_period_days",
        )
    return days


def _product(ctx: RequestContext, value: Any) -> str:
    """`product` is an id or a hash creating the product inline (announced at once)."""
    if isinstance(value, dict):
        product = products.create_product(ctx, value, prefix="product")
        ctx.emit("product.created", product)
        return str(product["id"])
    if not value:
        raise prices.missing("product")
    return str(ctx.load("product", value, param="product", in_path=False)["id"])


def _amounts(
    params: dict[str, Any],
) -> tuple[int | None, str | None, list[dict[str, Any]] | None]:
    """(amount, amount_decimal, tiers) under the plan's own parameter names."""
    if params.get("billing_scheme") != "tiered":
        if params.get("tiers"):
            raise InvalidRequestError(
                "`tiers` can only be set on plans with `billing_scheme=tiered`.", param="tiers"
            )
        amount, decimal = prices.amount_pair(params, "amount", "amount_decimal")
        if decimal is None:
            raise prices.missing("amount")
        return amount, decimal, None
    for field in ("amount", "amount_decimal"):
        if prices.given(params, field):
            raise prices.only_one(field, "tiers")
    if not params.get("tiers"):
        raise prices.missing("tiers")
    if not params.get("tiers_mode"):
        raise prices.missing("tiers_mode")
    if params.get("transform_usage"):
        raise prices.only_one("tiers", "transform_usage")
    return None, None, prices.normalize_tiers(params["tiers"])


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    plan_id = params.get("id") or ctx.new_id("price")
    existing = ctx.find("price", plan_id)
    if existing is not None and not existing.get("deleted"):
        raise InvalidRequestError("Plan already exists.", code="resource_already_exists")
    currency = currencies.check(params["currency"])
    amount, decimal, tiers = _amounts(params)
    trial = params.get("trial_period_days")
    recurring = prices.normalize_recurring(
        params,
        prefix="",
        trial_period_days=None if trial in (None, "") else _trial_period_days(trial),
        legacy_metering=ctx.version_before(prices.METERS_REQUIRED_SINCE),
    )
    transform = prices.normalize_transform(params.get("transform_usage"), "transform_usage")
    meta = metadata.merge(None, params.get("metadata") or {})
    product_id = _product(ctx, params.get("product"))
    price = prices.new_price(
        ctx,
        price_id=plan_id,
        product=product_id,
        currency=currency,
        unit_amount=amount,
        unit_amount_decimal=decimal,
        billing_scheme=params.get("billing_scheme") or "per_unit",
        tiers_mode=params.get("tiers_mode") or None,
        tiers=tiers,
        recurring=recurring,
        transform_quantity=transform,
        active=params.get("active", True),
        meta=meta,
        nickname=params.get("nickname") or None,
    )
    prices.store(ctx, price)
    prices.announce(ctx, "created", price, plan_first=True)
    return prices.as_plan(price)


def retrieve(ctx: RequestContext, params: dict[str, Any], plan: str) -> dict[str, Any]:
    return prices.as_plan(_load(ctx, plan))


def update(ctx: RequestContext, params: dict[str, Any], plan: str) -> dict[str, Any]:
    price = _load(ctx, plan)
    if params.get("active") is False and price["active"]:
        prices.check_archivable(ctx, price)
    changes = dict(params)
    if changes.get("product"):
        changes["product"] = _product(ctx, changes["product"])
    elif "product" in changes:
        raise empty_string_error("product")  # a plan always belongs to a product
    previous = updates.apply(price, changes, ("active", "metadata", "nickname", "product"))
    if params.get("trial_period_days") is not None:
        days = _trial_period_days(params["trial_period_days"])
        if days != price["recurring"].get("trial_period_days"):
            previous["recurring"] = {"trial_period_days": price["recurring"]["trial_period_days"]}
            price["recurring"] = {**price["recurring"], "trial_period_days": days}
    if previous:
        ctx.save(price)
        prices.announce(ctx, "updated", price, previous, plan_first=True)
    return prices.as_plan(price)


def delete(ctx: RequestContext, params: dict[str, Any], plan: str) -> dict[str, Any]:
    price = _load(ctx, plan)
    product = ctx.find("product", price["product"])
    if product and not product.get("deleted") and product.get("default_price") == price["id"]:
        # The product must not keep pointing at a price that is gone.
        product["default_price"] = None
        product["updated"] = ctx.now
        ctx.save(product)
        ctx.emit("product.updated", product, {"default_price": price["id"]})
    # The full price stays stored, unlisted and marked deleted: the API answers 404 for
    # it, while objects already billed on it (subscriptions, invoices) can still read it.
    ctx.save({**price, "deleted": True}, listed=False)
    prices.announce(ctx, "deleted", price, plan_first=True)
    return {"id": price["id"], "object": "plan", "deleted": True}


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = [Filter(("type",), "eq", "recurring")]
    if params.get("active") is not None:
        filters.append(Filter(("active",), "eq", params["active"]))
    if params.get("product"):
        filters.append(Filter(("product",), "eq", params["product"]))
    page = list_objects(ctx, "price", params, "/v1/plans", tuple(filters), noun="plan")
    page["data"] = [prices.as_plan(p) for p in page["data"]]
    return page


INCLUDABLE = {"plan": ("tiers",)}

ROUTES = [
    Route("POST", "/v1/plans", create),
    Route("GET", "/v1/plans", list_),
    Route("GET", "/v1/plans/{plan}", retrieve),
    Route("POST", "/v1/plans/{plan}", update),
    Route("DELETE", "/v1/plans/{plan}", delete),
]
