"""The storage interface every store implements and the store tests exercise.

Objects are stored as the JSON Stripe would return (unexpanded), per account and type,
ordered for lists by (created, insertion sequence), newest first. Everything one request
changes goes through one `Transaction`, so objects, events and the idempotency record
commit together or not at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

FilterOp = Literal["eq", "in", "like", "is_null"]


@dataclass(frozen=True, slots=True)
class Filter:
    """A condition on a field of the stored JSON: `path` walks nested keys."""

    path: tuple[str, ...]
    op: FilterOp
    value: Any = None


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    method: str
    path: str
    params_hash: str
    status: int
    body: bytes
    created: int


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key: str
    account: str
    # None for a secret key; for a restricted key, resource name -> "read" | "write".
    permissions: dict[str, str] | None
    issued: bool  # created by the sandbox itself (the only keys `strict_keys` accepts)


@dataclass(frozen=True, slots=True)
class Timer:
    """Work the sandbox owes at a moment of sandbox time (a payout to land, an uncaptured
    charge to expire): `kind` names the resource handler, `ref` the object it acts on."""

    id: int
    account: str
    due: int
    kind: str
    ref: str
    # A timer on a test clock falls due when that clock is advanced, not with sandbox time.
    clock: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event owed to one webhook endpoint: the outbox row written in the transaction
    that emitted the event, then updated by the deliverer after each attempt."""

    id: str
    account: str
    event: str
    endpoint: str
    created: int
    # "pending" until a 2xx ("succeeded") or the retry window closes ("failed"); an
    # endpoint deleted or disabled meanwhile ends it too ("abandoned").
    status: str = "pending"
    # Sandbox time (fractional: a time factor compresses retries below a second) of the
    # next attempt; None once settled.
    next_attempt: float | None = None
    # Each attempt: {"attempted_at", "status_code", "error", "duration_ms", "next_retry"}.
    attempts: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    has_more: bool


class Transaction(ABC):
    @abstractmethod
    def savepoint(self) -> None:
        """Mark where a handler starts, so its writes can be undone alone."""

    @abstractmethod
    def release_savepoint(self) -> None: ...

    @abstractmethod
    def rollback_savepoint(self) -> None: ...

    @abstractmethod
    def get(self, account: str, type_: str, id_: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def insert(self, account: str, type_: str, obj: dict[str, Any]) -> None:
        """Store a new object; `obj` must carry `id` and `created`."""

    @abstractmethod
    def replace(
        self, account: str, type_: str, obj: dict[str, Any], *, listed: bool = True
    ) -> None:
        """Overwrite an existing object; `listed=False` keeps it (a tombstone) out of lists."""

    @abstractmethod
    def remove(self, account: str, type_: str, id_: str) -> None: ...

    @abstractmethod
    def page(
        self,
        account: str,
        type_: str,
        *,
        filters: tuple[Filter, ...] = (),
        created: dict[str, int] | None = None,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> Page:
        """One page of listed objects, newest first, after/before a cursor id."""

    @abstractmethod
    def scan(
        self, account: str, type_: str, filters: tuple[Filter, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        """Every listed object of a type, newest first (search evaluates on these)."""

    @abstractmethod
    def idempotency_get(self, account: str, key: str) -> IdempotencyRecord | None: ...

    @abstractmethod
    def idempotency_put(self, account: str, key: str, record: IdempotencyRecord) -> None: ...

    @abstractmethod
    def idempotency_delete(self, account: str, key: str) -> None: ...

    @abstractmethod
    def key_get(self, key: str) -> KeyRecord | None: ...

    @abstractmethod
    def key_put(self, record: KeyRecord) -> None: ...

    @abstractmethod
    def timer_add(
        self, account: str, due: int, kind: str, ref: str, clock: str | None = None
    ) -> None: ...

    @abstractmethod
    def timers_due(self, now: int, limit: int = 100) -> list[Timer]:
        """Timers on sandbox time due at or before `now`, earliest first."""

    @abstractmethod
    def clock_timers_due(
        self, account: str, clock: str, until: int, limit: int = 100
    ) -> list[Timer]:
        """Timers on a test clock due at or before `until`, earliest first."""

    @abstractmethod
    def timer_remove(self, timer_id: int) -> None: ...

    @abstractmethod
    def next_due(self) -> int | None:
        """When the earliest timer on sandbox time falls due (None when there is none)."""

    @abstractmethod
    def delivery_put(self, delivery: Delivery) -> None:
        """Write a webhook delivery, new or updated (same id)."""

    @abstractmethod
    def delivery_get(self, delivery_id: str) -> Delivery | None: ...

    @abstractmethod
    def deliveries_due(self, now: float, limit: int = 100) -> list[Delivery]:
        """Pending deliveries whose next attempt is at or before `now`, earliest first."""

    @abstractmethod
    def next_delivery_due(self) -> float | None:
        """When the earliest pending delivery is due (None when none is pending)."""

    @abstractmethod
    def deliveries(
        self,
        account: str,
        *,
        event: str | None = None,
        endpoint: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """An account's deliveries, newest first, optionally of one event or endpoint."""

    @abstractmethod
    def meta_get(self, name: str) -> str | None: ...

    @abstractmethod
    def meta_put(self, name: str, value: str) -> None: ...


class Store(ABC):
    @abstractmethod
    def transaction(self, *, write: bool) -> AbstractContextManager[Transaction]:
        """A transaction; `write=True` takes the write lock up front so that two
        requests with one idempotency key, even from two processes, run one after the other."""

    @abstractmethod
    def close(self) -> None: ...


class WriteNeeded(Exception):
    """A read transaction was asked to write. A store whose reads cannot write (PostgreSQL
    runs them READ ONLY) raises this before writing anything, so the caller can run the
    same work again in a write transaction."""


class CursorNotFound(LookupError):
    """`starting_after` / `ending_before` named an object that is not in the list."""

    def __init__(self, id_: str) -> None:
        super().__init__(id_)
        self.id = id_
