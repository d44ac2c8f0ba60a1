"""The main job for now: start the sandbox on a real socket and drive it with the official
SDK, printing each step — what a newcomer sees first."""

from __future__ import annotations

import stripe

from .sandbox import Sandbox


def run() -> None:
    with Sandbox() as sandbox, sandbox.serve() as server:
        print(f"sandbox serving at {server.url} (secret key {sandbox.api_key})")
        client = stripe.StripeClient(sandbox.api_key, base_addresses={"api": server.url})

        customer = client.v1.customers.create(
            params={
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "metadata": {"plan": "pro"},
            },
            options={"idempotency_key": "signup-ada"},
        )
        print(f"created customer {customer.id} <{customer.email}>")
        again = client.v1.customers.create(
            params={
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "metadata": {"plan": "pro"},
            },
            options={"idempotency_key": "signup-ada"},
        )
        print(f"retried with the same idempotency key -> same customer: {again.id == customer.id}")
        customer = client.v1.customers.update(customer.id, params={"name": "Ada King"})
        print(f"renamed it to {customer.name!r}")

        price = client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 1500,
                "recurring": {"interval": "month"},
                "product_data": {"name": "Pro plan"},
                "lookup_key": "pro_monthly",
            }
        )
        fetched = client.v1.prices.retrieve(price.id, params={"expand": ["product"]})
        print(
            f"price {price.id}: {price.unit_amount / 100:.2f} {price.currency.upper()}/"
            f"{price.recurring.interval} for product {fetched.product.name!r} (expanded)"
        )
        coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "once"})
        print(f"coupon {coupon.id}: {coupon.percent_off}% off, valid={coupon.valid}")

        for i in range(3):
            client.v1.customers.create(params={"email": f"user{i}@example.com"})
        listed = client.v1.customers.list(params={"limit": 2})
        print(f"listed {len(listed.data)} of the 4 customers, has_more={listed.has_more}")
        found = client.v1.customers.search(params={"query": 'email:"ada@example.com"'})
        print(f'search email:"ada@example.com" -> {[c.id for c in found.data]}')
        try:
            client.v1.customers.retrieve("cus_doesnotexist")
        except stripe.InvalidRequestError as exc:
            print(
                f"retrieving a missing customer -> {exc.http_status} {exc.code}: {exc.user_message}"
            )
        try:
            client.v1.prices.create(params={"currency": "usd", "unit_amount": 100})
        except stripe.InvalidRequestError as exc:
            print(f"a price without a product -> {exc.http_status}: {exc.user_message}")

        later = sandbox.advance_clock(30 * 86400)
        print(f"advanced the sandbox clock 30 days (now {later})")
        events = client.v1.events.list(params={"limit": 4})
        print("latest events: " + ", ".join(e.type for e in events.data))
        deleted = client.v1.customers.delete(customer.id)
        print(f"deleted {deleted.id}: deleted={deleted.deleted}")
