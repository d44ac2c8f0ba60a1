"""Checkout Sessions with `shipping_options`, in both modes: an existing rate or
`shipping_rate_data`, the first option's amount added to `total_details.amount_shipping`
and `amount_total` (after discounts, which leave shipping alone), `shipping_cost`, the
PaymentIntent charging the whole, and refusals that create nothing."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from test_checkout_sessions import assert_success_redirect, pay, payment_session
from test_shipping_rates import rate

from conftest import Harness, assert_stripe_error


def test_rate_is_added_to_the_total_and_charged(sk: Harness) -> None:
    client = sk.client
    express = rate(client, 1200, display_name="Express")
    ground = rate(client, 500)
    session = payment_session(
        client,
        shipping_options=[{"shipping_rate": express.id}, {"shipping_rate": ground.id}],
    )
    assert session.amount_subtotal == 3000
    assert session.total_details.amount_shipping == 1200
    assert session.amount_total == 4200
    assert [(o.shipping_rate, o.shipping_amount) for o in session.shipping_options] == [
        (express.id, 1200),
        (ground.id, 500),
    ]
    cost = session.shipping_cost
    assert (cost.shipping_rate, cost.amount_subtotal, cost.amount_total, cost.amount_tax) == (
        express.id,
        1200,
        1200,
        0,
    )
    expanded = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["shipping_cost.shipping_rate"]}
    )
    assert expanded.shipping_cost.shipping_rate.display_name == "Express"

    assert_success_redirect(pay(sk, session), session.id)
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert done.status == "complete" and done.amount_total == 4200
    assert (done.payment_intent.amount, done.payment_intent.amount_received) == (4200, 4200)


def test_shipping_rate_data_makes_a_rate(client: stripe.StripeClient) -> None:
    session = payment_session(
        client,
        shipping_options=[
            {
                "shipping_rate_data": {
                    "display_name": "Courier",
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 800, "currency": "usd"},
                }
            }
        ],
    )
    made = client.v1.shipping_rates.retrieve(session.shipping_cost.shipping_rate)
    assert (made.display_name, made.fixed_amount.amount) == ("Courier", 800)
    assert session.amount_total == 3800


def test_rate_in_another_currency_uses_its_option(client: stripe.StripeClient) -> None:
    euro_rate = rate(
        client, 450, currency="eur", fixed={"currency_options": {"usd": {"amount": 600}}}
    )
    session = payment_session(client, shipping_options=[{"shipping_rate": euro_rate.id}])
    assert session.total_details.amount_shipping == 600


def test_discount_leaves_shipping_alone(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 50, "duration": "once"})
    session = payment_session(
        client,
        discounts=[{"coupon": coupon.id}],
        shipping_options=[{"shipping_rate": rate(client, 500).id}],
    )
    assert session.total_details.amount_discount == 1500
    assert session.amount_total == 3000 - 1500 + 500


def _no_sessions(client: stripe.StripeClient) -> None:
    assert client.v1.checkout.sessions.list().data == []


@pytest.mark.parametrize("case", ["inactive", "missing", "no_currency", "both", "bad_data"])
def test_refusals_create_nothing(client: stripe.StripeClient, case: str) -> None:
    param = "shipping_options[0][shipping_rate]"
    option: dict[str, Any]
    code = None
    if case == "inactive":
        archived = rate(client)
        client.v1.shipping_rates.update(archived.id, params={"active": False})
        option = {"shipping_rate": archived.id}
    elif case == "missing":
        option = {"shipping_rate": "shr_missing"}
        code = "resource_missing"
    elif case == "no_currency":
        option = {"shipping_rate": rate(client, currency="eur").id}
    elif case == "both":
        option = {
            "shipping_rate": rate(client).id,
            "shipping_rate_data": {
                "display_name": "X",
                "fixed_amount": {"amount": 1, "currency": "usd"},
            },
        }
        param = "shipping_options[0][shipping_rate_data]"
    else:
        option = {
            "shipping_rate_data": {
                "display_name": "X",
                "fixed_amount": {"amount": 1, "currency": "zzz"},
            }
        }
        param = "shipping_options[0][shipping_rate_data][fixed_amount][currency]"
    rates_before = [r.id for r in client.v1.shipping_rates.list().data]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        payment_session(client, shipping_options=[option])
    assert_stripe_error(exc.value, status=400, param=param, code=code)
    assert [r.id for r in client.v1.shipping_rates.list().data] == rates_before
    prices = client.v1.prices.list().data
    assert len(prices) == 1  # only the price payment_session made; no session
    _no_sessions(client)


def test_shipping_only_in_payment_mode(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 2000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "https://shop.example.com/ok",
                "shipping_options": [{"shipping_rate": rate(client).id}],
            }
        )
    assert_stripe_error(exc.value, status=400, param="shipping_options")
    _no_sessions(client)
