"""Webhook delivery: every event an endpoint wants is POSTed to it, signed so that
`stripe.Webhook.construct_event` accepts it; failures are retried on a backoff in sandbox
time, each attempt is recorded, `pending_webhooks` follows the outstanding deliveries, and
what was not delivered before a restart is delivered after it. In-process targets (a
callable, WSGI and ASGI apps) get the same bytes without a socket."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe
from webhook_receiver import Receiver, serve_receiver, wait_for

from conftest import Harness
from stripekit.sandbox import Sandbox
from stripekit.sandbox.engine import API_VERSION
from stripekit.sandbox.framework import outbox
from stripekit.sandbox.webhooks import USER_AGENT


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve_receiver()


def _endpoint(
    client: stripe.StripeClient, url: str, events: list[str] | None = None
) -> stripe.WebhookEndpoint:
    return client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": events or ["*"]}
    )


class Recorder:
    """An in-process function target that checks each signature with the SDK."""

    def __init__(self, secret: str = "", statuses: list[int] | None = None) -> None:
        self.secret = secret
        self.statuses = list(statuses or [])
        self.events: list[stripe.Event] = []
        self.headers: list[Mapping[str, str]] = []

    def __call__(self, payload: bytes, headers: Mapping[str, str]) -> int:
        event = stripe.Webhook.construct_event(
            payload.decode(), headers["Stripe-Signature"], self.secret
        )
        self.events.append(event)
        self.headers.append(headers)
        return self.statuses.pop(0) if self.statuses else 200


def test_http_delivery_is_signed_and_settles_pending_webhooks(
    sk: Harness, client: stripe.StripeClient, receiver: Receiver
) -> None:
    endpoint = _endpoint(client, receiver.url + "/hooks")
    receiver.secret = endpoint.secret
    customer = client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "k-1"}
    )
    client.v1.customers.update(customer.id, params={"name": "Ada"})
    got = wait_for(lambda: len(receiver.events()) == 2 and receiver.events())
    assert sorted(e.type for e in got) == ["customer.created", "customer.updated"]
    logged = {e.id: e for e in client.v1.events.list().data}
    for event in got:
        assert event.id in logged
        assert event.data.object.id == customer.id
    by_type = {e.type: e for e in got}
    assert by_type["customer.created"].request.idempotency_key == "k-1"
    assert by_type["customer.updated"].data.previous_attributes.name is None
    first = receiver.received[0]
    assert first.path == "/hooks"
    assert first.headers["User-Agent"] == USER_AGENT
    assert first.headers["Content-Type"].startswith("application/json")
    assert first.headers["Stripe-Signature"].startswith("t=")
    # Every delivery succeeded: nothing is outstanding any more.
    wait_for(lambda: all(e.pending_webhooks == 0 for e in client.v1.events.list().data))
    deliveries = sk.sandbox.webhook_deliveries(api_key=sk.api_key)
    assert {d["status"] for d in deliveries} == {"succeeded"}
    assert [len(d["attempts"]) for d in deliveries] == [1, 1]
    assert deliveries[0]["attempts"][0]["status_code"] == 200


def test_star_specific_and_disabled_endpoints() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        everything, updates, off = Recorder(), Recorder(), Recorder()
        sandbox.mount_webhook_target("http://all.test", everything)
        sandbox.mount_webhook_target("http://updates.test", updates)
        sandbox.mount_webhook_target("http://off.test", off)
        everything.secret = _endpoint(client, "http://all.test/h").secret
        updates.secret = _endpoint(client, "http://updates.test/h", ["customer.updated"]).secret
        disabled = _endpoint(client, "http://off.test/h")
        client.v1.webhook_endpoints.update(disabled.id, params={"disabled": True})
        customer = client.v1.customers.create()
        # Synchronous: delivered before the SDK call returned.
        assert [e.type for e in everything.events] == ["customer.created"]
        client.v1.customers.update(customer.id, params={"name": "n"})
        client.v1.products.create(params={"name": "p"})
        assert [e.type for e in everything.events] == [
            "customer.created",
            "customer.updated",
            "product.created",
        ]
        assert [e.type for e in updates.events] == ["customer.updated"]
        assert off.events == []
        assert all(e.pending_webhooks == 0 for e in client.v1.events.list().data)


def test_fails_twice_then_succeeds_in_sandbox_time() -> None:
    with Sandbox(webhook_delivery="sync", frozen=True) as sandbox:
        client = sandbox.client()
        flaky = Recorder(statuses=[500, 503])
        sandbox.mount_webhook_target("http://flaky.test", flaky)
        flaky.secret = _endpoint(client, "http://flaky.test/h").secret
        client.v1.customers.create()
        event = client.v1.events.list().data[0]
        assert len(flaky.events) == 1 and event.pending_webhooks == 1
        sandbox.advance_clock(outbox.FIRST_RETRY - 1)
        assert len(flaky.events) == 1  # not due yet
        sandbox.advance_clock(1)
        assert len(flaky.events) == 2
        sandbox.advance_clock(outbox.FIRST_RETRY * outbox.BACKOFF)
        assert len(flaky.events) == 3
        assert {e.id for e in flaky.events} == {event.id}
        assert client.v1.events.retrieve(event.id).pending_webhooks == 0
        (delivery,) = sandbox.webhook_deliveries(event=event.id)
        assert delivery["status"] == "succeeded" and delivery["next_attempt"] is None
        attempts = delivery["attempts"]
        assert [a["status_code"] for a in attempts] == [500, 503, 200]
        start = attempts[0]["attempted_at"]
        assert [round(a["attempted_at"] - start) for a in attempts] == [0, 60, 240]
        assert [a["next_retry"] for a in attempts[:2]] == [
            pytest.approx(start + 60),
            pytest.approx(start + 240),
        ]
        assert attempts[2]["next_retry"] is None
        assert all(a["duration_ms"] >= 0 and a["error"] is None for a in attempts)


def test_fault_over_http_with_a_time_factor(receiver: Receiver) -> None:
    receiver.statuses = [500, 500]
    # 1 minute, then 3 minutes, pass in 6 and 18 ms.
    with Sandbox(webhook_time_factor=10_000) as sandbox:
        client = sandbox.client()
        receiver.secret = _endpoint(client, receiver.url).secret
        client.v1.customers.create()
        event = client.v1.events.list().data[0]
        wait_for(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0)
        assert [e.id for e in receiver.events()] == [event.id] * 3
        (delivery,) = sandbox.webhook_deliveries(event=event.id)
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
        assert delivery["status"] == "succeeded"


def test_refused_and_timed_out_attempts_are_recorded() -> None:
    slow = Receiver(delay=0.5).start()
    try:
        with Sandbox(webhook_delivery="manual", webhook_timeout=0.1) as sandbox:
            client = sandbox.client()
            _endpoint(client, "http://127.0.0.1:9/refused")
            _endpoint(client, slow.url)
            client.v1.customers.create()
            event = client.v1.events.list().data[0]
            assert event.pending_webhooks == 2
            assert sandbox.deliver_webhooks() == 2
            errors = {d["attempts"][0]["error"] for d in sandbox.webhook_deliveries()}
            assert errors == {"Failed to connect to remote host", "Timed out"}
            for delivery in sandbox.webhook_deliveries():
                (attempt,) = delivery["attempts"]
                assert attempt["status_code"] is None and delivery["status"] == "pending"
                assert attempt["next_retry"] == pytest.approx(
                    attempt["attempted_at"] + outbox.FIRST_RETRY, abs=0.01
                )
            assert client.v1.events.retrieve(event.id).pending_webhooks == 2
    finally:
        slow.stop()


def test_retries_stop_after_three_days() -> None:
    with Sandbox(webhook_delivery="sync", frozen=True) as sandbox:
        client = sandbox.client()
        down = Recorder(statuses=[500] * 100)
        sandbox.mount_webhook_target("http://down.test", down)
        down.secret = _endpoint(client, "http://down.test/h").secret
        client.v1.customers.create()
        for _ in range(20):  # to each retry's due time, as sandbox time would pass
            (pending,) = sandbox.webhook_deliveries()
            if pending["next_attempt"] is None:
                break
            sandbox.advance_clock(pending["next_attempt"] - sandbox.engine.clock.time())
        (delivery,) = sandbox.webhook_deliveries()
        assert delivery["status"] == "failed"
        attempts = delivery["attempts"]
        assert len(attempts) == len(down.events) == 9
        span = attempts[-1]["attempted_at"] - attempts[0]["attempted_at"]
        assert 2 * 86400 < span <= 3 * 86400
        assert client.v1.events.list().data[0].pending_webhooks == 0


def test_deleted_or_disabled_endpoint_stops_retries() -> None:
    with Sandbox(webhook_delivery="sync", frozen=True) as sandbox:
        client = sandbox.client()
        down = Recorder(statuses=[500] * 10)
        sandbox.mount_webhook_target("http://down.test", down)
        gone = _endpoint(client, "http://down.test/gone")
        off = _endpoint(client, "http://down.test/off")
        down.secret = gone.secret
        client.v1.products.create(params={"name": "p"})  # fails at both (one bad signature)
        client.v1.webhook_endpoints.delete(gone.id)
        client.v1.webhook_endpoints.update(off.id, params={"disabled": True})
        sandbox.advance_clock(3600)
        statuses = {d["endpoint"]: d["status"] for d in sandbox.webhook_deliveries()}
        assert statuses == {gone.id: "abandoned", off.id: "abandoned"}
        assert client.v1.events.list().data[0].pending_webhooks == 0


def test_delivery_does_not_slow_the_request(receiver: Receiver) -> None:
    receiver.delay = 0.3
    with Sandbox() as sandbox:
        client = sandbox.client()
        receiver.secret = _endpoint(client, receiver.url).secret
        started = time.perf_counter()
        client.v1.customers.create()
        elapsed = time.perf_counter() - started
        assert elapsed < 0.2, elapsed
        wait_for(lambda: receiver.events())


def test_restart_delivers_what_was_outstanding(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    # The receiver is down while the first sandbox runs (manual: nothing attempted yet).
    with Sandbox(db, webhook_delivery="manual") as first:
        client = first.client()
        placeholder = Receiver().start()
        port = placeholder.port
        placeholder.stop()
        secret = _endpoint(client, f"http://127.0.0.1:{port}/h").secret
        customer = client.v1.customers.create()
        client.v1.customers.update(customer.id, params={"name": "n"})
        api_key = first.api_key
    receiver = Receiver(secret=secret, port=port).start()
    try:
        with Sandbox(db) as second:  # background delivery picks up the outbox at start
            got = wait_for(lambda: len(receiver.events()) == 2 and receiver.events())
            assert sorted(e.type for e in got) == ["customer.created", "customer.updated"]
            client = second.client(api_key)
            wait_for(lambda: all(e.pending_webhooks == 0 for e in client.v1.events.list().data))
    finally:
        receiver.stop()


def test_failed_attempt_survives_restart_and_is_retried(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with Sandbox(db, webhook_delivery="sync") as first:
        client = first.client()
        secret = _endpoint(client, "http://127.0.0.1:9/h").secret
        client.v1.customers.create()
        (delivery,) = first.webhook_deliveries()
        assert delivery["attempts"][0]["error"] == "Failed to connect to remote host"
        api_key = first.api_key
        endpoint = delivery["endpoint"]
    receiver = Receiver(secret=secret).start()
    try:
        with Sandbox(db) as second:
            client = second.client(api_key)
            client.v1.webhook_endpoints.update(endpoint, params={"url": receiver.url})
            time.sleep(0.2)
            assert receiver.received == []  # the retry is due a minute after the failure
            second.advance_clock(outbox.FIRST_RETRY)
            wait_for(lambda: receiver.events())
            wait_for(lambda: second.webhook_deliveries(api_key=api_key)[0]["status"] == "succeeded")
            (delivery,) = second.webhook_deliveries(api_key=api_key)
            assert len(delivery["attempts"]) == 2
    finally:
        receiver.stop()


def test_wsgi_target_and_a_handler_calling_back_into_the_sandbox() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        seen: list[tuple[str, str, str]] = []
        secret: list[str] = []

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            event = stripe.Webhook.construct_event(
                body.decode(), environ["HTTP_STRIPE_SIGNATURE"], secret[0]
            )
            # A handler that looks the object up again, as real handlers do.
            fetched = client.v1.customers.retrieve(event.data.object.id)
            seen.append((environ["PATH_INFO"], event.type, fetched.id))
            start_response("204 No Content", [])
            return []

        sandbox.mount_webhook_target("http://wsgi.test", app)
        secret.append(_endpoint(client, "http://wsgi.test/stripe", ["customer.created"]).secret)
        customer = client.v1.customers.create()
        assert seen == [("/stripe", "customer.created", customer.id)]
        (delivery,) = sandbox.webhook_deliveries()
        assert delivery["attempts"][0]["status_code"] == 204


def test_asgi_target() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        seen: list[str] = []
        secret: list[str] = []

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            message = await receive()
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            event = stripe.Webhook.construct_event(
                message["body"].decode(), headers["stripe-signature"], secret[0]
            )
            seen.append(event.type)
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"no"})

        sandbox.mount_webhook_target("http://asgi.test", app)
        secret.append(_endpoint(client, "http://asgi.test/hook").secret)
        client.v1.customers.create()
        assert seen == ["customer.created"]
        (delivery,) = sandbox.webhook_deliveries()
        assert delivery["attempts"][0]["status_code"] == 400 and delivery["status"] == "pending"


def test_a_raising_target_is_a_failed_attempt() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()

        def broken(payload: bytes, headers: Mapping[str, str]) -> int:
            raise RuntimeError("handler bug")

        sandbox.mount_webhook_target("http://broken.test", broken)
        _endpoint(client, "http://broken.test/")
        customer = client.v1.customers.create()  # the request itself is unharmed
        assert customer.id.startswith("cus_")
        (delivery,) = sandbox.webhook_deliveries()
        assert delivery["attempts"][0]["error"] == "RuntimeError: handler bug"


def test_deliveries_control_endpoint(sk: Harness, client: stripe.StripeClient) -> None:
    sk.sandbox.mount_webhook_target(f"http://ctl-{sk.mode}.test", lambda body, headers: 500)
    endpoint = _endpoint(client, f"http://ctl-{sk.mode}.test/h")
    client.v1.customers.create()
    client.v1.products.create(params={"name": "p"})
    events = client.v1.events.list().data
    wait_for(lambda: len(sk.sandbox.webhook_deliveries(api_key=sk.api_key)) == 2)
    wait_for(lambda: all(d["attempts"] for d in sk.sandbox.webhook_deliveries(api_key=sk.api_key)))
    query = f"event={events[0].id}&endpoint={endpoint.id}"
    response = sk.raw("GET", "/_sandbox/webhook_deliveries", query=query)
    assert response.status == 200 and response.body["object"] == "list"
    (delivery,) = response.body["data"]
    assert delivery["event"] == events[0].id and delivery["endpoint"] == endpoint.id
    assert delivery["attempts"][0]["status_code"] == 500
    everything = sk.raw("GET", "/_sandbox/webhook_deliveries").body["data"]
    assert [d["event"] for d in everything] == [e.id for e in events]
    other = sk.raw("GET", "/_sandbox/webhook_deliveries", api_key=sk.new_key())
    assert other.body["data"] == []
    unauthenticated = sk.raw("GET", "/_sandbox/webhook_deliveries", api_key=None)
    assert unauthenticated.status == 401
    bad = sk.raw("GET", "/_sandbox/webhook_deliveries", query="limit=x")
    assert bad.status == 400 and bad.body["error"]["param"] == "limit"


def test_payload_is_the_event_as_stored() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        raw: list[bytes] = []
        sandbox.mount_webhook_target("http://raw.test", lambda body, headers: raw.append(body))
        _endpoint(client, "http://raw.test/")
        client.v1.customers.create(params={"metadata": {"k": "v"}})
        delivered = json.loads(raw[0])
        stored = client.v1.events.list().data[0].to_dict()
        # Sent while outstanding; the stored event has since been settled.
        assert delivered["pending_webhooks"] == 1 and stored["pending_webhooks"] == 0
        assert {**delivered, "pending_webhooks": 0} == stored


def test_events_of_a_test_clock_advance_are_delivered() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        recorder = Recorder()
        sandbox.mount_webhook_target("http://clock.test", recorder)
        recorder.secret = _endpoint(
            client, "http://clock.test/", ["test_helpers.test_clock.ready", "customer.created"]
        ).secret
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": sandbox.now()})
        client.v1.customers.create(params={"test_clock": clock.id})
        client.v1.test_helpers.test_clocks.advance(
            clock.id, params={"frozen_time": sandbox.now() + 86400}
        )
        # The advance runs as sandbox work before the next request, as a client polls.
        assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"
        assert [e.type for e in recorder.events] == [
            "customer.created",
            "test_helpers.test_clock.ready",
        ]


def test_two_sandboxes_on_one_file_send_a_delivery_once(tmp_path: Path) -> None:
    slow = Receiver(delay=0.5).start()
    db = tmp_path / "shared.db"
    try:
        with (
            Sandbox(db, webhook_delivery="manual") as one,
            Sandbox(db, webhook_delivery="manual") as two,
        ):
            client = one.client()
            slow.secret = _endpoint(client, slow.url).secret
            client.v1.customers.create()
            first = threading.Thread(target=one.deliver_webhooks)
            first.start()
            wait_for(lambda: slow.received or one.webhook_deliveries()[0]["next_attempt"] > 1)
            # The first sandbox's attempt is in flight: the delivery is leased to it.
            assert two.deliver_webhooks() == 0
            first.join()
            assert len(slow.events()) == 1
            (delivery,) = two.webhook_deliveries(api_key=one.api_key)
            assert delivery["status"] == "succeeded" and len(delivery["attempts"]) == 1
    finally:
        slow.stop()


def test_sync_mode_over_http_never_blocks_a_handler_calling_back() -> None:
    """A request through the HTTP door is answered before its delivery, even in sync
    mode, so an app's handler can call the sandbox while handling the webhook."""
    with Sandbox(webhook_delivery="sync") as sandbox:
        server = sandbox.serve()
        fetched: list[str] = []
        api = stripe.StripeClient(
            sandbox.api_key, base_addresses={"api": server.url}, max_network_retries=0
        )

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                fetched.append(api.v1.customers.retrieve(event["data"]["object"]["id"]).id)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        app = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=app.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{app.server_address[1]}/hooks"
            _endpoint(api, url, ["customer.created"])
            customer = api.v1.customers.create()
            wait_for(lambda: fetched == [customer.id])
            wait_for(lambda: sandbox.webhook_deliveries()[0]["status"] == "succeeded")
        finally:
            app.shutdown()
            app.server_close()
            server.stop()


def test_delivered_events_carry_request_api_version_and_previous_attributes() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        recorder = Recorder()
        sandbox.mount_webhook_target("http://all.test", recorder)
        recorder.secret = _endpoint(client, "http://all.test/").secret
        customer = client.v1.customers.create()
        pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
        client.v1.customers.update(
            customer.id,
            params={"name": "x", "invoice_settings": {"default_payment_method": pm.id}},
            options={"idempotency_key": "upd-1"},
        )
        product = client.v1.products.create(params={"name": "p"})
        client.v1.products.update(product.id, params={"name": "q"})
        price = client.v1.prices.create(
            params={
                "product": product.id,
                "unit_amount": 100,
                "currency": "usd",
                "recurring": {"interval": "month"},
            }
        )
        client.v1.prices.update(price.id, params={"nickname": "n"})
        coupon = client.v1.coupons.create(params={"percent_off": 10})
        client.v1.coupons.update(coupon.id, params={"name": "n"})
        sub = client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}]}
        )
        client.v1.subscriptions.update(sub.id, params={"metadata": {"a": "b"}})
        client.v1.payment_methods.update(pm.id, params={"metadata": {"a": "b"}})
        charge = client.v1.charges.list().data[0]
        client.v1.charges.update(charge.id, params={"description": "d"})
        refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 100})
        client.v1.refunds.update(refund.id, params={"metadata": {"a": "b"}})
        updates = [e for e in recorder.events if e.type.endswith(".updated")]
        assert len({e.type for e in updates}) >= 9
        for event in recorder.events:
            assert event.api_version == API_VERSION
            assert event.request.id.startswith("req_"), event.type
        for event in updates:
            assert "previous_attributes" in event.to_dict()["data"], event.type
        customer_updated = next(e for e in updates if e.type == "customer.updated")
        assert customer_updated.request.idempotency_key == "upd-1"
        assert customer_updated.data.previous_attributes.name is None


def test_an_idle_sandbox_keeps_no_delivery_thread() -> None:
    with Sandbox() as sandbox:
        sandbox.webhooks.idle_linger = 0.05

        def running() -> bool:
            return sandbox.webhooks.running

        client = sandbox.client()
        got: list[bytes] = []
        sandbox.mount_webhook_target("http://idle.test", lambda body, headers: got.append(body))
        _endpoint(client, "http://idle.test/")
        client.v1.customers.create()
        wait_for(lambda: got)
        wait_for(lambda: not running())  # nothing outstanding: the thread ended
        client.v1.customers.create()  # and the next delivery starts one again
        wait_for(lambda: len(got) == 2)
        wait_for(lambda: not running())


@pytest.mark.parametrize(
    ("url", "prefix", "covered"),
    [
        ("http://app.test/hooks", "http://app.test", True),
        ("http://app.test", "http://app.test", True),
        ("http://app.test?x=1", "http://app.test", True),
        ("http://app.test.example/hooks", "http://app.test", False),
        ("http://app.test/hooks/stripe", "http://app.test/hooks", True),
        ("http://app.test/hooksmith", "http://app.test/hooks", False),
        ("http://app.test/hooksmith", "http://app.test/", True),
    ],
)
def test_mounted_prefixes_cover_whole_segments(url: str, prefix: str, covered: bool) -> None:
    from stripekit.sandbox.webhooks.deliverer import _under

    assert _under(url, prefix) is covered
