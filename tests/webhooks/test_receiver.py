"""stripekit.webhooks: the receiver, fed by the sandbox's real deliveries (in-process and
over HTTP) and by hand-made ones for what Stripe would only do on a bad day: stale or
forged signatures, the same event twice at once, a worker dying mid-handler."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import orjson
import pytest
import stripe
import uvicorn
from webhook_receiver import wait_for

from postgres_db import fresh_schema
from stripekit.sandbox import Sandbox
from stripekit.sandbox.framework import outbox
from stripekit.webhooks import Ledger, MemoryLedger, PostgresLedger, SQLiteLedger, WebhookReceiver

APP = "http://app.test"


def _endpoint(client: stripe.StripeClient, url: str, events: list[str] | None = None) -> str:
    created = client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": events or ["*"]}
    )
    assert created.secret is not None
    return created.secret


def _signed(
    payload: dict[str, Any] | bytes, secret: str, at: int | None = None
) -> tuple[bytes, str]:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)
    return body, header


def _event(
    event_id: str = "evt_1", type_: str = "customer.created", **extra: Any
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": type_,
        "livemode": False,
        "created": 1,
        "data": {"object": {"id": "cus_1", "object": "customer"}},
        **extra,
    }


SECRET = "whsec_test_secret"


# -- through the sandbox's deliveries --------------------------------------------------------


def test_sandbox_events_reach_their_handlers_as_sdk_events() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        secret = _endpoint(client, f"{APP}/stripe/webhooks")
        hooks = WebhookReceiver(secret)
        created: list[stripe.Event] = []
        everything: list[str] = []
        hooks.add(created.append, "customer.created", name="created")
        hooks.add(lambda e: everything.append(e.type), "*", name="all")
        sandbox.mount_webhook_target(APP, hooks.asgi())
        customer = client.v1.customers.create(params={"email": "ada@example.com"})
        client.v1.customers.update(customer.id, params={"name": "Ada"})
        (event,) = created
        assert isinstance(event, stripe.Event) and event.type == "customer.created"
        assert isinstance(event.data.object, stripe.Customer)
        assert event.data.object.id == customer.id
        assert event.data.object.email == "ada@example.com"
        assert everything == ["customer.created", "customer.updated"]
        deliveries = sandbox.webhook_deliveries()
        assert [d["status"] for d in deliveries] == ["succeeded", "succeeded"]
        assert hooks.ledger.entries(event.id)[0].state == "done"


def test_one_event_delivered_twice_runs_its_handler_once() -> None:
    # Two endpoints of one account pointing at one app (each with its own secret, both
    # given to the receiver): every event arrives twice, as after a resend.
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        secrets = [_endpoint(client, f"{APP}/a"), _endpoint(client, f"{APP}/b")]
        hooks = WebhookReceiver(secrets)
        runs: list[str] = []
        hooks.add(lambda e: runs.append(e.id), "customer.created", name="welcome")
        outcomes: list[Any] = []
        original = hooks.handle_async

        async def recording(payload: bytes, headers: Any) -> Any:
            outcomes.append(await original(payload, headers))
            return outcomes[-1]

        hooks.handle_async = recording  # type: ignore[method-assign]
        sandbox.mount_webhook_target(APP, hooks.asgi())
        client.v1.customers.create()
        event = client.v1.events.list().data[0]
        assert runs == [event.id]
        assert [o.status for o in outcomes] == [200, 200]
        assert [o.handled for o in outcomes] == [["welcome"], []]
        assert outcomes[1].duplicate and outcomes[1].already_handled == ["welcome"]
        assert {d["status"] for d in sandbox.webhook_deliveries()} == {"succeeded"}


def test_a_failing_handler_is_retried_alone_until_it_succeeds() -> None:
    with Sandbox(webhook_delivery="sync", frozen=True) as sandbox:
        client = sandbox.client()
        hooks = WebhookReceiver(_endpoint(client, f"{APP}/hooks", ["customer.created"]))
        emails: list[str] = []
        crm_calls: list[str] = []

        @hooks.on("customer.created", name="email")
        def email(event: stripe.Event) -> None:
            emails.append(event.id)

        @hooks.on("customer.created", name="crm")
        def crm(event: stripe.Event) -> None:
            crm_calls.append(event.id)
            if len(crm_calls) == 1:
                raise ConnectionError("crm down")

        sandbox.mount_webhook_target(APP, hooks.wsgi())
        client.v1.customers.create()
        event = client.v1.events.list().data[0]
        assert emails == [event.id] and crm_calls == [event.id]
        (delivery,) = sandbox.webhook_deliveries()
        assert delivery["status"] == "pending"
        assert [a["status_code"] for a in delivery["attempts"]] == [500]
        # Stripe's retry (a minute later in sandbox time) runs only the failed handler.
        sandbox.advance_clock(outbox.FIRST_RETRY)
        assert emails == [event.id] and crm_calls == [event.id, event.id]
        (delivery,) = sandbox.webhook_deliveries()
        assert delivery["status"] == "succeeded"
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
        entries = {e.handler: e for e in hooks.ledger.entries(event.id)}
        assert (entries["email"].state, entries["email"].attempts) == ("done", 1)
        assert (entries["crm"].state, entries["crm"].attempts) == ("done", 2)
        assert client.v1.events.retrieve(event.id).pending_webhooks == 0


def test_a_wrong_secret_is_refused_and_nothing_runs() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        _endpoint(client, f"{APP}/hooks")
        hooks = WebhookReceiver("whsec_not_this_endpoints")
        runs: list[str] = []
        hooks.add(runs.append, "*", name="all")
        sandbox.mount_webhook_target(APP, hooks.asgi())
        client.v1.customers.create()
        assert runs == []
        (delivery,) = sandbox.webhook_deliveries()
        assert delivery["status"] == "pending"
        assert delivery["attempts"][0]["status_code"] == 400
        assert hooks.ledger.entries() == []


def _serve_asgi(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


def test_over_http_with_asgi_and_async_handlers(tmp_path: Any) -> None:
    ledger = SQLiteLedger(tmp_path / "hooks.db")
    hooks = WebhookReceiver("whsec_placeholder", ledger=ledger)
    seen: list[tuple[str, str]] = []

    @hooks.on("customer.*")
    async def customers(event: stripe.Event) -> None:
        await asyncio.sleep(0)
        seen.append(("async", event.type))

    @hooks.on("product.created")
    def products(event: stripe.Event) -> None:
        seen.append(("sync", event.type))

    served = _serve_asgi(hooks.asgi())
    url = next(served)
    try:
        with Sandbox() as sandbox:
            client = sandbox.client()
            hooks.secrets = [_endpoint(client, f"{url}/webhooks", hooks.enabled_events())]
            client.v1.customers.create()
            tea = client.v1.products.create(params={"name": "Tea"})
            # An event no handler wants: acknowledged, nothing runs.
            client.v1.prices.create(params={"currency": "usd", "unit_amount": 5, "product": tea.id})
            wait_for(lambda: len(seen) == 2)
            deliveries = sandbox.webhook_deliveries()
            wait_for(lambda: all(d["status"] == "succeeded" for d in sandbox.webhook_deliveries()))
        assert sorted(seen) == [("async", "customer.created"), ("sync", "product.created")]
        # The endpoint asked only for everything (a family makes enabled_events "*").
        assert hooks.enabled_events() == ["*"]
        assert len(deliveries) >= 3
        assert {e.handler for e in ledger.entries()} == {
            f"{__name__}.test_over_http_with_asgi_and_async_handlers.<locals>.customers",
            f"{__name__}.test_over_http_with_asgi_and_async_handlers.<locals>.products",
        }
    finally:
        next(served, None)
        ledger.close()


def test_over_http_with_wsgi() -> None:
    hooks = WebhookReceiver("whsec_placeholder")
    types: list[str] = []
    hooks.add(lambda e: types.append(e.type), "invoice.created", "customer.created", name="t")

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, hooks.wsgi(), handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Sandbox() as sandbox:
            client = sandbox.client()
            url = f"http://127.0.0.1:{server.server_port}/hooks"
            assert hooks.enabled_events() == ["invoice.created", "customer.created"]
            hooks.secrets = [_endpoint(client, url, hooks.enabled_events())]
            client.v1.customers.create()
            wait_for(lambda: types == ["customer.created"])
            wait_for(lambda: sandbox.webhook_deliveries()[0]["status"] == "succeeded")
    finally:
        server.shutdown()
        server.server_close()


# -- hand-made deliveries ----------------------------------------------------------------


@pytest.fixture
def hooks() -> WebhookReceiver:
    receiver = WebhookReceiver(SECRET)
    receiver.add(lambda e: None, "*", name="noop")
    return receiver


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "No Stripe-Signature header value was provided."),
        ("garbage", "Unable to extract timestamp and signatures from header"),
        (f"t={int(time.time())}", "No signatures found with expected scheme v1"),
        (f"t={int(time.time())},v1=" + "0" * 64, "No signatures found matching the expected"),
    ],
)
def test_bad_signatures_get_400(hooks: WebhookReceiver, header: str | None, message: str) -> None:
    outcome = hooks.handle(orjson.dumps(_event()), header)
    assert outcome.status == 400 and outcome.event is None
    assert orjson.loads(outcome.body())["error"]["message"].startswith(message)
    assert hooks.ledger.entries() == []


def test_tampered_and_stale_payloads_are_refused(hooks: WebhookReceiver) -> None:
    body, header = _signed(_event(), SECRET)
    assert hooks.handle(body.replace(b"cus_1", b"cus_2"), header).status == 400
    stale_body, stale = _signed(_event(), SECRET, at=int(time.time()) - 301)
    outcome = hooks.handle(stale_body, {"Stripe-Signature": stale})
    assert outcome.status == 400 and "tolerance" in (outcome.error or "")
    lenient = WebhookReceiver(SECRET, tolerance=0)
    assert lenient.handle(stale_body, stale).status == 200


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "the payload is not JSON"),
        (b"[1, 2]", "the payload is not a Stripe event"),
        (orjson.dumps({"object": "customer", "id": "cus_1"}), "the payload is not a Stripe event"),
        (orjson.dumps(_event(type_=None)), "the payload is not a Stripe event"),
    ],
)
def test_signed_payloads_that_are_no_event_get_400(
    hooks: WebhookReceiver, payload: bytes, message: str
) -> None:
    body, header = _signed(payload, SECRET)
    outcome = hooks.handle(body, header)
    assert (outcome.status, outcome.error) == (400, message)


def test_livemode_guard() -> None:
    live_only = WebhookReceiver(SECRET, livemode=True)
    outcome = live_only.handle(*_signed(_event(), SECRET))
    assert outcome.status == 400
    assert outcome.error == "a test-mode event reached a receiver for the other mode"
    assert WebhookReceiver(SECRET, livemode=False).handle(*_signed(_event(), SECRET)).status == 200


def test_rolling_the_secret() -> None:
    old, new = "whsec_old", "whsec_new"
    rolling = WebhookReceiver([old, new])
    assert rolling.handle(*_signed(_event("evt_a"), old)).status == 200
    assert rolling.handle(*_signed(_event("evt_b"), new)).status == 200
    # Stripe signs with both secrets while a roll is under way: one header, two v1's.
    body = orjson.dumps(_event("evt_c"))
    at = int(time.time())
    both = ",".join(
        stripe.WebhookSignature.generate_signature_header(body.decode(), s, at) for s in (old, new)
    ).replace(f",t={at}", "")
    assert WebhookReceiver(new).handle(body, both).status == 200
    assert WebhookReceiver(old).handle(*_signed(_event("evt_d"), new)).status == 400


def test_events_nobody_handles_are_acknowledged(hooks: WebhookReceiver) -> None:
    picky = WebhookReceiver(SECRET)
    picky.add(lambda e: None, "invoice.paid", name="paid")
    outcome = picky.handle(*_signed(_event(type_="customer.created"), SECRET))
    assert outcome.status == 200 and orjson.loads(outcome.body())["handled"] == []
    assert picky.ledger.entries() == []


def test_families_and_wildcards() -> None:
    hooks = WebhookReceiver(SECRET)
    hooks.add(lambda e: None, "customer.*", name="family")
    hooks.add(lambda e: None, "customer.subscription.created", name="exact")
    hooks.add(lambda e: None, "*", name="all")
    names = [r.name for r in hooks.handlers_for("customer.subscription.created")]
    assert names == ["family", "exact", "all"]
    assert [r.name for r in hooks.handlers_for("customerx.created")] == ["all"]
    assert [r.name for r in hooks.handlers_for("invoice.paid")] == ["all"]


def test_the_same_event_at_once_on_two_workers_runs_once() -> None:
    hooks = WebhookReceiver(SECRET)
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    @hooks.on("customer.created", name="slow")
    def slow(event: stripe.Event) -> None:
        runs.append(event.id)
        started.set()
        release.wait(5)

    body, header = _signed(_event(), SECRET)
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(hooks.handle(body, header)))
    first.start()
    assert started.wait(5)
    second = hooks.handle(body, header)  # while the first is still running
    assert second.status == 409 and second.in_progress == ["slow"]
    release.set()
    first.join(5)
    assert results[0].status == 200 and results[0].handled == ["slow"]
    third = hooks.handle(body, header)  # Stripe's retry of the 409
    assert third.status == 200 and third.duplicate
    assert runs == ["evt_1"]


def test_a_worker_that_died_mid_handler_is_taken_over_after_its_lease() -> None:
    now = [1000.0]
    ledger = MemoryLedger(clock=lambda: now[0])
    # A worker claimed the handler, then died before recording anything.
    assert ledger.claim("evt_1", "job", lease=60) == "run"
    hooks = WebhookReceiver(SECRET, ledger=ledger, lease=60)
    runs: list[str] = []
    hooks.add(lambda e: runs.append(e.id), "*", name="job")
    body, header = _signed(_event(), SECRET)
    assert hooks.handle(body, header).status == 409
    now[0] += 60
    outcome = hooks.handle(body, header)
    assert outcome.status == 200 and runs == ["evt_1"]
    assert ledger.entries("evt_1")[0].attempts == 2


def test_failures_report_the_exception_class_only() -> None:
    hooks = WebhookReceiver(SECRET)

    @hooks.on("*", name="leaky")
    def leaky(event: stripe.Event) -> None:
        raise RuntimeError("password=hunter2")

    outcome = hooks.handle(*_signed(_event(), SECRET))
    assert outcome.status == 500
    body = orjson.loads(outcome.body())
    assert body["failed"] == {"leaky": "RuntimeError"} and b"hunter2" not in outcome.body()
    (entry,) = hooks.ledger.entries()
    assert entry.state == "failed" and "hunter2" in (entry.error or "")


def test_async_handler_in_a_sync_framework() -> None:
    hooks = WebhookReceiver(SECRET)
    seen: list[str] = []

    @hooks.on("customer.created")
    async def handler(event: stripe.Event) -> None:
        await asyncio.sleep(0)
        seen.append(event.id)

    assert hooks.handle(*_signed(_event(), SECRET)).status == 200 and seen == ["evt_1"]


def test_sqlite_ledger_is_shared_by_receivers_and_survives_restarts(tmp_path: Any) -> None:
    path = tmp_path / "app.db"
    body, header = _signed(_event(), SECRET)
    first = WebhookReceiver(SECRET, ledger=SQLiteLedger(path))
    first.add(lambda e: None, "*", name="job")
    assert first.handle(body, header).handled == ["job"]
    first.ledger.close()
    restarted = WebhookReceiver(SECRET, ledger=SQLiteLedger(path))
    restarted.add(lambda e: pytest.fail("ran twice"), "*", name="job")
    assert restarted.handle(body, header).duplicate
    restarted.ledger.close()


def test_prune_forgets_only_old_completed_entries() -> None:
    now = [0.0]
    ledger = MemoryLedger(clock=lambda: now[0])
    for event in ("evt_old", "evt_failed"):
        ledger.claim(event, "h", 60)
    ledger.complete("evt_old", "h")
    ledger.fail("evt_failed", "h", "boom")
    now[0] = 100.0
    ledger.claim("evt_new", "h", 60)
    ledger.complete("evt_new", "h")
    assert ledger.prune(before=50.0) == 1
    assert [e.event for e in ledger.entries()] == ["evt_failed", "evt_new"]


def test_registration_mistakes_are_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookReceiver("")
    with pytest.raises(ValueError, match="secret"):
        WebhookReceiver([])
    hooks = WebhookReceiver(SECRET)
    with pytest.raises(ValueError, match="event type"):
        hooks.add(lambda e: None)
    hooks.add(lambda e: None, "*", name="x")
    with pytest.raises(ValueError, match="already registered"):
        hooks.add(lambda e: None, "*", name="x")


# -- the apps' HTTP edges ------------------------------------------------------------------


def test_asgi_and_wsgi_refuse_other_methods_and_huge_bodies() -> None:
    hooks = WebhookReceiver(SECRET)
    hooks.add(lambda e: None, "*", name="noop")
    served = _serve_asgi(hooks.asgi(max_body=1000))
    url = next(served)
    try:
        got = httpx.get(url + "/hooks")
        assert got.status_code == 405 and got.headers["allow"] == "POST"
        assert got.json()["error"]["message"] == "Webhooks are POSTed: use POST."
        big = httpx.post(url, content=b"x" * 2000, headers={"stripe-signature": "t=1"})
        assert big.status_code == 413
        body, header = _signed(_event(), SECRET)
        ok = httpx.post(url, content=body, headers={"Stripe-Signature": header})
        assert ok.status_code == 200 and ok.json()["handled"] == ["noop"]
    finally:
        next(served, None)

    wsgi = hooks.wsgi(max_body=1000)
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    assert b"POST" in b"".join(wsgi({"REQUEST_METHOD": "GET"}, start_response))
    wsgi(
        {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5000", "wsgi.input": io.BytesIO()},
        start_response,
    )
    body, header = _signed(_event("evt_w"), SECRET)
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_STRIPE_SIGNATURE": header,
    }
    answer = orjson.loads(b"".join(wsgi(environ, start_response)))
    assert statuses == ["405 Method Not Allowed", "413 Content Too Large", "200 OK"]
    assert answer["id"] == "evt_w" and answer["handled"] == ["noop"]


# -- the ledgers' contract -------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def open_ledger(
    request: pytest.FixtureRequest, tmp_path: Any
) -> Iterator[Callable[[Callable[[], float]], Ledger]]:
    """Opens ledgers on one shared place (a file, a schema), as separate workers would."""
    with ExitStack() as stack:
        opened: list[Ledger] = []
        shared = MemoryLedger()
        url = stack.enter_context(fresh_schema()) if request.param == "postgres" else ""

        def open_one(clock: Callable[[], float] = time.time) -> Ledger:
            if request.param == "memory":
                shared.clock = clock
                return shared
            ledger: Ledger = (
                SQLiteLedger(tmp_path / "ledger.db", clock)
                if request.param == "sqlite"
                else PostgresLedger(url, clock)
            )
            opened.append(ledger)
            return ledger

        yield open_one
        for ledger in opened:
            ledger.close()


def test_ledger_claims_leases_and_prunes(open_ledger: Callable[..., Ledger]) -> None:
    now = [1000.0]
    ledger = open_ledger(lambda: now[0])
    assert ledger.claim("evt_1", "h", 60) == "run"
    assert ledger.claim("evt_1", "h", 60) == "busy"
    assert ledger.claim("evt_1", "other", 60) == "run"  # handlers are claimed apart
    ledger.fail("evt_1", "other", "boom")
    assert ledger.claim("evt_1", "other", 60) == "run"  # a failure is retried
    now[0] += 60
    assert ledger.claim("evt_1", "h", 60) == "run"  # the lease ran out: taken over
    ledger.complete("evt_1", "h")
    assert ledger.claim("evt_1", "h", 60) == "done"
    entries = {e.handler: e for e in ledger.entries("evt_1")}
    assert (entries["h"].state, entries["h"].attempts, entries["h"].error) == ("done", 2, None)
    assert (entries["other"].state, entries["other"].attempts) == ("running", 2)
    now[0] += 100
    assert ledger.prune(before=now[0]) == 1
    assert [e.handler for e in ledger.entries()] == ["other"]


def test_ledger_claims_race_to_one_winner(open_ledger: Callable[..., Ledger]) -> None:
    ledgers = [open_ledger() for _ in range(6)]
    answers: list[str] = []
    barrier = threading.Barrier(len(ledgers))

    def claim(ledger: Ledger) -> None:
        barrier.wait()
        answers.append(ledger.claim("evt_race", "job", 60))

    threads = [threading.Thread(target=claim, args=(ledger,)) for ledger in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["busy"] * 5 + ["run"]
