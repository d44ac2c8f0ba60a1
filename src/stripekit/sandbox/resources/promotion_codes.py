"""Promotion codes: /v1/promotion_codes (create, retrieve, update, list), and their redemption.

At this API version a code points at its coupon through `promotion: {type: "coupon",
coupon: <id>}` (the top-level `coupon` went away in 2025-03-31.basil).

`active` is derived, as a coupon's `valid` is: the stored flag is what the caller set, and
the code shows `active: true` only while that flag is on, its coupon still exists and is
valid, it has not expired and it has redemptions left. So a code that is used up or past
its `expires_at` reads inactive with no background job, and its `code` is free again.
Times are the sandbox's, or the test clock's for a code restricted to a customer on one.

Other billing code redeems codes through `check` and `redeem` (see their docstrings); the
refusals carry Stripe's "This promotion code cannot be redeemed because ..." texts.
"""

from __future__ import annotations

import re
from typing import Any

from ..framework import currencies, metadata
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import created_range, in_range, page_in_memory
from ..framework.routing import Route
from ..store import Filter
from . import coupons, test_clocks

TYPE = "promotion_code"
GENERATED_CODE_LENGTH = 8
_VALID_CODE = re.compile(r"[A-Za-z0-9-]+").fullmatch

# Refusals when redeeming. Recorded live bodies exist for PRIOR and MAXED (param
# `discounts[0][promotion_code]`) and MINIMUM; the other three follow their pattern
# (proposals).
PRIOR = (
    "This promotion code cannot be redeemed because the associated customer has prior transactions."
)
MINIMUM = (
    "This promotion code cannot be redeemed because the associated purchase does not meet "
    "the minimum amount requirement."
)
MAXED = (
    "This promotion code cannot be redeemed because it has been used the maximum number of times."
)
INACTIVE = "This promotion code cannot be redeemed because it is inactive."
EXPIRED = "This promotion code cannot be redeemed because it has expired."
OTHER_CUSTOMER = (
    "This promotion code cannot be redeemed because it is restricted to a different customer."
)


# -- reading ---------------------------------------------------------------------------------


def _now_for_code(ctx: RequestContext, code: dict[str, Any]) -> int:
    """A code restricted to a customer on a test clock lives on that clock's time."""
    customer_id = code.get("customer")
    if not customer_id:
        return ctx.now
    customer = ctx.find("customer", customer_id)
    return test_clocks.now_for(ctx, (customer or {}).get("test_clock"))


def _coupon_of(ctx: RequestContext, code: dict[str, Any]) -> dict[str, Any] | None:
    coupon_id = (code.get("promotion") or {}).get("coupon")
    return ctx.find("coupon", coupon_id) if coupon_id else None


def _inactive_reason(ctx: RequestContext, code: dict[str, Any], now: int) -> str | None:
    """Why the code cannot be redeemed whoever redeems it (None when it can)."""
    if not code.get("active"):
        return INACTIVE
    expires_at = code.get("expires_at")
    if expires_at is not None and now >= expires_at:
        return EXPIRED
    limit = code.get("max_redemptions")
    if limit is not None and code.get("times_redeemed", 0) >= limit:
        return MAXED
    coupon = _coupon_of(ctx, code)
    if coupon is None or not coupons.is_valid(coupon, now):
        return INACTIVE
    return None


def is_active(ctx: RequestContext, code: dict[str, Any]) -> bool:
    return _inactive_reason(ctx, code, _now_for_code(ctx, code)) is None


def present(ctx: RequestContext, code: dict[str, Any]) -> dict[str, Any]:
    """The code as Stripe shows it: `active` as of now."""
    return {**code, "active": is_active(ctx, code)}


def _load(ctx: RequestContext, promotion_code: str) -> dict[str, Any]:
    return ctx.load(TYPE, promotion_code, param="promotion_code", noun="promotion code")


# -- validation ------------------------------------------------------------------------------


def _non_negative(value: Any, param: str) -> int:
    if not isinstance(value, int) or value < 0:
        # Proposal: a minimum below zero means nothing; worded as Stripe's integer checks.
        raise InvalidRequestError("Invalid non-negative integer", param=param)
    return value


def _currency_options(
    given: Any, current: dict[str, Any] | None, param: str
) -> dict[str, dict[str, int]]:
    merged = dict(current or {})
    if not isinstance(given, dict):
        raise InvalidRequestError("Invalid hash", param=param)
    for key, option in given.items():
        currency = currencies.check_key(key, param)
        name = f"{param}[{currency}][minimum_amount]"
        if not isinstance(option, dict) or option.get("minimum_amount") is None:
            raise InvalidRequestError(
                f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
        merged[currency] = {"minimum_amount": _non_negative(option["minimum_amount"], name)}
    return merged


def _restrictions(given: Any) -> dict[str, Any]:
    given = given or {}
    restrictions: dict[str, Any] = {
        "first_time_transaction": bool(given.get("first_time_transaction") or False),
        "minimum_amount": None,
        "minimum_amount_currency": None,
    }
    amount = given.get("minimum_amount")
    currency = given.get("minimum_amount_currency")
    if amount is not None and amount != "":
        restrictions["minimum_amount"] = _non_negative(amount, "restrictions[minimum_amount]")
        if not currency:
            # Proposal, after the coupon's "You must pass currency when passing amount_off".
            raise InvalidRequestError(
                "You must pass minimum_amount_currency when passing minimum_amount",
                param="restrictions[minimum_amount_currency]",
            )
    if currency:
        if restrictions["minimum_amount"] is None:
            raise InvalidRequestError(
                "You must pass minimum_amount when passing minimum_amount_currency",
                param="restrictions[minimum_amount]",
            )
        restrictions["minimum_amount_currency"] = currencies.check(
            currency, "restrictions[minimum_amount_currency]"
        )
    if given.get("currency_options"):
        if restrictions["minimum_amount"] is None:
            # Proposal: per-currency minimums extend a default minimum, as a coupon's
            # currency_options extend its amount_off.
            raise InvalidRequestError(
                "You must pass minimum_amount and minimum_amount_currency when passing "
                "currency_options",
                param="restrictions[currency_options]",
            )
        options = _currency_options(
            given["currency_options"], None, "restrictions[currency_options]"
        )
        options.pop(restrictions["minimum_amount_currency"], None)
        if options:
            restrictions["currency_options"] = options
    return restrictions


def _check_code_free(
    ctx: RequestContext, code: str, customer: str | None, *, exclude: str | None = None
) -> None:
    """A code must be unique, whatever its case, among the active codes a customer could
    type it into: two codes clash unless they are restricted to two different customers."""
    wanted = code.lower()
    for other in ctx.tx.scan(ctx.account, TYPE):
        if other["id"] == exclude or other["code"].lower() != wanted:
            continue
        other_customer = other.get("customer")
        if customer and other_customer and customer != other_customer:
            continue
        if is_active(ctx, other):
            # Probed wording (recorded by another emulator's live run).
            raise InvalidRequestError(
                f"An active promotion code with `code: {code}` already exists.",
                param="code",
            )


def _new_code(ctx: RequestContext, customer: str | None) -> str:
    while True:  # 36**8 codes: a clash is rare, but must never make a duplicate
        candidate = ctx.ids.random_chars(GENERATED_CODE_LENGTH).upper()
        try:
            _check_code_free(ctx, candidate, customer)
        except InvalidRequestError:
            continue
        return candidate


def _check_coupon_limits(params: dict[str, Any], coupon: dict[str, Any]) -> None:
    limit = params.get("max_redemptions")
    coupon_limit = coupon.get("max_redemptions")
    if limit is not None and coupon_limit is not None and limit > coupon_limit:
        # Proposal: the documented rule, in the style of the coupon's messages.
        raise InvalidRequestError(
            "The promotion code's `max_redemptions` cannot be greater than its coupon's "
            f"`max_redemptions` ({coupon_limit}).",
            param="max_redemptions",
        )
    expires_at = params.get("expires_at")
    redeem_by = coupon.get("redeem_by")
    if expires_at is not None and redeem_by is not None and expires_at > redeem_by:
        raise InvalidRequestError(
            "The promotion code's `expires_at` cannot be after its coupon's `redeem_by` "
            f"({redeem_by}).",
            param="expires_at",
        )


# -- handlers --------------------------------------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    promotion = params["promotion"]
    coupon_id = promotion.get("coupon")
    if not coupon_id:
        # The spec leaves it optional because `type` may one day name other promotions; a
        # coupon promotion needs its coupon.
        raise InvalidRequestError(
            "Missing required param: promotion[coupon].",
            param="promotion[coupon]",
            code="parameter_missing",
        )
    coupon = ctx.load("coupon", coupon_id, param="promotion[coupon]", noun="coupon", in_path=False)
    customer_id = params.get("customer") or None
    if customer_id:
        ctx.load("customer", customer_id, param="customer", in_path=False)
    if params.get("customer_account"):
        # Accounts v2 customers do not exist in the sandbox.
        raise ResourceMissing(
            "account", params["customer_account"], param="customer_account", status=400
        )
    limit = params.get("max_redemptions")
    if limit is not None and limit <= 0:
        raise InvalidRequestError("Invalid positive integer", param="max_redemptions")
    customer = ctx.find("customer", customer_id) if customer_id else None
    now = test_clocks.now_for(ctx, (customer or {}).get("test_clock"))
    expires_at = params.get("expires_at")
    if expires_at is not None and expires_at <= now:
        # The coupon's probed `redeem_by` message, for the same rule on this field.
        raise InvalidRequestError(
            "The parameter `expires_at` expects a unix timestamp representing a date and "
            f"time in the future. You specified the value `{expires_at}` which is in the "
            "past.",
            param="expires_at",
        )
    _check_coupon_limits(params, coupon)
    coupons.check_redeemable(coupon, now, param="promotion[coupon]")
    restrictions = _restrictions(params.get("restrictions"))
    active = params.get("active", True)
    code = params.get("code")
    if code is not None:
        if code == "":
            raise InvalidRequestError(
                "You passed an empty string for 'code'. We assume empty values are an attempt "
                "to unset a parameter; however 'code' cannot be unset. You should remove "
                "'code' from your request or supply a non-empty value.",
                param="code",
                code="parameter_invalid_empty",
            )
        if not _VALID_CODE(code):
            # Proposal: the documented character set.
            raise InvalidRequestError(
                f"Invalid code: {code}. A promotion code may only contain letters (a-z, A-Z), "
                "digits (0-9) and dashes (-).",
                param="code",
            )
        if active:
            _check_code_free(ctx, code, customer_id)
    else:
        code = _new_code(ctx, customer_id)
    promotion_code: dict[str, Any] = {
        "id": ctx.new_id("promo"),
        "object": TYPE,
        "active": bool(active),
        "code": code,
        "created": ctx.now,
        "customer": customer_id,
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": limit,
        "metadata": metadata.merge(None, params.get("metadata", {})),
        "promotion": {"coupon": coupon["id"], "type": "coupon"},
        "restrictions": restrictions,
        "times_redeemed": 0,
    }
    ctx.insert(promotion_code)
    shown = present(ctx, promotion_code)
    ctx.emit("promotion_code.created", shown)
    return shown


def retrieve(ctx: RequestContext, params: dict[str, Any], promotion_code: str) -> dict[str, Any]:
    return present(ctx, _load(ctx, promotion_code))


def update(ctx: RequestContext, params: dict[str, Any], promotion_code: str) -> dict[str, Any]:
    obj = _load(ctx, promotion_code)
    before = present(ctx, obj)
    stored_active = obj["active"]
    previous: dict[str, Any] = {}
    if "active" in params and params["active"] is not None:
        wanted = bool(params["active"])
        if wanted and not before["active"]:
            obj["active"] = True
            reason = _inactive_reason(ctx, obj, _now_for_code(ctx, obj))
            if reason is not None:
                # Documented rule: only a code that could otherwise be redeemed comes back.
                raise InvalidRequestError(
                    "This promotion code cannot be reactivated: "
                    + reason.removeprefix("This promotion code cannot be redeemed because "),
                    param="active",
                )
            _check_code_free(ctx, obj["code"], obj.get("customer"), exclude=obj["id"])
        obj["active"] = wanted
    if "metadata" in params:
        merged = metadata.merge(obj.get("metadata"), params["metadata"])
        if merged != obj.get("metadata"):
            previous["metadata"] = {
                k: (obj.get("metadata") or {}).get(k)
                for k in set(merged) | set(obj.get("metadata") or {})
                if merged.get(k) != (obj.get("metadata") or {}).get(k)
            }
            obj["metadata"] = merged
    restrictions_given = params.get("restrictions")
    if restrictions_given and "currency_options" in restrictions_given:
        current = obj["restrictions"].get("currency_options")
        if obj["restrictions"].get("minimum_amount") is None:
            raise InvalidRequestError(
                "You must pass minimum_amount and minimum_amount_currency when passing "
                "currency_options",
                param="restrictions[currency_options]",
            )
        options = _currency_options(
            restrictions_given["currency_options"] or {},
            current,
            "restrictions[currency_options]",
        )
        options.pop(obj["restrictions"].get("minimum_amount_currency"), None)
        if options != (current or {}):
            previous["restrictions"] = {"currency_options": current}
            obj["restrictions"] = {**obj["restrictions"], "currency_options": options}
    after = present(ctx, obj)
    if after["active"] != before["active"]:
        previous["active"] = before["active"]
    if previous or obj["active"] != stored_active:
        ctx.save(obj)
    if previous:
        ctx.emit("promotion_code.updated", after, previous)
    return after


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Filtered in memory: `active` is derived, and `code` matches whatever its case."""
    if params.get("customer_account"):
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/promotion_codes"}
    filters: list[Filter] = []
    if params.get("coupon"):
        filters.append(Filter(("promotion", "coupon"), "eq", params["coupon"]))
    if params.get("customer"):
        filters.append(Filter(("customer",), "eq", params["customer"]))
    code = (params.get("code") or "").lower()
    active = params.get("active")
    created = created_range(params.get("created"))

    def wanted(obj: dict[str, Any]) -> bool:
        if code and obj["code"].lower() != code:
            return False
        if created and not in_range(obj["created"], created):
            return False
        return active is None or is_active(ctx, obj) == active

    everything = list(ctx.tx.scan(ctx.account, TYPE))
    matched = [o for o in everything if wanted(o) and all(_matches(o, f) for f in filters)]
    page = page_in_memory(
        everything, matched, params, noun="promotion code", url="/v1/promotion_codes"
    )
    page["data"] = [present(ctx, o) for o in page["data"]]
    return page


def _matches(obj: dict[str, Any], condition: Filter) -> bool:
    value: Any = obj
    for key in condition.path:
        value = value.get(key) if isinstance(value, dict) else None
    return bool(value == condition.value)


# -- redemption (for invoices, subscriptions and discounts) -----------------------------------


def has_prior_transactions(ctx: RequestContext, customer_id: str) -> bool:
    """Whether the customer has paid anything yet: a succeeded charge, or a paid invoice
    with money in it (a $0 trial invoice is not a transaction)."""
    mine = Filter(("customer",), "eq", customer_id)
    for charge in ctx.tx.scan(ctx.account, "charge", (mine,)):
        if charge.get("status") == "succeeded" and charge.get("paid", True):
            return True
    for invoice in ctx.tx.scan(ctx.account, "invoice", (mine,)):
        if invoice.get("status") == "paid" and (invoice.get("amount_paid") or 0) > 0:
            return True
    return False


def _minimum_for(restrictions: dict[str, Any], currency: str | None) -> int | None:
    """The minimum a purchase in `currency` must reach, or None when there is none."""
    default = restrictions.get("minimum_amount")
    if default is None:
        return None
    if currency is None or currency == restrictions.get("minimum_amount_currency"):
        return int(default)
    option = (restrictions.get("currency_options") or {}).get(currency)
    if option is not None:
        return int(option["minimum_amount"])
    # A currency the code names no minimum for cannot show it was met.
    return -1


def check(
    ctx: RequestContext,
    promotion_code: str,
    *,
    customer: str | None,
    amount: int | None = None,
    currency: str | None = None,
    param: str = "promotion_code",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Whether `customer` may redeem the code now (on its test clock's time) for a purchase
    of `amount` in `currency` (leave them None when the total is not known yet): returns the
    stored code and its coupon, or raises Stripe's refusal naming `param`."""
    code = ctx.find(TYPE, promotion_code) if isinstance(promotion_code, str) else None
    if code is None:
        raise ResourceMissing("promotion code", str(promotion_code), param=param, status=400)
    customer_obj = ctx.find("customer", customer) if customer else None
    now = test_clocks.now_for(ctx, (customer_obj or {}).get("test_clock"))
    coupon = _coupon_of(ctx, code)
    reason = _inactive_reason(ctx, code, now)
    if reason is not None:
        raise InvalidRequestError(reason, param=param)
    assert coupon is not None  # a code whose coupon is gone is inactive
    if code.get("customer") and code["customer"] != customer:
        raise InvalidRequestError(OTHER_CUSTOMER, param=param)
    restrictions = code["restrictions"]
    first_time = restrictions.get("first_time_transaction")
    if first_time and customer and has_prior_transactions(ctx, customer):
        raise InvalidRequestError(PRIOR, param=param)
    if amount is not None:
        minimum = _minimum_for(restrictions, currency)
        if minimum is not None and (minimum < 0 or amount < minimum):
            raise InvalidRequestError(MINIMUM, param=param)
    return code, coupon


def redeem(
    ctx: RequestContext,
    promotion_code: str,
    *,
    customer: str | None,
    amount: int | None = None,
    currency: str | None = None,
    param: str = "promotion_code",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`check`, then count one redemption on the code and on its coupon. Returns both."""
    code, coupon = check(
        ctx, promotion_code, customer=customer, amount=amount, currency=currency, param=param
    )
    customer_obj = ctx.find("customer", customer) if customer else None
    now = test_clocks.now_for(ctx, (customer_obj or {}).get("test_clock"))
    coupon = coupons.redeem(ctx, coupon["id"], now=now, param=param)
    was_active = is_active(ctx, code)
    code["times_redeemed"] = code.get("times_redeemed", 0) + 1
    ctx.save(code)
    if was_active and not is_active(ctx, code):
        # The last redemption turns the code inactive, which Stripe reports as an update.
        ctx.emit("promotion_code.updated", present(ctx, code), {"active": True})
    return code, coupon


ROUTES = [
    Route("POST", "/v1/promotion_codes", create),
    Route("GET", "/v1/promotion_codes", list_),
    Route("GET", "/v1/promotion_codes/{promotion_code}", retrieve),
    Route("POST", "/v1/promotion_codes/{promotion_code}", update),
]
