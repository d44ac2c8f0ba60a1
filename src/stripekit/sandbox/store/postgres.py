"""PostgreSQL store: the one several sandbox processes, on several hosts, share.

Consistency is kept the simple, provable way rather than with row locks and retries:

- A write transaction takes one transaction-scoped advisory lock first (`_WRITE_LOCK`), so
  the write transactions of every process on the database run one after the other, as
  SQLite's `BEGIN IMMEDIATE` makes them do. The engine's idempotency check-then-insert,
  the webhook deliverer's lease and the read-modify-write handlers (a balance adjusted, a
  counter moved) rely on that; PostgreSQL releases the lock at COMMIT or ROLLBACK, and when
  a process dies its session goes and the lock with it. Writes run READ COMMITTED: each
  statement sees everything committed before it, so after the lock is granted a write
  sees the last writer's work. (REPEATABLE READ would take its snapshot at the lock
  statement itself, before the wait, and lose the updates committed meanwhile.)
- A read transaction runs REPEATABLE READ, READ ONLY: one snapshot for the whole request,
  so a list and the objects it expands agree even while other processes write, and no
  lock is taken, so reads never wait for writers. A read that turns out to write (a GET
  with a new key opens its account) is refused before it writes anything (`WriteNeeded`),
  and the engine runs the request again as a write.

Tables live in the connection's current schema (`CREATE TABLE IF NOT EXISTS`), so a
`search_path` given in the URL (`?options=-csearch_path%3Dmyschema`) isolates a sandbox.
`data` is TEXT, not jsonb: a read returns exactly the JSON orjson wrote, with no
re-encoding on either side; filters cast it to jsonb where they need a field.

One connection per store, guarded by a lock, as in sqlite.py: the engine is synchronous
and a request holds the connection for its whole transaction. A connection that breaks (a
server restart) fails the request it was serving and is opened again by the next one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import orjson

try:
    import psycopg
    from psycopg import IsolationLevel
    from psycopg.conninfo import conninfo_to_dict
except ImportError as exc:  # the sandbox runs without the extra; only this store needs it
    raise ImportError(
        "PostgreSQL storage needs psycopg: pip install 'stripekit[postgres]'"
    ) from exc

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
    WriteNeeded,
)

# The advisory lock every write transaction takes: the bytes of "stripeki" as a signed
# 64-bit key, unlikely to collide with another application's locks on a shared server.
_WRITE_LOCK = "SELECT pg_advisory_xact_lock(8319119876378817385)"

# An unreachable server fails the request after this long instead of hanging it; a URL's
# own `connect_timeout` wins.
_CONNECT_TIMEOUT = 10

# A write waiting longer than this for the write lock (a peer stuck mid-transaction) fails
# with an error instead of hanging, as SQLite's busy timeout does.
_LOCK_TIMEOUT = "30s"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    created BIGINT NOT NULL,
    listed BOOLEAN NOT NULL DEFAULT TRUE,
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
    body BYTEA NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    permissions TEXT,
    issued BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS timers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account TEXT NOT NULL,
    due BIGINT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    clock TEXT
);
CREATE INDEX IF NOT EXISTS timers_by_due ON timers(due, id);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    event TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    created BIGINT NOT NULL,
    status TEXT NOT NULL,
    next_attempt DOUBLE PRECISION,
    attempts TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries(next_attempt) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_account ON webhook_deliveries(account, seq);
"""

_DELIVERY_COLUMNS = "id, account, event, endpoint, created, status, next_attempt, attempts"


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(*row[:7], attempts=tuple(orjson.loads(row[7])))


def _filter_sql(filters: tuple[Filter, ...]) -> tuple[str, list[Any]]:
    """SQL for filters with the semantics of sqlite.py's json_extract (and memory.py): a
    missing field and JSON null are both null, and null equals nothing."""
    clauses: list[str] = []
    args: list[Any] = []
    for f in filters:
        if f.path == ("id",):
            column = text = "id"
            path_args: list[Any] = []
        else:
            # jsonb against jsonb keeps JSON's types: true is not "true", and 1 equals 1.0.
            column, text = "(data::jsonb #> %s::text[])", "(data::jsonb #>> %s::text[])"
            path_args = [list(f.path)]
        if f.op in ("eq", "in"):
            values = [v for v in ([f.value] if f.op == "eq" else f.value) if v is not None]
            if not values:
                clauses.append("FALSE")
                continue
            if path_args:
                values = [orjson.dumps(v).decode() for v in values]
                placeholders = ",".join(["%s::jsonb"] * len(values))
            else:
                placeholders = ",".join(["%s"] * len(values))
            clauses.append(f"{column} IN ({placeholders})")
            args.extend(path_args)
            args.extend(values)
        elif f.op == "like":
            # ILIKE: SQLite's LIKE (and so the other stores) ignores ASCII case.
            clauses.append(f"{text} ILIKE %s ESCAPE '\\'")
            args.extend(path_args)
            args.append(f.value)
        else:  # is_null
            clauses.append(f"{text} IS NULL")
            args.extend(path_args)
    return "".join(f" AND {c}" for c in clauses), args


def _where(url: str) -> str:
    """A URL's server and database, for an error message (never its password)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "a malformed URL"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


_CREATED_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class PostgresTransaction(Transaction):
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self.read_only = False

    def _write(self, sql: str, args: Any) -> None:
        if self.read_only:
            # Refused before PostgreSQL would, so the transaction is still usable and the
            # engine can run the request again as a write (a GET that writes after all).
            raise WriteNeeded(sql.split(None, 1)[0])
        self._conn.execute(sql, args)

    def _one(self, sql: str, args: Any = None) -> tuple[Any, ...] | None:
        return self._conn.execute(sql, args).fetchone()

    def _all(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, args).fetchall()

    # The engine nests savepoints under one name (a handler inside a request's guard);
    # PostgreSQL, like SQLite, releases or rolls back to the most recent of that name.
    def savepoint(self) -> None:
        self._conn.execute("SAVEPOINT handler")

    def release_savepoint(self) -> None:
        self._conn.execute("RELEASE SAVEPOINT handler")

    def rollback_savepoint(self) -> None:
        self._conn.execute("ROLLBACK TO SAVEPOINT handler")
        self._conn.execute("RELEASE SAVEPOINT handler")

    def get(self, account: str, type_: str, id_: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT data FROM objects WHERE account=%s AND type=%s AND id=%s",
            (account, type_, id_),
        )
        return orjson.loads(row[0]) if row else None

    def insert(self, account: str, type_: str, obj: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO objects(account, type, id, created, data) VALUES (%s,%s,%s,%s,%s)",
            (account, type_, obj["id"], obj["created"], orjson.dumps(obj).decode()),
        )

    def replace(
        self, account: str, type_: str, obj: dict[str, Any], *, listed: bool = True
    ) -> None:
        self._write(
            "UPDATE objects SET data=%s, listed=%s WHERE account=%s AND type=%s AND id=%s",
            (orjson.dumps(obj).decode(), listed, account, type_, obj["id"]),
        )

    def remove(self, account: str, type_: str, id_: str) -> None:
        self._write(
            "DELETE FROM objects WHERE account=%s AND type=%s AND id=%s", (account, type_, id_)
        )

    def _cursor(self, account: str, type_: str, id_: str) -> tuple[int, int]:
        row = self._one(
            "SELECT created, seq FROM objects WHERE account=%s AND type=%s AND id=%s AND listed",
            (account, type_, id_),
        )
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
        sql = "SELECT data FROM objects WHERE account=%s AND type=%s AND listed"
        args: list[Any] = [account, type_]
        for op, value in (created or {}).items():
            sql += f" AND created {_CREATED_OPS[op]} %s"
            args.append(value)
        extra, extra_args = _filter_sql(filters)
        sql += extra
        args.extend(extra_args)
        backwards = ending_before is not None and starting_after is None
        if backwards:
            c, s = self._cursor(account, type_, ending_before)  # type: ignore[arg-type]
            sql += " AND (created, seq) > (%s, %s) ORDER BY created ASC, seq ASC LIMIT %s"
            args += [c, s, limit + 1]
        else:
            if starting_after is not None:
                c, s = self._cursor(account, type_, starting_after)
                sql += " AND (created, seq) < (%s, %s)"
                args += [c, s]
            sql += " ORDER BY created DESC, seq DESC LIMIT %s"
            args.append(limit + 1)
        rows = self._all(sql, args)
        has_more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        return Page([orjson.loads(r[0]) for r in rows], has_more)

    def scan(
        self, account: str, type_: str, filters: tuple[Filter, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        extra, extra_args = _filter_sql(filters)
        # Fetched whole before the first yield: the caller may run other statements on
        # this connection while it iterates.
        rows = self._all(
            "SELECT data FROM objects WHERE account=%s AND type=%s AND listed"
            f"{extra} ORDER BY created DESC, seq DESC",
            [account, type_, *extra_args],
        )
        for (data,) in rows:
            yield orjson.loads(data)

    def idempotency_get(self, account: str, key: str) -> IdempotencyRecord | None:
        row = self._one(
            "SELECT method, path, params_hash, status, body, created FROM idempotency"
            " WHERE account=%s AND key=%s",
            (account, key),
        )
        return IdempotencyRecord(*row) if row else None

    def idempotency_put(self, account: str, key: str, record: IdempotencyRecord) -> None:
        self._write(
            "INSERT INTO idempotency VALUES (%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (account, key) DO UPDATE SET method=excluded.method,"
            " path=excluded.path, params_hash=excluded.params_hash, status=excluded.status,"
            " body=excluded.body, created=excluded.created",
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
        self._write("DELETE FROM idempotency WHERE account=%s AND key=%s", (account, key))

    def key_get(self, key: str) -> KeyRecord | None:
        row = self._one(
            "SELECT key, account, permissions, issued FROM api_keys WHERE key=%s", (key,)
        )
        if row is None:
            return None
        permissions = orjson.loads(row[2]) if row[2] is not None else None
        return KeyRecord(row[0], row[1], permissions, row[3])

    def key_put(self, record: KeyRecord) -> None:
        permissions = None if record.permissions is None else orjson.dumps(record.permissions)
        self._write(
            "INSERT INTO api_keys VALUES (%s,%s,%s,%s) ON CONFLICT (key) DO UPDATE SET"
            " account=excluded.account, permissions=excluded.permissions,"
            " issued=excluded.issued",
            (
                record.key,
                record.account,
                None if permissions is None else permissions.decode(),
                record.issued,
            ),
        )

    def timer_add(
        self, account: str, due: int, kind: str, ref: str, clock: str | None = None
    ) -> None:
        self._write(
            "INSERT INTO timers(account, due, kind, ref, clock) VALUES (%s,%s,%s,%s,%s)",
            (account, due, kind, ref, clock),
        )

    def timers_due(self, now: int, limit: int = 100) -> list[Timer]:
        rows = self._all(
            "SELECT id, account, due, kind, ref, clock FROM timers"
            " WHERE due <= %s AND clock IS NULL ORDER BY due, id LIMIT %s",
            (now, limit),
        )
        return [Timer(*row) for row in rows]

    def clock_timers_due(
        self, account: str, clock: str, until: int, limit: int = 100
    ) -> list[Timer]:
        rows = self._all(
            "SELECT id, account, due, kind, ref, clock FROM timers"
            " WHERE account = %s AND clock = %s AND due <= %s ORDER BY due, id LIMIT %s",
            (account, clock, until, limit),
        )
        return [Timer(*row) for row in rows]

    def timer_remove(self, timer_id: int) -> None:
        self._write("DELETE FROM timers WHERE id=%s", (timer_id,))

    def next_due(self) -> int | None:
        row = self._one("SELECT min(due) FROM timers WHERE clock IS NULL")
        return row[0] if row else None

    def delivery_put(self, delivery: Delivery) -> None:
        self._write(
            f"INSERT INTO webhook_deliveries({_DELIVERY_COLUMNS})"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (id) DO UPDATE SET status=excluded.status,"
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
        row = self._one(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id=%s", (delivery_id,)
        )
        return _delivery(row) if row else None

    def deliveries_due(self, now: float, limit: int = 100) -> list[Delivery]:
        rows = self._all(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status='pending'"
            " AND next_attempt <= %s ORDER BY next_attempt, seq LIMIT %s",
            (now, limit),
        )
        return [_delivery(row) for row in rows]

    def next_delivery_due(self) -> float | None:
        row = self._one("SELECT min(next_attempt) FROM webhook_deliveries WHERE status='pending'")
        return row[0] if row else None

    def deliveries(
        self,
        account: str,
        *,
        event: str | None = None,
        endpoint: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        sql = f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE account=%s"
        args: list[Any] = [account]
        if event:
            sql += " AND event=%s"
            args.append(event)
        if endpoint:
            sql += " AND endpoint=%s"
            args.append(endpoint)
        rows = self._all(sql + " ORDER BY seq DESC LIMIT %s", [*args, limit])
        return [_delivery(row) for row in rows]

    def meta_get(self, name: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE name=%s", (name,))
        return row[0] if row else None

    def meta_put(self, name: str, value: str) -> None:
        self._write(
            "INSERT INTO meta VALUES (%s,%s) ON CONFLICT (name) DO UPDATE SET value=excluded.value",
            (name, value),
        )


class PostgresStore(Store):
    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.RLock()
        # Transactions opened by this thread inside one already open (0: none open).
        self._depth = 0
        self._writing = False
        # The mode the connection's next BEGIN is set for (None: not set on this connection).
        self._mode: bool | None = None
        try:
            self._conn, self._tx = self._open()
        except psycopg.Error as exc:
            # psycopg's reason alone does not say that the sandbox's storage is what failed.
            raise ConnectionError(f"PostgreSQL store at {_where(url)}: {exc}") from exc

    def _open(self) -> tuple[psycopg.Connection[Any], PostgresTransaction]:
        options: dict[str, Any] = {}
        if "connect_timeout" not in conninfo_to_dict(self._url):
            options["connect_timeout"] = _CONNECT_TIMEOUT
        conn = psycopg.connect(self._url, autocommit=False, **options)
        try:
            # Processes starting together on a new schema would race on CREATE TABLE IF NOT
            # EXISTS (it checks, then creates): the write lock makes them take turns.
            conn.execute(f"SET lock_timeout = '{_LOCK_TIMEOUT}'")
            conn.execute(_WRITE_LOCK)
            conn.execute(_SCHEMA)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn, PostgresTransaction(conn)

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn.closed:
            # Broken (the server restarted, the network dropped): the request that saw it
            # failed; this one gets a new connection, or the reason there is none.
            self._conn, self._tx = self._open()
            self._mode = None
        return self._conn

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Transaction]:
        with self._lock:
            if self._depth:
                # Opened inside another transaction on this thread: it joins that one (as a
                # SQLite read does, in autocommit beside an open write).
                if write and not self._writing:
                    raise WriteNeeded("a write transaction inside a read one")
                self._depth += 1
                try:
                    yield self._tx
                finally:
                    self._depth -= 1
                return
            conn = self._connection()
            if write is not self._mode:
                # psycopg opens the transaction (BEGIN ...) with these at the first statement.
                conn.isolation_level = (
                    IsolationLevel.READ_COMMITTED if write else IsolationLevel.REPEATABLE_READ
                )
                conn.read_only = not write
                self._mode = write
            self._depth, self._writing = 1, write
            self._tx.read_only = not write
            try:
                # Pipeline mode: statements whose results nobody reads (BEGIN, the lock,
                # savepoints, inserts, COMMIT) go out without waiting for their answers, and
                # travel with the next query that is read. A create costs 3 round trips
                # instead of 10; an error still surfaces, at the next read or at COMMIT.
                with conn.pipeline():
                    if write:
                        conn.execute(_WRITE_LOCK)
                    yield self._tx
                    conn.commit()
            except BaseException:
                # A broken connection cannot roll back; the next transaction opens another.
                with suppress(psycopg.Error):
                    conn.rollback()
                raise
            finally:
                self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
