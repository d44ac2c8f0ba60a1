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


# -- the buyer's choice and address (the complete endpoint, as the page submits them) -------


def complete(sk: Harness, session_id: str, body: str = "") -> Any:
    return sk.raw("POST", f"/_sandbox/checkout/sessions/{session_id}/complete", body=body)


def test_complete_charges_the_chosen_rate(sk: Harness) -> None:
    client = sk.client
    express, ground = rate(client, 1200, display_name="Express"), rate(client, 500)
    session = payment_session(
        client,
        shipping_options=[{"shipping_rate": express.id}, {"shipping_rate": ground.id}],
    )
    done = complete(sk, session.id, f"shipping_rate={ground.id}")
    assert done.status == 200, done.body
    after = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert after.shipping_cost.shipping_rate == ground.id
    assert after.shipping_cost.amount_total == 500
    assert after.total_details.amount_shipping == 500 and after.amount_total == 3500
    assert (after.payment_intent.amount, after.payment_intent.amount_received) == (3500, 3500)


def test_complete_refuses_a_rate_the_session_does_not_offer(sk: Harness) -> None:
    client = sk.client
    offered, other = rate(client, 1200), rate(client, 100)
    session = payment_session(client, shipping_options=[{"shipping_rate": offered.id}])
    refused = complete(sk, session.id, f"shipping_rate={other.id}")
    assert refused.status == 400
    assert refused.body["error"]["param"] == "shipping_rate"
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert after.status == "open" and after.shipping_cost.shipping_rate == offered.id
    assert after.amount_total == 4200 and client.v1.payment_intents.list().data == []


ADDRESS = (
    "shipping_details[name]=Jenny+Rosen&shipping_details[line1]=Hauptstr.+1"
    "&shipping_details[city]=Berlin&shipping_details[postal_code]=10115"
)


def test_complete_collects_the_shipping_address(sk: Harness) -> None:
    client = sk.client
    session = payment_session(
        client, shipping_address_collection={"allowed_countries": ["DE", "FR"]}
    )
    assert session.shipping_address_collection.allowed_countries == ["DE", "FR"]
    assert session.collected_information is None
    done = complete(sk, session.id, ADDRESS + "&shipping_details[country]=de")
    assert done.status == 200, done.body
    after = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    details = after.collected_information.shipping_details
    assert details.name == "Jenny Rosen"
    assert (details.address.line1, details.address.city) == ("Hauptstr. 1", "Berlin")
    assert (details.address.postal_code, details.address.country) == ("10115", "DE")
    assert after.payment_intent.shipping.address.country == "DE"
    assert after.payment_intent.shipping.name == "Jenny Rosen"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (ADDRESS + "&shipping_details[country]=US", "shipping_details[country]"),
        ("shipping_details[name]=Jenny&shipping_details[country]=DE", "shipping_details[line1]"),
    ],
)
def test_complete_refuses_an_address_outside_the_rules(sk: Harness, body: str, param: str) -> None:
    client = sk.client
    session = payment_session(client, shipping_address_collection={"allowed_countries": ["DE"]})
    refused = complete(sk, session.id, body)
    assert refused.status == 400 and refused.body["error"]["param"] == param
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert after.status == "open" and after.collected_information is None
    assert client.v1.payment_intents.list().data == []
