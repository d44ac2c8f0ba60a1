"""What only a shared PostgreSQL database gives: state that outlives a crashed server, and
several `stripekit sandbox serve` processes on one schema that stay consistent (one
customer per idempotency key, no lost update, each sees the other's writes at once).
Skips when no server answers (see postgres_db.py)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import stripe

from postgres_db import fresh_schema
from served_cli import free_port, serve
from stripekit.sandbox import Sandbox

T = TypeVar("T")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


def _client(key: str, port: int) -> stripe.StripeClient:
    # No retries: a request the sandbox failed must show, not be sent again.
    return stripe.StripeClient(
        key, base_addresses={"api": f"http://127.0.0.1:{port}"}, max_network_retries=0
    )


@pytest.fixture
def two_servers(pg_url: str) -> Iterator[tuple[stripe.StripeClient, stripe.StripeClient]]:
    """Two server processes on one schema: a client for each (the same default key)."""
    ports = free_port(), free_port()
    with serve(pg_url, ports[0]) as key, serve(pg_url, ports[1]) as other_key:
        assert other_key == key  # the second found the first's account in the database
        yield _client(key, ports[0]), _client(key, ports[1])


def _together(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls from as many threads, released at once."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_state_survives_a_crashed_server(pg_url: str) -> None:
    port = free_port()
    with serve(pg_url, port, stop=signal.SIGKILL) as key:
        client = _client(key, port)
        customer = client.v1.customers.create(
            params={"email": "keep@example.com"}, options={"idempotency_key": "persist"}
        )
        client.v1.customers.update(customer.id, params={"metadata": {"a": "b"}})
    with serve(pg_url, port) as key_again:
        assert key_again == key
        client = _client(key, port)
        again = client.v1.customers.retrieve(customer.id)
        assert again.email == "keep@example.com" and again.metadata.to_dict() == {"a": "b"}
        assert [e.type for e in client.v1.events.list().data] == [
            "customer.updated",
            "customer.created",
        ]
        replay = client.v1.customers.create(
            params={"email": "keep@example.com"}, options={"idempotency_key": "persist"}
        )
        assert replay.id == customer.id


def test_one_idempotency_key_sent_to_two_servers_makes_one_customer(
    two_servers: tuple[stripe.StripeClient, stripe.StripeClient],
) -> None:
    one, two = two_servers
    rounds = 8
    for n in range(rounds):
        key = f"signup-{n}"
        answers = _together(
            [
                lambda c=client, k=key: c.v1.customers.create(  # type: ignore[misc]
                    params={"email": "race@example.com"}, options={"idempotency_key": k}
                )
                for client in (one, two)
            ]
        )
        assert answers[0].id == answers[1].id
    assert len(one.v1.customers.list(params={"limit": 100}).data) == rounds
    assert len(two.v1.events.list(params={"limit": 100}).data) == rounds


def test_read_modify_writes_across_two_servers_lose_nothing(
    two_servers: tuple[stripe.StripeClient, stripe.StripeClient],
) -> None:
    one, two = two_servers
    customer = one.v1.customers.create()

    def credit(client: stripe.StripeClient) -> Any:
        return client.v1.customers.balance_transactions.create(
            customer.id, params={"amount": 100, "currency": "usd"}
        )

    # 40 credits to one balance, released at once, alternating between the two processes.
    _together([lambda c=(one, two)[n % 2]: credit(c) for n in range(40)])  # type: ignore[misc]
    assert two.v1.customers.retrieve(customer.id).balance == 4000
    txns = one.v1.customers.balance_transactions.list(customer.id, params={"limit": 100})
    assert len(txns.data) == 40
    # Each transaction's ending balance is the one before plus 100: none read a stale one.
    assert sorted(t.ending_balance for t in txns.data) == list(range(100, 4001, 100))


def test_what_one_server_writes_the_other_lists_at_once(
    two_servers: tuple[stripe.StripeClient, stripe.StripeClient],
) -> None:
    one, two = two_servers
    for n in range(3):
        made = one.v1.customers.create(params={"email": f"n{n}@example.com"})
        listed = two.v1.customers.list(params={"limit": 1}).data
        assert [c.id for c in listed] == [made.id]
        assert two.v1.customers.retrieve(made.id).email == f"n{n}@example.com"
    found = two.v1.customers.search(params={"query": 'email:"n1@example.com"'}).data
    assert len(found) == 1


def test_failed_request_writes_nothing(pg_url: str) -> None:
    with Sandbox(pg_url) as sandbox:
        client = sandbox.client()
        customer = client.v1.customers.create(params={"metadata": {"a": "1"}})
        # The update's handler writes, then the metadata check refuses it (too many keys).
        too_many = {f"k{i}": "v" for i in range(60)}
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.customers.update(customer.id, params={"metadata": too_many})
        key = sandbox.api_key
    with Sandbox(pg_url) as sandbox:
        client = sandbox.client(key)
        assert client.v1.customers.retrieve(customer.id).metadata.to_dict() == {"a": "1"}
        assert len(client.v1.events.list().data) == 1


def test_a_dropped_connection_fails_one_request_and_the_next_reconnects(pg_url: str) -> None:
    with Sandbox(pg_url) as sandbox:
        client = sandbox.client(max_network_retries=0)
        customer = client.v1.customers.create()
        # What a server restart does to the store's session, without restarting the server.
        import psycopg

        pid = sandbox.engine.store._conn.info.backend_pid  # type: ignore[attr-defined]
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(stripe.APIError) as failed:
            client.v1.customers.retrieve(customer.id)
        assert failed.value.http_status == 500
        assert client.v1.customers.retrieve(customer.id).id == customer.id


def test_unreachable_server_is_a_clear_error_not_a_hang() -> None:
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=r"PostgreSQL store at 127\.0\.0\.1:1/x"):
        Sandbox("postgresql://127.0.0.1:1/x")
    # A server that accepts the connection and never answers: connect_timeout ends it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(ConnectionError, match="timeout"):
            Sandbox(f"postgresql://127.0.0.1:{port}/x?connect_timeout=1")
    assert time.monotonic() - started < 10


def test_serve_names_the_problem_and_exits() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stripekit.cli",
            "sandbox",
            "serve",
            "--db",
            "postgres://127.0.0.1:1/x",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "stripekit: PostgreSQL store at" in result.stderr


def test_without_psycopg_the_sandbox_runs_and_a_url_names_the_extra() -> None:
    script = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from stripekit.sandbox import Sandbox\n"
        "Sandbox().client().v1.customers.create()\n"
        "try:\n"
        "    Sandbox('postgresql://127.0.0.1/x')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'stripekit[postgres]'" in result.stdout


def test_a_read_that_writes_runs_again_as_a_write(pg_url: str) -> None:
    from stripekit.sandbox.store import PostgresStore, WriteNeeded

    store = PostgresStore(pg_url)
    with pytest.raises(WriteNeeded), store.transaction(write=False) as tx:
        tx.meta_put("m", "1")
    with store.transaction(write=True) as tx:
        assert tx.meta_get("m") is None  # refused before anything was sent
    store.close()
    # Through the engine: GETs that write (a new key opens its account; a test payment
    # method is made on first retrieve) answer as they do on the other stores.
    with Sandbox(pg_url) as sandbox:
        fresh = sandbox.client("sk_test_brandnewaccount123")
        assert fresh.v1.customers.list().data == []
        assert fresh.v1.payment_methods.retrieve("pm_card_visa").card.last4 == "4242"  # type: ignore[union-attr]
