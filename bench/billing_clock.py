"""Billing at scale: one test clock, N monthly subscriptions, advanced one year.

    .venv/bin/python bench/billing_clock.py [--subscriptions 1000] [--months 12]

Sets up N customers on one test clock, each with a card and a monthly subscription, then
advances the clock a month at a time (Stripe lets a clock move at most two billing
intervals per advance) and waits for it to be ready. Prints the set-up time, the advance
time, the invoices created during the year and invoices per second of advancing. Runs
in-process (`Sandbox().client()`), so it measures the sandbox's billing engine rather than
HTTP. Bounded: N and the months are the only loops.
"""

from __future__ import annotations

import argparse
import time

from stripekit.sandbox import Sandbox

START = 1_798_761_600  # 2027-01-01T00:00:00Z
MONTH = 31 * 86400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()

    with Sandbox(start_time=START) as sandbox:
        client = sandbox.client()
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
        price = client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 1500,
                "recurring": {"interval": "month"},
                "product_data": {"name": "Monthly plan"},
            }
        )
        began = time.perf_counter()
        for i in range(args.subscriptions):
            card = client.v1.payment_methods.create(
                params={"type": "card", "card": {"token": "tok_visa"}}
            )
            customer = client.v1.customers.create(
                params={
                    "test_clock": clock.id,
                    "email": f"subscriber{i}@example.com",
                    "payment_method": card.id,
                    "invoice_settings": {"default_payment_method": card.id},
                }
            )
            client.v1.subscriptions.create(
                params={"customer": customer.id, "items": [{"price": price.id}]}
            )
        setup = time.perf_counter() - began
        invoices_before = _count_invoices(client)

        began = time.perf_counter()
        frozen = START
        for _ in range(args.months):
            frozen += MONTH
            client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": frozen})
            status = client.v1.test_helpers.test_clocks.retrieve(clock.id).status
            if status != "ready":
                raise SystemExit(f"clock not ready after advancing: {status}")
        advancing = time.perf_counter() - began
        invoices = _count_invoices(client) - invoices_before

    print(f"billing clock: {args.subscriptions} monthly subscriptions on one test clock")
    print(f"  set-up (customers + subscriptions, first invoices paid): {setup:.1f} s")
    print(f"  advance {args.months} months: {advancing:.1f} s, {invoices} invoices created")
    if advancing > 0:
        print(f"  {invoices / advancing:,.0f} invoices per second of advancing")


def _count_invoices(client: object) -> int:
    count = 0
    for _ in client.v1.invoices.list(params={"limit": 100}).auto_paging_iter():  # type: ignore[attr-defined]
        count += 1
    return count


if __name__ == "__main__":
    main()
