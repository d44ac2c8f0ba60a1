"""The fixtures every stripekit user gets from the installed pytest plugin."""

from __future__ import annotations

import stripe

from stripekit.sandbox import Sandbox


def test_stripe_client_fixture(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "plugin@example.com"})
    assert stripe_client.v1.customers.retrieve(customer.id).email == "plugin@example.com"


def test_each_test_gets_a_fresh_sandbox(stripe_sandbox: Sandbox) -> None:
    assert stripe_sandbox.client().v1.customers.list().data == []
    stripe_sandbox.client().v1.customers.create()
