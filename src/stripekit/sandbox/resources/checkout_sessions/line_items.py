"""Line items of a Checkout Session (and of a Payment Link, which lends them to the
sessions it opens): `price` or `price_data` (+`product_data`), `quantity`,
`adjustable_quantity`, and the `item` objects Stripe lists for them."""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from ...framework.listing import cursors, limit_of
from .. import prices, products
from ..invoices.totals import price_amount

MAX_ITEMS = 100
MAX_QUANTITY = 999_999


def _name(index: int, field: str) -> str:
    return f"line_items[{index}][{field}]"


def price_of(ctx: RequestContext, entry: dict[str, Any], index: int) -> dict[str, Any]:
    price_id = entry.get("price")
    data = entry.get("price_data")
    if price_id and data:
        raise InvalidRequestError(
            "You may only specify one of these parameters: price, price_data.",
            param=_name(index, "price"),
        )
    if data:
        prefix = _name(index, "price_data")
        if data.get("product") and data.get("product_data"):
            raise prices.only_one("product", "product_data", param=f"{prefix}[product]")
        if data.get("product"):
            product_id = ctx.load(
                "product", data["product"], param=f"{prefix}[product]", in_path=False
            )["id"]
        elif data.get("product_data"):
            product = products.create_product(
                ctx, data["product_data"], prefix=f"{prefix}[product_data]"
            )
            ctx.emit("product.created", product)
            product_id = product["id"]
        else:
            raise InvalidRequestError(
                "You must specify either `product` or `product_data` when creating a price.",
                param=f"{prefix}[product_data]",
            )
        fields = {k: v for k, v in data.items() if k not in ("product", "product_data")}
        return prices.create_price(ctx, fields, product_id, prefix=prefix, inline=True)
    if not price_id:
        raise InvalidRequestError(
            "You must specify either `price` or `price_data` for each line item.",
            param=_name(index, "price"),
        )
    price = ctx.find("price", price_id)
    if price is None or price.get("deleted"):
        raise InvalidRequestError(
            f"No such price: '{price_id}'", param=_name(index, "price"), code="resource_missing"
        )
    if not price.get("active"):
        raise InvalidRequestError(
            "The price specified is inactive. This field only accepts active prices.",
            param=_name(index, "price"),
        )
    return price


def adjustable(value: Any, quantity: int, index: int) -> dict[str, Any] | None:
    if not value:
        return None
    if not value.get("enabled"):
        return {"enabled": False, "maximum": None, "minimum": None}
    minimum = value.get("minimum", 0)
    maximum = value.get("maximum", 99)
    prefix = _name(index, "adjustable_quantity")
    if not 0 <= minimum <= MAX_QUANTITY:
        raise InvalidRequestError(
            f"`{prefix}[minimum]` must be between 0 and {MAX_QUANTITY}.", param=f"{prefix}[minimum]"
        )
    if not 1 <= maximum <= MAX_QUANTITY:
        raise InvalidRequestError(
            f"`{prefix}[maximum]` must be between 1 and {MAX_QUANTITY}.", param=f"{prefix}[maximum]"
        )
    if minimum > maximum:
        raise InvalidRequestError(
            f"`{prefix}[minimum]` must be less than or equal to `{prefix}[maximum]`.",
            param=f"{prefix}[minimum]",
        )
    if not minimum <= quantity <= maximum:
        raise InvalidRequestError(
            f"`{_name(index, 'quantity')}` must be between `{prefix}[minimum]` and "
            f"`{prefix}[maximum]`.",
            param=_name(index, "quantity"),
        )
    return {"enabled": True, "maximum": maximum, "minimum": minimum}


def build(
    ctx: RequestContext, given: list[dict[str, Any]], mode: str | None
) -> list[dict[str, Any]]:
    """Validated `item` objects for `line_items` in `mode` (payment or subscription; a
    payment link's items, which may be either, with `mode=None`)."""
    if len(given) > MAX_ITEMS:
        raise InvalidRequestError(
            f"You may only specify up to {MAX_ITEMS} line items.", param="line_items"
        )
    out = []
    for index, entry in enumerate(given):
        price = price_of(ctx, entry, index)
        if "quantity" not in entry:
            raise InvalidRequestError(
                f"Missing required param: {_name(index, 'quantity')}.",
                param=_name(index, "quantity"),
                code="parameter_missing",
            )
        quantity = entry["quantity"]
        if not 0 <= quantity <= MAX_QUANTITY:
            raise InvalidRequestError(
                f"Quantity must be between 0 and {MAX_QUANTITY}.", param=_name(index, "quantity")
            )
        if price.get("recurring") and mode == "payment":
            raise InvalidRequestError(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param=f"line_items[{index}]",
            )
        if price.get("billing_scheme") == "tiered" or price.get("custom_unit_amount"):
            raise InvalidRequestError(
                "The sandbox's Checkout supports per-unit prices with a fixed amount only.",
                param=_name(index, "price"),
            )
        out.append(
            new_item(
                ctx, price, quantity, adjustable(entry.get("adjustable_quantity"), quantity, index)
            )
        )
    if mode == "subscription" and not any(item["price"].get("recurring") for item in out):
        raise InvalidRequestError(
            "You must provide at least one recurring price in `subscription` mode when using "
            "prices.",
            param="line_items",
        )
    currencies = {item["currency"] for item in out}
    if len(currencies) > 1:
        raise InvalidRequestError(
            "All prices on a Checkout Session must have the same currency; found "
            f"{', '.join(sorted(currencies))}.",
            param="line_items",
        )
    return out


def new_item(
    ctx: RequestContext, price: dict[str, Any], quantity: int, adjustable: dict[str, Any] | None
) -> dict[str, Any]:
    product = ctx.find("product", price["product"]) or {}
    item = {
        "id": ctx.new_id("li"),
        "object": "item",
        "adjustable_quantity": adjustable,
        "amount_discount": 0,
        "amount_subtotal": 0,
        "amount_tax": 0,
        "amount_total": 0,
        "currency": price["currency"],
        "description": product.get("name"),
        "discounts": [],
        "metadata": {},
        "price": prices.shown(price),
        "quantity": quantity,
        "taxes": [],
    }
    set_quantity(item, quantity)
    return item


def set_quantity(item: dict[str, Any], quantity: int) -> None:
    amount = price_amount(item["price"], quantity)
    item.update(quantity=quantity, amount_subtotal=amount, amount_total=amount)


def as_list(items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": items, "has_more": False, "url": url}


def page(items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """`GET .../line_items`: items in their order, with Stripe's cursors."""
    limit = limit_of(params)
    after, before = cursors(params)
    ids = [item["id"] for item in items]
    start, end = 0, len(items)
    if after is not None:
        if after not in ids:
            raise ResourceMissing("line_item", after, param="starting_after", status=400)
        start = ids.index(after) + 1
    elif before is not None:
        if before not in ids:
            raise ResourceMissing("line_item", before, param="ending_before", status=400)
        end = ids.index(before)
        start = max(0, end - limit)
    chosen = items[start : min(end, start + limit)]
    has_more = start + limit < end if before is None else start > 0
    return {"object": "list", "data": chosen, "has_more": has_more, "url": url}
