"""Webhook delivery: throughput, and what delivery costs the API request that caused it.

    .venv/bin/python bench/webhooks.py [--quick]

Measures:
  1. events delivered per second to a local HTTP receiver (a minimal ASGI app under
     uvicorn in its own process, as a real app would be), background delivery, memory and
     SQLite stores;
  2. the same to an in-process function target (`mount_webhook_target`), sync delivery;
  3. POST /v1/customers latency (median and p95) with 0 vs 5 registered endpoints, all
     five receiving every event in the background: in-process, and over HTTP against a
     `stripekit sandbox serve` subprocess with a keep-alive client. The ratio (5 endpoints
     / 0) should stay near 1: delivery runs after the commit, off the request's path.

Only 127.0.0.1 is bound or contacted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import stripe
import throughput

from stripekit.sandbox import Sandbox


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def add(self) -> None:
        with self.lock:
            self.count += 1


# The receiving app runs in a process of its own, as a real app does: in this process it
# would share the GIL with the sandbox and measure itself.
_RECEIVER_APP = """
import sys, uvicorn
count = 0
async def app(scope, receive, send):
    global count
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "POST":
        count += 1
        body = b""
    else:
        body = str(count).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, http="httptools", loop="uvloop", lifespan="off")
"""


class RemoteCounter:
    def __init__(self, base: str) -> None:
        self._http = httpx.Client(base_url=base)

    @property
    def count(self) -> int:
        return int(self._http.get("/count").text)


@contextmanager
def receiver() -> Iterator[tuple[str, RemoteCounter]]:
    port = throughput.free_port()
    process = subprocess.Popen([sys.executable, "-c", _RECEIVER_APP, str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(base + "/count")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the receiver did not start") from None
                time.sleep(0.05)
        yield base + "/hooks", RemoteCounter(base)
    finally:
        process.terminate()
        process.wait(10)


def _endpoints(client: stripe.StripeClient, url: str, count: int) -> None:
    for _ in range(count):
        client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["*"]})


def _wait(counter: _Counter | RemoteCounter, target: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while (count := counter.count) < target:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {count} of {target} deliveries arrived")
        time.sleep(0.005)


def delivered_per_second_http(events: int, db: Path | None) -> float:
    with receiver() as (url, counter), Sandbox(db) as sandbox:
        client = sandbox.client()
        _endpoints(client, url, 1)
        started = time.perf_counter()
        for _ in range(events):
            client.v1.customers.create()
        _wait(counter, events)
        return events / (time.perf_counter() - started)


def delivered_per_second_inprocess(events: int) -> float:
    counter = _Counter()
    with Sandbox(webhook_delivery="sync") as sandbox:
        sandbox.mount_webhook_target("http://app.test", lambda body, headers: counter.add())
        client = sandbox.client()
        _endpoints(client, "http://app.test/hooks", 1)
        started = time.perf_counter()
        for _ in range(events):
            client.v1.customers.create()
        assert counter.count == events
        return events / (time.perf_counter() - started)


def _latencies(call: Callable[[], object], count: int, pause: float) -> list[float]:
    for _ in range(min(50, count)):
        call()  # warm up
    times = []
    for _ in range(count):
        if pause:
            time.sleep(pause)
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1e6)
    return times


def _summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95)]


def _http_latencies(
    url: str, counter: RemoteCounter, endpoints: int, count: int, pause: float
) -> list[float]:
    """Against `stripekit sandbox serve` in its own process, as an app talks to it; returns
    once every delivery has arrived."""
    port = throughput.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        argv = throughput.stripekit_argv(port)
        with throughput.started("stripekit", argv, port, Path(tmp)) as server:
            key = throughput.printed_key(Path(tmp) / "stripekit.log")
            with httpx.Client(base_url=server.url, auth=(key, "")) as http:
                for _ in range(endpoints):
                    made = http.post(
                        "/v1/webhook_endpoints", data={"url": url, "enabled_events[]": "*"}
                    )
                    made.raise_for_status()
                times = _latencies(lambda: http.post("/v1/customers", data={}), count, pause)
            if endpoints:
                _wait(counter, endpoints * (count + min(50, count)))
            return times


def create_latency(
    endpoints: int, count: int, over_http: bool, pause: float
) -> tuple[float, float, int]:
    """(median us, p95 us, deliveries received) for POST /v1/customers, calls back to back
    (`pause` 0) or `pause` seconds apart."""
    with receiver() as (url, counter), Sandbox() as sandbox:
        if over_http:
            times = _http_latencies(url, counter, endpoints, count, pause)
        else:
            client = sandbox.client()
            _endpoints(client, url, endpoints)
            times = _latencies(lambda: client.v1.customers.create(), count, pause)
        expected = endpoints * (count + min(50, count))
        if endpoints:
            _wait(counter, expected)
        median, p95 = _summary(times)
        return median, p95, counter.count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events (a smoke run)")
    args = parser.parse_args()
    events = 300 if args.quick else 3000
    calls = 300 if args.quick else 2000

    print("Webhook delivery throughput (events delivered per second, 1 endpoint)")
    memory = delivered_per_second_http(events, None)
    print(f"  HTTP receiver, memory store, background:   {memory:9.0f} /s")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = delivered_per_second_http(events, Path(tmp) / "bench.db")
    print(f"  HTTP receiver, SQLite store, background:   {sqlite:9.0f} /s")
    inprocess = delivered_per_second_inprocess(events)
    print(f"  in-process function target, sync:           {inprocess:9.0f} /s")

    print()
    print(f"POST /v1/customers latency, {calls} calls (microseconds: median / p95)")
    print("  paced: 20 ms between calls (an app's requests); burst: back to back, where the")
    print("  deliverer thread (5 POSTs per create) competes with the requests for the CPU/GIL")
    for pace, pause in (("paced", 0.02), ("burst", 0.0)):
        for label, over_http in (("in-process", False), ("HTTP", True)):
            name = f"{pace} {label}"
            base_median, base_p95, _ = create_latency(0, calls, over_http, pause)
            five_median, five_p95, got = create_latency(5, calls, over_http, pause)
            print(f"  {name:16s} 0 endpoints: {base_median:8.0f} / {base_p95:8.0f}")
            print(
                f"  {name:16s} 5 endpoints: {five_median:8.0f} / {five_p95:8.0f}"
                f"   ({got} deliveries received)"
            )
            print(
                f"  {name:16s} ratio 5/0:   {five_median / base_median:8.2f}x median, "
                f"{five_p95 / base_p95:.2f}x p95"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
