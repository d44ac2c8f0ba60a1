"""The subscription state machine: periods rolling over, trials ending, cancellation,
and what an invoice's fate does to its subscription.

Everything here runs at a moment of the subscription's own time (its test clock's when
it lives on one): timers carry the moment they were scheduled for in their reference
(`sub_...@1700000000`), and a timer whose moment no longer matches the subscription (the
period moved, the trial was ended early) does nothing, since timers cannot be withdrawn.

Statuses, as Stripe reaches them:
- `incomplete` -> `active` when the first invoice is paid, `incomplete_expired` 23 hours
  after creation otherwise (the open invoice is voided);
- `trialing` -> `active` at trial end (or `paused` / `canceled` when the trial ends with
  no payment method and `trial_settings` says so);
- `active` -> `past_due` when a renewal or update invoice fails to be paid (or, sent
  invoices, when one passes its due date unpaid) -> `active` once it is paid, or, when
  automatic collection has run out of retries, `canceled` (the default setting of a new
  account; `unpaid` is the other choice Stripe offers);
- any live status -> `canceled` by cancellation, immediately or at the period end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ...framework import settings
from ...framework.context import RequestContext
from . import billing, cycle, model, prorations, timers

INCOMPLETE_SECONDS = 23 * 3600

RenewalListener = Callable[[RequestContext, dict[str, Any], int], None]
# Work due at a period's end that must come before the renewal bills the next period (a
# subscription schedule entering its next phase then), registered by other packages on
# import: timers due at the same moment run in the order they were scheduled, which
# says nothing about which should come first.
_BEFORE_RENEWAL: list[RenewalListener] = []


def before_renewal(listener: RenewalListener) -> None:
    _BEFORE_RENEWAL.append(listener)


# -- timers ------------------------------------------------------------------------------------


def schedule_period(ctx: RequestContext, sub: dict[str, Any]) -> None:
    """The timers of the current period: its end, and a trial's three-day warning."""
    _, end = model.period_of(sub)
    timers.schedule(ctx, sub, end, timers.CYCLE)
    trial_end = sub.get("trial_end")
    if sub["status"] == "trialing" and trial_end:
        warn_at = trial_end - model.TRIAL_WILL_END_BEFORE
        if warn_at >= model.now_of(ctx, sub):
            timers.schedule(ctx, sub, warn_at, timers.TRIAL_WILL_END)
    cancel_at = sub.get("cancel_at")
    if cancel_at and cancel_at < end:
        timers.schedule(ctx, sub, cancel_at, timers.CANCEL_AT)


def _live(ctx: RequestContext, value: str) -> tuple[dict[str, Any] | None, int]:
    sub_id, at, _ = timers.parse(value)
    sub = ctx.find(model.TYPE, sub_id)
    if sub is None or sub["status"] in model.ENDED:
        return None, at
    return sub, at


# -- events ------------------------------------------------------------------------------------


def snapshot(sub: dict[str, Any]) -> dict[str, Any]:
    """A deep copy, for `previous_attributes` later (a JSON round trip is several times
    faster than `copy.deepcopy`, and the object is JSON by construction)."""
    copied: dict[str, Any] = orjson.loads(orjson.dumps(sub))
    return copied


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`previous_attributes`: the top-level fields that changed (hashes key by key)."""
    out: dict[str, Any] = {}
    for key, new in after.items():
        old = before.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and key != "items":
            out[key] = {k: old.get(k) for k in set(old) | set(new) if old.get(k) != new.get(k)}
        else:
            out[key] = old
    return out


def announce(ctx: RequestContext, sub: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Save and emit `customer.subscription.updated` if anything changed."""
    model.save(ctx, sub)
    if before is None:
        return
    previous = changes(before, sub)
    if previous:
        ctx.emit("customer.subscription.updated", sub, previous)


# -- ending ------------------------------------------------------------------------------------


def end(
    ctx: RequestContext,
    sub: dict[str, Any],
    *,
    at: int,
    reason: str | None,
    invoice_now: bool = False,
    prorate: bool = False,
    keep_pending: bool = False,
    final_reason: str = "subscription_update",
) -> None:
    """Cancel at `at`: credit unused time (`prorate`), bill what is left (`invoice_now`:
    pending prorations and metered usage), or else drop the pending prorations (unless
    `keep_pending`); stop collecting the subscription's open invoices; emit
    `customer.subscription.deleted`."""
    if prorate:
        for item in model.items_of(sub):
            prorations.credit(ctx, sub, item, at)
    if invoice_now:
        start, _ = model.period_of(sub)
        invoice = billing.issue(
            ctx,
            sub,
            reason=final_reason,
            lines=billing.usage_lines(ctx, sub, start, at),
            period={"start": start, "end": at},
            now=True,
        )
        if invoice is not None:
            sub["latest_invoice"] = invoice["id"]
    elif not prorate and not keep_pending:
        prorations.drop_pending(ctx, sub)
    sub["status"] = "canceled"
    # A cancellation asked for in advance keeps the moment it was asked for.
    scheduled = sub.get("cancel_at_period_end") or sub.get("cancel_at") == at
    if not (scheduled and sub.get("canceled_at")):
        sub["canceled_at"] = at
    sub["ended_at"] = at
    sub["cancellation_details"] = {**sub["cancellation_details"], "reason": reason}
    billing.stop_collection(ctx, sub)
    model.save(ctx, sub)
    ctx.emit("customer.subscription.deleted", sub)


def _end_of_period(ctx: RequestContext, sub: dict[str, Any], at: int) -> None:
    """A subscription set to cancel at the period end ends: usage of the period and any
    pending prorations are billed on a final invoice, as Stripe collects them then."""
    start, _ = model.period_of(sub)
    lines = billing.usage_lines(ctx, sub, start, at)
    if lines or prorations.pending_for(ctx, sub):
        invoice = billing.issue(
            ctx,
            sub,
            reason="subscription_cycle",
            lines=lines,
            period={"start": start, "end": at},
            now=False,
        )
        if invoice is not None:
            sub["latest_invoice"] = invoice["id"]
    end(ctx, sub, at=at, reason="cancellation_requested", keep_pending=True)


# -- the period rolling over -------------------------------------------------------------------


def run_cycle(ctx: RequestContext, value: str) -> None:
    sub, at = _live(ctx, value)
    if sub is None:
        return
    start, period_end = model.period_of(sub)
    if period_end != at or sub["status"] in ("paused", "incomplete"):
        return  # a stale timer, or a subscription that does not renew now
    for listener in _BEFORE_RENEWAL:
        listener(ctx, sub, at)
    sub = ctx.find(model.TYPE, sub["id"])
    if sub is None or sub["status"] in model.ENDED or model.period_of(sub)[1] != at:
        return  # what ran before the renewal ended the subscription or reset its cycle
    start, period_end = model.period_of(sub)
    if sub.get("cancel_at_period_end") or sub.get("cancel_at") == at:
        _end_of_period(ctx, sub, at)
        return
    customer = ctx.find("customer", sub["customer"])
    if customer is None or customer.get("deleted"):
        # Deleting a customer cancels its subscriptions; one that slipped through ends
        # here rather than rolling on with no one to bill.
        end(ctx, sub, at=at, reason="cancellation_requested")
        return
    before = snapshot(sub)
    trial_ending = sub["status"] == "trialing" and sub.get("trial_end") == at
    if (
        trial_ending
        and sub["collection_method"] == "charge_automatically"
        and not model.has_payment_method(ctx, sub)
    ):
        behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
        if behavior == "cancel":
            end(ctx, sub, at=at, reason="cancellation_requested")
            return
        if behavior == "pause":
            sub["status"] = "paused"
            announce(ctx, sub, before)
            ctx.emit("customer.subscription.paused", sub)
            return
    interval, count = cycle.recurring_of(model.items_of(sub)[0]["price"])
    new_end = cycle.next_boundary(sub["billing_cycle_anchor"], interval, count, at)
    usage = billing.usage_lines(ctx, sub, start, at)
    model.set_period(sub, at, new_end)
    if trial_ending:
        sub["status"] = "active"
    invoice = billing.issue(
        ctx,
        sub,
        reason="subscription_cycle",
        lines=usage + billing.period_lines(ctx, sub, at, new_end),
        period={"start": start, "end": at},
        now=False,
    )
    if invoice is not None:
        sub["latest_invoice"] = invoice["id"]
    announce(ctx, sub, before)
    schedule_period(ctx, sub)


def run_trial_will_end(ctx: RequestContext, value: str) -> None:
    sub, at = _live(ctx, value)
    if sub is None or sub["status"] != "trialing" or not sub.get("trial_end"):
        return
    if sub["trial_end"] - model.TRIAL_WILL_END_BEFORE != at:
        return
    ctx.emit("customer.subscription.trial_will_end", sub)


def run_cancel_at(ctx: RequestContext, value: str) -> None:
    sub, at = _live(ctx, value)
    if sub is None or sub.get("cancel_at") != at or sub["status"] == "incomplete":
        return
    end(ctx, sub, at=at, reason="cancellation_requested", invoice_now=True, prorate=False)


def run_expire_incomplete(ctx: RequestContext, value: str) -> None:
    sub, _ = _live(ctx, value)
    if sub is None or sub["status"] != "incomplete":
        return
    before = snapshot(sub)
    billing.void_open(ctx, sub)
    sub["status"] = "incomplete_expired"
    sub["ended_at"] = model.now_of(ctx, sub)
    announce(ctx, sub, before)


def run_resume_collection(ctx: RequestContext, value: str) -> None:
    sub, at = _live(ctx, value)
    pause = (sub or {}).get("pause_collection")
    if sub is None or not pause or pause.get("resumes_at") != at:
        return
    before = snapshot(sub)
    sub["pause_collection"] = None
    announce(ctx, sub, before)


def run_overdue(ctx: RequestContext, value: str) -> None:
    """A sent invoice of the subscription passed its due date: unpaid, it makes the
    subscription past due."""
    sub_id, _, invoice_id = timers.parse(value)
    sub = ctx.find(model.TYPE, sub_id)
    invoice = ctx.find("invoice", invoice_id or "")
    if sub is None or invoice is None or invoice.get("status") != "open":
        return
    if sub["status"] in ("active", "trialing"):
        before = snapshot(sub)
        sub["status"] = "past_due"
        announce(ctx, sub, before)


# -- what invoices do to their subscription ---------------------------------------------------


def subscription_of(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any] | None:
    parent = invoice.get("parent") or {}
    sub_id = (parent.get("subscription_details") or {}).get("subscription")
    if not sub_id:
        return None
    sub = ctx.find(model.TYPE, sub_id)
    if sub is None or sub["status"] in model.ENDED or model.creating(ctx, sub):
        return None
    return sub


def on_paid(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    sub = subscription_of(ctx, invoice)
    if sub is None:
        return
    status = sub["status"]
    if status in ("incomplete", "past_due", "unpaid") and not billing.open_invoices(
        ctx, sub, excluding=invoice["id"]
    ):
        status = "active"
    resuming = status == "paused" and sub.get("latest_invoice") == invoice["id"]
    if resuming:  # the resumption invoice of a paused subscription
        status = "active"
    saving = None
    if (
        invoice["billing_reason"] == "subscription_create"
        and sub["payment_settings"].get("save_default_payment_method") == "on_subscription"
        and not sub.get("default_payment_method")
    ):
        saving = billing.paid_with(ctx, invoice)
    if status != sub["status"] or saving:
        before = snapshot(sub)
        sub["status"] = status
        if saving:
            sub["default_payment_method"] = saving
        announce(ctx, sub, before)
    if resuming:
        ctx.emit("customer.subscription.resumed", sub)
        schedule_period(ctx, sub)
    from . import updates  # a pending update waits for this invoice

    updates.apply_pending(ctx, sub, invoice)


def on_payment_failed(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    sub = subscription_of(ctx, invoice)
    if sub is None or invoice["billing_reason"] == "subscription_create":
        return  # a first invoice leaves its subscription incomplete
    if sub["status"] in ("active", "trialing"):
        before = snapshot(sub)
        sub["status"] = "past_due"
        announce(ctx, sub, before)


def on_retries_exhausted(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    sub = subscription_of(ctx, invoice)
    if sub is None or sub["status"] not in ("past_due", "active"):
        return
    # The account's choice (a new account cancels; `unpaid` and `past_due` are the others).
    after = settings.get(ctx, "subscription_after_failed_retries")
    if after == "canceled":
        end(ctx, sub, at=model.now_of(ctx, sub), reason="payment_failed", prorate=False)
        return
    if sub["status"] == after:
        return
    before = snapshot(sub)
    sub["status"] = after
    announce(ctx, sub, before)


def on_settled_otherwise(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """Voided or marked uncollectible: nothing is owed on it any more, so a subscription
    behind only because of it is in good standing again."""
    sub = subscription_of(ctx, invoice)
    if sub is None or sub["status"] not in ("past_due", "unpaid"):
        return
    if billing.open_invoices(ctx, sub, excluding=invoice["id"]):
        return
    before = snapshot(sub)
    sub["status"] = "active"
    announce(ctx, sub, before)


TIMERS = {
    timers.CYCLE: run_cycle,
    timers.TRIAL_WILL_END: run_trial_will_end,
    timers.EXPIRE_INCOMPLETE: run_expire_incomplete,
    timers.CANCEL_AT: run_cancel_at,
    timers.RESUME_COLLECTION: run_resume_collection,
    timers.OVERDUE: run_overdue,
}
