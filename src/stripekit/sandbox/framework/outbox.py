"""The webhook outbox, sans IO: which endpoints an event is owed to, and what an attempt's
outcome does to the delivery and to the event's `pending_webhooks`.

Deliveries are written by `RequestContext.emit` in the transaction that records the event,
so a request that commits has queued every delivery it owes and one that rolls back has
queued none; the deliverer (`sandbox/webhooks/`, the IO side) only ever reads due rows
and records attempts.

Stripe retries a failed delivery "for up to three days with an exponential back off" and
publishes no exact intervals. The sandbox waits 1 minute after the first failure and three
times longer after each next one (1m, 3m, 9m, 27m, 81m, ~4h, ~12h, ~36h): nine attempts
within the three days, then the delivery has failed. Waits run in sandbox time (advancing
the sandbox clock makes retries due) divided by the sandbox's webhook time factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..store import Delivery, Filter, Transaction

if TYPE_CHECKING:
    from .context import RequestContext

ENDPOINT_TYPE = "webhook_endpoint"
FIRST_RETRY = 60
BACKOFF = 3
RETRY_WINDOW = 3 * 86400
# A new delivery is due at once, whatever the time of the event (a test clock's events
# carry the clock's frozen time, which may be ahead of sandbox time).
AT_ONCE = 0.0
# Stored on a platform for each connected account's event its Connect endpoints are owed:
# {"id": event id, "account": the connected account holding the event}.
CONNECT_EVENT = "connect.event"
_ENABLED = (Filter(("status",), "eq", "enabled"),)


def wants(endpoint: Mapping[str, Any], event_type: str, *, connected: bool = False) -> bool:
    """Whether an endpoint hears this event: Connect endpoints hear only the events of
    their account's connected accounts (`connected`), the others only their own account's."""
    if endpoint.get("status") != "enabled" or bool(endpoint.get("connect")) != connected:
        return False
    enabled = endpoint.get("enabled_events") or ()
    return "*" in enabled or event_type in enabled


def queue(ctx: RequestContext, event: Mapping[str, Any]) -> int:
    """Write one pending delivery per enabled endpoint that wants `event` (the account's
    own, and its platform's Connect endpoints for a connected account's event); the count
    is the event's `pending_webhooks`."""
    count = _queue(ctx, ctx.account, event, connected=False)
    platform = ctx.platform()
    if platform is not None:
        count += _queue(ctx, platform, event, connected=True)
    return count


def _queue(ctx: RequestContext, owner: str, event: Mapping[str, Any], *, connected: bool) -> int:
    count = 0
    for endpoint in ctx.tx.scan(owner, ENDPOINT_TYPE, _ENABLED):
        if not wants(endpoint, event["type"], connected=connected):
            continue
        delivery = Delivery(
            id=ctx.new_id("whdel"),
            account=owner,
            event=event["id"],
            endpoint=endpoint["id"],
            created=ctx.now,
            next_attempt=AT_ONCE,
        )
        ctx.tx.delivery_put(delivery)
        ctx.outbox.append(delivery.id)
        count += 1
    if count and connected:
        # The platform's deliveries find the event where it lives: on the connected account.
        pointer = {"id": event["id"], "object": CONNECT_EVENT, "account": ctx.account}
        ctx.tx.insert(owner, CONNECT_EVENT, {**pointer, "created": ctx.now})
    return count


def event_of(tx: Transaction, delivery: Delivery) -> tuple[str, dict[str, Any] | None]:
    """The account holding a delivery's event, and the event: the delivery's own account,
    or for a Connect endpoint's delivery the connected account the event happened on."""
    event = tx.get(delivery.account, "event", delivery.event)
    if event is not None:
        return delivery.account, event
    pointer = tx.get(delivery.account, CONNECT_EVENT, delivery.event)
    if pointer is None:
        return delivery.account, None
    return pointer["account"], tx.get(pointer["account"], "event", delivery.event)


def retry_delay(failures: int) -> int:
    """Seconds (uncompressed) to wait after the `failures`-th failed attempt."""
    return int(FIRST_RETRY * BACKOFF ** (failures - 1))


def _settle(tx: Transaction, delivery: Delivery) -> None:
    """A delivery that stopped being outstanding no longer counts in the event's
    `pending_webhooks`."""
    owner, event = event_of(tx, delivery)
    if event is not None and event.get("pending_webhooks", 0) > 0:
        event["pending_webhooks"] -= 1
        tx.replace(owner, "event", event)


def record_attempt(
    tx: Transaction,
    delivery: Delivery,
    *,
    at: float,
    status_code: int | None,
    error: str | None,
    duration_ms: float,
    time_factor: float = 1.0,
) -> Delivery:
    """Record one attempt: a 2xx delivers; anything else schedules the next retry, or
    fails the delivery once the next retry would fall outside the retry window."""
    failures = len(delivery.attempts) + 1
    next_attempt: float | None = None
    if status_code is not None and 200 <= status_code < 300:
        status = "succeeded"
    else:
        waited = sum(retry_delay(n) for n in range(1, failures + 1))
        if waited <= RETRY_WINDOW:
            status = "pending"
            next_attempt = at + retry_delay(failures) / time_factor
        else:
            status = "failed"
    attempt = {
        "attempted_at": round(at, 3),
        "status_code": status_code,
        "error": error,
        "duration_ms": round(duration_ms, 3),
        "next_retry": None if next_attempt is None else round(next_attempt, 3),
    }
    updated = Delivery(
        delivery.id,
        delivery.account,
        delivery.event,
        delivery.endpoint,
        delivery.created,
        status,
        next_attempt,
        (*delivery.attempts, attempt),
    )
    tx.delivery_put(updated)
    if status != "pending":
        _settle(tx, updated)
    return updated


def abandon(tx: Transaction, delivery: Delivery) -> Delivery:
    """The endpoint was deleted or disabled before the delivery succeeded: Stripe stops
    retrying it."""
    updated = Delivery(
        delivery.id,
        delivery.account,
        delivery.event,
        delivery.endpoint,
        delivery.created,
        "abandoned",
        None,
        delivery.attempts,
    )
    tx.delivery_put(updated)
    _settle(tx, updated)
    return updated


def render(delivery: Delivery) -> dict[str, Any]:
    """A delivery as the sandbox's control endpoint shows it."""
    return {
        "object": "sandbox.webhook_delivery",
        "id": delivery.id,
        "event": delivery.event,
        "endpoint": delivery.endpoint,
        "created": delivery.created,
        "status": delivery.status,
        "next_attempt": delivery.next_attempt,
        "attempts": list(delivery.attempts),
    }
