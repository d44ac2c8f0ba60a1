"""The routes: create (from phases, or `from_subscription`), retrieve, update, list,
cancel and release.

Only an open schedule (`not_started` or `active`) can be updated, canceled or released.
An update may replace the phases from the current one on (past phases stay as they ran
and may be left out); the current phase keeps its start, and changes to it apply to the
subscription at once, prorated per the update's `proration_behavior`.
"""

from __future__ import annotations

from typing import Any

from ...framework import metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from ...framework.listing import created_range, in_range, page_in_memory
from ..subscriptions import handlers as subscription_handlers
from ..subscriptions import lifecycle as subscription_lifecycle
from ..subscriptions import model, timers
from ..test_clocks import now_for
from . import lifecycle, phases
from .lifecycle import OPEN, TYPE

ID_PREFIX = "sub_sched"
FROM_SUBSCRIPTION_EXCLUDES = (
    "customer",
    "default_settings",
    "end_behavior",
    "metadata",
    "phases",
    "start_date",
)
RANGE_FILTERS = ("canceled_at", "completed_at", "released_at")


def _load(ctx: RequestContext, schedule_id: str) -> dict[str, Any]:
    return ctx.load(TYPE, schedule_id, param="schedule", noun="subscription schedule")


def _refuse_closed(schedule: dict[str, Any], action: str) -> None:
    if schedule["status"] not in OPEN:
        done = {"update": "updated", "cancel": "canceled", "release": "released"}[action]
        # Stripe's wording for a schedule that has ended.
        raise InvalidRequestError(
            f"You cannot {action} a subscription schedule that is currently in the "
            f"`{schedule['status']}` status. It must be in either the `not_started` or "
            f"`active` status to be {done}."
        )


def _new(
    ctx: RequestContext, customer: dict[str, Any], params: dict[str, Any], now: int
) -> dict[str, Any]:
    mode = (params.get("billing_mode") or {}).get("type") or "flexible"
    billing_mode: dict[str, Any] = {"type": mode, "updated_at": now}
    if mode == "flexible":
        billing_mode["flexible"] = {"proration_discounts": "included"}
    return {
        "id": ctx.new_id(ID_PREFIX),
        "object": TYPE,
        "application": None,
        "billing_mode": billing_mode,
        "canceled_at": None,
        "completed_at": None,
        "created": now,
        "current_phase": None,
        "customer": customer["id"],
        "customer_account": None,
        "default_settings": phases.default_settings(ctx, None, customer["id"]),
        "end_behavior": params.get("end_behavior") or "release",
        "livemode": False,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "phases": [],
        "released_at": None,
        "released_subscription": None,
        "status": "not_started",
        "subscription": None,
        "test_clock": customer.get("test_clock"),
    }


def _check_end_behavior(params: dict[str, Any]) -> None:
    if params.get("end_behavior") in ("none", "renew"):
        # Legacy values the API still lists; Stripe refuses them on new schedules.
        raise InvalidRequestError(
            "The sandbox supports `end_behavior` `release` or `cancel` only.",
            param="end_behavior",
        )


# -- create -------------------------------------------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("from_subscription"):
        return _from_subscription(ctx, params)
    if not params.get("customer"):
        raise InvalidRequestError(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    customer = ctx.load("customer", params["customer"], param="customer", in_path=False)
    _check_end_behavior(params)
    now = now_for(ctx, customer.get("test_clock"))
    given_start = params.get("start_date")
    start = now if given_start in (None, "now") else int(given_start)
    if start < now:
        raise InvalidRequestError(
            "The sandbox does not support backdating: start_date must be `now` or in the future.",
            param="start_date",
        )
    schedule = _new(ctx, customer, params, now)
    schedule["default_settings"] = phases.default_settings(
        ctx, params.get("default_settings"), customer["id"]
    )
    schedule["phases"] = phases.build(
        ctx,
        params.get("phases") or [],
        start=start,
        customer_id=customer["id"],
        currency=customer.get("currency"),
    )
    phases.check_collection(schedule)
    ctx.insert(schedule)
    if start == now:
        lifecycle.start(ctx, schedule, payment_behavior="allow_incomplete")
        ctx.save(schedule)
    else:
        timers.schedule(ctx, schedule, start, lifecycle.START)
    ctx.emit("subscription_schedule.created", schedule)
    return schedule


def _from_subscription(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    for name in FROM_SUBSCRIPTION_EXCLUDES:
        if params.get(name) not in (None, "", [], {}):
            # Stripe publishes no wording for this refusal.
            raise InvalidRequestError(
                f"You cannot set `{name}` together with `from_subscription`: the schedule "
                "is built from the subscription.",
                param=name,
            )
    sub = model.load(ctx, params["from_subscription"], param="from_subscription", in_path=False)
    if sub["status"] in model.ENDED:
        raise InvalidRequestError(
            f"You cannot create a subscription schedule from a subscription with status "
            f"`{sub['status']}`.",
            param="from_subscription",
        )
    if sub.get("schedule"):
        raise InvalidRequestError(
            "You cannot migrate a subscription that is already attached to a schedule: "
            f"`{sub['schedule']}`.",
            param="from_subscription",
        )
    customer = ctx.load("customer", sub["customer"], param="customer", in_path=False)
    now = model.now_of(ctx, sub)
    schedule = _new(ctx, customer, {"billing_mode": sub["billing_mode"]}, now)
    settings = schedule["default_settings"]
    settings.update(
        collection_method=sub["collection_method"],
        default_payment_method=sub.get("default_payment_method"),
        description=sub.get("description"),
    )
    settings["invoice_settings"]["days_until_due"] = sub.get("days_until_due")
    start, end = model.period_of(sub)
    phase_items = []
    for item in model.items_of(sub):
        entry: dict[str, Any] = {
            "billing_thresholds": None,
            "discounts": [],
            "metadata": {},
            "price": item["price"]["id"],
            "tax_rates": [rate["id"] for rate in item.get("tax_rates") or []],
        }
        if "quantity" in item:
            entry["quantity"] = item["quantity"]
        phase_items.append(entry)
    trial_end = sub.get("trial_end") if sub["status"] == "trialing" else None
    schedule["phases"] = [
        {
            "add_invoice_items": [],
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": None,
            "billing_thresholds": None,
            "collection_method": sub["collection_method"],
            "currency": sub["currency"],
            "default_payment_method": sub.get("default_payment_method"),
            "default_tax_rates": [rate["id"] for rate in sub.get("default_tax_rates") or []],
            "description": sub.get("description"),
            "discounts": [],
            "end_date": end,
            "invoice_settings": None,
            "items": phase_items,
            "metadata": {},
            "on_behalf_of": None,
            "proration_behavior": "create_prorations",
            "start_date": start,
            "transfer_data": None,
            "trial_end": trial_end,
        }
    ]
    schedule.update(
        status="active",
        subscription=sub["id"],
        current_phase=phases.current_of(schedule["phases"][0]),
    )
    ctx.insert(schedule)
    before = subscription_lifecycle.snapshot(sub)
    sub["schedule"] = schedule["id"]
    subscription_lifecycle.announce(ctx, sub, before)
    timers.schedule(ctx, schedule, end, lifecycle.PHASE_END)
    ctx.emit("subscription_schedule.created", schedule)
    return schedule


# -- retrieve, list -----------------------------------------------------------------------------


def retrieve(ctx: RequestContext, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    return _load(ctx, schedule)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    everything = list(ctx.tx.scan(ctx.account, TYPE))  # newest first, as the store pages
    created = created_range(params.get("created"))
    ranges = {
        name: created_range(params.get(name), name)
        for name in RANGE_FILTERS
        if params.get(name) not in (None, "")
    }
    scheduled = params.get("scheduled")

    def wanted(schedule: dict[str, Any]) -> bool:
        if params.get("customer") and schedule["customer"] != params["customer"]:
            return False
        if not in_range(schedule["created"], created):
            return False
        if (
            scheduled is not None
            and scheduled != ""
            and ((schedule["status"] == "not_started") != bool(scheduled))
        ):
            return False
        return all(
            schedule[name] is not None and in_range(schedule[name], bounds)
            for name, bounds in ranges.items()
        )

    matching = [schedule for schedule in everything if wanted(schedule)]
    return page_in_memory(
        everything,
        matching,
        params,
        noun="subscription schedule",
        url="/v1/subscription_schedules",
    )


# -- update -------------------------------------------------------------------------------------


def update(ctx: RequestContext, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    found = _load(ctx, schedule)
    _refuse_closed(found, "update")
    _check_end_behavior(params)
    before = subscription_lifecycle.snapshot(found)
    if "metadata" in params:
        found["metadata"] = metadata.merge(found.get("metadata"), params["metadata"])
    if params.get("default_settings"):
        found["default_settings"] = phases.default_settings(
            ctx, params["default_settings"], found["customer"], found["default_settings"]
        )
    if params.get("end_behavior"):
        found["end_behavior"] = params["end_behavior"]
    if "phases" in params:
        _replace_phases(ctx, found, params["phases"] or [])
    phases.check_collection(found)
    # What the running phase says may have changed: the subscription follows at once.
    reshaping = any(name in params for name in ("phases", "default_settings", "end_behavior"))
    if before["status"] == "active" and reshaping:
        sub = model.load(ctx, found["subscription"], param="subscription", in_path=False)
        index = phases.index_of_current(found)
        lifecycle.apply_phase(
            ctx,
            found,
            sub,
            index,
            proration_behavior=params.get("proration_behavior") or "create_prorations",
            entering=False,
        )
        if found["current_phase"] != before["current_phase"]:
            timers.schedule(ctx, found, found["current_phase"]["end_date"], lifecycle.PHASE_END)
    lifecycle.announce(ctx, found, before)
    return found


def _replace_phases(
    ctx: RequestContext, schedule: dict[str, Any], given: list[dict[str, Any]]
) -> None:
    now = now_for(ctx, schedule.get("test_clock"))
    currency = schedule["phases"][0]["currency"]
    if schedule["status"] == "not_started":
        first = (given or [{}])[0].get("start_date")
        start = schedule["phases"][0]["start_date"] if first is None else first
        start = now if start == "now" else int(start)
        scheduled_start = schedule["phases"][0]["start_date"]
        if start < now:
            raise InvalidRequestError(
                "The sandbox does not support backdating: the start_date of phases[0] must "
                "be `now` or in the future.",
                param="phases[0][start_date]",
            )
        schedule["phases"] = phases.build(
            ctx, given, start=start, customer_id=schedule["customer"], currency=currency
        )
        if start == now:
            lifecycle.start(ctx, schedule, payment_behavior="allow_incomplete")
        elif start != scheduled_start:
            timers.schedule(ctx, schedule, start, lifecycle.START)
        return
    index = phases.index_of_current(schedule)
    current = schedule["phases"][index]
    # Past phases may be given again (unchanged) or left out; the first phase that is
    # not over must be the current one, with its start date.
    skipped = 0
    for entry in given:
        start = entry.get("start_date")
        if start is None or start == "now" or int(start) >= current["start_date"]:
            break
        past = [p for p in schedule["phases"][:index] if p["start_date"] == int(start)]
        if not past:
            raise InvalidRequestError(
                "You can not modify the start date of the current phase.",
                param=f"phases[{skipped}][start_date]",
            )
        skipped += 1
    rest = given[skipped:]
    first = (rest or [{}])[0].get("start_date")
    if first not in (None, "now") and int(first) != current["start_date"]:
        raise InvalidRequestError(
            "You can not modify the start date of the current phase.",
            param=f"phases[{skipped}][start_date]",
        )
    if rest:
        rest = [{**rest[0], "start_date": current["start_date"]}, *rest[1:]]
    built = phases.build(
        ctx,
        rest,
        start=current["start_date"],
        customer_id=schedule["customer"],
        currency=currency,
        first_index=skipped,
    )
    if built[0]["end_date"] <= now:
        # Stripe publishes no wording for this refusal.
        raise InvalidRequestError(
            f"The end_date of phases[{skipped}] must be in the future: it is the current phase.",
            param=f"phases[{skipped}][end_date]",
        )
    schedule["phases"] = schedule["phases"][:index] + built
    schedule["current_phase"] = phases.current_of(built[0])


# -- cancel, release ----------------------------------------------------------------------------


def cancel(ctx: RequestContext, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    found = _load(ctx, schedule)
    _refuse_closed(found, "cancel")
    now = now_for(ctx, found.get("test_clock"))
    if found["status"] == "active":
        sub = model.load(ctx, found["subscription"], param="subscription", in_path=False)
        if sub["status"] not in model.ENDED:
            subscription_handlers.cancel_now(
                ctx,
                sub,
                {
                    "invoice_now": params.get("invoice_now", True),
                    "prorate": params.get("prorate", True),
                },
            )
    found.update(status="canceled", canceled_at=now, current_phase=None)
    ctx.save(found)
    ctx.emit("subscription_schedule.canceled", found)
    return found


def release(ctx: RequestContext, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    found = _load(ctx, schedule)
    _refuse_closed(found, "release")
    now = now_for(ctx, found.get("test_clock"))
    if found.get("subscription"):
        sub = model.load(ctx, found["subscription"], param="subscription", in_path=False)
        lifecycle.detach(ctx, found, sub, keep_cancel_at=bool(params.get("preserve_cancel_date")))
    found.update(status="released", released_at=now, current_phase=None)
    ctx.save(found)
    ctx.emit("subscription_schedule.released", found)
    return found
