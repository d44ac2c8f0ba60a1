"""`stripekit listen` as a developer runs it: a subprocess against a served sandbox,
forwarding the account's new events to a local app, signed with the stable secret it
prints; and `stripekit sandbox deliveries` showing the sandbox's own delivery attempts."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from webhook_receiver import Receiver, serve_receiver, wait_for

from stripekit.listen import signing_secret
from stripekit.sandbox import Sandbox
from stripekit.sandbox.server import BackgroundServer


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, BackgroundServer]]:
    with Sandbox() as sandbox:
        server = sandbox.serve()
        try:
            yield sandbox, server
        finally:
            server.stop()


def _lines(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _next_matching(lines: queue.Queue[str], needle: str, timeout: float = 15.0) -> str:
    while True:
        line = lines.get(timeout=timeout)
        if needle in line:
            return line


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "stripekit.cli", *args]


def test_print_secret_is_stable_and_per_key() -> None:
    env = {**os.environ, "STRIPE_API_KEY": "sk_test_one"}
    first = subprocess.run(
        _cli("listen", "--print-secret"), capture_output=True, text=True, env=env
    )
    again = subprocess.run(
        _cli("listen", "--print-secret"), capture_output=True, text=True, env=env
    )
    assert first.returncode == 0 and first.stdout == again.stdout
    assert first.stdout.strip() == signing_secret("sk_test_one")
    assert first.stdout.startswith("whsec_")
    assert signing_secret("sk_test_two") != signing_secret("sk_test_one")


def test_listen_forwards_new_events_signed(served: tuple[Sandbox, BackgroundServer]) -> None:
    sandbox, server = served
    api_key = sandbox.new_api_key()
    client = sandbox.client(api_key)
    client.v1.products.create(params={"name": "before listen"})  # not forwarded: history
    gen = serve_receiver(secret=signing_secret(api_key), statuses=[200, 500])
    receiver: Receiver = next(gen)
    args = _cli(
        "listen",
        "--forward-to",
        receiver.url + "/webhooks",
        "--events",
        "customer.created,customer.updated",
        "--api-base",
        server.url,
        "--api-key",
        api_key,
    )
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        lines = _lines(process.stdout)
        ready = _next_matching(lines, "Ready!")
        assert signing_secret(api_key) in ready
        customer = client.v1.customers.create()
        client.v1.products.create(params={"name": "filtered out"})
        client.v1.customers.update(customer.id, params={"name": "n"})
        got = wait_for(lambda: len(receiver.events()) == 2 and receiver.events())
        assert [e.type for e in got] == ["customer.created", "customer.updated"]
        assert got[0].data.object.id == customer.id
        assert receiver.received[0].path == "/webhooks"
        logged = {e.type: e.id for e in client.v1.events.list().data}
        assert [e.id for e in got] == [logged["customer.created"], logged["customer.updated"]]
        sent = _next_matching(lines, "-->")
        assert f"customer.created [{logged['customer.created']}]" in sent
        assert "[200] POST " + receiver.url + "/webhooks" in _next_matching(lines, "<--")
        assert "customer.updated" in _next_matching(lines, "-->")
        assert "[500]" in _next_matching(lines, "<--")
    finally:
        process.terminate()
        process.wait(10)
        gen.close()


def test_sandbox_deliveries_command(served: tuple[Sandbox, BackgroundServer]) -> None:
    sandbox, server = served
    sandbox.set_webhook_delivery("sync")
    sandbox.mount_webhook_target("http://app.test", lambda body, headers: 503)
    client = sandbox.client()
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://app.test/h", "enabled_events": ["customer.created"]}
    )
    client.v1.customers.create()
    event = client.v1.events.list().data[0]
    # STRIPEKIT_API_BASE and STRIPE_API_KEY stand for --api-base and --api-key.
    env = {**os.environ, "STRIPEKIT_API_BASE": server.url, "STRIPE_API_KEY": sandbox.api_key}
    shown = subprocess.run(
        _cli("sandbox", "deliveries"), capture_output=True, text=True, env=env, check=True
    ).stdout
    assert f"{event.id} -> {endpoint.id}: pending" in shown
    assert "[503]" in shown and "next attempt at" in shown
    filtered = subprocess.run(
        _cli("sandbox", "deliveries", "--json", "--event", "evt_other"),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert filtered.stdout.strip() == "[]"


def test_named_account_of_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stripekit.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "stripekit.toml").write_text("[accounts.scratch]\nsandbox = true\n")
    assert main(["listen", "--print-secret", "--account", "scratch"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["listen", "--print-secret", "--account", "scratch"]) == 0
    assert capsys.readouterr().out.strip() == first  # stable across runs
    with Sandbox(tmp_path / ".stripekit" / "sandbox.db") as sandbox:
        assert first == signing_secret(sandbox.account_key("scratch"))
    assert main(["sandbox", "deliveries", "--account", "scratch"]) == 0
    with pytest.raises(SystemExit, match="no account named 'nope'"):
        main(["listen", "--print-secret", "--account", "nope"])
