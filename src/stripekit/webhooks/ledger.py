"""The receiver's memory of which handler has done which event.

Stripe delivers an event at least once: a retry after a timeout, a resend from the
dashboard or two endpoints in one app can bring the same event again, and two deliveries
may arrive at the same moment on two workers. The ledger makes each (event, handler) pair
run to completion once:

- `claim` answers "run" to exactly one caller and takes a lease; "done" once a run has
  completed; "busy" while another caller holds an unexpired lease;
- `complete` records success; `fail` gives the claim back, so the next delivery retries;
- a lease that expires (the worker died mid-handler) lets the next delivery run it again.

A process that dies after its handler's effects but before `complete` runs that handler
again on the next delivery: effects should tolerate a repeat (Stripe's own advice), or be
written in the same database transaction as the ledger's row.

Three implementations: in memory (one process, tests), SQLite (a file shared by every
worker process of one machine; a claim runs under BEGIN IMMEDIATE, so it is atomic across
processes) and PostgreSQL (workers on several hosts; a claim locks its row with SELECT ...
FOR UPDATE, or inserts it, in one transaction).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

Claim = Literal["run", "done", "busy"]
State = Literal["running", "done", "failed"]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Entry:
    """One handler's record for one event."""

    event: str
    handler: str
    state: State
    attempts: int
    updated: float
    lease_until: float | None = None
    error: str | None = None


class Ledger(ABC):
    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock

    @abstractmethod
    def claim(self, event: str, handler: str, lease: float) -> Claim:
        """Whether this caller should run `handler` for `event` now (see the module's doc)."""

    @abstractmethod
    def _finish(self, event: str, handler: str, state: State, error: str | None) -> None:
        """Record a claim's end: its new state, clock time, and no lease."""

    def complete(self, event: str, handler: str) -> None:
        self._finish(event, handler, "done", None)

    def fail(self, event: str, handler: str, error: str) -> None:
        self._finish(event, handler, "failed", error)

    @abstractmethod
    def entries(self, event: str | None = None) -> list[Entry]:
        """What the ledger holds (for one event, or all), oldest change first."""

    @abstractmethod
    def prune(self, before: float) -> int:
        """Forget completed entries last changed before `before`; returns how many.
        Stripe stops retrying an event after three days, so a month is a safe horizon."""

    def close(self) -> None:  # noqa: B027 - most ledgers hold nothing open
        """Release what the ledger holds open."""


def _decide(entry: Entry | None, now: float) -> Claim:
    if entry is None or entry.state == "failed":
        return "run"
    if entry.state == "done":
        return "done"
    return "run" if entry.lease_until is not None and entry.lease_until <= now else "busy"


class MemoryLedger(Ledger):
    """Entries in a dict: one process, forgotten on exit."""

    def __init__(self, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self._entries: dict[tuple[str, str], Entry] = {}
        self._lock = threading.Lock()

    def claim(self, event: str, handler: str, lease: float) -> Claim:
        with self._lock:
            now = self.clock()
            entry = self._entries.get((event, handler))
            decision = _decide(entry, now)
            if decision == "run":
                attempts = entry.attempts + 1 if entry is not None else 1
                self._entries[(event, handler)] = Entry(
                    event, handler, "running", attempts, now, now + lease
                )
            return decision

    def _finish(self, event: str, handler: str, state: State, error: str | None) -> None:
        with self._lock:
            entry = self._entries.get((event, handler))
            if entry is not None:
                self._entries[(event, handler)] = replace(
                    entry, state=state, updated=self.clock(), lease_until=None, error=error
                )

    def entries(self, event: str | None = None) -> list[Entry]:
        with self._lock:
            found = [e for e in self._entries.values() if event is None or e.event == event]
        return sorted(found, key=lambda e: e.updated)

    def prune(self, before: float) -> int:
        with self._lock:
            old = [k for k, e in self._entries.items() if e.state == "done" and e.updated < before]
            for key in old:
                del self._entries[key]
        return len(old)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS stripekit_webhook_ledger (
    event TEXT NOT NULL,
    handler TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    updated REAL NOT NULL,
    lease_until REAL,
    error TEXT,
    PRIMARY KEY (event, handler)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stripekit_webhook_ledger_by_updated
    ON stripekit_webhook_ledger(state, updated);
"""
_COLUMNS = "event, handler, state, attempts, updated, lease_until, error"


class _SQLLedger(Ledger):
    """What the SQL ledgers share: one connection behind a lock, and every statement but
    the claim (which each database makes atomic its own way). `_P` is the driver's
    parameter placeholder."""

    _P = "?"
    _db: Any
    _lock: threading.Lock

    def _finish(self, event: str, handler: str, state: State, error: str | None) -> None:
        p = self._P
        with self._lock:
            self._db.execute(
                f"UPDATE stripekit_webhook_ledger SET state = {p}, updated = {p}, "
                f"lease_until = NULL, error = {p} WHERE event = {p} AND handler = {p}",
                (state, self.clock(), error, event, handler),
            )

    def entries(self, event: str | None = None) -> list[Entry]:
        query = f"SELECT {_COLUMNS} FROM stripekit_webhook_ledger"
        args: tuple[str, ...] = ()
        if event is not None:
            query += f" WHERE event = {self._P}"
            args = (event,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY updated", args).fetchall()
        return [Entry(*row) for row in rows]

    def prune(self, before: float) -> int:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM stripekit_webhook_ledger WHERE state = 'done' "
                f"AND updated < {self._P}",
                (before,),
            )
        return int(cursor.rowcount)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SQLiteLedger(_SQLLedger):
    """Entries in a SQLite file (WAL), shared by the worker processes that open it. The
    table's name is prefixed, so the file may be the app's own database."""

    def __init__(self, path: str | Path, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.path = Path(path)
        # One connection, guarded by a lock, for every thread of this process; other
        # processes wait for the write lock up to busy_timeout.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.execute("PRAGMA journal_mode = WAL")
        # No fsync per commit: a crashed process loses nothing, a power cut may forget the
        # last few completions, whose handlers then run once more (as after any crash).
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def _row(self, event: str, handler: str) -> Entry | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM stripekit_webhook_ledger WHERE event = ? AND handler = ?",
            (event, handler),
        ).fetchone()
        return Entry(*row) if row is not None else None

    def claim(self, event: str, handler: str, lease: float) -> Claim:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                now = self.clock()
                entry = self._row(event, handler)
                decision = _decide(entry, now)
                if decision == "run":
                    self._db.execute(
                        "INSERT INTO stripekit_webhook_ledger "
                        f"({_COLUMNS}) VALUES (?, ?, 'running', 1, ?, ?, NULL) "
                        "ON CONFLICT (event, handler) DO UPDATE SET state = 'running', "
                        "attempts = attempts + 1, updated = excluded.updated, "
                        "lease_until = excluded.lease_until, error = NULL",
                        (event, handler, now, now + lease),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return decision


_PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS stripekit_webhook_ledger (
    event TEXT NOT NULL,
    handler TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    updated DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION,
    error TEXT,
    PRIMARY KEY (event, handler)
);
CREATE INDEX IF NOT EXISTS stripekit_webhook_ledger_by_updated
    ON stripekit_webhook_ledger(state, updated);
"""


class PostgresLedger(_SQLLedger):
    """Entries in a PostgreSQL table (in the connection's schema), shared by workers on
    any number of hosts. Needs psycopg (`pip install 'stripekit[postgres]'`)."""

    _P = "%s"

    def __init__(self, url: str, clock: Clock = time.time) -> None:
        super().__init__(clock)
        try:
            import psycopg
        except ImportError as exc:
            raise ImportError(
                "a PostgreSQL ledger needs psycopg: pip install 'stripekit[postgres]'"
            ) from exc
        self._db = psycopg.connect(url, autocommit=True, connect_timeout=10)
        self._lock = threading.Lock()
        with self._db.transaction():
            # Workers starting together on a new database must not race to create it.
            self._db.execute("SELECT pg_advisory_xact_lock(hashtext('stripekit_webhook_ledger'))")
            self._db.execute(_PG_SCHEMA)

    def claim(self, event: str, handler: str, lease: float) -> Claim:
        with self._lock, self._db.transaction():
            now = self.clock()
            # A first claim inserts; a racing one waits on the row, then reads what won.
            inserted = self._db.execute(
                "INSERT INTO stripekit_webhook_ledger "
                f"({_COLUMNS}) VALUES (%s, %s, 'running', 1, %s, %s, NULL) "
                "ON CONFLICT (event, handler) DO NOTHING",
                (event, handler, now, now + lease),
            ).rowcount
            if inserted:
                return "run"
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM stripekit_webhook_ledger "
                "WHERE event = %s AND handler = %s FOR UPDATE",
                (event, handler),
            ).fetchone()
            decision = _decide(Entry(*row) if row is not None else None, now)
            if decision == "run":
                self._db.execute(
                    "UPDATE stripekit_webhook_ledger SET state = 'running', "
                    "attempts = attempts + 1, updated = %s, lease_until = %s, error = NULL "
                    "WHERE event = %s AND handler = %s",
                    (now, now + lease, event, handler),
                )
            return decision
