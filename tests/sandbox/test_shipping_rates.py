"""Shipping rates through the official SDK, in both modes: create, retrieve, update and
list (with its filters), Stripe's shape, and refusals that change nothing. Their use in
Checkout Sessions is tested in test_checkout_shipping.py."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import assert_stripe_error, invalid_currency


def rate(
    client: stripe.StripeClient, amount: int = 500, currency: str = "usd", **extra: Any
) -> Any:
    return client.v1.shipping_rates.create(
        params={
            "display_name": extra.pop("display_name", "Ground"),
            "type": "fixed_amount",
            "fixed_amount": {"amount": amount, "currency": currency, **extra.pop("fixed", {})},
            **extra,
        }
    )


def test_create_and_retrieve(client: stripe.StripeClient) -> None:
    made = rate(
        client,
        fixed={"currency_options": {"eur": {"amount": 450}}},
        delivery_estimate={
            "minimum": {"unit": "business_day", "value": 3},
            "maximum": {"unit": "business_day", "value": 5},
        },
        tax_behavior="exclusive",
        tax_code="txcd_92010001",
        metadata={"carrier": "ups"},
    )
    assert made.id.startswith("shr_") and made.object == "shipping_rate"
    assert made.active is True and made.type == "fixed_amount"
    assert (made.fixed_amount.amount, made.fixed_amount.currency) == (500, "usd")
    assert made.fixed_amount.currency_options["eur"].amount == 450
    # An option without its own tax behaviour takes the rate's.
    assert made.fixed_amount.currency_options["eur"].tax_behavior == "exclusive"
    assert made.delivery_estimate.minimum.value == 3
    assert made.delivery_estimate.maximum.unit == "business_day"
    assert (made.tax_behavior, made.tax_code) == ("exclusive", "txcd_92010001")
    assert made.metadata.to_dict() == {"carrier": "ups"}
    got = client.v1.shipping_rates.retrieve(made.id)
    assert got.to_dict() == made.to_dict()
    plain = rate(client)
    assert (plain.delivery_estimate, plain.tax_behavior, plain.tax_code) == (None, None, None)


def test_update_archives_and_changes_options(client: stripe.StripeClient) -> None:
    made = rate(client, fixed={"currency_options": {"eur": {"amount": 450}}})
    updated = client.v1.shipping_rates.update(
        made.id,
        params={
            "active": False,
            "metadata": {"k": "v"},
            "tax_behavior": "inclusive",
            "fixed_amount": {"currency_options": {"eur": {"amount": 400}, "gbp": {"amount": 350}}},
        },
    )
    assert updated.active is False and updated.metadata.to_dict() == {"k": "v"}
    assert updated.fixed_amount.amount == 500  # the rate's own amount never changes
    assert updated.fixed_amount.currency_options["eur"].amount == 400
    assert updated.fixed_amount.currency_options["gbp"].amount == 350
    assert client.v1.shipping_rates.retrieve(made.id).tax_behavior == "inclusive"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.shipping_rates.update(made.id, params={"tax_behavior": "exclusive"})
    assert_stripe_error(exc.value, status=400, param="tax_behavior")
    assert client.v1.shipping_rates.retrieve(made.id).tax_behavior == "inclusive"


def test_list_filters(client: stripe.StripeClient) -> None:
    usd = rate(client)
    eur = rate(client, currency="eur")
    archived = rate(client)
    client.v1.shipping_rates.update(archived.id, params={"active": False})
    assert [r.id for r in client.v1.shipping_rates.list().data] == [archived.id, eur.id, usd.id]
    active = client.v1.shipping_rates.list(params={"active": True}).data
    assert [r.id for r in active] == [eur.id, usd.id]
    in_eur = client.v1.shipping_rates.list(params={"currency": "eur"}).data
    assert [r.id for r in in_eur] == [eur.id]
    later = client.v1.shipping_rates.list(params={"created": {"gt": usd.created - 1}}).data
    assert len(later) == 3
    assert client.v1.shipping_rates.list(params={"created": {"lt": usd.created}}).data == []


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        (
            {"display_name": "X", "fixed_amount": {"amount": 5, "currency": "zzz"}},
            "fixed_amount[currency]",
            None,
        ),
        (
            {"display_name": "X", "fixed_amount": {"amount": -1, "currency": "usd"}},
            "fixed_amount[amount]",
            None,
        ),
        ({"display_name": "X"}, "fixed_amount", "parameter_missing"),
        (
            {"display_name": "", "fixed_amount": {"amount": 5, "currency": "usd"}},
            "display_name",
            "parameter_invalid_empty",
        ),
        (
            {
                "display_name": "X",
                "fixed_amount": {
                    "amount": 5,
                    "currency": "usd",
                    "currency_options": {"usd": {"amount": 4}},
                },
            },
            "fixed_amount[currency_options][usd]",
            None,
        ),
        ({"display_name": "X", "type": "weight_based"}, "type", None),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(
    client: stripe.StripeClient, params: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.shipping_rates.create(params=params)
    assert_stripe_error(exc.value, status=400, param=param, code=code)
    assert client.v1.shipping_rates.list().data == []


def test_unknown_currency_has_stripes_message(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        rate(client, currency="zzz")
    assert_stripe_error(
        exc.value, status=400, param="fixed_amount[currency]", message=invalid_currency("zzz")
    )


def test_missing_rate(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.shipping_rates.retrieve("shr_missing")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="shipping_rate_token",
        message="No such shipping rate: 'shr_missing'",
    )
