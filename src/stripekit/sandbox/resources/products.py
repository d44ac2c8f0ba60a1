"""Products: /v1/products (create, retrieve, update, delete, list, search).

A deleted product answers 404 afterwards (unlike a customer, whose tombstone stays
retrievable), but its stub is kept so that `expand[]=product` on one of its old prices
still renders Stripe's `deleted_product` shape. A product that still has prices cannot be
deleted at all.
"""

from __future__ import annotations

from typing import Any

from ..framework import metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.params import empty_string_error
from ..framework.routing import Route
from ..framework.searching import search_objects
from ..store import Filter

# Stripe documents these caps on the arrays; the texts of its refusals were not observed.
MAX_IMAGES = 8
MAX_MARKETING_FEATURES = 15

UPDATABLE = (
    "active",
    "default_price",
    "description",
    "images",
    "marketing_features",
    "metadata",
    "name",
    "package_dimensions",
    "shippable",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
)
# Fields Stripe refuses to clear with "" (the spec gives them no "unset" alternative).
NOT_CLEARABLE = ("name", "statement_descriptor", "default_price")
HAS_PRICES = "This product cannot be deleted because it has one or more user-created prices."


def _name(prefix: str, field: str) -> str:
    return f"{prefix}[{field}]" if prefix else field


def _check_arrays(params: dict[str, Any], prefix: str = "") -> None:
    images = params.get("images")
    if isinstance(images, list) and len(images) > MAX_IMAGES:
        raise InvalidRequestError(
            f"Invalid array: images can have at most {MAX_IMAGES} items.",
            param=_name(prefix, "images"),
        )
    features = params.get("marketing_features")
    if isinstance(features, list) and len(features) > MAX_MARKETING_FEATURES:
        raise InvalidRequestError(
            f"Invalid array: marketing_features can have at most {MAX_MARKETING_FEATURES} items.",
            param=_name(prefix, "marketing_features"),
        )


def _normalize(params: dict[str, Any]) -> dict[str, Any]:
    """Request values -> stored values: "" clears to Stripe's empty value for the field."""
    out = dict(params)
    if "images" in out:
        out["images"] = list(out["images"] or [])
    if "marketing_features" in out:
        out["marketing_features"] = [{"name": f["name"]} for f in out["marketing_features"] or []]
    if "package_dimensions" in out:
        dims = out["package_dimensions"]
        out["package_dimensions"] = (
            {k: float(dims[k]) for k in ("height", "length", "weight", "width")} if dims else None
        )
    for field in ("description", "tax_code", "unit_label", "url"):
        if out.get(field) == "":
            out[field] = None
    return out


def create_product(
    ctx: RequestContext, params: dict[str, Any], *, prefix: str = ""
) -> dict[str, Any]:
    """Store a new product (not yet announced: the caller emits `product.created` once
    everything the request creates is in place). `prefix` names the hash the fields came
    in (`product_data`, a plan's `product`) for error params."""
    _check_arrays(params, prefix)
    given = _normalize(params)
    product_id = given.get("id") or ctx.new_id("prod")
    existing = ctx.find("product", product_id)
    if existing is not None:
        if not existing.get("deleted"):
            raise InvalidRequestError("Product already exists.", code="resource_already_exists")
        ctx.remove("product", product_id)  # a deleted product's id may be used again
    product = {
        "id": product_id,
        "object": "product",
        "active": given.get("active", True),
        "created": ctx.now,
        "default_price": None,
        "description": given.get("description") or None,
        "images": given.get("images") or [],
        "livemode": False,
        "marketing_features": given.get("marketing_features") or [],
        "metadata": metadata.merge(
            None, given.get("metadata", {}), param=_name(prefix, "metadata")
        ),
        "name": given["name"],
        "package_dimensions": given.get("package_dimensions"),
        "shippable": given.get("shippable"),
        "statement_descriptor": given.get("statement_descriptor") or None,
        "tax_code": given.get("tax_code") or None,
        "unit_label": given.get("unit_label") or None,
        "updated": ctx.now,
        "url": given.get("url") or None,
    }
    ctx.insert(product)
    return product


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    product = create_product(ctx, {k: v for k, v in params.items() if k != "default_price_data"})
    if not params.get("default_price_data"):
        ctx.emit("product.created", product)
        return product
    # Imported here because prices imports this module for `product_data`.
    from . import prices

    price = prices.create_price(
        ctx,
        params["default_price_data"],
        product["id"],
        prefix="default_price_data",
        emit_events=False,
    )
    product["default_price"] = price["id"]
    ctx.save(product)
    # Stripe's order: the product (already pointing at its default price), then the price.
    ctx.emit("product.created", product)
    prices.announce(ctx, "created", price)
    return product


def retrieve(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.load("product", id)


def _check_default_price(ctx: RequestContext, product: dict[str, Any], price_id: str) -> None:
    price = ctx.load("price", price_id, param="default_price", in_path=False)
    if price["product"] != product["id"]:
        raise InvalidRequestError(
            f"The price `{price_id}` does not belong to this product.", param="default_price"
        )
    if not price["active"]:
        raise InvalidRequestError(
            "The price specified is inactive. This field only accepts active prices.",
            param="default_price",
        )


def update(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    obj = ctx.load("product", id)
    for field in NOT_CLEARABLE:
        if params.get(field) == "":
            raise empty_string_error(field)
    _check_arrays(params)
    if params.get("default_price") and params["default_price"] != obj["default_price"]:
        _check_default_price(ctx, obj, params["default_price"])
    previous = updates.apply(obj, _normalize(params), UPDATABLE)
    if previous:
        # `updated` moves with every real change; Stripe leaves it out of previous_attributes.
        obj["updated"] = ctx.now
        ctx.save(obj)
        ctx.emit("product.updated", obj, previous)
    return obj


def has_prices(ctx: RequestContext, product_id: str) -> bool:
    """Whether any user-created price (active or archived) names this product; inline
    prices and deleted plans do not count, being unlisted."""
    mine = (Filter(("product",), "eq", product_id),)
    page = ctx.tx.page(ctx.account, "price", filters=mine, limit=1)
    return bool(page.items)


def delete(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    obj = ctx.load("product", id)
    if has_prices(ctx, id):
        raise InvalidRequestError(HAS_PRICES)
    stub = {"id": obj["id"], "object": "product", "deleted": True}
    # The stub keeps `created` for the store's ordering; the wire stub has three fields.
    ctx.save({**stub, "created": obj["created"]}, listed=False)
    # Stripe's deleted-event snapshot shows the product deactivated.
    ctx.emit("product.deleted", {**obj, "active": False})
    return stub


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    for field in ("active", "shippable", "url"):
        if params.get(field) is not None:
            filters.append(Filter((field,), "eq", params[field]))
    if params.get("ids") is not None:
        filters.append(Filter(("id",), "in", tuple(params["ids"])))
    return list_objects(ctx, "product", params, "/v1/products", tuple(filters))


def search(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return search_objects(ctx, "product", params, "/v1/products/search")


ROUTES = [
    Route("POST", "/v1/products", create),
    Route("GET", "/v1/products", list_),
    Route("GET", "/v1/products/search", search),
    Route("GET", "/v1/products/{id}", retrieve),
    Route("POST", "/v1/products/{id}", update),
    Route("DELETE", "/v1/products/{id}", delete),
]
