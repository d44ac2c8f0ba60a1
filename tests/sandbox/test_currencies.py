"""Currencies: Stripe's list for a US account, on every endpoint that takes one. An unknown
code is refused with Stripe's message (which lists what is supported) and nothing is made;
an upper-case code is accepted and stored lower-case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from conftest import assert_stripe_error, invalid_currency

Make = Callable[[stripe.StripeClient, str], Any]


def _product(client: stripe.StripeClient) -> str:
    return client.v1.products.create(params={"name": "Tea"}).id


def _customer(client: stripe.StripeClient) -> str:
    return client.v1.customers.create().id


CREATES: dict[str, tuple[Make, Callable[[stripe.StripeClient], int]]] = {
    "price": (
        lambda c, cur: c.v1.prices.create(
            params={"currency": cur, "unit_amount": 500, "product": _product(c)}
        ),
        lambda c: len(c.v1.prices.list().data),
    ),
    "plan": (
        lambda c, cur: c.v1.plans.create(
            params={"currency": cur, "amount": 500, "interval": "month", "product": _product(c)}
        ),
        lambda c: len(c.v1.plans.list().data),
    ),
    "payment_intent": (
        lambda c, cur: c.v1.payment_intents.create(params={"currency": cur, "amount": 500}),
        lambda c: len(c.v1.payment_intents.list().data),
    ),
    "charge": (
        lambda c, cur: c.v1.charges.create(
            params={"currency": cur, "amount": 500, "source": "tok_visa"}
        ),
        lambda c: len(c.v1.charges.list().data),
    ),
    "coupon": (
        lambda c, cur: c.v1.coupons.create(params={"currency": cur, "amount_off": 500}),
        lambda c: len(c.v1.coupons.list().data),
    ),
    "invoice_item": (
        lambda c, cur: c.v1.invoice_items.create(
            params={"currency": cur, "amount": 500, "customer": _customer(c)}
        ),
        lambda c: len(c.v1.invoice_items.list().data),
    ),
    "balance_transaction": (
        lambda c, cur: c.v1.customers.balance_transactions.create(
            _customer(c), params={"currency": cur, "amount": -500}
        ),
        lambda c: sum(
            len(c.v1.customers.balance_transactions.list(cu.id).data)
            for cu in c.v1.customers.list().data
        ),
    ),
}


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_an_unknown_currency_is_refused_everywhere(client: stripe.StripeClient, kind: str) -> None:
    make, count = CREATES[kind]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        make(client, "xyz")
    assert_stripe_error(caught.value, status=400, param="currency", message=invalid_currency("xyz"))
    assert count(client) == 0


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_upper_case_is_accepted_and_stored_lower_case(
    client: stripe.StripeClient, kind: str
) -> None:
    make, count = CREATES[kind]
    made = make(client, "EUR")
    assert made.currency == "eur"
    assert count(client) == 1


def test_zero_decimal_and_less_common_currencies(client: stripe.StripeClient) -> None:
    product = _product(client)
    for code in ("jpy", "krw", "sle", "mmk", "byn"):
        price = client.v1.prices.create(
            params={"currency": code, "unit_amount": 500, "product": product}
        )
        assert price.currency == code
    # Croatia moved to the euro in 2023; Stripe dropped hrk.
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create(params={"currency": "hrk", "unit_amount": 1, "product": product})


def test_currency_option_keys(client: stripe.StripeClient) -> None:
    product = _product(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 500,
                "product": product,
                "currency_options": {"xyz": {"unit_amount": 400}},
            }
        )
    assert_stripe_error(
        caught.value, status=400, param="currency_options[xyz]", message=invalid_currency("xyz")
    )
    with pytest.raises(stripe.InvalidRequestError) as upper:
        client.v1.coupons.create(
            params={
                "amount_off": 5,
                "currency": "usd",
                "currency_options": {"EUR": {"amount_off": 4}},
            }
        )
    assert_stripe_error(
        upper.value,
        status=400,
        param="currency_options",
        message="Currencies must be lowercase when used as keys in a map. "
        "Use `eur` instead of `EUR`.",
    )
