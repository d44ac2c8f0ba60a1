"""Prices: /v1/prices (create, retrieve, update, list, search). Stripe has no delete.

A recurring price is also a plan: `plans.py` serves the same stored object through the
legacy Plans API, so ids, lookup keys and the "product has prices" rule see one set of
objects, and every change to a recurring price is announced as both `price.*` and `plan.*`.

`tiers` and `currency_options` are includable on Stripe (shown only when expanded): they
are stored on the price and the engine hides them unless asked for (`INCLUDABLE`); event
payloads leave them out as well.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..framework import currencies, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..framework.searching import search_objects
from ..store import Filter
from . import products

INCLUDABLE = {"price": ("currency_options", "tiers")}
MAX_DECIMAL_PLACES = 12
# Stripe caps a billing period at three years, whatever the unit.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
_PERIOD_ADJECTIVE = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}

NEEDS_AMOUNT = "Prices require an `unit_amount` or `unit_amount_decimal` parameter to be set."
NEEDS_METER = (
    "Starting with Stripe version `2025-03-31.basil`, metered prices must be backed by meters."
)
# The version that made meters mandatory; older ones bill metered prices from usage records.
METERS_REQUIRED_SINCE = "2025-03-31"
TIERED_ONE_TIME = "Prices with `type=one_time` are not supported with tiered billing."
TIER_WITHOUT_AMOUNT = "An entry in the tiers array is missing an amount."
SAME_CURRENCY_OPTION = (
    "You are specifying an update to a currency option that matches the top-level currency "
    "for this price. Please remove this currency option and update the top-level params "
    "instead."
)
DEFAULT_PRICE_ARCHIVE = (
    "This price cannot be archived because it is the default price of its product."
)


# -- small validators, shared with plans.py ---------------------------------------------


def name_of(prefix: str, field: str) -> str:
    """A param's full bracketed name inside the hash `prefix` ("" at top level)."""
    return f"{prefix}[{field}]" if prefix else field


def only_one(*names: str, param: str | None = None) -> InvalidRequestError:
    return InvalidRequestError(
        f"You may only specify one of these parameters: {', '.join(names)}.",
        param=param if param is not None else names[0],
    )


def missing(name: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required param: {name}.", param=name, code="parameter_missing"
    )


def given(params: dict[str, Any], field: str) -> bool:
    return params.get(field) not in (None, "")


def non_negative(value: int, param: str) -> int:
    if value < 0:
        raise InvalidRequestError("Invalid non-negative integer", param=param)
    return value


def positive(value: int, param: str) -> int:
    if value < 1:
        raise InvalidRequestError("Invalid positive integer", param=param)
    return value


def decimal_text(value: str, param: str) -> str:
    """Stripe's decimal string: plain digits, no exponent, no trailing zeros, at most 12
    decimal places, never negative."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InvalidRequestError(f"Invalid decimal: {value}", param=param) from None
    # is_finite() first: comparing a NaN signals.
    if not number.is_finite() or number < 0:
        raise InvalidRequestError(f"Invalid decimal: {value}", param=param)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        raise InvalidRequestError(f"Invalid decimal: {value}", param=param)
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def amount_pair(
    params: dict[str, Any], int_field: str, dec_field: str, prefix: str = ""
) -> tuple[int | None, str | None]:
    """An amount given as an integer or as a decimal string -> (integer, decimal). Stripe
    keeps both in step: the decimal always, the integer whenever the amount is whole."""
    if given(params, int_field) and given(params, dec_field):
        raise only_one(int_field, dec_field, param=name_of(prefix, int_field))
    if given(params, int_field):
        value = non_negative(params[int_field], name_of(prefix, int_field))
        return value, str(value)
    if given(params, dec_field):
        text = decimal_text(params[dec_field], name_of(prefix, dec_field))
        number = Decimal(text)
        return (int(number) if number == number.to_integral_value() else None), text
    return None, None


def normalize_tiers(tiers: list[dict[str, Any]], prefix: str = "tiers") -> list[dict[str, Any]]:
    """Tiers as given -> Stripe's `price_tier` objects. Bounds must grow, and only the
    last tier (which must be there) is open-ended: `up_to=inf`, stored as null."""
    out: list[dict[str, Any]] = []
    floor = 0
    last = len(tiers) - 1
    for i, tier in enumerate(tiers):
        here = f"{prefix}[{i}]"
        unit, unit_decimal = amount_pair(tier, "unit_amount", "unit_amount_decimal", here)
        flat, flat_decimal = amount_pair(tier, "flat_amount", "flat_amount_decimal", here)
        if unit_decimal is None and flat_decimal is None:
            raise InvalidRequestError(TIER_WITHOUT_AMOUNT, param="amount")
        up_to = tier["up_to"]
        if up_to == "inf":
            if i != last:
                raise InvalidRequestError(
                    "Only the last tier may have `up_to=inf`.", param=f"{here}[up_to]"
                )
            bound = None
        else:
            bound = positive(up_to, f"{here}[up_to]")
            if i == last:
                raise InvalidRequestError(
                    "The last tier must have `up_to=inf`.", param=f"{here}[up_to]"
                )
            if bound <= floor:
                raise InvalidRequestError(
                    "Each tier's `up_to` must be greater than the previous tier's.",
                    param=f"{here}[up_to]",
                )
            floor = bound
        out.append(
            {
                "flat_amount": flat,
                "flat_amount_decimal": flat_decimal,
                "unit_amount": unit,
                "unit_amount_decimal": unit_decimal,
                "up_to": bound,
            }
        )
    return out


def normalize_recurring(
    value: dict[str, Any],
    prefix: str = "recurring",
    *,
    trial_period_days: int | None = None,
    legacy_metering: bool = False,
) -> dict[str, Any]:
    """`recurring` params (or a plan's top-level ones, with `prefix=""`) -> the stored hash.
    `trial_period_days` is not in the spec's `recurring` at this version, but live bodies
    carry it (null for prices) and plans keep theirs there. `legacy_metering`: the request
    asked for an API version before meters were required, so a metered price may have no
    meter and bills from usage records (`resources/usage_records.py`)."""
    interval = value["interval"]
    count = value.get("interval_count")
    count = 1 if count in (None, "") else positive(count, name_of(prefix, "interval_count"))
    if count > MAX_INTERVAL_COUNT[interval]:
        raise InvalidRequestError(
            f"The interval_count for {_PERIOD_ADJECTIVE[interval]} prices can't be greater "
            f"than {MAX_INTERVAL_COUNT[interval]}.",
            param=name_of(prefix, "interval_count"),
        )
    usage_type = value.get("usage_type") or "licensed"
    meter = value.get("meter") or None
    if usage_type == "metered" and meter is None and not legacy_metering:
        raise InvalidRequestError(NEEDS_METER)
    if usage_type != "metered" and meter is not None:
        raise InvalidRequestError(
            "A meter can only be set on a price with `usage_type=metered`.",
            param=name_of(prefix, "meter"),
        )
    return {
        "interval": interval,
        "interval_count": count,
        "meter": meter,
        "trial_period_days": trial_period_days,
        "usage_type": usage_type,
    }


def normalize_transform(value: dict[str, Any] | None, prefix: str) -> dict[str, Any] | None:
    if not value:
        return None
    return {
        "divide_by": positive(value["divide_by"], f"{prefix}[divide_by]"),
        "round": value["round"],
    }


def _custom_unit_amount(value: Any, prefix: str) -> dict[str, Any] | None:
    if not value or not value.get("enabled"):
        return None
    bounds = {
        k: non_negative(value[k], f"{prefix}[{k}]") if given(value, k) else None
        for k in ("maximum", "minimum", "preset")
    }
    low, high, preset = bounds["minimum"], bounds["maximum"], bounds["preset"]
    if low is not None and high is not None and low > high:
        raise InvalidRequestError(
            "The minimum amount can't be greater than the maximum amount.",
            param=f"{prefix}[minimum]",
        )
    if preset is not None and (
        (low is not None and preset < low) or (high is not None and preset > high)
    ):
        raise InvalidRequestError(
            "The preset amount must be between the minimum and maximum amounts.",
            param=f"{prefix}[preset]",
        )
    return bounds


def _currency_option(
    option: dict[str, Any], tiered: bool, tax_behavior: str, prefix: str
) -> dict[str, Any]:
    custom = _custom_unit_amount(option.get("custom_unit_amount"), f"{prefix}[custom_unit_amount]")
    unit, unit_decimal = amount_pair(option, "unit_amount", "unit_amount_decimal", prefix)
    out: dict[str, Any] = {
        "custom_unit_amount": custom,
        "tax_behavior": option.get("tax_behavior") or tax_behavior,
        "unit_amount": unit,
        "unit_amount_decimal": unit_decimal,
    }
    if tiered:
        if not option.get("tiers"):
            raise missing(f"{prefix}[tiers]")
        out["tiers"] = normalize_tiers(option["tiers"], f"{prefix}[tiers]")
    elif unit_decimal is None and custom is None:
        raise InvalidRequestError(NEEDS_AMOUNT, param=prefix)
    return out


def _currency_options(value: Any, price: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, option in (value or {}).items():
        name = f"{name_of(prefix, 'currency_options')}[{key}]"
        code = currencies.check(key, name)
        if code == price["currency"]:
            raise InvalidRequestError(SAME_CURRENCY_OPTION, param=name)
        tiered = price["billing_scheme"] == "tiered"
        out[code] = _currency_option(option, tiered, price["tax_behavior"] or "unspecified", name)
    return out


# -- storage, events and the plan face ----------------------------------------------------


def new_price(
    ctx: RequestContext,
    *,
    price_id: str | None = None,
    product: str,
    currency: str,
    unit_amount: int | None = None,
    unit_amount_decimal: str | None = None,
    billing_scheme: str = "per_unit",
    tiers_mode: str | None = None,
    tiers: list[dict[str, Any]] | None = None,
    recurring: dict[str, Any] | None = None,
    transform_quantity: dict[str, Any] | None = None,
    custom_unit_amount: dict[str, Any] | None = None,
    active: bool = True,
    lookup_key: str | None = None,
    meta: dict[str, str] | None = None,
    nickname: str | None = None,
    tax_behavior: str | None = None,
) -> dict[str, Any]:
    """A price object, its includable fields filled in (nothing stored yet)."""
    price: dict[str, Any] = {
        "id": price_id or ctx.new_id("price"),
        "object": "price",
        "active": active,
        "billing_scheme": billing_scheme,
        "created": ctx.now,
        "currency": currency,
        "custom_unit_amount": custom_unit_amount,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": meta or {},
        "nickname": nickname,
        "product": product,
        "recurring": recurring,
        "tax_behavior": tax_behavior or "unspecified",
        "tiers_mode": tiers_mode,
        "transform_quantity": transform_quantity,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": unit_amount_decimal,
    }
    # Expanded, `currency_options` lists the price's own currency too.
    own: dict[str, Any] = {
        "custom_unit_amount": custom_unit_amount,
        "tax_behavior": price["tax_behavior"],
        "unit_amount": unit_amount,
        "unit_amount_decimal": unit_amount_decimal,
    }
    if tiers is not None:
        own["tiers"] = tiers
        price["tiers"] = tiers
    price["currency_options"] = {currency: own}
    return price


def store(ctx: RequestContext, price: dict[str, Any], *, inline: bool = False) -> dict[str, Any]:
    """Insert a new price. A deleted plan's id may be used again, so a leftover record
    under the same id gives way."""
    if ctx.find("price", price["id"]) is not None:
        ctx.remove("price", price["id"])
    ctx.insert(price)
    if inline:
        ctx.save(price, listed=False)  # inline prices stay out of lists and search
    return price


def shown(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as events show it: without the includable fields."""
    return {k: v for k, v in obj.items() if k not in ("currency_options", "tiers")}


def as_plan(price: dict[str, Any]) -> dict[str, Any]:
    """The Plans API face of a recurring price (its `tiers` includable as well)."""
    recurring = price["recurring"]
    plan = {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": price["metadata"],
        "meter": recurring.get("meter"),
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": price["tiers_mode"],
        "transform_usage": price["transform_quantity"],
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring["usage_type"],
    }
    if "tiers" in price:
        plan["tiers"] = price["tiers"]
    return plan


def plan_previous(previous: dict[str, Any]) -> dict[str, Any]:
    """A price's previous_attributes, as the plan face names them."""
    out = {k: v for k, v in previous.items() if k in ("active", "metadata", "nickname", "product")}
    recurring = previous.get("recurring")
    if isinstance(recurring, dict) and "trial_period_days" in recurring:
        out["trial_period_days"] = recurring["trial_period_days"]
    return out


def announce(
    ctx: RequestContext,
    action: str,
    price: dict[str, Any],
    previous: dict[str, Any] | None = None,
    *,
    plan_first: bool = False,
) -> None:
    """Emit `price.<action>` and, for a recurring price, `plan.<action>` (skipped for an
    update that changed nothing the plan shows, such as a lookup key)."""
    events: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
        (f"price.{action}", shown(price), previous)
    ]
    if price.get("recurring"):
        plan_prev = plan_previous(previous) if previous is not None else None
        if previous is None or plan_prev:
            events.append((f"plan.{action}", shown(as_plan(price)), plan_prev))
    if plan_first:
        events.reverse()
    for event_type, obj, prev in events:
        ctx.emit(event_type, obj, prev)


def claim_lookup_key(ctx: RequestContext, key: str, price_id: str, *, transfer: bool) -> None:
    """Lookup keys are unique per account, archived holders included; `transfer` moves
    the key here, clearing it on the holder (which stays active)."""
    for holder in ctx.tx.scan(ctx.account, "price", (Filter(("lookup_key",), "eq", key),)):
        if holder["id"] == price_id:
            continue
        if not transfer:
            raise InvalidRequestError(
                f"A price (`{holder['id']}`) already uses that lookup key.", param="lookup_key"
            )
        holder["lookup_key"] = None
        ctx.save(holder)
        announce(ctx, "updated", holder, {"lookup_key": key})


def check_archivable(ctx: RequestContext, price: dict[str, Any]) -> None:
    product = ctx.find("product", price["product"])
    if product and not product.get("deleted") and product.get("default_price") == price["id"]:
        raise InvalidRequestError(DEFAULT_PRICE_ARCHIVE)


# -- creating a price from /v1/prices-shaped params ----------------------------------------


def create_price(
    ctx: RequestContext,
    params: dict[str, Any],
    product_id: str,
    *,
    prefix: str = "",
    emit_events: bool = True,
    inline: bool = False,
) -> dict[str, Any]:
    """Validate price params as /v1/prices spells them (also inside `default_price_data`,
    `prefix` naming that hash) and store the price for `product_id`. `inline` is for
    `price_data` on other objects: archived, unlisted and unannounced, as Stripe does."""
    currency = currencies.check(params["currency"], name_of(prefix, "currency"))
    recurring = (
        normalize_recurring(
            params["recurring"],
            name_of(prefix, "recurring"),
            legacy_metering=ctx.version_before(METERS_REQUIRED_SINCE),
        )
        if params.get("recurring")
        else None
    )
    custom = _custom_unit_amount(
        params.get("custom_unit_amount"), name_of(prefix, "custom_unit_amount")
    )
    tiers = None
    if params.get("billing_scheme") == "tiered":
        if recurring is None:
            raise InvalidRequestError(TIERED_ONE_TIME, param="interval")
        if not params.get("tiers"):
            raise missing(name_of(prefix, "tiers"))
        if not params.get("tiers_mode"):
            raise missing(name_of(prefix, "tiers_mode"))
        for field in ("unit_amount", "unit_amount_decimal", "custom_unit_amount"):
            if given(params, field):
                raise only_one(field, "tiers", param=name_of(prefix, field))
        if params.get("transform_quantity"):
            raise only_one("tiers", "transform_quantity", param=name_of(prefix, "tiers"))
        tiers = normalize_tiers(params["tiers"], name_of(prefix, "tiers"))
        unit, unit_decimal = None, None
    else:
        for field in ("tiers", "tiers_mode"):
            if params.get(field):
                raise InvalidRequestError(
                    f"`{field}` can only be set on prices with `billing_scheme=tiered`.",
                    param=name_of(prefix, field),
                )
        unit, unit_decimal = amount_pair(params, "unit_amount", "unit_amount_decimal", prefix)
        if custom is not None:
            if unit_decimal is not None:
                field = "unit_amount" if given(params, "unit_amount") else "unit_amount_decimal"
                raise only_one(field, "custom_unit_amount", param=name_of(prefix, field))
            if recurring is not None:
                raise InvalidRequestError(
                    "`custom_unit_amount` is only supported for one-time prices.",
                    param=name_of(prefix, "custom_unit_amount"),
                )
        elif unit_decimal is None:
            raise InvalidRequestError(NEEDS_AMOUNT)
    price = new_price(
        ctx,
        product=product_id,
        currency=currency,
        unit_amount=unit,
        unit_amount_decimal=unit_decimal,
        billing_scheme=params.get("billing_scheme") or "per_unit",
        tiers_mode=params.get("tiers_mode") or None,
        tiers=tiers,
        recurring=recurring,
        transform_quantity=normalize_transform(
            params.get("transform_quantity"), name_of(prefix, "transform_quantity")
        ),
        custom_unit_amount=custom,
        active=False if inline else params.get("active", True),
        lookup_key=params.get("lookup_key") or None,
        meta=metadata.merge(None, params.get("metadata", {}), param=name_of(prefix, "metadata")),
        nickname=params.get("nickname") or None,
        tax_behavior=params.get("tax_behavior"),
    )
    price["currency_options"].update(
        _currency_options(params.get("currency_options"), price, prefix)
    )
    if price["lookup_key"]:
        claim_lookup_key(
            ctx, price["lookup_key"], price["id"], transfer=bool(params.get("transfer_lookup_key"))
        )
    store(ctx, price, inline=inline)
    if emit_events and not inline:
        announce(ctx, "created", price)
    return price


# -- handlers ------------------------------------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if given(params, "product") and params.get("product_data"):
        raise only_one("product", "product_data")
    if given(params, "product"):
        product_id = ctx.load("product", params["product"], param="product", in_path=False)["id"]
    elif params.get("product_data"):
        product = products.create_product(ctx, params["product_data"], prefix="product_data")
        ctx.emit("product.created", product)
        product_id = product["id"]
    else:
        raise InvalidRequestError(
            "You must specify either `product` or `product_data` when creating a price."
        )
    return create_price(ctx, params, product_id)


def retrieve(ctx: RequestContext, params: dict[str, Any], price: str) -> dict[str, Any]:
    return ctx.load("price", price, param="price")


def update(ctx: RequestContext, params: dict[str, Any], price: str) -> dict[str, Any]:
    obj = ctx.load("price", price, param="price")
    if params.get("active") is False and obj["active"]:
        check_archivable(ctx, obj)
    wanted_tax = params.get("tax_behavior")
    if wanted_tax and wanted_tax != obj["tax_behavior"] and obj["tax_behavior"] != "unspecified":
        raise InvalidRequestError(
            "The tax_behavior of a price can't be changed once it is `inclusive` or `exclusive`.",
            param="tax_behavior",
        )
    options = obj["currency_options"]
    own = options[obj["currency"]]
    if params.get("currency_options") == "":
        # Only the price's own currency remains; this is not shown in previous_attributes,
        # the field being includable.
        obj["currency_options"] = {obj["currency"]: own}
    elif params.get("currency_options"):
        options.update(_currency_options(params["currency_options"], obj, ""))
    if given(params, "lookup_key") and params["lookup_key"] != obj["lookup_key"]:
        claim_lookup_key(
            ctx, params["lookup_key"], obj["id"], transfer=bool(params.get("transfer_lookup_key"))
        )
    previous = updates.apply(
        obj, params, ("active", "lookup_key", "metadata", "nickname", "tax_behavior")
    )
    own["tax_behavior"] = obj["tax_behavior"]
    if previous or "currency_options" in params:
        ctx.save(obj)
    if previous:
        announce(ctx, "updated", obj, previous)
    return obj


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Stripe lists active prices unless `active` says otherwise.
    filters = [Filter(("active",), "eq", params.get("active", True))]
    if params.get("product"):
        ctx.load("product", params["product"], param="product", in_path=False)
        filters.append(Filter(("product",), "eq", params["product"]))
    if params.get("currency"):
        filters.append(Filter(("currency",), "eq", params["currency"].lower()))
    if params.get("type"):
        filters.append(Filter(("type",), "eq", params["type"]))
    for field, value in (params.get("recurring") or {}).items():
        filters.append(Filter(("recurring", field), "eq", value))
    if params.get("lookup_keys") is not None:
        filters.append(Filter(("lookup_key",), "in", tuple(params["lookup_keys"])))
    return list_objects(ctx, "price", params, "/v1/prices", tuple(filters))


def search(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return search_objects(ctx, "price", params, "/v1/prices/search")


ROUTES = [
    Route("POST", "/v1/prices", create),
    Route("GET", "/v1/prices", list_),
    Route("GET", "/v1/prices/search", search),
    Route("GET", "/v1/prices/{price}", retrieve),
    Route("POST", "/v1/prices/{price}", update),
]
