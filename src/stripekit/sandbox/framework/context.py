"""What a resource handler gets: one account's view of the store inside one transaction.

Handlers never touch the engine, the clock or the id source directly; everything a
request may read or change goes through this object, so it commits (or rolls back) as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..store import Transaction
from . import connect
from . import outbox as webhook_outbox
from .errors import ResourceMissing
from .ids import IdFactory


@dataclass(slots=True)
class RequestContext:
    tx: Transaction
    account: str
    now: int
    ids: IdFactory
    request_id: str | None  # None for work the sandbox does by itself (timers)
    idempotency_key: str | None
    api_version: str
    events: list[dict[str, Any]] = field(default_factory=list)
    scheduled: int | None = None  # the earliest timer this request scheduled
    # Where this request reached the sandbox (`http://127.0.0.1:12111`), for the absolute
    # URLs of pages the sandbox serves (3-D Secure, Checkout). From the Host header.
    base_url: str = "http://localhost"
    # The API version the request asked for (its Stripe-Version header), for the few
    # behaviours older versions keep (legacy metered prices); None for the sandbox's own.
    stripe_version: str | None = None
    # Ids of the webhook deliveries this request queued; shared (not copied) by contexts
    # derived with dataclasses.replace, so the engine sees them all and, after the commit,
    # wakes the deliverer.
    outbox: list[str] = field(default_factory=list)
    # The platform this account is connected to (None: it is a platform), read once per
    # request: every event asks, and on SQL stores each read is a query.
    # Not copied by dataclasses.replace: a context for another account asks again.
    _platform: str | bool | None = field(default=False, init=False, repr=False)

    def version_before(self, version: str) -> bool:
        """Whether the request asked for an API version older than `version` (a date such
        as `2025-03-31`; version names compare by their date part)."""
        return self.stripe_version is not None and self.stripe_version[:10] < version[:10]

    def platform(self) -> str | None:
        """The platform that created this account (Connect), or None."""
        if self._platform is False:
            self._platform = connect.platform_of(self.tx, self.account)
        return self._platform  # type: ignore[return-value]

    def new_id(self, prefix: str, length: int | None = None) -> str:
        return self.ids.new(prefix, length)

    def find(self, type_: str, id_: str) -> dict[str, Any] | None:
        return self.tx.get(self.account, type_, id_)

    def load(
        self,
        type_: str,
        id_: str,
        *,
        param: str = "id",
        noun: str | None = None,
        in_path: bool = True,
    ) -> dict[str, Any]:
        """The live object, or Stripe's `resource_missing` (deleted ones count as gone):
        404 for an id in the URL, 400 for one given as a parameter (`in_path=False`)."""
        obj = self.tx.get(self.account, type_, id_) if isinstance(id_, str) else None
        if obj is None or obj.get("deleted"):
            raise ResourceMissing(
                noun or type_, str(id_), param=param, status=404 if in_path else 400
            )
        return obj

    def insert(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.tx.insert(self.account, obj["object"], obj)
        return obj

    def save(self, obj: dict[str, Any], *, listed: bool = True) -> dict[str, Any]:
        self.tx.replace(self.account, obj["object"], obj, listed=listed)
        return obj

    def remove(self, type_: str, id_: str) -> None:
        self.tx.remove(self.account, type_, id_)

    def schedule(self, due: int, kind: str, ref: str, *, clock: str | None = None) -> None:
        """Ask for `resources.TIMERS[kind](ctx, ref)` to run once sandbox time reaches `due`
        — or, with `clock`, once that test clock is advanced past `due`."""
        self.tx.timer_add(self.account, due, kind, ref, clock)
        if clock is None and (self.scheduled is None or due < self.scheduled):
            self.scheduled = due

    def _event_time(self, obj: dict[str, Any]) -> int:
        """An event about an object living on a test clock carries the clock's time."""
        clock_id = obj.get("test_clock")
        if isinstance(clock_id, str):
            clock = self.tx.get(self.account, "test_helpers.test_clock", clock_id)
            if clock is not None:
                return int(clock["frozen_time"])
        return self.now

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an Event for a change, and in the same transaction one webhook delivery
        per enabled endpoint that wants it (the event's `pending_webhooks`)."""
        data: dict[str, Any] = {"object": obj}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": self.api_version,
            "created": self._event_time(obj),
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": event_type,
        }
        if self.platform() is not None:
            # A connected account's events name it (what its platform's Connect
            # endpoints are told).
            event["account"] = self.account
        event["pending_webhooks"] = webhook_outbox.queue(self, event)
        self.tx.insert(self.account, "event", event)
        self.events.append(event)
        return event
