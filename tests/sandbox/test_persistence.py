"""State on disk: a restarted `stripekit sandbox serve --db FILE` has everything, and a
failing request leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import stripe

from stripekit.sandbox import Sandbox


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(db: Path, port: int) -> Iterator[str]:
    """Run the real CLI; yield the secret key it prints."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripekit.cli",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        key = None
        deadline = time.monotonic() + 20
        while key is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            match = re.search(r"secret key: (sk_test_\w+)", line)
            if match:
                key = match.group(1)
        assert key, "the server did not print its key"
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield key
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_state_survives_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    port = _free_port()
    base = {"api": f"http://127.0.0.1:{port}"}
    with _serve(db, port) as key:
        client = stripe.StripeClient(key, base_addresses=base)
        customer = client.v1.customers.create(
            params={"email": "keep@example.com"}, options={"idempotency_key": "persist"}
        )
        client.v1.customers.update(customer.id, params={"metadata": {"a": "b"}})
    with _serve(db, port) as key_again:
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
