"""The storage contract: every store implementation must pass these (memory, SQLite and
PostgreSQL, which skips when no server answers: see postgres_db.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from postgres_db import fresh_schema
from stripekit.sandbox.store import (
    CursorNotFound,
    Delivery,
    Filter,
    IdempotencyRecord,
    KeyRecord,
    MemoryStore,
    SQLiteStore,
    Store,
)


@pytest.fixture(params=["memory", "sqlite-memory", "sqlite-file", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with ExitStack() as stack:
        if request.param == "postgres":
            from stripekit.sandbox.store import PostgresStore

            url = stack.enter_context(fresh_schema())
            made: Store = PostgresStore(url)
        else:
            made = {
                "memory": MemoryStore,
                "sqlite-memory": SQLiteStore,
                "sqlite-file": lambda: SQLiteStore(tmp_path / "s.db"),
            }[request.param]()
        yield made
        made.close()


def _obj(i: int, created: int = 1000, **extra: object) -> dict[str, object]:
    return {"id": f"obj_{i}", "object": "thing", "created": created, **extra}


def test_insert_get_replace_remove(store: Store) -> None:
    with store.transaction(write=True) as tx:
        tx.insert("acct_a", "thing", _obj(1, name="one"))
        assert tx.get("acct_a", "thing", "obj_1")["name"] == "one"  # type: ignore[index]
        assert tx.get("acct_b", "thing", "obj_1") is None
        assert tx.get("acct_a", "other", "obj_1") is None
        tx.replace("acct_a", "thing", _obj(1, name="uno"))
        assert tx.get("acct_a", "thing", "obj_1")["name"] == "uno"  # type: ignore[index]
        tx.remove("acct_a", "thing", "obj_1")
        assert tx.get("acct_a", "thing", "obj_1") is None


def test_page_order_and_cursors(store: Store) -> None:
    with store.transaction(write=True) as tx:
        for i in range(7):
            tx.insert("a", "thing", _obj(i, created=1000 + i // 3))
        first = tx.page("a", "thing", limit=3)
        assert [o["id"] for o in first.items] == ["obj_6", "obj_5", "obj_4"]
        assert first.has_more
        second = tx.page("a", "thing", limit=3, starting_after="obj_4")
        assert [o["id"] for o in second.items] == ["obj_3", "obj_2", "obj_1"]
        last = tx.page("a", "thing", limit=3, starting_after="obj_1")
        assert [o["id"] for o in last.items] == ["obj_0"] and not last.has_more
        back = tx.page("a", "thing", limit=2, ending_before="obj_2")
        assert [o["id"] for o in back.items] == ["obj_4", "obj_3"] and back.has_more
        with pytest.raises(CursorNotFound):
            tx.page("a", "thing", starting_after="obj_99")
        ranged = tx.page("a", "thing", created={"gte": 1001, "lt": 1002})
        assert [o["id"] for o in ranged.items] == ["obj_5", "obj_4", "obj_3"]


def test_filters_and_unlisted(store: Store) -> None:
    with store.transaction(write=True) as tx:
        tx.insert("a", "thing", _obj(1, email="x@y.z", active=True, nested={"k": "v"}))
        tx.insert("a", "thing", _obj(2, email=None, active=False, nested={"k": "w"}))
        tx.insert("a", "thing", _obj(3, email="q@y.z", active=True))
        tx.replace("a", "thing", _obj(3, email="q@y.z", active=True), listed=False)

        def ids(*filters: Filter) -> list[str]:
            return [o["id"] for o in tx.page("a", "thing", filters=filters).items]

        assert ids(Filter(("email",), "eq", "x@y.z")) == ["obj_1"]
        assert ids(Filter(("active",), "eq", False)) == ["obj_2"]
        assert ids(Filter(("nested", "k"), "in", ("v", "w"))) == ["obj_2", "obj_1"]
        assert ids(Filter(("email",), "is_null")) == ["obj_2"]
        assert ids(Filter(("email",), "like", "%y.z")) == ["obj_1"]
        assert ids(Filter(("id",), "in", ())) == []
        assert [o["id"] for o in tx.scan("a", "thing")] == ["obj_2", "obj_1"]
        assert tx.get("a", "thing", "obj_3") is not None  # unlisted, still retrievable


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        tx.insert("a", "thing", _obj(1))
        tx.meta_put("m", "1")
        raise RuntimeError("boom")
    with store.transaction(write=False) as tx:
        assert tx.get("a", "thing", "obj_1") is None
        assert tx.meta_get("m") is None


def test_savepoint_undoes_only_the_handler(store: Store) -> None:
    with store.transaction(write=True) as tx:
        tx.insert("a", "thing", _obj(1))
        tx.savepoint()
        tx.insert("a", "thing", _obj(2))
        tx.rollback_savepoint()
        tx.savepoint()
        tx.insert("a", "thing", _obj(3))
        tx.release_savepoint()
    with store.transaction(write=False) as tx:
        assert [o["id"] for o in tx.scan("a", "thing")] == ["obj_3", "obj_1"]


def test_idempotency_keys_and_meta(store: Store) -> None:
    record = IdempotencyRecord("POST", "/v1/customers", "h", 200, b'{"id":"x"}', 5)
    with store.transaction(write=True) as tx:
        tx.idempotency_put("a", "k", record)
        assert tx.idempotency_get("a", "k") == record
        assert tx.idempotency_get("b", "k") is None
        tx.idempotency_delete("a", "k")
        assert tx.idempotency_get("a", "k") is None
        tx.key_put(KeyRecord("rk_test_1", "a", {"*": "read"}, issued=True))
        assert tx.key_get("rk_test_1") == KeyRecord("rk_test_1", "a", {"*": "read"}, True)
        tx.meta_put("clock_offset", "12.5")
        assert tx.meta_get("clock_offset") == "12.5"


def test_file_store_survives_reopen_and_shares_between_instances(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    one, two = SQLiteStore(path), SQLiteStore(path)
    with one.transaction(write=True) as tx:
        tx.insert("a", "thing", _obj(1))
    with two.transaction(write=True) as tx:
        assert tx.get("a", "thing", "obj_1") is not None
        tx.insert("a", "thing", _obj(2))
    one.close()
    two.close()
    reopened = SQLiteStore(path)
    with reopened.transaction(write=False) as tx:
        assert [o["id"] for o in tx.scan("a", "thing")] == ["obj_2", "obj_1"]
    reopened.close()


def test_timers(store: Store) -> None:
    with store.transaction(write=True) as tx:
        assert tx.next_due() is None
        tx.timer_add("a", 300, "payout.advance", "po_2")
        tx.timer_add("a", 100, "payout.advance", "po_1")
        tx.timer_add("b", 200, "charge.expire", "ch_1")
        assert tx.next_due() == 100
        due = tx.timers_due(250)
        assert [(t.account, t.due, t.kind, t.ref) for t in due] == [
            ("a", 100, "payout.advance", "po_1"),
            ("b", 200, "charge.expire", "ch_1"),
        ]
        tx.timer_remove(due[0].id)
        assert tx.next_due() == 200
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        tx.timer_remove(due[1].id)
        tx.timer_add("a", 50, "x", "y")
        raise RuntimeError("rolled back")
    with store.transaction(write=True) as tx:
        assert [t.ref for t in tx.timers_due(1000)] == ["ch_1", "po_2"]


def test_clock_timers_wait_for_their_clock(store: Store) -> None:
    with store.transaction(write=True) as tx:
        tx.timer_add("a", 100, "invoice.finalize", "in_1", "clock_1")
        tx.timer_add("a", 50, "invoice.finalize", "in_0", "clock_1")
        tx.timer_add("a", 60, "payout.advance", "po_1")
        tx.timer_add("b", 10, "invoice.finalize", "in_9", "clock_1")  # another account
        # Sandbox time never runs a clock's timers.
        assert [t.ref for t in tx.timers_due(10_000)] == ["po_1"]
        assert tx.next_due() == 60
        due = tx.clock_timers_due("a", "clock_1", 100)
        assert [(t.ref, t.clock) for t in due] == [("in_0", "clock_1"), ("in_1", "clock_1")]
        assert tx.clock_timers_due("a", "clock_1", 99)[-1].ref == "in_0"
        assert tx.clock_timers_due("a", "clock_2", 10_000) == []


def test_sqlite_file_from_before_clock_timers_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE timers (id INTEGER PRIMARY KEY, account TEXT NOT NULL, due INTEGER NOT"
        " NULL, kind TEXT NOT NULL, ref TEXT NOT NULL)"
    )
    old.execute("INSERT INTO timers(account, due, kind, ref) VALUES ('a', 5, 'k', 'r')")
    old.commit()
    old.close()
    store = SQLiteStore(path)
    with store.transaction(write=True) as tx:
        assert [(t.ref, t.clock) for t in tx.timers_due(10)] == [("r", None)]
        tx.timer_add("a", 6, "k", "r2", "clock_x")
        assert [t.ref for t in tx.clock_timers_due("a", "clock_x", 10)] == ["r2"]
    store.close()


def _delivery(n: int, account: str = "a", **changes: object) -> Delivery:
    fields: dict[str, object] = {
        "id": f"whdel_{n}",
        "account": account,
        "event": f"evt_{n}",
        "endpoint": "we_1",
        "created": 100 + n,
        "next_attempt": 100.0 + n,
        **changes,
    }
    return Delivery(**fields)  # type: ignore[arg-type]


def test_webhook_deliveries(store: Store) -> None:
    with store.transaction(write=True) as tx:
        assert tx.next_delivery_due() is None
        tx.delivery_put(_delivery(1))
        tx.delivery_put(_delivery(2, next_attempt=100.5))
        tx.delivery_put(_delivery(3, account="b", endpoint="we_2"))
        assert tx.next_delivery_due() == 100.5
        assert [d.id for d in tx.deliveries_due(103.0)] == ["whdel_2", "whdel_1", "whdel_3"]
        assert [d.id for d in tx.deliveries_due(101.0)] == ["whdel_2", "whdel_1"]
        attempt = {"attempted_at": 101, "status_code": 500, "error": None, "duration_ms": 1.5}
        retried = _delivery(1, next_attempt=161.0, attempts=(attempt,))
        tx.delivery_put(retried)
        assert tx.delivery_get("whdel_1") == retried
        assert [d.id for d in tx.deliveries_due(150.0)] == ["whdel_2", "whdel_3"]
        tx.delivery_put(_delivery(2, status="succeeded", next_attempt=None))
        assert tx.next_delivery_due() == 103.0
        # Newest first, per account, filtered by event or endpoint.
        assert [d.id for d in tx.deliveries("a")] == ["whdel_2", "whdel_1"]
        assert [d.id for d in tx.deliveries("a", event="evt_1")] == ["whdel_1"]
        assert [d.id for d in tx.deliveries("b", endpoint="we_2")] == ["whdel_3"]
        assert tx.deliveries("a", endpoint="we_2") == []
        assert [d.id for d in tx.deliveries("a", limit=1)] == ["whdel_2"]
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        tx.delivery_put(_delivery(1, status="succeeded", next_attempt=None))
        tx.delivery_put(_delivery(4))
        raise RuntimeError("rolled back")
    with store.transaction(write=False) as tx:
        assert tx.delivery_get("whdel_4") is None
        assert tx.delivery_get("whdel_1") == retried
        assert [d.id for d in tx.deliveries_due(1000.0)] == ["whdel_3", "whdel_1"]


def test_sqlite_file_from_before_webhooks_gains_the_outbox(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    old.execute("INSERT INTO meta VALUES ('default_key', 'sk_test_x')")
    old.commit()
    old.close()
    store = SQLiteStore(path)
    with store.transaction(write=True) as tx:
        assert tx.meta_get("default_key") == "sk_test_x"
        tx.delivery_put(_delivery(1))
        assert [d.id for d in tx.deliveries_due(200.0)] == ["whdel_1"]
    store.close()


def test_webhook_deliveries_due_after_many_rescheduling_writes(store: Store) -> None:
    with store.transaction(write=True) as tx:
        for n in range(20):
            tx.delivery_put(_delivery(n, next_attempt=float(n)))
        # Each delivery rescheduled many times, the early ones settled.
        for step in range(1, 6):
            for n in range(20):
                tx.delivery_put(_delivery(n, next_attempt=float(100 * step + n)))
        for n in range(5):
            tx.delivery_put(_delivery(n, status="succeeded", next_attempt=None))
        assert tx.next_delivery_due() == 505.0
        assert [d.id for d in tx.deliveries_due(507.0, limit=10)] == [
            "whdel_5",
            "whdel_6",
            "whdel_7",
        ]
        assert len(tx.deliveries_due(10_000.0, limit=100)) == 15
