"""Coupons: /v1/coupons (create, retrieve, update, delete, list).

A coupon's id is the caller's code (`SUMMER-25`) or eight random base62 characters, with no
prefix. `valid` is derived, never written: it is recomputed from the sandbox clock and the
redemption count every time a coupon leaves this module (`present`), so a `redeem_by` passing
under `advance_clock` needs no background job. `applies_to` and `currency_options` are stored
but, as on Stripe, only shown when expanded, so `present` leaves them out.

Redemptions are counted by the billing code that applies coupons (`redeem`, called for each
discount made from the coupon, directly or through a promotion code); `check_redeemable`
refuses a coupon past its `redeem_by` or used `max_redemptions` times.

Unlike a customer, a deleted coupon is gone: a later call answers 404 and its id may be used
again. Error texts follow the live probes in the research notes (section 11); the ones marked
"proposal" below had no recorded Stripe body and copy the style of their probed neighbours.
"""

from __future__ import annotations

from typing import Any

from ..framework import currencies, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route

ID_LENGTH = 8
# Shown only when expanded (`expand[]=applies_to`), per the coupon schema and probes; the
# engine hides them in responses, `present` in events and embeddings.
INCLUDABLE = {"coupon": ("applies_to", "currency_options")}
UPDATABLE = ("metadata", "name")
PERCENT_MIN = 0.01
PERCENT_MAX = 100.0
# Stripe refuses a `redeem_by` more than five years ahead; five calendar years hold at most
# 1827 days, so this bound never refuses what Stripe would accept.
REDEEM_BY_HORIZON = 1827 * 86400


# -- reading ---------------------------------------------------------------------------------


def is_valid(coupon: dict[str, Any], now: int) -> bool:
    """Whether the coupon can still be redeemed at `now` (sandbox time)."""
    redeem_by = coupon.get("redeem_by")
    if redeem_by is not None and now >= redeem_by:
        return False
    limit = coupon.get("max_redemptions")
    return limit is None or coupon.get("times_redeemed", 0) < limit


def check_redeemable(coupon: dict[str, Any], now: int, *, param: str = "coupon") -> None:
    """Refuse a coupon that can no longer be redeemed at `now` (past `redeem_by`, or used
    `max_redemptions` times), as Stripe refuses applying it."""
    if not is_valid(coupon, now):
        # Live bodies start "Coupon expired: <id>" for a coupon past its redeem_by; Stripe's
        # error-code list names `coupon_expired` for it. A used-up coupon is no longer valid
        # either, and gets the same answer here (proposal: no recorded body for that case).
        raise InvalidRequestError(
            f"Coupon expired: {coupon['id']}", param=param, code="coupon_expired"
        )


def redeem(
    ctx: RequestContext, coupon_id: str, *, now: int | None = None, param: str = "coupon"
) -> dict[str, Any]:
    """Count one redemption of a coupon (a discount made from it, directly or through a
    promotion code): refused when it is missing or no longer valid at `now` (the time of the
    customer's test clock, sandbox time by default). Returns the stored coupon."""
    coupon = ctx.find("coupon", coupon_id) if isinstance(coupon_id, str) else None
    if coupon is None:
        # An id given as a parameter: 400, naming the parameter it came in.
        raise ResourceMissing("coupon", str(coupon_id), param=param, status=400)
    check_redeemable(coupon, ctx.now if now is None else now, param=param)
    coupon["times_redeemed"] = coupon.get("times_redeemed", 0) + 1
    coupon["valid"] = is_valid(coupon, ctx.now)
    ctx.save(coupon)
    return coupon


def _current(ctx: RequestContext, coupon: dict[str, Any]) -> dict[str, Any]:
    """The stored coupon with `valid` as of now (includable fields still in)."""
    return {**coupon, "valid": is_valid(coupon, ctx.now)}


def present(ctx: RequestContext, coupon: dict[str, Any]) -> dict[str, Any]:
    """The coupon as an event or an embedding shows it: `valid` as of now, includable
    fields left out. Discounts and promotion codes that embed a coupon should use this."""
    hidden = INCLUDABLE["coupon"]
    return {k: v for k, v in _current(ctx, coupon).items() if k not in hidden}


def _find(ctx: RequestContext, coupon: str) -> dict[str, Any]:
    """The live coupon the path names, or Stripe's 404 (`param: coupon`)."""
    found = ctx.find("coupon", coupon)
    if found is None:
        raise ResourceMissing("coupon", coupon, param="coupon")
    return found


# -- validation ------------------------------------------------------------------------------


def _positive(params: dict[str, Any], name: str) -> None:
    value = params.get(name)
    if isinstance(value, int) and value <= 0:
        # Stripe's text for a non-positive count (research section 5); it carries no code.
        raise InvalidRequestError("Invalid positive integer", param=name)


def _ruby_float(value: float) -> str:
    # Stripe prints the offending number as a Ruby float: 0 -> '0.0', 101 -> '101.0'.
    return repr(float(value))


def _check_amounts(params: dict[str, Any]) -> None:
    percent = params.get("percent_off")
    amount = params.get("amount_off")
    if percent is None and amount is None:
        raise InvalidRequestError(
            "Must provide percent_off or amount_off.", code="parameter_missing"
        )
    if percent is not None and amount is not None:
        raise InvalidRequestError(
            "Received both percent_off and amount_off parameters. Please pass in only one."
        )
    if percent is None:
        if not params.get("currency"):
            raise InvalidRequestError(
                "You must pass currency when passing amount_off", param="currency"
            )
        _positive(params, "amount_off")
        return
    if percent < PERCENT_MIN:
        raise InvalidRequestError(
            f"This value must be greater than or equal to {PERCENT_MIN} "
            f"(it currently is '{_ruby_float(percent)}').",
            param="percent_off",
        )
    if percent > PERCENT_MAX:
        # Proposal: the probed floor message, mirrored for the ceiling.
        raise InvalidRequestError(
            f"This value must be less than or equal to {int(PERCENT_MAX)} "
            f"(it currently is '{_ruby_float(percent)}').",
            param="percent_off",
        )


def _check_duration(params: dict[str, Any]) -> str:
    duration: str = params.get("duration") or "once"
    months = params.get("duration_in_months")
    if duration == "repeating":
        if months is None:
            # Probed: Stripe names `duration` here, not `duration_in_months`.
            raise InvalidRequestError(
                "The duration_in_months param must be set when creating a coupon with a "
                "repeating duration",
                param="duration",
            )
        _positive(params, "duration_in_months")
    elif months is not None:
        # Proposal: a month count means nothing for once/forever (the field is documented
        # as null for them), so a caller sending one has likely mistyped the duration.
        raise InvalidRequestError(
            "The duration_in_months param can only be set when creating a coupon with a "
            "repeating duration",
            param="duration_in_months",
        )
    return duration


def _currency_options(
    given: dict[str, Any], percent_off: Any, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Merge `currency_options` into the stored map, refusing it for percent coupons."""
    if percent_off is not None:
        # Probed on create: this refusal comes before the map's own checks.
        raise InvalidRequestError(
            "You may only specify one of these parameters: currency_options, percent_off.",
            param="currency_options",
        )
    merged = dict(current or {})
    for key, option in given.items():
        code = currencies.check_key(key, "currency_options")
        if option["amount_off"] <= 0:
            raise InvalidRequestError(
                "Invalid positive integer", param=f"currency_options[{code}][amount_off]"
            )
        merged[code] = {"amount_off": option["amount_off"]}
    return merged


def _applies_to(ctx: RequestContext, given: Any) -> dict[str, Any] | None:
    if not given:
        return None
    products = list(given.get("products") or [])
    for index, product in enumerate(products):
        # An unknown product is a 400 naming the array entry, as for any id parameter.
        ctx.load("product", product, param=f"applies_to[products][{index}]", in_path=False)
    return {"products": products}


def _check_redeem_by(ctx: RequestContext, redeem_by: Any) -> int | None:
    if redeem_by is None:
        return None
    if redeem_by <= ctx.now:
        raise InvalidRequestError(
            "The parameter `redeem_by` expects a unix timestamp representing a date and time "
            f"in the future. You specified the value `{redeem_by}` which is in the past.",
            param="redeem_by",
        )
    if redeem_by > ctx.now + REDEEM_BY_HORIZON:
        # Proposal: the documented five-year limit, worded like the probed message above.
        raise InvalidRequestError(
            "The parameter `redeem_by` expects a unix timestamp no more than 5 years in the "
            f"future. You specified the value `{redeem_by}`.",
            param="redeem_by",
        )
    result: int = redeem_by
    return result


def _new_id(ctx: RequestContext, given: Any) -> str:
    if given:
        if ctx.find("coupon", given) is not None:
            # Probed: no param; the status was not recorded, 400 as for other conflicts.
            raise InvalidRequestError("Coupon already exists.", code="resource_already_exists")
        text: str = given
        return text
    while True:  # 62**8 ids: a clash is all but impossible, but must never overwrite
        candidate = ctx.ids.random_chars(ID_LENGTH)
        if ctx.find("coupon", candidate) is None:
            return candidate


# -- handlers --------------------------------------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_amounts(params)
    duration = _check_duration(params)
    _positive(params, "max_redemptions")
    percent = params.get("percent_off")
    amount = params.get("amount_off")
    options = None
    if params.get("currency_options") is not None:
        options = _currency_options(params["currency_options"], percent, None)
    applies_to = _applies_to(ctx, params.get("applies_to"))
    coupon_id = _new_id(ctx, params.get("id"))
    redeem_by = _check_redeem_by(ctx, params.get("redeem_by"))
    coupon: dict[str, Any] = {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": amount,
        "created": ctx.now,
        # A currency sent with percent_off has nothing to apply to; Stripe shows null.
        "currency": currencies.check(params["currency"], "currency")
        if amount is not None
        else None,
        "duration": duration,
        "duration_in_months": params.get("duration_in_months") or None,
        "livemode": False,
        "max_redemptions": params.get("max_redemptions") or None,
        "metadata": metadata.merge(None, params.get("metadata", {})),
        "name": params.get("name") or None,
        "percent_off": percent,
        "redeem_by": redeem_by,
        "times_redeemed": 0,
    }
    if applies_to is not None:
        coupon["applies_to"] = applies_to
    if options is not None:
        coupon["currency_options"] = options
    coupon["valid"] = is_valid(coupon, ctx.now)
    ctx.insert(coupon)
    ctx.emit("coupon.created", present(ctx, coupon))
    return coupon


def retrieve(ctx: RequestContext, params: dict[str, Any], coupon: str) -> dict[str, Any]:
    return _current(ctx, _find(ctx, coupon))


def update(ctx: RequestContext, params: dict[str, Any], coupon: str) -> dict[str, Any]:
    obj = _find(ctx, coupon)
    options_changed = False
    if "currency_options" in params:
        merged = _currency_options(
            params["currency_options"], obj.get("percent_off"), obj.get("currency_options")
        )
        options_changed = merged != obj.get("currency_options")
        obj["currency_options"] = merged
    # `currency_options` is not shown, so previous_attributes never lists it (as probed).
    previous = updates.apply(obj, params, UPDATABLE)
    if previous or options_changed:
        obj["valid"] = is_valid(obj, ctx.now)
        ctx.save(obj)
        ctx.emit("coupon.updated", present(ctx, obj), previous)
    return _current(ctx, obj)


def delete(ctx: RequestContext, params: dict[str, Any], coupon: str) -> dict[str, Any]:
    obj = _find(ctx, coupon)
    # Stripe forgets the coupon outright (later calls 404), which also frees its id.
    ctx.remove("coupon", obj["id"])
    # Probed: the coupon.deleted snapshot already says the coupon is no longer valid.
    ctx.emit("coupon.deleted", {**present(ctx, obj), "valid": False})
    return {"id": obj["id"], "object": "coupon", "deleted": True}


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    page = list_objects(ctx, "coupon", params, "/v1/coupons")
    page["data"] = [_current(ctx, c) for c in page["data"]]
    return page


ROUTES = [
    Route("POST", "/v1/coupons", create),
    Route("GET", "/v1/coupons", list_),
    Route("GET", "/v1/coupons/{coupon}", retrieve),
    Route("POST", "/v1/coupons/{coupon}", update),
    Route("DELETE", "/v1/coupons/{coupon}", delete),
]
