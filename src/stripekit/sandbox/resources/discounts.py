"""Discounts: the `discount` objects coupons and promotion codes turn into, and the routes
that remove them: /v1/customers/{customer}/discount, /v1/subscriptions/{id}/discount and
the legacy /v1/customers/{customer}/subscriptions/{id}/discount (GET and DELETE).

A discount is stored (type `discount`) so that `expand[]=discounts` finds it from a
subscription, an invoice or a line; Stripe has no route to fetch one by id. At this API
version it names its coupon as `source: {type: "coupon", coupon: <id>}`. A removed discount
stays stored as `{..., deleted: true}` (what an invoice that used it expands to) and leaves
its holder.

For the other billing modules:
- `create_discount(...)` validates and redeems a coupon or promotion code and stores the
  discount. A customer-level discount (no subscription, invoice or item named) is set as
  the customer's `discount`; for the others the caller puts the returned id in its own
  `discounts` list. `customer.discount.created` is sent for customer and subscription
  discounts, as Stripe does.
- `active(discount, now)`: whether it still applies at `now`. A `repeating` discount ends
  at `end` (start + duration_in_months calendar months); a timer also removes it then.
- `used(ctx, discount)`: call once an invoice has applied a discount; a `once` discount on
  a customer or subscription is removed after its one invoice.
- `coupon_of(ctx, discount)`: the coupon as it was applied (a deleted coupon keeps
  discounting the subscriptions that already have it).
- `end(ctx, discount)`: remove a customer or subscription discount now.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.routing import Route
from . import coupons, promotion_codes, test_clocks

TYPE = "discount"
# The coupon each discount was made from, kept apart from the public object (which names the
# coupon by id only) because a coupon can be deleted while its discounts live on. Never
# served; the invoices package reads the same record type.
SNAPSHOT_TYPE = "sandbox.discount_coupon"
END_TIMER = "discount.end"
# A discount has no `created` on Stripe; the store needs one to order it. Declaring it
# includable makes the engine drop it wherever a discount is expanded into an answer
# (`expand[]=discounts`); nothing can ask for it, since it is not expandable.
INCLUDABLE = {TYPE: ("created",)}
# The holders a discount can be attached to besides a customer.
_ENDED = ("canceled", "incomplete_expired")
_TARGETS = ("subscription", "subscription_item", "invoice", "invoice_item", "checkout_session")


# -- helpers ----------------------------------------------------------------------------------


def add_months(timestamp: int, months: int) -> int:
    """`months` calendar months after `timestamp` (UTC), the day clamped to the month's
    last, as Stripe counts a repeating coupon's duration."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def public(discount: dict[str, Any]) -> dict[str, Any]:
    """The discount as Stripe shows it (the store keeps `created` for its ordering only)."""
    return {k: v for k, v in discount.items() if k != "created"}


def _clock_of(ctx: RequestContext, customer_id: str | None) -> str | None:
    customer = ctx.find("customer", customer_id) if customer_id else None
    clock: str | None = (customer or {}).get("test_clock")
    return clock


def _names(param: str | None) -> tuple[str, str]:
    if param is None:
        return "coupon", "promotion_code"
    return f"{param}[coupon]", f"{param}[promotion_code]"


def active(discount: dict[str, Any], now: int) -> bool:
    """Whether a discount still applies to an invoice made at `now`."""
    if discount.get("deleted"):
        return False
    end = discount.get("end")
    return end is None or now < end


def coupon_of(ctx: RequestContext, discount: dict[str, Any]) -> dict[str, Any]:
    """The coupon the discount applies, as it was when applied (it may since have been
    deleted; the snapshot is missing only for discounts stored before snapshots existed)."""
    snapshot = ctx.find(SNAPSHOT_TYPE, discount["id"])
    if snapshot is not None:
        coupon: dict[str, Any] = snapshot["coupon"]
        return coupon
    live = ctx.find("coupon", discount["source"]["coupon"])
    if live is None:
        raise LookupError(f"discount {discount['id']} has no coupon")
    return live


# -- creating ---------------------------------------------------------------------------------


def create_discount(
    ctx: RequestContext,
    *,
    coupon: str | None = None,
    promotion_code: str | None = None,
    customer: str | None = None,
    subscription: str | None = None,
    subscription_item: str | None = None,
    invoice: str | None = None,
    invoice_item: str | None = None,
    checkout_session: str | None = None,
    start: int | None = None,
    amount: int | None = None,
    currency: str | None = None,
    param: str | None = None,
    redeem: bool = True,
) -> dict[str, Any]:
    """Turn a coupon or a promotion code into a stored discount and return it.

    `param` is the request parameter the entry came in (`discounts[0]`), so refusals name
    `discounts[0][coupon]`; without it they name `coupon` / `promotion_code`. `amount` and
    `currency` are the purchase a promotion code's minimum is checked against (None skips
    that check). `redeem=False` validates without counting a redemption. `start` defaults to
    now on the customer's test clock."""
    coupon_param, code_param = _names(param)
    if coupon and promotion_code:
        raise InvalidRequestError(
            "You may only specify one of these parameters: coupon, promotion_code.",
            param=code_param,
        )
    if not coupon and not promotion_code:
        raise InvalidRequestError(
            "You must specify either coupon or promotion_code.",
            param=coupon_param,
            code="parameter_missing",
        )
    clock = _clock_of(ctx, customer)
    now = test_clocks.now_for(ctx, clock)
    code_id: str | None = None
    # Everything is checked before anything is counted, so a refusal redeems nothing even
    # for a caller that does not roll back.
    if promotion_code:
        code, coupon_obj = promotion_codes.check(
            ctx,
            promotion_code,
            customer=customer,
            amount=amount,
            currency=currency,
            param=code_param,
        )
        code_id = code["id"]
    else:
        coupon_obj = ctx.load("coupon", str(coupon), param=coupon_param, in_path=False)
        coupons.check_redeemable(coupon_obj, now, param=coupon_param)
    targets = {
        "subscription": subscription,
        "subscription_item": subscription_item,
        "invoice": invoice,
        "invoice_item": invoice_item,
        "checkout_session": checkout_session,
    }
    forever_amount = coupon_obj.get("amount_off") and coupon_obj.get("duration") == "forever"
    if any(targets.values()) and forever_amount:
        # Since 2025-03-31.basil a forever amount_off coupon applies to customers only
        # (changelog "restrict coupon duration"); the wording is a proposal.
        raise InvalidRequestError(
            "Coupons with `amount_off` and `duration: forever` can no longer be applied to "
            "subscriptions, invoices, invoice items or checkout sessions.",
            param=code_param if promotion_code else coupon_param,
        )
    if redeem and promotion_code:
        _, coupon_obj = promotion_codes.redeem(
            ctx,
            promotion_code,
            customer=customer,
            amount=amount,
            currency=currency,
            param=code_param,
        )
    elif redeem:
        coupon_obj = coupons.redeem(ctx, coupon_obj["id"], now=now, param=coupon_param)
    begins = now if start is None else start
    months = coupon_obj.get("duration_in_months")
    end = (
        add_months(begins, int(months))
        if coupon_obj.get("duration") == "repeating" and months
        else None
    )
    discount: dict[str, Any] = {
        "id": ctx.new_id("di"),
        "object": TYPE,
        "checkout_session": checkout_session,
        "created": begins,
        "customer": customer,
        "customer_account": None,
        "end": end,
        "invoice": invoice,
        "invoice_item": invoice_item,
        "promotion_code": code_id,
        "source": {"coupon": coupon_obj["id"], "type": "coupon"},
        "start": begins,
        "subscription": subscription,
        "subscription_item": subscription_item,
    }
    ctx.insert(discount)
    ctx.insert(
        {
            "id": discount["id"],
            "object": SNAPSHOT_TYPE,
            "created": begins,
            # All of it (applies_to and currency_options decide what it discounts) but the
            # derived `valid`.
            "coupon": {k: v for k, v in coupon_obj.items() if k != "valid"},
        }
    )
    holder_level = not any(v for k, v in targets.items() if k != "subscription")
    if end is not None and holder_level:
        ctx.schedule(end, END_TIMER, discount["id"], clock=clock)
    if customer and not any(targets.values()):
        _attach_to_customer(ctx, customer, discount)
    elif subscription and holder_level:
        ctx.emit("customer.discount.created", public(discount))
    return discount


def _attach_to_customer(ctx: RequestContext, customer_id: str, discount: dict[str, Any]) -> None:
    customer = ctx.load("customer", customer_id, param="customer", in_path=False)
    old = customer.get("discount")
    customer["discount"] = public(discount)
    ctx.save(customer)
    if old:
        # One customer discount at a time: the new coupon replaces the old one, which Stripe
        # reports as `customer.discount.updated`.
        stored_old = ctx.find(TYPE, old["id"])
        if stored_old is not None:
            ctx.save({**stored_old, "deleted": True}, listed=False)
        changed = {k: v for k, v in old.items() if public(discount).get(k) != v}
        ctx.emit("customer.discount.updated", public(discount), changed)
    else:
        ctx.emit("customer.discount.created", public(discount))


# -- ending -----------------------------------------------------------------------------------


def end(ctx: RequestContext, discount: dict[str, Any] | str) -> dict[str, Any]:
    """Remove a customer or subscription discount from its holder and mark it deleted
    (`customer.discount.deleted`; the subscription also reports `customer.subscription.
    updated`). Returns the deleted discount as Stripe answers a DELETE."""
    stored = ctx.find(TYPE, discount) if isinstance(discount, str) else discount
    if stored is None:
        raise LookupError(f"no discount {discount!r}")
    shown = public(stored)
    if stored.get("deleted"):
        return shown
    if stored.get("subscription"):
        sub = ctx.find("subscription", stored["subscription"])
        # An ended subscription keeps the discounts it ended with.
        live = sub is not None and sub.get("status") not in _ENDED
        if live and sub is not None and stored["id"] in _ids(sub.get("discounts")):
            before = list(sub.get("discounts") or [])
            sub["discounts"] = [d for d in before if _id_of(d) != stored["id"]]
            ctx.save(sub)
            ctx.emit("customer.subscription.updated", sub, {"discounts": before})
    elif stored.get("customer") and not any(stored.get(k) for k in _TARGETS):
        customer = ctx.find("customer", stored["customer"])
        if customer is not None and (customer.get("discount") or {}).get("id") == stored["id"]:
            customer["discount"] = None
            ctx.save(customer)
    ctx.save({**stored, "deleted": True}, listed=False)
    ctx.emit("customer.discount.deleted", shown)
    return {**shown, "deleted": True}


def used(ctx: RequestContext, discount: dict[str, Any] | str) -> None:
    """Note that an invoice applied the discount: a `once` coupon's customer or subscription
    discount is spent, and removed."""
    stored = ctx.find(TYPE, discount) if isinstance(discount, str) else discount
    if stored is None or stored.get("deleted"):
        return
    if any(stored.get(k) for k in _TARGETS if k != "subscription"):
        return  # an invoice's or an item's own discount stays where it was applied
    if coupon_of(ctx, stored).get("duration") == "once":
        end(ctx, stored)


def _end_timer(ctx: RequestContext, discount_id: str) -> None:
    stored = ctx.find(TYPE, discount_id)
    if stored is None or stored.get("deleted") or stored.get("end") is None:
        return
    if stored["end"] <= ctx.now:
        end(ctx, stored)


def _ids(values: Any) -> list[str]:
    return [_id_of(v) for v in values or []]


def _id_of(value: Any) -> str:
    return str(value["id"]) if isinstance(value, dict) else str(value)


def customer_discount(ctx: RequestContext, customer_id: str, now: int) -> dict[str, Any] | None:
    """The customer's own discount, if it still applies at `now` (stored form)."""
    customer = ctx.find("customer", customer_id)
    shown = (customer or {}).get("discount")
    if not shown:
        return None
    stored = ctx.find(TYPE, shown["id"])
    return stored if stored is not None and active(stored, now) else None


# -- routes -----------------------------------------------------------------------------------


def _no_discount(kind: str, id_: str) -> InvalidRequestError:
    # Proposal: Stripe documents "an error" when nothing is applied, without a recorded body.
    return InvalidRequestError(
        f"No active discount for {kind}: '{id_}'", code="resource_missing", status=404
    )


def _customer_discount_obj(ctx: RequestContext, customer: str) -> dict[str, Any]:
    obj = ctx.load("customer", customer)
    shown = obj.get("discount")
    if not shown:
        raise _no_discount("customer", customer)
    stored = ctx.find(TYPE, shown["id"])
    return stored if stored is not None else {**shown, "created": ctx.now}


def get_customer_discount(
    ctx: RequestContext, params: dict[str, Any], customer: str
) -> dict[str, Any]:
    return public(_customer_discount_obj(ctx, customer))


def delete_customer_discount(
    ctx: RequestContext, params: dict[str, Any], customer: str
) -> dict[str, Any]:
    return end(ctx, _customer_discount_obj(ctx, customer))


def _subscription(
    ctx: RequestContext, subscription_exposed_id: str, customer: str | None = None
) -> dict[str, Any]:
    if customer is not None:
        ctx.load("customer", customer)
    # The subscriptions module names the path parameter the same way.
    sub = ctx.load("subscription", subscription_exposed_id, param="subscription_exposed_id")
    if customer is not None and sub.get("customer") != customer:
        raise InvalidRequestError(
            f"Customer {customer} does not have a subscription with ID {subscription_exposed_id}",
            param="subscription",
            code="resource_missing",
            status=404,
        )
    return sub


def _subscription_discount(ctx: RequestContext, sub: dict[str, Any]) -> dict[str, Any]:
    """The subscription's first discount of its own (the one the legacy singular routes
    address)."""
    for discount_id in _ids(sub.get("discounts")):
        stored = ctx.find(TYPE, discount_id)
        if stored is not None and not stored.get("deleted"):
            return stored
    raise _no_discount("subscription", sub["id"])


def delete_subscription_discount(
    ctx: RequestContext, params: dict[str, Any], subscription_exposed_id: str
) -> dict[str, Any]:
    sub = _subscription(ctx, subscription_exposed_id)
    return end(ctx, _subscription_discount(ctx, sub))


def get_legacy_subscription_discount(
    ctx: RequestContext, params: dict[str, Any], customer: str, subscription_exposed_id: str
) -> dict[str, Any]:
    sub = _subscription(ctx, subscription_exposed_id, customer)
    return public(_subscription_discount(ctx, sub))


def delete_legacy_subscription_discount(
    ctx: RequestContext, params: dict[str, Any], customer: str, subscription_exposed_id: str
) -> dict[str, Any]:
    sub = _subscription(ctx, subscription_exposed_id, customer)
    return end(ctx, _subscription_discount(ctx, sub))


_LEGACY = "/v1/customers/{customer}/subscriptions/{subscription_exposed_id}/discount"

ROUTES = [
    Route("GET", "/v1/customers/{customer}/discount", get_customer_discount),
    Route("DELETE", "/v1/customers/{customer}/discount", delete_customer_discount),
    Route(
        "DELETE",
        "/v1/subscriptions/{subscription_exposed_id}/discount",
        delete_subscription_discount,
    ),
    Route("GET", _LEGACY, get_legacy_subscription_discount),
    Route("DELETE", _LEGACY, delete_legacy_subscription_discount),
]

TIMERS = {END_TIMER: _end_timer}
