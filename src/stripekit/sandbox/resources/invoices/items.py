"""Invoice items and the invoice lines made from them (and from subscription items).

An invoice item is pending until an invoice takes it (`invoice` set). Its price is
always a real price object: `pricing[price]` names one, `price_data` creates an inline
one, and a bare `amount` (or `unit_amount_decimal`) mints a one-off price and product
behind it, as Stripe does, so `pricing.price_details` always names both. Minted prices
and products are unlisted, like Stripe's inline prices.

A line (`il_...`) lives inside its invoice (`invoice.lines.data`); the line for an item
keeps its id while the item changes, and names the item in
`parent.invoice_item_details`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ...framework import currencies, metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from .. import prices, products
from .. import tax_rates as rate_objects
from ..payment_intents.money import format_amount
from . import common, discounts, taxes, totals

ITEM_NOUN = "Invoice Item"
ONE_TIME_ONLY = (
    "The price specified is set to `type=recurring` but this field only accepts prices "
    "with `type=one_time`."
)
INACTIVE_PRICE = "The price specified is inactive. This field only accepts active prices."
# Private record (never served), one per customer: the ids of its pending items.
PENDING_INDEX = "sandbox.pending_invoice_items"
# The params that change what an item costs.
PRICED = ("amount", "price_data", "pricing", "quantity", "quantity_decimal", "unit_amount_decimal")


def item_missing(item_id: str, *, param: str = "id", status: int = 404) -> ResourceMissing:
    error = ResourceMissing("invoiceitem", item_id, param=param, status=status)
    # Stripe spells this one resource's 404 its own way.
    error.message = f"No such {ITEM_NOUN}: '{item_id}'(livemode=false)"
    return error


def public(item: dict[str, Any]) -> dict[str, Any]:
    """An item as Stripe shows it (the store keeps `created` only to order the list)."""
    return {k: v for k, v in item.items() if k != "created"}


# -- pricing ----------------------------------------------------------------------------------


def _quantity(params: dict[str, Any], prefix: str) -> tuple[int, str]:
    if params.get("quantity_decimal") not in (None, ""):
        if params.get("quantity") is not None:
            raise prices.only_one(
                "quantity", "quantity_decimal", param=prices.name_of(prefix, "quantity")
            )
        text = prices.decimal_text(
            str(params["quantity_decimal"]), prices.name_of(prefix, "quantity_decimal")
        )
        return int(Decimal(text)), text
    quantity = params.get("quantity")
    if quantity is None:
        return 1, "1"
    if quantity < 0:
        raise InvalidRequestError(
            "Invalid non-negative integer", param=prices.name_of(prefix, "quantity")
        )
    return int(quantity), str(quantity)


def _mint(
    ctx: RequestContext,
    *,
    currency: str,
    unit_amount_decimal: str,
    name: str,
    product: str | None = None,
) -> dict[str, Any]:
    """A one-off price (and product, unless given) for an amount-only item. Amounts may
    be negative here (credit items), which /v1/prices itself would refuse."""
    if product is None:
        minted = products.create_product(ctx, {"name": name})
        ctx.save(minted, listed=False)
        product = minted["id"]
    number = Decimal(unit_amount_decimal)
    unit = int(number) if number == number.to_integral_value() else None
    price = prices.new_price(
        ctx,
        product=product,
        currency=currency,
        unit_amount=unit,
        unit_amount_decimal=unit_amount_decimal,
        active=False,
    )
    return prices.store(ctx, price, inline=True)


def pricing_hash(price: dict[str, Any]) -> dict[str, Any]:
    return {
        "price_details": {"price": price["id"], "product": price["product"]},
        "type": "price_details",
        "unit_amount_decimal": price.get("unit_amount_decimal"),
    }


def _load_price(ctx: RequestContext, price_id: Any, param: str) -> dict[str, Any]:
    price = ctx.find("price", price_id) if isinstance(price_id, str) else None
    if price is None or price.get("deleted"):
        raise ResourceMissing("price", str(price_id), param=param, status=400)
    if price.get("recurring"):
        raise InvalidRequestError(ONE_TIME_ONLY, param=param)
    if not price.get("active"):
        raise InvalidRequestError(INACTIVE_PRICE, param=param)
    return price


def resolve_pricing(
    ctx: RequestContext,
    params: dict[str, Any],
    *,
    currency: str | None,
    description: str | None,
    prefix: str = "",
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The amount fields of an item (or line) from `pricing[price]`, `price_data`,
    `amount` or `unit_amount_decimal`: {currency, amount, quantity, quantity_decimal,
    price}. `current` is the item being updated (its price and quantity carry over)."""

    def name(field: str) -> str:
        return prices.name_of(prefix, field)

    price_id = (params.get("pricing") or {}).get("price") if params.get("pricing") else None
    price_data = params.get("price_data") or None
    given_amount = params.get("amount")
    given_decimal = params.get("unit_amount_decimal")
    chosen = [
        n
        for n, v in (
            ("amount", given_amount),
            ("pricing", price_id),
            ("price_data", price_data),
            ("unit_amount_decimal", given_decimal),
        )
        if v not in (None, "")
    ]
    if len(chosen) > 1:
        raise prices.only_one(*chosen, param=name(chosen[1]))
    has_quantity = params.get("quantity") is not None or params.get("quantity_decimal") not in (
        None,
        "",
    )
    if given_amount is not None and has_quantity:
        raise prices.only_one("amount", "quantity", param=name("amount"))
    if not chosen and current is None:
        raise InvalidRequestError(
            "You must specify either `amount`, `pricing[price]`, `price_data` or "
            "`unit_amount_decimal`.",
            param=name("amount"),
        )
    if not chosen:
        # An update that changes only the quantity (or nothing priced): keep the price.
        assert current is not None
        price = ctx.find("price", current["pricing"]["price_details"]["price"])
        assert price is not None
        unchanged = {
            "currency": current["currency"],
            "amount": current["amount"],
            "quantity": current["quantity"],
            "quantity_decimal": current["quantity_decimal"],
            "price": price,
        }
        if not has_quantity:
            return unchanged
        quantity, quantity_text = _quantity(params, prefix)
        return {**unchanged, **_priced_amount(price, quantity, quantity_text)}
    quantity, quantity_text = _quantity(params, prefix)
    if price_id is not None:
        price_param = f"{prefix}[pricing][price]" if prefix else "pricing[price]"
        price = _load_price(ctx, price_id, price_param)
        if currency is not None and params.get("currency") and price["currency"] != currency:
            raise InvalidRequestError(
                f"The price's currency ({price['currency']}) must match the currency ({currency}).",
                param=name("currency"),
            )
        return {
            "currency": price["currency"],
            "price": price,
            **_priced_amount(price, quantity, quantity_text),
        }
    if price_data is not None:
        price = _price_from_data(ctx, price_data, name("price_data"), description)
        return {
            "currency": price["currency"],
            "price": price,
            **_priced_amount(price, quantity, quantity_text),
        }
    cur = params.get("currency") or currency
    if not cur:
        raise InvalidRequestError(
            f"Missing required param: {name('currency')}.",
            param=name("currency"),
            code="parameter_missing",
        )
    cur = currencies.check(cur, name("currency"))
    if given_amount is not None:
        unit_text = str(int(given_amount))
        amount = int(given_amount)
        quantity, quantity_text = 1, "1"
    else:
        unit_text = _signed_decimal(str(given_decimal), name("unit_amount_decimal"))
        amount = totals.decimal_amount(unit_text, Decimal(quantity_text))
    keep_product = None
    if current is not None:
        keep_product = current["pricing"]["price_details"]["product"]
    price = _mint(
        ctx,
        currency=cur,
        unit_amount_decimal=unit_text,
        name=description or "Invoice item",
        product=keep_product,
    )
    return {
        "currency": cur,
        "amount": amount,
        "quantity": quantity,
        "quantity_decimal": quantity_text,
        "price": price,
    }


def _priced_amount(price: dict[str, Any], quantity: int, quantity_text: str) -> dict[str, Any]:
    """Amount and quantity fields for `quantity` of a price (a fractional quantity is
    billed exactly on per-unit prices)."""
    if price.get("billing_scheme") == "tiered" or quantity_text == str(quantity):
        amount = totals.price_amount(price, quantity)
    else:
        amount = totals.decimal_amount(
            price.get("unit_amount_decimal") or "0", Decimal(quantity_text)
        )
    return {"amount": amount, "quantity": quantity, "quantity_decimal": quantity_text}


def _signed_decimal(text: str, param: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidRequestError(f"Invalid decimal: {text}", param=param) from None
    if not number.is_finite():
        raise InvalidRequestError(f"Invalid decimal: {text}", param=param)
    return format(number.normalize(), "f") if number != 0 else "0"


def _price_from_data(
    ctx: RequestContext, data: dict[str, Any], prefix: str, description: str | None
) -> dict[str, Any]:
    product_id = data.get("product")
    if product_id:
        ctx.load("product", product_id, param=f"{prefix}[product]", in_path=False)
    elif data.get("product_data"):
        product = products.create_product(
            ctx, data["product_data"], prefix=f"{prefix}[product_data]"
        )
        ctx.emit("product.created", product)
        product_id = product["id"]
    else:
        raise InvalidRequestError(
            f"Missing required param: {prefix}[product].",
            param=f"{prefix}[product]",
            code="parameter_missing",
        )
    fields = {k: v for k, v in data.items() if k not in ("product", "product_data")}
    return prices.create_price(ctx, fields, product_id, prefix=prefix, inline=True)


# -- invoice items ------------------------------------------------------------------------------


def check_period(period: Any, param: str = "period") -> dict[str, int] | None:
    if not period:
        return None
    if period["end"] < period["start"]:
        raise InvalidRequestError(
            "The period end must be greater than or equal to the period start.",
            param=f"{param}[end]",
        )
    return {"end": period["end"], "start": period["start"]}


def new_item(
    ctx: RequestContext,
    *,
    customer: dict[str, Any],
    priced: dict[str, Any],
    now: int,
    description: str | None = None,
    period: dict[str, int] | None = None,
    discountable: bool | None = None,
    discount_ids: list[str] | None = None,
    meta: dict[str, str] | None = None,
    invoice: str | None = None,
    subscription: str | None = None,
    subscription_item: str | None = None,
    proration: bool = False,
    item_id: str | None = None,
    tax_rates: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Store an invoice item (no event: callers emit `invoiceitem.created`)."""
    amount = priced["amount"]
    if discountable is None:
        discountable = amount >= 0 and not proration
    parent = None
    if subscription:
        details: dict[str, Any] = {"subscription": subscription}
        if subscription_item:
            details["subscription_item"] = subscription_item
        parent = {"subscription_details": details, "type": "subscription_details"}
    item = {
        "id": item_id or ctx.new_id("ii"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": priced["currency"],
        "customer": customer["id"],
        "customer_account": None,
        "date": now,
        "description": description,
        "discountable": discountable,
        "discounts": discount_ids or [],
        "frozen_fields": [],
        "invoice": invoice,
        "livemode": False,
        "metadata": meta or {},
        "parent": parent,
        "period": period or {"end": now, "start": now},
        "pricing": pricing_hash(priced["price"]),
        "proration": proration,
        "quantity": priced["quantity"],
        "quantity_decimal": priced["quantity_decimal"],
        "tax_rates": list(tax_rates or []),
        "test_clock": customer.get("test_clock"),
        "created": now,
    }
    ctx.insert(item)
    if invoice is None:
        mark_pending(ctx, item)
    return item


def create_from_params(
    ctx: RequestContext,
    params: dict[str, Any],
    customer: dict[str, Any],
    *,
    invoice: dict[str, Any] | None,
    prefix: str = "",
) -> dict[str, Any]:
    """An item from /v1/invoiceitems-shaped params (or one `add_lines` line)."""
    now = common.now_of(ctx, customer)
    description = params.get("description") or None
    currency = invoice["currency"] if invoice is not None else customer.get("currency")
    priced = resolve_pricing(ctx, params, currency=currency, description=description, prefix=prefix)
    if invoice is not None and priced["currency"] != invoice["currency"]:
        raise InvalidRequestError(
            f"The currency of this invoice item ({priced['currency']}) must match the "
            f"currency of the invoice ({invoice['currency']}).",
            param=prices.name_of(prefix, "currency"),
        )
    rates = rate_objects.resolve(
        ctx, params.get("tax_rates"), param=prices.name_of(prefix, "tax_rates")
    )
    item_id = ctx.new_id("ii")
    discount_ids = discounts.resolve(
        ctx,
        params.get("discounts"),
        currency=priced["currency"],
        customer=customer["id"],
        now=now,
        param=prices.name_of(prefix, "discounts"),
        invoice_item=item_id,
    )
    return new_item(
        ctx,
        customer=customer,
        priced=priced,
        now=now,
        description=description,
        period=check_period(params.get("period"), prices.name_of(prefix, "period")),
        discountable=params.get("discountable"),
        discount_ids=discount_ids,
        meta=metadata.merge(
            None, params.get("metadata") or {}, param=prices.name_of(prefix, "metadata")
        ),
        invoice=invoice["id"] if invoice is not None else None,
        subscription=params.get("subscription") or None,
        item_id=item_id,
        tax_rates=rates,
    )


def apply_changes(
    ctx: RequestContext, item: dict[str, Any], given: dict[str, Any], prefix: str
) -> None:
    """Apply /v1/invoiceitems update params (or one line's params) to an item."""
    now = common.now_of(ctx, item)
    if any(given.get(name) not in (None, "") for name in PRICED):
        priced = resolve_pricing(
            ctx,
            given,
            currency=item["currency"],
            description=given.get("description") or item["description"],
            prefix=prefix,
            current=item,
        )
        if priced["currency"] != item["currency"]:
            raise InvalidRequestError(
                "The currency of a line cannot change.", param=prices.name_of(prefix, "currency")
            )
        item.update(
            amount=priced["amount"],
            quantity=priced["quantity"],
            quantity_decimal=priced["quantity_decimal"],
            pricing=pricing_hash(priced["price"]),
        )
    if "description" in given:
        item["description"] = given["description"] or None
    if "discountable" in given:
        item["discountable"] = bool(given["discountable"])
    if given.get("period"):
        item["period"] = check_period(given["period"], prices.name_of(prefix, "period"))
    if "metadata" in given:
        item["metadata"] = metadata.merge(
            item["metadata"], given["metadata"], param=prices.name_of(prefix, "metadata")
        )
    if "tax_rates" in given:
        item["tax_rates"] = rate_objects.resolve(
            ctx, given["tax_rates"], param=prices.name_of(prefix, "tax_rates")
        )
    if "discounts" in given:
        item["discounts"] = discounts.resolve(
            ctx,
            given["discounts"],
            currency=item["currency"],
            customer=item["customer"],
            now=now,
            param=prices.name_of(prefix, "discounts"),
            invoice_item=item["id"],
        )
    ctx.save(item)


def _pending_index(ctx: RequestContext, customer_id: str) -> dict[str, Any]:
    found = ctx.find(PENDING_INDEX, customer_id)
    if found is None:
        found = {"id": customer_id, "object": PENDING_INDEX, "created": 0, "items": []}
        ctx.insert(found)
    return found


def mark_pending(ctx: RequestContext, item: dict[str, Any]) -> None:
    """Note a pending item in its customer's index (see `pending_items`)."""
    index = _pending_index(ctx, item["customer"])
    if item["id"] not in index["items"]:
        index["items"].append(item["id"])
        ctx.save(index)


def mark_taken(ctx: RequestContext, item: dict[str, Any]) -> None:
    """The item is no longer pending (an invoice took it, or it was deleted)."""
    index = ctx.find(PENDING_INDEX, item["customer"])
    if index is not None and item["id"] in index["items"]:
        index["items"].remove(item["id"])
        ctx.save(index)


def pending_items(
    ctx: RequestContext, customer_id: str, *, subscription: str | None = None
) -> list[dict[str, Any]]:
    """The customer's pending items, newest first: those of no subscription, and with
    `subscription` also that subscription's own. Read through a per-customer index
    record, so making an invoice does not scan every item of the account."""
    index = ctx.find(PENDING_INDEX, customer_id)
    found = []
    for position, item_id in enumerate((index or {}).get("items") or []):
        item = ctx.find("invoiceitem", item_id)
        if item is None or item.get("deleted") or item.get("invoice") is not None:
            continue  # taken or deleted by a path that did not update the index
        owner = ((item.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        if owner is None or (subscription is not None and owner == subscription):
            found.append((item["created"], position, item))
    found.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    return [entry[2] for entry in found]


# -- lines ----------------------------------------------------------------------------------------


def line_from_item(item: dict[str, Any], invoice_id: str, line_id: str) -> dict[str, Any]:
    subscription = ((item.get("parent") or {}).get("subscription_details") or {}).get(
        "subscription"
    )
    return {
        "id": line_id,
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": list(item.get("discounts") or []),
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(item.get("metadata") or {}),
        "parent": {
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": item["proration"],
                "proration_details": {"credited_items": None},
                "subscription": subscription,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": dict(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": item["pricing"],
        "quantity": item["quantity"],
        "quantity_decimal": item["quantity_decimal"],
        "subtotal": item["amount"],
        "taxes": [],
    }


def item_of_line(line: dict[str, Any]) -> str | None:
    details = (line.get("parent") or {}).get("invoice_item_details") or {}
    return details.get("invoice_item")


def subscription_line(
    ctx: RequestContext,
    invoice_id: str,
    *,
    price: dict[str, Any],
    quantity: int,
    period: dict[str, int],
    subscription: str,
    subscription_item: str,
    proration: bool = False,
    amount: int | None = None,
    description: str | None = None,
    discountable: bool = True,
    discount_ids: list[str] | None = None,
    meta: dict[str, str] | None = None,
    tax_rates: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A line billed straight from a subscription item (no invoice item behind it).
    `tax_rates`: the item's own rates (none: the invoice's defaults apply)."""
    if amount is None:
        amount = totals.price_amount(price, quantity)
    if description is None:
        description = default_description(ctx, price, quantity)
    line_id = ctx.new_id("il")
    if tax_rates:
        taxes.set_line_rates(ctx, invoice_id, line_id, tax_rates)
    return {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": discountable,
        "discounts": list(discount_ids or []),
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(meta or {}),
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": proration,
                "proration_details": {"credited_items": None},
                "subscription": subscription,
                "subscription_item": subscription_item,
            },
            "type": "subscription_item_details",
        },
        "period": dict(period),
        "pretax_credit_amounts": [],
        "pricing": pricing_hash(price),
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subtotal": amount,
        "taxes": [],
    }


def default_description(ctx: RequestContext, price: dict[str, Any], quantity: int) -> str:
    """Stripe's wording for a subscription line: `1 <times> Gold (at $10.00 / month)`,
    with the multiplication sign."""
    product = ctx.find("product", price["product"]) or {}
    times = "\u00d7"
    name = product.get("name") or price["product"]
    recurring = price.get("recurring") or {}
    interval = recurring.get("interval", "month")
    count = recurring.get("interval_count") or 1
    every = interval if count == 1 else f"every {count} {interval}s"
    if price.get("billing_scheme") == "tiered" or price.get("unit_amount") is None:
        return (
            f"{quantity} {times} {name} (Tier pricing / {every})"
            if recurring
            else f"{quantity} {times} {name}"
        )
    unit = format_amount(price["unit_amount"], price["currency"])
    return f"{quantity} {times} {name} (at {unit} / {every})"
