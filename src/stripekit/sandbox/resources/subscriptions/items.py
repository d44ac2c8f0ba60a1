"""Item parameters: the price an `items[n]` entry (or a subscription item call) names, and
the rules Stripe holds every item of a subscription to.

`price` names a stored recurring price; `price_data` makes an inline one (archived,
unlisted, as Stripe does). All items of a subscription share one currency and, in the
sandbox, one billing interval, so they share one period; a price appears at most once.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from .. import prices
from . import model

MAX_ITEMS = 20
RECURRING_ONLY = (
    "The price specified is set to `type=one_time` but this field only accepts prices "
    "with `type=recurring`."
)
INACTIVE_PRICE = "The price specified is inactive. This field only accepts active prices."
INTERVAL_MISMATCH = (
    "Currency and interval fields must match across all plans on this subscription. Found "
    "mismatch in {field} field."
)


def name(prefix: str, field: str) -> str:
    return f"{prefix}[{field}]" if prefix else field


def resolve_price(
    ctx: RequestContext, params: dict[str, Any], prefix: str, *, required: bool = True
) -> dict[str, Any] | None:
    """The price of an item entry: `price` (stored, recurring, active) or `price_data`."""
    price_id = params.get("price")
    data = params.get("price_data")
    if price_id and data:
        raise InvalidRequestError(
            "You may only specify one of these parameters: price, price_data.",
            param=name(prefix, "price"),
        )
    if data:
        product = data.get("product")
        ctx.load("product", product, param=name(prefix, "price_data[product]"), in_path=False)
        fields = {k: v for k, v in data.items() if k != "product"}
        return prices.create_price(
            ctx, fields, product, prefix=name(prefix, "price_data"), inline=True
        )
    if not price_id:
        if not required:
            return None
        raise InvalidRequestError(
            f"Missing required param: {name(prefix, 'price')}.",
            param=name(prefix, "price"),
            code="parameter_missing",
        )
    price = ctx.find("price", price_id)
    if price is None or price.get("deleted"):
        raise InvalidRequestError(
            f"No such price: '{price_id}'",
            param=name(prefix, "price"),
            code="resource_missing",
        )
    if not price.get("recurring"):
        raise InvalidRequestError(RECURRING_ONLY, param=name(prefix, "price"))
    if not price.get("active"):
        raise InvalidRequestError(INACTIVE_PRICE, param=name(prefix, "price"))
    return price


def check_quantity(price: dict[str, Any], params: dict[str, Any], prefix: str) -> int | None:
    """The quantity an entry asks for; a metered price takes none (its usage is billed)."""
    quantity = params.get("quantity")
    if model.is_metered(price):
        if quantity is not None:
            raise InvalidRequestError(
                "Quantity should not be specified where usage_type is `metered`. Remove "
                f"quantity from `{prefix or 'the item'}` to subscribe to this metered price.",
                param=name(prefix, "quantity"),
            )
        return None
    if quantity is not None and quantity < 0:
        raise InvalidRequestError("Invalid non-negative integer", param=name(prefix, "quantity"))
    return quantity


def check_set(
    prices_in_order: list[tuple[dict[str, Any], str]], *, currency: str | None = None
) -> str:
    """Every price of one subscription: one currency, one interval, no price twice.
    Returns the currency."""
    if not prices_in_order:
        raise InvalidRequestError(
            "Missing required param: items.", param="items", code="parameter_missing"
        )
    if len(prices_in_order) > MAX_ITEMS:
        raise InvalidRequestError(
            f"Invalid array: items can have at most {MAX_ITEMS} entries.", param="items"
        )
    first = prices_in_order[0][0]
    currency = currency or first["currency"]
    interval = (first["recurring"]["interval"], first["recurring"].get("interval_count", 1))
    seen: set[str] = set()
    for price, param in prices_in_order:
        if price["currency"] != currency:
            raise InvalidRequestError(INTERVAL_MISMATCH.format(field="currency"), param=param)
        recurring = price["recurring"]
        if (recurring["interval"], recurring.get("interval_count", 1)) != interval:
            raise InvalidRequestError(INTERVAL_MISMATCH.format(field="interval"), param=param)
        if price["id"] in seen:
            raise InvalidRequestError(
                f"Cannot add multiple subscription items with the same price: {price['id']}",
                param="items",
            )
        seen.add(price["id"])
    return currency
