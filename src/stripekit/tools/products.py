"""Products and the prices and (legacy) plans that sell them."""

from typing import Any, Literal

from pydantic import Field

from .declare import create, delete, do, get, list_, search, update
from .errors import InputError


def _recurring(params: dict[str, Any]) -> dict[str, Any]:
    """Source 000's flat `recurring_interval`/`recurring_interval_count` become Stripe's
    `recurring[interval]`/`recurring[interval_count]`."""
    interval = params.pop("recurring_interval", None)
    count = params.pop("recurring_interval_count", None)
    if count is not None and interval is None:
        raise InputError(
            "recurring_interval_count needs recurring_interval.",
            param="recurring_interval",
            code="parameter_missing",
        )
    if interval is not None:
        if "recurring" in params:
            raise InputError(
                "Give either recurring or recurring_interval, not both.",
                param="recurring_interval",
                code="parameter_invalid",
            )
        params["recurring"] = {"interval": interval}
        if count is not None:
            params["recurring"]["interval_count"] = count
    return params


_INTERVALS = Literal["day", "week", "month", "year"]

ACTIONS = [
    create(
        "product",
        "/v1/products",
        "Create a product (requires a name).",
        aliases=("Create Product",),
        example={
            "name": "Pro Plan",
            "description": "Access to all pro features",
            "metadata": {"type": "subscription"},
        },
    ),
    get(
        "product",
        "/v1/products/{id}",
        "Retrieve a product by id.",
        aliases=("Retrieve Product",),
        example={"id": "$product"},
    ),
    update(
        "product",
        "/v1/products/{id}",
        "Update a product (name, active, description, images, url, default_price, metadata).",
        aliases=("Update Product",),
        example={"id": "$product", "name": "Pro Plan (2026)"},
    ),
    list_(
        "products",
        "/v1/products",
        "List products, newest first, optionally only active or inactive ones.",
        aliases=("List Products",),
        example={"active": True, "limit": 2},
    ),
    delete(
        "product",
        "/v1/products/{id}",
        "Delete a product that has no prices (archive it with active=false otherwise).",
        aliases=("Delete Product",),
        example={"id": "$bare_product"},
    ),
    search(
        "products",
        "/v1/products/search",
        'Search products with Stripe\'s query language (name~"pro", active:"true").',
        example={"query": 'name~"Pro"'},
    ),
    create(
        "price",
        "/v1/prices",
        "Create a price in cents; recurring_interval (month, year, ...) makes it recurring.",
        aliases=("Create Price",),
        convenience={
            "recurring_interval": (
                _INTERVALS | None,
                Field(None, description="makes the price recurring: day, week, month, year"),
            ),
            "recurring_interval_count": (
                int | None,
                Field(None, ge=1, description="bill every N intervals (default 1)"),
            ),
        },
        prepare=_recurring,
        example={
            "product": "$product",
            "unit_amount": 2999,
            "currency": "usd",
            "recurring_interval": "month",
        },
    ),
    get(
        "price",
        "/v1/prices/{id}",
        "Retrieve a price by id.",
        aliases=("Retrieve Price",),
        example={"id": "$price"},
    ),
    update(
        "price",
        "/v1/prices/{id}",
        "Update a price (active, nickname, lookup_key, tax_behavior, metadata).",
        aliases=("Update Price",),
        example={"id": "$price", "nickname": "Monthly"},
    ),
    do(
        "deactivate_price",
        "POST",
        "/v1/prices/{id}",
        "Archive a price (active=false): it can no longer be used for new purchases.",
        aliases=("Deactivate Price",),
        fixed={"active": False},
        example={"id": "$price"},
    ),
    list_(
        "prices",
        "/v1/prices",
        "List prices, newest first, by product, active, currency, type or lookup keys.",
        aliases=("List Prices",),
        example={"product": "$product", "active": True},
    ),
    search(
        "prices",
        "/v1/prices/search",
        'Search prices with Stripe\'s query language (product:"prod_...", currency:"usd").',
        example={"query": 'currency:"usd"'},
    ),
    create(
        "plan",
        "/v1/plans",
        "Create a (legacy) plan: amount, currency, interval and a product.",
        aliases=("Create a plan",),
        example={
            "amount": 5000,
            "currency": "usd",
            "interval": "month",
            "product": {"name": "Gold"},
            "id": "gold-monthly",
        },
    ),
    get(
        "plan",
        "/v1/plans/{id}",
        "Retrieve a plan by id.",
        aliases=("Retrieve a plan",),
        example={"id": "$plan"},
    ),
    update(
        "plan",
        "/v1/plans/{id}",
        "Update a plan's nickname, active flag or metadata (amounts can't change).",
        aliases=("Update a plan",),
        example={"id": "$plan", "nickname": "Gold monthly"},
    ),
    list_(
        "plans",
        "/v1/plans",
        "List plans, newest first.",
        aliases=("List all plans",),
        example={"limit": 2},
    ),
    delete(
        "plan",
        "/v1/plans/{id}",
        "Delete a plan (existing subscriptions keep it).",
        aliases=("Delete a plan",),
        example={"id": "$plan"},
    ),
]
