"""State on disk: a restarted `stripekit sandbox serve --db FILE` has everything, and a
failing request leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import stripe

from served_cli import free_port, serve
from stripekit.sandbox import Sandbox


def test_state_survives_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    port = free_port()
    base = {"api": f"http://127.0.0.1:{port}"}
    with serve(db, port) as key:
        client = stripe.StripeClient(key, base_addresses=base)
        customer = client.v1.customers.create(
            params={"email": "keep@example.com"}, options={"idempotency_key": "persist"}
        )
        client.v1.customers.update(customer.id, params={"metadata": {"a": "b"}})
    with serve(db, port) as key_again:
        assert key_again == key
        client = stripe.StripeClient(key, base_addresses=base)
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


def test_clock_offset_survives_reopen(tmp_path: Path) -> None:
    db = tmp_path / "clock.db"
    with Sandbox(db) as sandbox:
        sandbox.advance_clock(10 * 86400)
        ahead = sandbox.now()
    with Sandbox(db) as sandbox:
        assert sandbox.now() >= ahead


def test_failed_request_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "atomic.db"
    with Sandbox(db) as sandbox:
        client = sandbox.client()
        customer = client.v1.customers.create(params={"metadata": {"a": "1"}})
        too_many = {f"k{i}": "v" for i in range(60)}
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.customers.update(customer.id, params={"metadata": too_many})
        key = sandbox.api_key
    with Sandbox(db) as sandbox:
        client = sandbox.client(key)
        assert client.v1.customers.retrieve(customer.id).metadata.to_dict() == {"a": "1"}
        assert len(client.v1.events.list().data) == 1
    assert os.path.exists(db)
