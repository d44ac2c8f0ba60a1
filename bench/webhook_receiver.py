"""What `stripekit.webhooks` costs per delivery, against the SDK's bare check.

    .venv/bin/python bench/webhook_receiver.py [--events N]

Each line handles N signed `customer.created` events (the sandbox's own payload shape, one
no-op handler) and prints deliveries per second and microseconds per delivery:
- the SDK alone: `stripe.Webhook.construct_event` (signature check and parsing), the floor
  any correct receiver pays;
- `WebhookReceiver.handle` with the in-memory ledger, then with a SQLite ledger (a file:
  what several worker processes share), first deliveries, then the same events again
  (duplicates: verified, found done, nothing run).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import stripe

from stripekit.sandbox import Sandbox
from stripekit.webhooks import Ledger, MemoryLedger, SQLiteLedger, WebhookReceiver

SECRET = "whsec_bench"


def signed_events(count: int) -> list[tuple[bytes, str]]:
    """`count` distinct events as the sandbox renders them, each signed now."""
    with Sandbox() as sandbox:
        client = sandbox.client()
        client.v1.customers.create(params={"email": "bench@example.com", "name": "Bench"})
        template = orjson.loads(orjson.dumps(client.v1.events.list().data[0].to_dict()))
    events = []
    for i in range(count):
        body = orjson.dumps({**template, "id": f"evt_bench{i:08d}"})
        header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)
        events.append((body, header))
    return events


def rate(
    label: str, events: list[tuple[bytes, str]], handle: Callable[[bytes, str], object]
) -> float:
    start = time.perf_counter()
    for body, header in events:
        handle(body, header)
    seconds = time.perf_counter() - start
    per_second = len(events) / seconds
    print(f"  {label:<44} {per_second:>9,.0f} /s  {seconds / len(events) * 1e6:>7.1f} us each")
    return per_second


def receiver(ledger: Ledger) -> WebhookReceiver:
    hooks = WebhookReceiver(SECRET, ledger=ledger)
    hooks.add(lambda event: None, "customer.created", name="noop")
    return hooks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    events = signed_events(args.events)
    print(f"== {args.events:,} signed customer.created events, one no-op handler")
    floor = rate(
        "stripe.Webhook.construct_event (the floor)",
        events,
        lambda body, header: stripe.Webhook.construct_event(body, header, SECRET),
    )
    memory = receiver(MemoryLedger())
    first = rate("receiver, memory ledger, first delivery", events, memory.handle)
    rate("receiver, memory ledger, duplicate", events, memory.handle)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = SQLiteLedger(Path(tmp) / "ledger.db")
        shared = receiver(ledger)
        on_disk = rate("receiver, SQLite ledger, first delivery", events, shared.handle)
        rate("receiver, SQLite ledger, duplicate", events, shared.handle)
        ledger.close()
    print(f"  receiver/floor: memory {first / floor:.2f}x, SQLite {on_disk / floor:.2f}x")


if __name__ == "__main__":
    main()
