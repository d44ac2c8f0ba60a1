"""Test clocks: /v1/test_helpers/test_clocks (create, retrieve, list, delete, advance).

A customer created with `test_clock` lives on that clock: what the sandbox does for it is
stamped with the clock's `frozen_time` (`now_for`), and its timers (`ctx.schedule(...,
clock=id)`) wait for the clock instead of sandbox time. Advancing is asynchronous as on
Stripe: the clock answers `advancing`, and the work runs before the sandbox's next request
(any request, typically the client polling the clock), timer by timer in due order, each
at its own due time, after which the clock is `ready`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter

log = logging.getLogger("stripekit.sandbox")

TYPE = "test_helpers.test_clock"
ADVANCE_TIMER = "test_clock.advance"
DELETES_AFTER = 30 * 86400
# A clock's work per advance is bounded, so a timer that keeps rescheduling itself at the
# same moment cannot hang the sandbox.
MAX_STEPS = 100_000


def now_for(ctx: RequestContext, test_clock: str | None) -> int:
    """The time of a test clock (for objects living on it), or sandbox time without one."""
    if not test_clock:
        return ctx.now
    clock = ctx.find(TYPE, test_clock)
    return int(clock["frozen_time"]) if clock is not None else ctx.now


def _load(ctx: RequestContext, test_clock: str) -> dict[str, Any]:
    return ctx.load(TYPE, test_clock, param="test_clock", noun="test_clock")


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    clock = {
        "id": ctx.new_id("clock"),
        "object": TYPE,
        "created": ctx.now,
        "deletes_after": ctx.now + DELETES_AFTER,
        "frozen_time": params["frozen_time"],
        "livemode": False,
        "name": params.get("name") or None,
        "status": "ready",
        "status_details": {},
    }
    ctx.insert(clock)
    ctx.emit("test_helpers.test_clock.created", clock)
    return clock


def retrieve(ctx: RequestContext, params: dict[str, Any], test_clock: str) -> dict[str, Any]:
    return _load(ctx, test_clock)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return list_objects(ctx, TYPE, params, "/v1/test_helpers/test_clocks", noun="test_clock")


def delete(ctx: RequestContext, params: dict[str, Any], test_clock: str) -> dict[str, Any]:
    """Deleting a clock deletes the customers living on it, as Stripe does."""
    from .customers import delete_customer  # customers import this module

    clock = _load(ctx, test_clock)
    on_clock = (Filter(("test_clock",), "eq", clock["id"]),)
    for customer in list(ctx.tx.scan(ctx.account, "customer", on_clock)):
        delete_customer(ctx, customer)
    ctx.remove(TYPE, clock["id"])
    ctx.emit("test_helpers.test_clock.deleted", clock)
    return {"id": clock["id"], "object": TYPE, "deleted": True}


def advance(ctx: RequestContext, params: dict[str, Any], test_clock: str) -> dict[str, Any]:
    clock = _load(ctx, test_clock)
    if clock["status"] != "ready":
        raise InvalidRequestError(
            "The test clock is already advancing. Wait for it to be ready before advancing "
            "it again.",
        )
    target = params["frozen_time"]
    if target <= clock["frozen_time"]:
        raise InvalidRequestError(
            "The frozen_time must be after the test clock's current frozen_time "
            f"({clock['frozen_time']}).",
            param="frozen_time",
        )
    limit = _advance_limit(ctx, clock)
    if target > limit:
        raise InvalidRequestError(
            "Cannot advance the test clock more than two intervals of its shortest "
            "subscription (or two years without subscriptions) past its frozen time: the "
            f"latest frozen_time allowed now is {limit}.",
            param="frozen_time",
        )
    clock["status"] = "advancing"
    clock["status_details"] = {"advancing": {"target_frozen_time": target}}
    ctx.save(clock)
    ctx.emit("test_helpers.test_clock.advancing", clock)
    ctx.schedule(ctx.now, ADVANCE_TIMER, clock["id"])
    return clock


def _advance_limit(ctx: RequestContext, clock: dict[str, Any]) -> int:
    """Stripe lets a clock move at most two intervals of the shortest live subscription
    on it (two years when it has none), so no billing period is skipped over."""
    from .subscriptions import cycle, model  # subscriptions build on test clocks

    frozen = int(clock["frozen_time"])
    limits = [cycle.boundary(frozen, "year", 1, 2)]
    on_clock = (Filter(("test_clock",), "eq", clock["id"]),)
    for customer in ctx.tx.scan(ctx.account, "customer", on_clock):
        mine = (Filter(("customer",), "eq", customer["id"]),)
        for sub in ctx.tx.scan(ctx.account, model.TYPE, mine):
            if sub["status"] in model.ENDED:
                continue
            for item in (sub.get("items") or {}).get("data") or ():
                interval, count = cycle.recurring_of(item.get("price") or {})
                limits.append(cycle.boundary(frozen, interval, count, 2))
    return min(limits)


def run_advance(ctx: RequestContext, test_clock: str) -> None:
    """The advance itself: every timer on the clock up to the target, in due order, each
    with `ctx.now` at its due time and the clock's `frozen_time` moved there first."""
    from . import TIMERS  # the registry imports this module

    clock = ctx.find(TYPE, test_clock)
    if clock is None or clock["status"] != "advancing":
        return
    target = clock["status_details"]["advancing"]["target_frozen_time"]
    for _ in range(MAX_STEPS):
        due = ctx.tx.clock_timers_due(ctx.account, clock["id"], target, limit=1)
        if not due:
            break
        timer = due[0]
        ctx.tx.timer_remove(timer.id)
        if timer.due > clock["frozen_time"]:
            clock["frozen_time"] = timer.due
            ctx.save(clock)
        step = dataclasses.replace(ctx, now=max(timer.due, clock["frozen_time"]), events=[])
        ctx.tx.savepoint()
        try:
            TIMERS[timer.kind](step, timer.ref)
        except Exception:  # one broken timer must not wedge the clock
            log.exception("test clock %s: timer %s on %s failed", test_clock, timer.kind, timer.ref)
            ctx.tx.rollback_savepoint()
        else:
            ctx.tx.release_savepoint()
    clock["frozen_time"] = target
    clock["status"] = "ready"
    clock["status_details"] = {}
    ctx.save(clock)
    ctx.emit("test_helpers.test_clock.ready", clock)


ROUTES = [
    Route("POST", "/v1/test_helpers/test_clocks", create),
    Route("GET", "/v1/test_helpers/test_clocks", list_),
    Route("GET", "/v1/test_helpers/test_clocks/{test_clock}", retrieve),
    Route("DELETE", "/v1/test_helpers/test_clocks/{test_clock}", delete),
    Route("POST", "/v1/test_helpers/test_clocks/{test_clock}/advance", advance),
]

TIMERS = {ADVANCE_TIMER: run_advance}
