"""Shipping rates: /v1/shipping_rates (create, retrieve, update, list). Stripe has no delete.

A shipping rate is a fixed amount (`type: fixed_amount`) in one currency, with optional
amounts in others (`fixed_amount[currency_options]`). Its amount and currency never change
once created (only the other currencies' amounts, `tax_behavior`, `active` and
`metadata`), which is why a Checkout Session may keep the amount it chose. Archiving a rate
(`active: false`) keeps it where it is used but refuses it for new sessions (`choose`).

Stripe documents no event type for shipping rates, so none is recorded.
"""

from __future__ import annotations

from typing import Any

from ..framework import currencies, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.params import empty_string_error
from ..framework.routing import Route
from ..store import Filter

OBJECT = "shipping_rate"
# Stripe's "No such shipping rate: 'shr_...'" spells the object with a space.
NOUN = "shipping rate"


def _find(ctx: RequestContext, shipping_rate: str) -> dict[str, Any]:
    return ctx.load(OBJECT, shipping_rate, param="shipping_rate_token", noun=NOUN)


def _amount(value: Any, param: str) -> int:
    if value < 0:
        # Proposal: no recorded Stripe body for a negative shipping amount; the wording
        # follows Stripe's range messages elsewhere.
        raise InvalidRequestError(
            f"This value must be greater than or equal to 0 (it currently is '{value}').",
            param=param,
        )
    return int(value)


def _currency_options(
    given: Any, own_currency: str, tax_behavior: str, prefix: str, current: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """`fixed_amount[currency_options]` merged over the current ones; on update an option
    may change its amount or its tax behaviour alone."""
    out = {code: dict(option) for code, option in current.items()}
    for key, option in (given or {}).items():
        name = f"{prefix}[currency_options][{key}]"
        code = currencies.check_key(key, name)
        if code == own_currency:
            # Proposal: Stripe's wording for a currency option in the rate's own currency
            # was not recorded.
            raise InvalidRequestError(
                f"`{code}` is the shipping rate's own currency; give its amount in "
                "`fixed_amount[amount]` instead.",
                param=name,
            )
        before = out.get(code) or {}
        if "amount" in option:
            amount = _amount(option["amount"], f"{name}[amount]")
        elif before:
            amount = before["amount"]
        else:
            raise InvalidRequestError(
                f"Missing required param: {name}[amount].",
                param=f"{name}[amount]",
                code="parameter_missing",
            )
        out[code] = {
            "amount": amount,
            "tax_behavior": option.get("tax_behavior")
            or before.get("tax_behavior")
            or tax_behavior,
        }
    return out


def _fixed_amount(params: dict[str, Any], tax_behavior: str, prefix: str) -> dict[str, Any]:
    given = params.get("fixed_amount")
    if not given:
        raise InvalidRequestError(
            f"Missing required param: {prefix}.", param=prefix, code="parameter_missing"
        )
    currency = currencies.check(given["currency"], f"{prefix}[currency]")
    fixed: dict[str, Any] = {
        "amount": _amount(given["amount"], f"{prefix}[amount]"),
        "currency": currency,
    }
    options = _currency_options(given.get("currency_options"), currency, tax_behavior, prefix, {})
    if options:
        fixed["currency_options"] = options
    return fixed


def build(ctx: RequestContext, params: dict[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """A new shipping rate from create's parameters (or Checkout's `shipping_rate_data`,
    whose errors name `prefix[...]`); stored and returned."""

    def name(field: str) -> str:
        return f"{prefix}[{field}]" if prefix else field

    display_name = params["display_name"]
    if not display_name:
        raise empty_string_error(name("display_name"))
    tax_behavior = params.get("tax_behavior") or None
    estimate = params.get("delivery_estimate") or None
    rate: dict[str, Any] = {
        "id": ctx.new_id("shr"),
        "object": OBJECT,
        "active": True,
        "created": ctx.now,
        "delivery_estimate": (
            {"maximum": estimate.get("maximum"), "minimum": estimate.get("minimum")}
            if estimate
            else None
        ),
        "display_name": display_name,
        "fixed_amount": _fixed_amount(params, tax_behavior or "unspecified", name("fixed_amount")),
        "livemode": False,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        # A tax code is kept as given: the sandbox has no Stripe Tax codes to check it by.
        "tax_behavior": tax_behavior,
        "tax_code": params.get("tax_code") or None,
        "type": params.get("type") or "fixed_amount",
    }
    ctx.insert(rate)
    return rate


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return build(ctx, params)


def retrieve(
    ctx: RequestContext, params: dict[str, Any], shipping_rate_token: str
) -> dict[str, Any]:
    return _find(ctx, shipping_rate_token)


def update(ctx: RequestContext, params: dict[str, Any], shipping_rate_token: str) -> dict[str, Any]:
    rate = _find(ctx, shipping_rate_token)
    wanted_tax = params.get("tax_behavior")
    if (
        wanted_tax
        and wanted_tax != rate["tax_behavior"]
        and rate["tax_behavior"]
        not in (
            None,
            "unspecified",
        )
    ):
        # Proposal: the rule and wording Stripe has for prices' tax behaviour.
        raise InvalidRequestError(
            "The tax_behavior of a shipping rate can't be changed once it is `inclusive` "
            "or `exclusive`.",
            param="tax_behavior",
        )
    changes = {k: v for k, v in params.items() if k in ("active", "metadata", "tax_behavior")}
    given = (params.get("fixed_amount") or {}).get("currency_options")
    if given:
        fixed = rate["fixed_amount"]
        changes["fixed_amount"] = {
            **fixed,
            "currency_options": _currency_options(
                given,
                fixed["currency"],
                rate["tax_behavior"] or "unspecified",
                "fixed_amount",
                fixed.get("currency_options") or {},
            ),
        }
    previous = updates.apply(rate, changes, ("active", "fixed_amount", "metadata", "tax_behavior"))
    if previous:
        ctx.save(rate)
    return rate


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    if params.get("active") not in (None, ""):
        filters.append(Filter(("active",), "eq", params["active"]))
    if params.get("currency"):
        code = currencies.check(params["currency"])
        filters.append(Filter(("fixed_amount", "currency"), "eq", code))
    return list_objects(ctx, OBJECT, params, "/v1/shipping_rates", tuple(filters), noun=NOUN)


# -- for Checkout -----------------------------------------------------------------------------


def choose(ctx: RequestContext, rate_id: Any, *, param: str) -> dict[str, Any]:
    """A rate to offer on a new Checkout Session: it must exist and be active (its price
    in the session's currency is `amount_in`'s check)."""
    rate = ctx.load(OBJECT, rate_id, param=param, noun=NOUN, in_path=False)
    if not rate["active"]:
        # Proposal: Stripe refuses archived rates for new sessions; its text was not recorded.
        raise InvalidRequestError(
            f"The shipping rate {rate['id']} is inactive and cannot be used.", param=param
        )
    return rate


def amount_in(rate: dict[str, Any], currency: str, *, param: str) -> int:
    """The rate's amount in `currency`, or a refusal naming `param`."""
    fixed = rate["fixed_amount"]
    if fixed["currency"] == currency:
        return int(fixed["amount"])
    option = (fixed.get("currency_options") or {}).get(currency)
    if option is None:
        # Proposal: Stripe's wording for a rate with no amount in the session's currency
        # was not recorded.
        raise InvalidRequestError(
            f"The shipping rate {rate['id']} has no amount in `{currency}`, the currency of "
            "this Checkout Session.",
            param=param,
        )
    return int(option["amount"])


ROUTES = [
    Route("POST", "/v1/shipping_rates", create),
    Route("GET", "/v1/shipping_rates", list_),
    Route("GET", "/v1/shipping_rates/{shipping_rate_token}", retrieve),
    Route("POST", "/v1/shipping_rates/{shipping_rate_token}", update),
]
