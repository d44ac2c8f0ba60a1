"""Per-call overhead of an action over the direct `StripeClient` call it makes, in-process.

    .venv/bin/python bench/actions_overhead.py [--calls N] [--rounds R]

All sides talk to the same in-memory sandbox through the in-process door. "direct" is the
SDK's typed service (`client.v1.customers.create`), what a user would otherwise write;
"raw" is the SDK's `raw_request` plus JSON decoding, the transport the action itself uses,
so "action - raw" is what the action layer adds (input model validation, convenience
mapping, result shaping). Rounds alternate the sides so machine noise falls on all.
Target: an action costs under 20% more than the direct call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from stripekit.accounts import Account
from stripekit.facade import AccountActions
from stripekit.sandbox import Sandbox

PARAMS = {"email": "bench@example.com", "name": "Bench Customer", "metadata": {"k": "v"}}
TARGET = 1.20


def _per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with Sandbox() as sandbox:
        client = sandbox.client()
        actions = AccountActions(Account(client=client))
        known = client.v1.customers.create(params=PARAMS).id
        pairs = {
            "create customer": (
                lambda: client.v1.customers.create(params=PARAMS),
                lambda: json.loads(client.raw_request("post", "/v1/customers", **PARAMS).body),
                lambda: actions.create_customer(**PARAMS),
            ),
            "retrieve customer": (
                lambda: client.v1.customers.retrieve(known),
                lambda: json.loads(client.raw_request("get", f"/v1/customers/{known}").body),
                lambda: actions.get_customer(id=known),
            ),
            "list 10 customers": (
                lambda: client.v1.customers.list(params={"limit": 10}),
                lambda: json.loads(client.raw_request("get", "/v1/customers", limit=10).body),
                lambda: actions.list_customers(limit=10),
            ),
        }
        for sides in pairs.values():  # warm up: models built, caches filled
            for side in sides:
                side()
        print(
            f"{'operation':<18} {'direct us':>9} {'raw us':>8} {'action us':>9} "
            f"{'action-raw':>10} {'action/direct':>13}"
        )
        worst = 0.0
        for name, sides in pairs.items():
            times: list[list[float]] = [[], [], []]
            for _ in range(args.rounds):
                for side, bucket in zip(sides, times, strict=True):
                    bucket.append(_per_call(side, args.calls))
            d, r, a = (statistics.median(bucket) for bucket in times)
            worst = max(worst, a / d)
            print(f"{name:<18} {d:>9.1f} {r:>8.1f} {a:>9.1f} {a - r:>10.1f} {a / d:>13.2f}")
        verdict = "met" if worst < TARGET else "NOT met"
        print(f"worst ratio {worst:.2f} (target < {TARGET:.2f}: {verdict})")


if __name__ == "__main__":
    main()
