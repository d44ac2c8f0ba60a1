"""A schedule driving its subscription through time.

- `not_started` -> `active` at the first phase's start: the subscription is created from
  that phase (through the subscriptions package, so it bills as any subscription does);
- at each phase's end the subscription is updated to the next phase: items matched by
  price (kept, requantified, added or deleted), the phase's proration behaviour, its
  settings (else the schedule's defaults), its metadata merged into the subscription's;
- after the last phase, `end_behavior=release` leaves the subscription running on its own
  (schedule `released`), `cancel` ends it (schedule `completed`). With `cancel`, the
  subscription carries the last phase's end as its `cancel_at` from the start of that
  phase, as Stripe shows it, so its own timer ends it with the usual final billing.

Phase ends run on the schedule's test clock (its customer's) or on sandbox time. A phase
ending on a renewal date changes the subscription before the renewal bills (the
subscriptions package calls `on_renewal` first), so the renewal invoice already bills the
new phase's prices.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ..subscriptions import creation, model, timers, updates
from ..subscriptions import lifecycle as subscription_lifecycle
from . import phases

TYPE = "subscription_schedule"
START = "subscription_schedule.start"
PHASE_END = "subscription_schedule.phase_end"
OPEN = ("not_started", "active")


def announce(ctx: RequestContext, schedule: dict[str, Any], before: dict[str, Any]) -> None:
    """Save and emit `subscription_schedule.updated` if anything changed."""
    ctx.save(schedule)
    previous = subscription_lifecycle.changes(before, schedule)
    if previous:
        ctx.emit("subscription_schedule.updated", schedule, previous)


def _cancel_at(schedule: dict[str, Any], index: int) -> int | None:
    """The subscription's `cancel_at` while phase `index` runs."""
    last = index == len(schedule["phases"]) - 1
    if last and schedule["end_behavior"] == "cancel":
        return int(schedule["phases"][index]["end_date"])
    return None


def _settings_params(schedule: dict[str, Any], phase: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    collection = phases.setting(schedule, phase, "collection_method")
    params["collection_method"] = collection
    if collection == "send_invoice":
        params["days_until_due"] = phases.days_until_due(schedule, phase)
    for name in ("default_payment_method", "description"):
        value = phases.setting(schedule, phase, name)
        if value:
            params[name] = value
    params["default_tax_rates"] = phase["default_tax_rates"]
    if phase["metadata"]:
        params["metadata"] = phase["metadata"]
    return params


def _item_params(item: dict[str, Any]) -> dict[str, Any]:
    params = {"price": item["price"], "metadata": item["metadata"], "tax_rates": item["tax_rates"]}
    if "quantity" in item:
        params["quantity"] = item["quantity"]
    return params


# -- starting -----------------------------------------------------------------------------------


def start(
    ctx: RequestContext, schedule: dict[str, Any], *, payment_behavior: str
) -> dict[str, Any]:
    """Create the subscription from the first phase; the schedule becomes `active`."""
    phase = schedule["phases"][0]
    params: dict[str, Any] = {
        "customer": schedule["customer"],
        "items": [_item_params(item) for item in phase["items"]],
        "payment_behavior": payment_behavior,
        "proration_behavior": phase["proration_behavior"],
        "billing_mode": {"type": schedule["billing_mode"]["type"]},
        **_settings_params(schedule, phase),
    }
    if phase["trial_end"] is not None:
        params["trial_end"] = phase["trial_end"]
    cancel_at = _cancel_at(schedule, 0)
    if cancel_at is not None:
        params["cancel_at"] = cancel_at
    sub = creation.create(ctx, params, schedule=schedule["id"])
    schedule.update(status="active", subscription=sub["id"], current_phase=phases.current_of(phase))
    timers.schedule(ctx, schedule, phase["end_date"], PHASE_END)
    return sub


def run_start(ctx: RequestContext, value: str) -> None:
    schedule_id, at, _ = timers.parse(value)
    schedule = ctx.find(TYPE, schedule_id)
    if schedule is None or schedule["status"] != "not_started":
        return
    if schedule["phases"][0]["start_date"] != at:
        return  # the start date was changed: a newer timer starts it
    before = subscription_lifecycle.snapshot(schedule)
    # No one is there to answer a failed first payment: the subscription is created
    # incomplete rather than refused when the customer has nothing to charge.
    paying = {
        "customer": schedule["customer"],
        "default_payment_method": phases.setting(
            schedule, schedule["phases"][0], "default_payment_method"
        ),
    }
    chargeable = model.has_payment_method(ctx, paying)
    start(
        ctx,
        schedule,
        payment_behavior="allow_incomplete" if chargeable else "default_incomplete",
    )
    announce(ctx, schedule, before)


# -- phases changing ----------------------------------------------------------------------------


def item_changes(sub: dict[str, Any], phase: dict[str, Any]) -> list[dict[str, Any]]:
    """`items[]` for a subscription update that leaves it with the phase's items: items
    whose price stays are kept (their quantity set), the others deleted or added."""
    current = {item["price"]["id"]: item for item in model.items_of(sub)}
    changes: list[dict[str, Any]] = []
    for wanted in phase["items"]:
        kept = current.pop(wanted["price"], None)
        if kept is None:
            changes.append(_item_params(wanted))
            continue
        change: dict[str, Any] = {"id": kept["id"], "tax_rates": wanted["tax_rates"]}
        if "quantity" in wanted:
            change["quantity"] = wanted["quantity"]
        changes.append(change)
    changes.extend({"id": item["id"], "deleted": True} for item in current.values())
    return changes


def apply_phase(
    ctx: RequestContext,
    schedule: dict[str, Any],
    sub: dict[str, Any],
    index: int,
    *,
    proration_behavior: str,
    entering: bool,
) -> dict[str, Any]:
    """Update the subscription to phase `index` (`entering` it now, or changed while it
    runs)."""
    phase = schedule["phases"][index]
    now = model.now_of(ctx, sub)
    params: dict[str, Any] = {
        "items": item_changes(sub, phase),
        "proration_behavior": proration_behavior,
        **_settings_params(schedule, phase),
    }
    if entering and phases.setting(schedule, phase, "billing_cycle_anchor") == "phase_start":
        params["billing_cycle_anchor"] = "now"
    trial_end = phase["trial_end"]
    if trial_end is not None and trial_end > now and trial_end != sub.get("trial_end"):
        params["trial_end"] = trial_end
    cancel_at = _cancel_at(schedule, index)
    if cancel_at != sub.get("cancel_at"):
        params["cancel_at"] = cancel_at if cancel_at is not None else ""
    return updates.apply_update(ctx, sub, params)


def advance(ctx: RequestContext, schedule: dict[str, Any], at: int) -> None:
    """The current phase ended at `at`: enter the next one, or end the schedule."""
    sub = ctx.find(model.TYPE, schedule["subscription"] or "")
    if sub is None or sub["status"] in model.ENDED:
        # The subscription was canceled on its own: nothing is left to schedule.
        before = subscription_lifecycle.snapshot(schedule)
        schedule.update(status="canceled", canceled_at=at, current_phase=None)
        announce(ctx, schedule, before)
        ctx.emit("subscription_schedule.canceled", schedule)
        return
    index = phases.index_of_current(schedule) + 1
    if index == len(schedule["phases"]):
        finish(ctx, schedule, sub, at)
        return
    before = subscription_lifecycle.snapshot(schedule)
    phase = schedule["phases"][index]
    apply_phase(
        ctx, schedule, sub, index, proration_behavior=phase["proration_behavior"], entering=True
    )
    schedule["current_phase"] = phases.current_of(phase)
    announce(ctx, schedule, before)
    timers.schedule(ctx, schedule, phase["end_date"], PHASE_END)


def finish(ctx: RequestContext, schedule: dict[str, Any], sub: dict[str, Any], at: int) -> None:
    if schedule["end_behavior"] == "cancel":
        schedule.update(status="completed", completed_at=at, current_phase=None)
        ctx.save(schedule)
        ctx.emit("subscription_schedule.completed", schedule)
        if sub.get("cancel_at") != at:
            # Its `cancel_at` was changed by hand: the schedule's end still ends it.
            subscription_lifecycle.end(ctx, sub, at=at, reason="cancellation_requested")
        return
    detach(ctx, schedule, sub, keep_cancel_at=True)
    schedule.update(status="released", released_at=at, current_phase=None)
    ctx.save(schedule)
    ctx.emit("subscription_schedule.released", schedule)


def detach(
    ctx: RequestContext, schedule: dict[str, Any], sub: dict[str, Any], *, keep_cancel_at: bool
) -> None:
    """The subscription no longer belongs to the schedule (which keeps its id as
    `released_subscription`); the cancellation the schedule set goes unless kept."""
    before = subscription_lifecycle.snapshot(sub)
    sub["schedule"] = None
    if not keep_cancel_at and schedule["end_behavior"] == "cancel" and sub.get("cancel_at"):
        sub.update(cancel_at=None, canceled_at=None, cancel_at_period_end=False)
    subscription_lifecycle.announce(ctx, sub, before)
    schedule.update(subscription=None, released_subscription=sub["id"])


def run_phase_end(ctx: RequestContext, value: str) -> None:
    schedule_id, at, _ = timers.parse(value)
    schedule = ctx.find(TYPE, schedule_id)
    if schedule is None or schedule["status"] != "active":
        return
    if schedule["current_phase"]["end_date"] != at:
        return  # already advanced (at a renewal), or the phase was changed
    advance(ctx, schedule, at)


def on_renewal(ctx: RequestContext, sub: dict[str, Any], at: int) -> None:
    """A subscription renews at `at`: a phase of its schedule ending then goes first."""
    schedule = ctx.find(TYPE, sub.get("schedule") or "")
    if schedule is None or schedule["status"] != "active":
        return
    if schedule["current_phase"]["end_date"] == at:
        advance(ctx, schedule, at)


TIMERS = {START: run_start, PHASE_END: run_phase_end}
