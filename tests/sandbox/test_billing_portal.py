"""The customer portal in both modes: sessions (with the account's default
configuration), configurations, and the portal page driven with plain form posts:
cancel a subscription, save a new default card."""

from __future__ import annotations

import re

import pytest
import stripe
from test_checkout_sessions import monthly_price
from test_three_d_secure import browse

from conftest import Harness, assert_stripe_error

RETURN = "https://app.example.com/account"
CARD = {"card_number": "5555 5555 5555 4444", "exp": "10/33", "cvc": "321"}


def subscribed(client: stripe.StripeClient) -> tuple[str, str]:
    customer = client.v1.customers.create(
        params={"email": "member@example.com", "payment_method": "pm_card_visa"}
    )
    card = client.v1.payment_methods.list(params={"customer": customer.id}).data[0]
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    price = monthly_price(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    assert sub.status == "active"
    return customer.id, sub.id


def test_session_has_stripe_shape_and_default_configuration(sk: Harness) -> None:
    client = sk.client
    customer, _ = subscribed(client)
    session = client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": RETURN}
    )
    assert session.id.startswith("bps_") and session.object == "billing_portal.session"
    assert session.customer == customer and session.return_url == RETURN
    assert session.url.startswith(sk.base_url + "/_sandbox/pages/billing_portal/")
    config = client.v1.billing_portal.configurations.retrieve(session.configuration)
    assert config.is_default is True and config.active is True
    assert config.features.subscription_cancel.mode == "at_period_end"
    listed = client.v1.billing_portal.configurations.list().data
    assert [c.id for c in listed] == [config.id]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing_portal.sessions.create(params={"customer": "cus_nope"})
    assert_stripe_error(missing.value, status=400, code="resource_missing", param="customer")


def test_configurations_create_update(sk: Harness) -> None:
    client = sk.client
    config = client.v1.billing_portal.configurations.create(
        params={
            "features": {"subscription_cancel": {"enabled": True, "mode": "immediately"}},
            "business_profile": {"headline": "Acme"},
            "metadata": {"k": "v"},
        }
    )
    assert config.id.startswith("bpc_") and config.is_default is False
    assert config.features.subscription_cancel.mode == "immediately"
    assert config.business_profile.headline == "Acme"
    updated = client.v1.billing_portal.configurations.update(
        config.id, params={"active": False, "name": "Strict"}
    )
    assert updated.active is False and updated.name == "Strict"
    customer, _ = subscribed(client)
    with pytest.raises(stripe.InvalidRequestError) as inactive:
        client.v1.billing_portal.sessions.create(
            params={"customer": customer, "configuration": config.id}
        )
    assert_stripe_error(inactive.value, status=400, param="configuration")
    assert len(client.v1.billing_portal.configurations.list().data) == 2


def test_page_cancels_at_period_end(sk: Harness) -> None:
    client = sk.client
    customer, sub_id = subscribed(client)
    session = client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": RETURN}
    )
    page = browse(sk, "GET", session.url)
    assert page.status == 200 and "Pro plan" in page.text and "$20.00" in page.text
    assert f'href="{RETURN}"' in page.text and "Visa ending in 4242" in page.text
    done = browse(sk, "POST", session.url, {"action": "cancel", "subscription": sub_id})
    assert done.status == 303
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert sub.cancel_at_period_end is True and sub.status == "active"
    (event,) = client.v1.events.list(params={"type": "customer.subscription.updated"}).data
    assert event.data.previous_attributes["cancel_at_period_end"] is False
    assert "cancels at the end" in browse(sk, "GET", session.url).text


def test_page_cancels_immediately_with_that_configuration(sk: Harness) -> None:
    client = sk.client
    config = client.v1.billing_portal.configurations.create(
        params={"features": {"subscription_cancel": {"enabled": True, "mode": "immediately"}}}
    )
    customer, sub_id = subscribed(client)
    session = client.v1.billing_portal.sessions.create(
        params={"customer": customer, "configuration": config.id}
    )
    browse(sk, "POST", session.url, {"action": "cancel", "subscription": sub_id})
    assert client.v1.subscriptions.retrieve(sub_id).status == "canceled"
    assert "No subscriptions" in browse(sk, "GET", session.url).text


def test_page_refuses_someone_elses_subscription(sk: Harness) -> None:
    client = sk.client
    customer, _ = subscribed(client)
    _, other_sub = subscribed(client)
    session = client.v1.billing_portal.sessions.create(params={"customer": customer})
    page = browse(sk, "POST", session.url, {"action": "cancel", "subscription": other_sub})
    assert page.status == 400 and "does not belong" in page.text
    assert client.v1.subscriptions.retrieve(other_sub).cancel_at_period_end is False


def test_page_saves_a_new_default_card(sk: Harness) -> None:
    client = sk.client
    customer, _ = subscribed(client)
    session = client.v1.billing_portal.sessions.create(params={"customer": customer})
    declined = browse(
        sk, "POST", session.url, {"action": "card", **CARD, "card_number": "4242424242424241"}
    )
    assert declined.status == 402
    assert re.search(r"id=error>Your card number is incorrect.<", declined.text)
    saved = browse(sk, "POST", session.url, {"action": "card", **CARD})
    assert saved.status == 303
    after = client.v1.customers.retrieve(customer)
    card = client.v1.payment_methods.retrieve(after.invoice_settings.default_payment_method)
    assert card.card.last4 == "4444" and card.customer == customer
    assert "Mastercard ending in 4444" in browse(sk, "GET", session.url).text
