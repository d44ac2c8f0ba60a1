"""SQLite store: a WAL file by default, or an in-memory database for tests.

One connection per store, guarded by a lock, because the engine is synchronous and a
request holds the connection for its whole transaction. Write transactions start with
`BEGIN IMMEDIATE`, so several processes sharing one file serialize their writes too.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    created INTEGER NOT NULL,
    listed INTEGER NOT NULL DEFAULT 1,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_by_id ON objects(account, type, id);
CREATE INDEX IF NOT EXISTS objects_by_created ON objects(account, type, created, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (account, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    permissions TEXT,
    issued INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS timers (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    due INTEGER NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    clock TEXT
);
CREATE INDEX IF NOT EXISTS timers_by_due ON timers(due, id);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    event TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    created INTEGER NOT NULL,
    status TEXT NOT NULL,
    next_attempt REAL,
    attempts TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries(next_attempt) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_account ON webhook_deliveries(account, seq);
"""

_DELIVERY_COLUMNS = "id, account, event, endpoint, created, status, next_attempt, attempts"


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(*row[:7], attempts=tuple(orjson.loads(row[7])))


def _json_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{part}"' for part in path)


def _sql_value(value: Any) -> Any:
    # json_extract yields 1/0 for JSON booleans.
    return int(value) if isinstance(value, bool) else value


def _filter_sql(filters: tuple[Filter, ...]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for f in filters:
        if f.path == ("id",):
            column = "id"
        else:
            column = "json_extract(data, ?)"
            args.append(_json_path(f.path))
        if f.op == "eq":
            clauses.append(f"{column} = ?")
            args.append(_sql_value(f.value))
        elif f.op == "in":
            values = list(f.value)
            if not values:
                clauses.append("0")
                continue
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(_sql_value(v) for v in values)
        elif f.op == "like":
            clauses.append(f"{column} LIKE ? ESCAPE '\\'")
            args.append(f.value)
        else:  # is_null
            clauses.append(f"{column} IS NULL")
    return "".join(f" AND {c}" for c in clauses), args


_CREATED_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class SQLiteTransaction(Transaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def savepoint(self) -> None:
        self._conn.execute("SAVEPOINT handler")

    def release_savepoint(self) -> None:
        self._conn.execute("RELEASE SAVEPOINT handler")

    def rollback_savepoint(self) -> None:
        self._conn.execute("ROLLBACK TO SAVEPOINT handler")
        self._conn.execute("RELEASE SAVEPOINT handler")

    def get(self, account: str, type_: str, id_: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT data FROM objects WHERE account=? AND type=? AND id=?",
            (account, type_, id_),
        ).fetchone()
        return orjson.loads(row[0]) if row else None

    def insert(self, account: str, type_: str, obj: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT INTO objects(account, type, id, created, data) VALUES (?,?,?,?,?)",
            (account, type_, obj["id"], obj["created"], orjson.dumps(obj).decode()),
        )

    def replace(
        self, account: str, type_: str, obj: dict[str, Any], *, listed: bool = True
    ) -> None:
        self._conn.execute(
            "UPDATE objects SET data=?, listed=? WHERE account=? AND type=? AND id=?",
            (orjson.dumps(obj).decode(), int(listed), account, type_, obj["id"]),
        )

    def remove(self, account: str, type_: str, id_: str) -> None:
        self._conn.execute(
            "DELETE FROM objects WHERE account=? AND type=? AND id=?", (account, type_, id_)
        )

    def _cursor(self, account: str, type_: str, id_: str) -> tuple[int, int]:
        row = self._conn.execute(
            "SELECT created, seq FROM objects WHERE account=? AND type=? AND id=? AND listed=1",
            (account, type_, id_),
        ).fetchone()
        if row is None:
            raise CursorNotFound(id_)
        return row[0], row[1]

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
        sql = "SELECT data FROM objects WHERE account=? AND type=? AND listed=1"
        args: list[Any] = [account, type_]
        for op, value in (created or {}).items():
            sql += f" AND created {_CREATED_OPS[op]} ?"
            args.append(value)
        extra, extra_args = _filter_sql(filters)
        sql += extra
        args.extend(extra_args)
        backwards = ending_before is not None and starting_after is None
        if backwards:
            c, s = self._cursor(account, type_, ending_before)  # type: ignore[arg-type]
            sql += " AND (created > ? OR (created = ? AND seq > ?))"
            sql += " ORDER BY created ASC, seq ASC LIMIT ?"
            args += [c, c, s, limit + 1]
        else:
            if starting_after is not None:
                c, s = self._cursor(account, type_, starting_after)
                sql += " AND (created < ? OR (created = ? AND seq < ?))"
                args += [c, c, s]
            sql += " ORDER BY created DESC, seq DESC LIMIT ?"
            args.append(limit + 1)
        rows = self._conn.execute(sql, args).fetchall()
        has_more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        return Page([orjson.loads(r[0]) for r in rows], has_more)

    def scan(
        self, account: str, type_: str, filters: tuple[Filter, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        extra, extra_args = _filter_sql(filters)
        cursor = self._conn.execute(
            "SELECT data FROM objects WHERE account=? AND type=? AND listed=1"
            f"{extra} ORDER BY created DESC, seq DESC",
            [account, type_, *extra_args],
        )
        for (data,) in cursor:
            yield orjson.loads(data)

    def idempotency_get(self, account: str, key: str) -> IdempotencyRecord | None:
        row = self._conn.execute(
            "SELECT method, path, params_hash, status, body, created FROM idempotency"
            " WHERE account=? AND key=?",
            (account, key),
        ).fetchone()
        return IdempotencyRecord(*row) if row else None

    def idempotency_put(self, account: str, key: str, record: IdempotencyRecord) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO idempotency VALUES (?,?,?,?,?,?,?,?)",
            (
                account,
                key,
                record.method,
                record.path,
                record.params_hash,
                record.status,
                record.body,
                record.created,
            ),
        )

    def idempotency_delete(self, account: str, key: str) -> None:
        self._conn.execute("DELETE FROM idempotency WHERE account=? AND key=?", (account, key))

    def key_get(self, key: str) -> KeyRecord | None:
        row = self._conn.execute(
            "SELECT key, account, permissions, issued FROM api_keys WHERE key=?", (key,)
        ).fetchone()
        if row is None:
            return None
        permissions = orjson.loads(row[2]) if row[2] is not None else None
        return KeyRecord(row[0], row[1], permissions, bool(row[3]))

    def key_put(self, record: KeyRecord) -> None:
        permissions = None if record.permissions is None else orjson.dumps(record.permissions)
        self._conn.execute(
            "INSERT OR REPLACE INTO api_keys VALUES (?,?,?,?)",
            (
                record.key,
                record.account,
                None if permissions is None else permissions.decode(),
                int(record.issued),
            ),
        )

    def timer_add(
        self, account: str, due: int, kind: str, ref: str, clock: str | None = None
    ) -> None:
        self._conn.execute(
            "INSERT INTO timers(account, due, kind, ref, clock) VALUES (?,?,?,?,?)",
            (account, due, kind, ref, clock),
        )

    def timers_due(self, now: int, limit: int = 100) -> list[Timer]:
        rows = self._conn.execute(
            "SELECT id, account, due, kind, ref, clock FROM timers"
            " WHERE due <= ? AND clock IS NULL ORDER BY due, id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [Timer(*row) for row in rows]

    def clock_timers_due(
        self, account: str, clock: str, until: int, limit: int = 100
    ) -> list[Timer]:
        rows = self._conn.execute(
            "SELECT id, account, due, kind, ref, clock FROM timers"
            " WHERE account = ? AND clock = ? AND due <= ? ORDER BY due, id LIMIT ?",
            (account, clock, until, limit),
        ).fetchall()
        return [Timer(*row) for row in rows]

    def timer_remove(self, timer_id: int) -> None:
        self._conn.execute("DELETE FROM timers WHERE id=?", (timer_id,))

    def next_due(self) -> int | None:
        row = self._conn.execute("SELECT min(due) FROM timers WHERE clock IS NULL").fetchone()
        return row[0] if row else None

    def delivery_put(self, delivery: Delivery) -> None:
        self._conn.execute(
            f"INSERT INTO webhook_deliveries({_DELIVERY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET status=excluded.status,"
            " next_attempt=excluded.next_attempt, attempts=excluded.attempts",
            (
                delivery.id,
                delivery.account,
                delivery.event,
                delivery.endpoint,
                delivery.created,
                delivery.status,
                delivery.next_attempt,
                orjson.dumps(delivery.attempts).decode(),
            ),
        )

    def delivery_get(self, delivery_id: str) -> Delivery | None:
        row = self._conn.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id=?", (delivery_id,)
        ).fetchone()
        return _delivery(row) if row else None

    def deliveries_due(self, now: float, limit: int = 100) -> list[Delivery]:
        rows = self._conn.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status='pending'"
            " AND next_attempt <= ? ORDER BY next_attempt, seq LIMIT ?",
            (now, limit),
        ).fetchall()
        return [_delivery(row) for row in rows]

    def next_delivery_due(self) -> float | None:
        row = self._conn.execute(
            "SELECT min(next_attempt) FROM webhook_deliveries WHERE status='pending'"
        ).fetchone()
        return row[0] if row else None

    def deliveries(
        self,
        account: str,
        *,
        event: str | None = None,
        endpoint: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        sql = f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE account=?"
        args: list[Any] = [account]
        if event:
            sql += " AND event=?"
            args.append(event)
        if endpoint:
            sql += " AND endpoint=?"
            args.append(endpoint)
        rows = self._conn.execute(sql + " ORDER BY seq DESC LIMIT ?", [*args, limit]).fetchall()
        return [_delivery(row) for row in rows]

    def meta_get(self, name: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def meta_put(self, name: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (name, value))


class SQLiteStore(Store):
    def __init__(self, path: str | Path | None = None) -> None:
        target = ":memory:" if path is None else str(path)
        self._conn = sqlite3.connect(
            target, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        if path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode keeps every commit atomic and the file consistent on a
            # crash; only the last commits may be lost on power failure.
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._migrate()
        self._lock = threading.RLock()
        self._tx = SQLiteTransaction(self._conn)

    def _migrate(self) -> None:
        """Bring a file written by an earlier version up to this schema (tables added
        since, such as `webhook_deliveries`, come from the schema's IF NOT EXISTS)."""
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(timers)")}
        if "clock" not in columns:
            self._conn.execute("ALTER TABLE timers ADD COLUMN clock TEXT")

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Transaction]:
        with self._lock:
            if not write:
                # A read runs its statements in autocommit: the lock already keeps this
                # process's writes out, and BEGIN/COMMIT would double a retrieve's cost.
                yield self._tx
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tx
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
