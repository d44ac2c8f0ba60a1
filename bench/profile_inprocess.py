"""Where an in-process call spends its time: cProfile over `Sandbox().client()` calls.

    .venv/bin/python bench/profile_inprocess.py [--op create|retrieve] [--calls N]
                                                [--prefill N] [--all]

Prints the wall time per call without the profiler (the honest figure), then the profile:
by default only the sandbox's side (stripekit, sqlite3, random, orjson, urllib), sorted
by own time; `--all` shows the SDK too. cProfile adds a fixed cost to every Python call,
so many small calls look dearer than they are: read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import stripe

from stripekit.sandbox import Sandbox

CUSTOMER = {"email": "bench@example.com", "name": "Bench Customer"}
SANDBOX_SIDE = r"stripekit|sqlite3|random\.py|orjson|urllib|ids\.py|posix"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--op", choices=("create", "retrieve"), default="create")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--prefill", type=int, default=200, help="customers created before profiling"
    )
    parser.add_argument("--all", action="store_true", help="show the SDK's functions too")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    with Sandbox() as sandbox:
        client = sandbox.client()
        ids = [client.v1.customers.create(params=CUSTOMER).id for _ in range(max(1, args.prefill))]

        def call(i: int) -> stripe.Customer:
            if args.op == "create":
                return client.v1.customers.create(params=CUSTOMER)
            return client.v1.customers.retrieve(ids[i % len(ids)])

        start = time.perf_counter()
        for i in range(args.calls):
            call(i)
        plain = (time.perf_counter() - start) / args.calls

        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(args.calls):
            call(i)
        profiler.disable()

    print(
        f"customers.{args.op}: {plain * 1e6:.1f} us/call without the profiler "
        f"({args.calls:,} calls after {args.prefill:,} customers)"
    )
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"profiled: {stats.total_tt / args.calls * 1e6:.1f} us/call (profiler included)\n")  # type: ignore[attr-defined]
    stats.sort_stats("tottime")
    if args.all:
        stats.print_stats(args.top)
    else:
        stats.print_stats(SANDBOX_SIDE, args.top)
    stats.sort_stats("cumulative")
    stats.print_stats(r"stripekit", args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
