"""In-memory store: Python structures, no persistence; the default for tests and for a
server started without `--db`.

A create through SQLite costs ~38 microseconds of SQL at 30k objects (index upkeep on
random ids); here it costs a dict insert and a list append, which is what lets the
sandbox answer near the SDK's own ceiling. Objects are kept as JSON bytes, as SQLite
keeps them, so a handler mutating what it read never changes the stored object.
Transactions keep an undo log: a failed request is rolled back exactly like SQLite's.
"""

from __future__ import annotations

import heapq
import re
import threading
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from .base import (
    CursorNotFound,
    Delivery,
    Filter,
    IdempotencyRecord,
    KeyRecord,
    Page,
    Store,
    Timer,
    Transaction,
)

_MISSING = object()
_CREATED_BOUNDS = ("gt", "gte", "lt", "lte")


# A stored object is a plain tuple (created, seq, data, listed): immutable and made of
# atoms, so Python's cycle collector stops tracking it after one pass; a store of 100k
# objects must not make every collection walk 100k rows (creates slowed 2.5x with rows as
# class instances, and tuple subclasses are never untracked). `data` is the JSON as a
# str: orjson's bytes keep their 4 KiB working buffer, a str copy is exactly sized.
_Row = tuple[int, int, str, bool]
CREATED, SEQ, DATA, LISTED = range(4)


class _Table:
    """One account's objects of one type: by id, and the listed ones in list order."""

    __slots__ = ("order", "rows")

    def __init__(self) -> None:
        self.rows: dict[str, _Row] = {}
        self.order: list[tuple[int, int, str]] = []  # (created, seq, id), ascending

    def list_in(self, id_: str, row: _Row) -> None:
        entry = (row[CREATED], row[SEQ], id_)
        if not self.order or self.order[-1] < entry:
            self.order.append(entry)  # the usual case: the newest object
        else:
            insort(self.order, entry)

    def list_out(self, id_: str, row: _Row) -> None:
        entry = (row[CREATED], row[SEQ], id_)
        i = bisect_left(self.order, entry)
        if i < len(self.order) and self.order[i] == entry:
            del self.order[i]


def _like(pattern: str) -> Callable[[str], bool]:
    """SQL LIKE with `\\` as escape, case-insensitive for ASCII as SQLite's is."""
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    regex = re.compile("".join(out), re.IGNORECASE | re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


def _extract(obj: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = obj
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _matcher(filters: tuple[Filter, ...]) -> Callable[[dict[str, Any]], bool] | None:
    """One predicate for a filter set, with SQLite's json_extract semantics."""
    if not filters:
        return None
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for f in filters:
        path = f.path
        if f.op == "eq":
            want = f.value
            checks.append(lambda o, p=path, w=want: (v := _extract(o, p)) is not None and v == w)
        elif f.op == "in":
            wanted = list(f.value)
            checks.append(lambda o, p=path, w=wanted: (v := _extract(o, p)) is not None and v in w)
        elif f.op == "like":
            like = _like(f.value)
            checks.append(lambda o, p=path, m=like: isinstance(v := _extract(o, p), str) and m(v))
        else:  # is_null
            checks.append(lambda o, p=path: _extract(o, p) is None)
    return lambda obj: all(check(obj) for check in checks)


class MemoryTransaction(Transaction):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._undo: list[Callable[[], None]] = []
        self._marks: list[int] = []

    # -- transaction control ----------------------------------------------------------

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()

    def savepoint(self) -> None:
        self._marks.append(len(self._undo))

    def release_savepoint(self) -> None:
        self._marks.pop()

    def rollback_savepoint(self) -> None:
        mark = self._marks.pop()
        while len(self._undo) > mark:
            self._undo.pop()()

    # -- objects ----------------------------------------------------------------------

    def _table(self, account: str, type_: str) -> _Table:
        key = (account, type_)
        table = self._store.tables.get(key)
        if table is None:
            table = self._store.tables[key] = _Table()
        return table

    def get(self, account: str, type_: str, id_: str) -> dict[str, Any] | None:
        table = self._store.tables.get((account, type_))
        row = table.rows.get(id_) if table is not None else None
        return orjson.loads(row[DATA]) if row is not None else None

    def insert(self, account: str, type_: str, obj: dict[str, Any]) -> None:
        table = self._table(account, type_)
        id_ = obj["id"]
        if id_ in table.rows:
            raise KeyError(f"{type_} {id_} already exists")
        self._store.seq += 1
        row = (obj["created"], self._store.seq, orjson.dumps(obj).decode(), True)
        table.rows[id_] = row
        table.list_in(id_, row)

        def undo() -> None:
            del table.rows[id_]
            table.list_out(id_, row)

        self._undo.append(undo)

    def replace(
        self, account: str, type_: str, obj: dict[str, Any], *, listed: bool = True
    ) -> None:
        table = self._table(account, type_)
        id_ = obj["id"]
        old = table.rows.get(id_)
        if old is None:
            return  # as SQL's UPDATE of a missing row: nothing happens
        new = (old[CREATED], old[SEQ], orjson.dumps(obj).decode(), listed)
        table.rows[id_] = new
        if old[LISTED] != listed:
            (table.list_in if listed else table.list_out)(id_, new)

        def undo() -> None:
            table.rows[id_] = old
            if old[LISTED] != listed:
                (table.list_in if old[LISTED] else table.list_out)(id_, old)

        self._undo.append(undo)

    def remove(self, account: str, type_: str, id_: str) -> None:
        table = self._table(account, type_)
        row = table.rows.pop(id_, None)
        if row is None:
            return
        if row[LISTED]:
            table.list_out(id_, row)

        def undo() -> None:
            table.rows[id_] = row
            if row[LISTED]:
                table.list_in(id_, row)

        self._undo.append(undo)

    def _position(self, table: _Table | None, id_: str) -> int:
        row = table.rows.get(id_) if table is not None else None
        if table is None or row is None or not row[LISTED]:
            raise CursorNotFound(id_)
        return bisect_left(table.order, (row[CREATED], row[SEQ], id_))

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
        table = self._store.tables.get((account, type_))
        backwards = ending_before is not None and starting_after is None
        cursor = ending_before if backwards else starting_after
        position = self._position(table, cursor) if cursor is not None else None
        if table is None:
            return Page([], False)
        order = table.order
        lo, hi = 0, len(order)
        for op, bound in (created or {}).items():
            if op == "gt":
                lo = max(lo, bisect_left(order, (bound + 1,)))
            elif op == "gte":
                lo = max(lo, bisect_left(order, (bound,)))
            elif op == "lt":
                hi = min(hi, bisect_left(order, (bound,)))
            elif op == "lte":
                hi = min(hi, bisect_left(order, (bound + 1,)))
        if backwards:
            assert position is not None
            indexes: range = range(max(lo, position + 1), hi)
        else:
            if position is not None:
                hi = min(hi, position)
            indexes = range(hi - 1, lo - 1, -1)
        match = _matcher(filters)
        found: list[dict[str, Any]] = []
        for i in indexes:
            obj = orjson.loads(table.rows[order[i][2]][DATA])
            if match is None or match(obj):
                found.append(obj)
                if len(found) > limit:
                    break
        has_more = len(found) > limit
        found = found[:limit]
        if backwards:
            found.reverse()
        return Page(found, has_more)

    def scan(
        self, account: str, type_: str, filters: tuple[Filter, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        table = self._store.tables.get((account, type_))
        if table is None:
            return
        match = _matcher(filters)
        # A snapshot of the order, so a caller writing while it iterates stays safe.
        for _, _, id_ in reversed(list(table.order)):
            row = table.rows.get(id_)
            if row is None:
                continue
            obj = orjson.loads(row[DATA])
            if match is None or match(obj):
                yield obj

    # -- idempotency, keys, meta -----------------------------------------------------------

    def _put(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        old = mapping.get(key, _MISSING)
        mapping[key] = value

        def undo() -> None:
            if old is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = old

        self._undo.append(undo)

    def idempotency_get(self, account: str, key: str) -> IdempotencyRecord | None:
        return self._store.idempotency.get((account, key))

    def idempotency_put(self, account: str, key: str, record: IdempotencyRecord) -> None:
        # An exactly sized copy of the body: the response's own bytes come from orjson
        # with their 4 KiB buffer, and the SDK sends a key with every POST.
        compact = IdempotencyRecord(
            record.method,
            record.path,
            record.params_hash,
            record.status,
            memoryview(record.body).tobytes(),
            record.created,
        )
        self._put(self._store.idempotency, (account, key), compact)

    def idempotency_delete(self, account: str, key: str) -> None:
        old = self._store.idempotency.pop((account, key), None)
        if old is not None:
            self._undo.append(lambda: self._store.idempotency.__setitem__((account, key), old))

    def key_get(self, key: str) -> KeyRecord | None:
        return self._store.keys.get(key)

    def key_put(self, record: KeyRecord) -> None:
        self._put(self._store.keys, record.key, record)

    def timer_add(
        self, account: str, due: int, kind: str, ref: str, clock: str | None = None
    ) -> None:
        self._store.seq += 1
        timer = Timer(self._store.seq, account, due, kind, ref, clock)
        self._store.timers[timer.id] = timer
        self._store.index_timer(timer)
        self._undo.append(lambda: self._store.timers.pop(timer.id, None))

    def timers_due(self, now: int, limit: int = 100) -> list[Timer]:
        return self._store.due_on(None, now, limit)

    def clock_timers_due(
        self, account: str, clock: str, until: int, limit: int = 100
    ) -> list[Timer]:
        return self._store.due_on((account, clock), until, limit)

    def timer_remove(self, timer_id: int) -> None:
        old = self._store.timers.pop(timer_id, None)
        if old is not None:

            def undo() -> None:
                self._store.timers[timer_id] = old
                self._store.index_timer(old)

            self._undo.append(undo)

    def next_due(self) -> int | None:
        due = self._store.due_on(None, None, 1)
        return due[0].due if due else None

    # -- webhook deliveries -------------------------------------------------------------

    def delivery_put(self, delivery: Delivery) -> None:
        store = self._store
        old = store.deliveries.get(delivery.id)
        store.set_delivery(delivery)

        def undo() -> None:
            if old is None:
                store.deliveries.pop(delivery.id, None)
            else:
                store.set_delivery(old)

        self._undo.append(undo)

    def delivery_get(self, delivery_id: str) -> Delivery | None:
        return self._store.deliveries.get(delivery_id)

    def deliveries_due(self, now: float, limit: int = 100) -> list[Delivery]:
        return self._store.due_deliveries(now, limit)

    def next_delivery_due(self) -> float | None:
        due = self._store.due_deliveries(None, 1)
        return due[0].next_attempt if due else None

    def deliveries(
        self,
        account: str,
        *,
        event: str | None = None,
        endpoint: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        found: list[Delivery] = []
        for delivery in reversed(self._store.deliveries.values()):
            if delivery.account != account:
                continue
            if (event and delivery.event != event) or (endpoint and delivery.endpoint != endpoint):
                continue
            found.append(delivery)
            if len(found) == limit:
                break
        return found

    def meta_get(self, name: str) -> str | None:
        return self._store.meta.get(name)

    def meta_put(self, name: str, value: str) -> None:
        self._put(self._store.meta, name, value)


class _Scope:
    """One transaction: the store's lock held, rolled back if the body raises. A class,
    not a generator context manager, because every request enters one."""

    __slots__ = ("_store", "_tx")

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._tx = MemoryTransaction(store)

    def __enter__(self) -> MemoryTransaction:
        self._store.lock.acquire()
        return self._tx

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is not None:
                self._tx.rollback()
        finally:
            self._store.lock.release()


class MemoryStore(Store):
    def __init__(self) -> None:
        self.tables: dict[tuple[str, str], _Table] = {}
        self.idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self.keys: dict[str, KeyRecord] = {}
        self.meta: dict[str, str] = {}
        self.timers: dict[int, Timer] = {}
        # Deliveries in creation order (an update keeps a delivery's place), and a heap of
        # (next attempt, order, id) over the pending ones: an endpoint that is down for
        # days keeps thousands pending, and the deliverer asks what is due after every
        # commit. Entries a later write made stale are dropped lazily.
        self.deliveries: dict[str, Delivery] = {}
        self._delivery_heap: list[tuple[float, int, str]] = []
        # A heap of (due, id) per test clock (key (account, clock)) and one for sandbox time
        # (key None), so a clock with thousands of renewals pending finds the next one
        # without sorting them all. Removed timers are dropped lazily from the heaps.
        self._timer_heaps: dict[tuple[str, str] | None, list[tuple[int, int]]] = {}
        self.seq = 0
        self.lock = threading.RLock()

    def set_delivery(self, delivery: Delivery) -> None:
        self.deliveries[delivery.id] = delivery
        if delivery.status == "pending" and delivery.next_attempt is not None:
            self.seq += 1
            heapq.heappush(self._delivery_heap, (delivery.next_attempt, self.seq, delivery.id))

    def _live(self, entry: tuple[float, int, str]) -> bool:
        delivery = self.deliveries.get(entry[2])
        return (
            delivery is not None
            and delivery.status == "pending"
            and delivery.next_attempt == entry[0]
        )

    def due_deliveries(self, until: float | None, limit: int) -> list[Delivery]:
        """The earliest pending deliveries due at or before `until` (any if None)."""
        heap = self._delivery_heap
        found: list[Delivery] = []
        kept: list[tuple[float, int, str]] = []
        seen: set[str] = set()
        while heap and len(found) < limit:
            entry = heapq.heappop(heap)
            if entry[2] in seen or not self._live(entry):
                continue  # stale: dropped for good
            kept.append(entry)
            if until is not None and entry[0] > until:
                break
            seen.add(entry[2])
            found.append(self.deliveries[entry[2]])
        for entry in kept:
            heapq.heappush(heap, entry)
        return found

    def index_timer(self, timer: Timer) -> None:
        key = None if timer.clock is None else (timer.account, timer.clock)
        heapq.heappush(self._timer_heaps.setdefault(key, []), (timer.due, timer.id))

    def due_on(self, key: tuple[str, str] | None, until: int | None, limit: int) -> list[Timer]:
        """The earliest live timers on one heap, due at or before `until` (any if None)."""
        heap = self._timer_heaps.get(key)
        if not heap:
            return []
        while heap and heap[0][1] not in self.timers:
            heapq.heappop(heap)  # removed earlier
        found: list[Timer] = []
        seen: set[int] = set()
        # The engine asks for one timer at a time (the heap's top); a longer answer sorts.
        for due, timer_id in heap[:1] if limit == 1 else sorted(heap):
            if (until is not None and due > until) or len(found) == limit:
                break
            timer = self.timers.get(timer_id)
            if timer is None or timer_id in seen:  # removed, or pushed again by a rollback
                continue
            seen.add(timer_id)
            found.append(timer)
        return found

    def transaction(self, *, write: bool) -> _Scope:
        return _Scope(self)

    def close(self) -> None:
        """Nothing to release; the objects go with the store."""
