"""The subscription routes besides create and update: retrieve, list, search, cancel,
resume, and the legacy customer-scoped routes.

Lists leave canceled subscriptions out unless `status=canceled`, `ended` (canceled and
incomplete_expired) or `all` asks for them, as Stripe does; `price` and the
`current_period_*` ranges are matched on the items, where this API version keeps them.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from ...framework.listing import created_range, in_range, list_objects
from ...framework.searching import search_objects
from ...store import Filter
from . import billing, creation, cycle, lifecycle, model, updates

LIST_STATUSES = {
    "all": None,
    "ended": ("canceled", "incomplete_expired"),
}
NOT_CANCELED = (
    "active",
    "trialing",
    "past_due",
    "unpaid",
    "incomplete",
    "incomplete_expired",
    "paused",
)


def retrieve(
    ctx: RequestContext, params: dict[str, Any], subscription_exposed_id: str
) -> dict[str, Any]:
    return model.load(ctx, subscription_exposed_id)


def _item_filter(ctx: RequestContext, params: dict[str, Any]) -> Filter | None:
    """`price` and `current_period_*` match items; the answer is the set of their
    subscriptions."""
    price = params.get("price")
    ranges = {
        name: created_range(params.get(name), name)
        for name in ("current_period_start", "current_period_end")
        if params.get(name) not in (None, "")
    }
    if not price and not ranges:
        return None
    conditions = (Filter(("price", "id"), "eq", price),) if price else ()
    wanted = set()
    for item in ctx.tx.scan(ctx.account, model.ITEM, conditions):
        if all(in_range(item[name], bounds) for name, bounds in ranges.items()):
            wanted.add(item["subscription"])
    return Filter(("id",), "in", sorted(wanted))


def list_subscriptions(
    ctx: RequestContext, params: dict[str, Any], url: str, customer: str | None = None
) -> dict[str, Any]:
    filters = []
    customer = customer or params.get("customer")
    if customer:
        filters.append(Filter(("customer",), "eq", customer))
    status = params.get("status")
    if status is None:
        filters.append(Filter(("status",), "in", list(NOT_CANCELED)))
    elif status in LIST_STATUSES:
        wanted = LIST_STATUSES[status]
        if wanted is not None:
            filters.append(Filter(("status",), "in", list(wanted)))
    else:
        filters.append(Filter(("status",), "eq", status))
    for name in ("collection_method", "test_clock"):
        if params.get(name):
            filters.append(Filter((name,), "eq", params[name]))
    automatic_tax = params.get("automatic_tax")
    if isinstance(automatic_tax, dict) and "enabled" in automatic_tax:
        filters.append(Filter(("automatic_tax", "enabled"), "eq", automatic_tax["enabled"]))
    by_items = _item_filter(ctx, params)
    if by_items is not None:
        filters.append(by_items)
    return list_objects(ctx, model.TYPE, params, url, tuple(filters), noun="subscription")


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("customer"):
        ctx.load("customer", params["customer"], param="customer", in_path=False)
    return list_subscriptions(ctx, params, "/v1/subscriptions")


def search(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return search_objects(ctx, model.TYPE, params, "/v1/subscriptions/search")


# -- cancel -------------------------------------------------------------------------------------


def cancel(
    ctx: RequestContext, params: dict[str, Any], subscription_exposed_id: str
) -> dict[str, Any]:
    sub = model.load(ctx, subscription_exposed_id)
    return cancel_now(ctx, sub, params)


def cancel_now(ctx: RequestContext, sub: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if sub["status"] in model.ENDED:
        # Stripe treats an ended subscription as gone for a second cancellation.
        raise ResourceMissing("subscription", sub["id"], param="id")
    now = model.now_of(ctx, sub)
    details = params.get("cancellation_details") or {}
    for key in ("comment", "feedback"):
        if key in details:
            sub["cancellation_details"][key] = details[key] or None
    if sub["status"] == "incomplete":
        billing.void_open(ctx, sub)
    # An immediate cancel overrides one planned for later: it is asked for now.
    sub["cancel_at_period_end"] = False
    sub["canceled_at"] = now
    lifecycle.end(
        ctx,
        sub,
        at=now,
        reason="cancellation_requested",
        invoice_now=bool(params.get("invoice_now")),
        prorate=bool(params.get("prorate")) and sub["status"] not in ("trialing", "incomplete"),
    )
    return ctx.find(model.TYPE, sub["id"]) or sub


# -- resume -------------------------------------------------------------------------------------


def resume(ctx: RequestContext, params: dict[str, Any], subscription: str) -> dict[str, Any]:
    sub = model.load(ctx, subscription, param="subscription")
    if sub["status"] != "paused":
        raise InvalidRequestError(
            "Only subscriptions with `status=paused` can be resumed. This subscription has a "
            f"status of `{sub['status']}`.",
        )
    if sub["collection_method"] != "charge_automatically":
        raise InvalidRequestError(
            "Only subscriptions with `collection_method=charge_automatically` can be resumed."
        )
    now = model.now_of(ctx, sub)
    before = lifecycle.snapshot(sub)
    interval, count = cycle.recurring_of(model.items_of(sub)[0]["price"])
    amounts: dict[str, int] = {}
    if params.get("billing_cycle_anchor") == "unchanged":
        end = cycle.next_boundary(sub["billing_cycle_anchor"], interval, count, now)
        full_start = cycle.boundary(end, interval, count, -1)
        for item in model.items_of(sub):
            whole = billing.item_amount(ctx, item)
            share = cycle.fraction(end - now, end - full_start, whole)
            amounts[item["id"]] = share if params.get("proration_behavior") != "none" else 0
    else:
        end = cycle.boundary(now, interval, count, 1)
        sub["billing_cycle_anchor"] = now
    model.set_period(sub, now, end)
    sub["status"] = "active"  # lines bill as for an active subscription
    model.save(ctx, sub)
    model.set_creating(ctx, sub, True)
    invoice = billing.issue(
        ctx,
        sub,
        reason="subscription_update",
        lines=billing.period_lines(ctx, sub, now, end, amounts=amounts),
        period={"end": now, "start": now},
        now=True,
    )
    model.set_creating(ctx, sub, False)
    sub = ctx.find(model.TYPE, sub["id"]) or sub
    resumed = invoice is None or invoice["status"] in ("paid", "uncollectible")
    sub["status"] = "active" if resumed else "paused"
    if invoice is not None:
        sub["latest_invoice"] = invoice["id"]
    lifecycle.announce(ctx, sub, before)
    if resumed:
        ctx.emit("customer.subscription.resumed", sub)
        lifecycle.schedule_period(ctx, sub)
    return ctx.find(model.TYPE, sub["id"]) or sub


# -- the legacy customer-scoped routes --------------------------------------------------------


def _owned(ctx: RequestContext, customer: str, subscription_exposed_id: str) -> dict[str, Any]:
    ctx.load("customer", customer, param="customer")
    sub = model.load(ctx, subscription_exposed_id)
    if sub["customer"] != customer:
        raise InvalidRequestError(
            f"Customer {customer} does not have a subscription with ID {subscription_exposed_id}",
            param="subscription",
            code="resource_missing",
            status=404,
        )
    return sub


def customer_list(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.load("customer", customer, param="customer")
    return list_subscriptions(
        ctx, params, f"/v1/customers/{customer}/subscriptions", customer=customer
    )


def customer_create(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.load("customer", customer, param="customer")
    return creation.create(ctx, params, customer_id=customer)


def customer_retrieve(
    ctx: RequestContext, params: dict[str, Any], customer: str, subscription_exposed_id: str
) -> dict[str, Any]:
    return _owned(ctx, customer, subscription_exposed_id)


def customer_update(
    ctx: RequestContext, params: dict[str, Any], customer: str, subscription_exposed_id: str
) -> dict[str, Any]:
    return updates.apply_update(ctx, _owned(ctx, customer, subscription_exposed_id), params)


def customer_cancel(
    ctx: RequestContext, params: dict[str, Any], customer: str, subscription_exposed_id: str
) -> dict[str, Any]:
    return cancel_now(ctx, _owned(ctx, customer, subscription_exposed_id), params)
