"""The main job for now: start the sandbox on a real socket and drive it with the official
SDK, printing each step — what a newcomer sees first."""

from __future__ import annotations

import stripe

from .sandbox import Sandbox


def run() -> None:
    with Sandbox() as sandbox, sandbox.serve() as server:
        print(f"sandbox serving at {server.url} (key {sandbox.api_key})")
        client = stripe.StripeClient(sandbox.api_key, base_addresses={"api": server.url})

        customer = client.v1.customers.create(
            params={"email": "ada@example.com", "name": "Ada Lovelace", "metadata": {"plan": "pro"}}
        )
        print(f"created customer {customer.id} <{customer.email}>")
        customer = client.v1.customers.update(customer.id, params={"name": "Ada King"})
        print(f"renamed it to {customer.name!r}")
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
        events = client.v1.events.list(params={"limit": 3})
        print("latest events: " + ", ".join(e.type for e in events.data))
        deleted = client.v1.customers.delete(customer.id)
        print(f"deleted {deleted.id}: deleted={deleted.deleted}")
