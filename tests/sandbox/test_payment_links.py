"""Payment Links in both modes: create, retrieve, update, list, line_items, and the link's
URL opening a new Checkout Session on the hosted page that a buyer can pay."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from test_checkout_sessions import CARD, monthly_price, one_time_price
from test_three_d_secure import browse

from conftest import Harness, assert_stripe_error


def make_link(client: stripe.StripeClient, **params: Any) -> Any:
    price = one_time_price(client, 1200, "Poster")
    return client.v1.payment_links.create(
        params={"line_items": [{"price": price.id, "quantity": 2}], **params}
    )


def open_session(sk: Harness, link: Any) -> Any:
    page = browse(sk, "GET", link.url)
    assert page.status == 303, page.text
    session_path = page.headers["location"].rsplit("/", 1)[-1]
    return sk.client.v1.checkout.sessions.retrieve(session_path)


def test_create_has_stripe_shape(sk: Harness) -> None:
    client = sk.client
    link = make_link(client, metadata={"campaign": "fall"}, allow_promotion_codes=True)
    assert link.id.startswith("plink_") and link.object == "payment_link"
    assert link.active is True and link.currency == "usd"
    assert link.after_completion.type == "hosted_confirmation"
    assert link.allow_promotion_codes is True and link.customer_creation == "if_required"
    assert link.metadata.to_dict() == {"campaign": "fall"}
    assert link.url.startswith(sk.base_url + "/_sandbox/pages/payment_links/")
    assert "line_items" not in link
    (item,) = client.v1.payment_links.line_items.list(link.id).data
    assert (item.quantity, item.amount_total, item.description) == (2, 2400, "Poster")
    got = client.v1.payment_links.retrieve(link.id, params={"expand": ["line_items"]})
    assert got.line_items.data[0].id == item.id
    (event,) = client.v1.events.list(params={"type": "payment_link.created"}).data
    assert event.data.object.id == link.id


def test_refusals(sk: Harness) -> None:
    client = sk.client
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_links.create(
            params={"line_items": [{"price": "price_nope", "quantity": 1}]}
        )
    assert_stripe_error(
        missing.value, status=400, code="resource_missing", param="line_items[0][price]"
    )
    price = one_time_price(client)
    with pytest.raises(stripe.InvalidRequestError) as redirect:
        client.v1.payment_links.create(
            params={
                "line_items": [{"price": price.id, "quantity": 1}],
                "after_completion": {"type": "redirect"},
            }
        )
    assert_stripe_error(
        redirect.value,
        status=400,
        code="parameter_missing",
        param="after_completion[redirect][url]",
    )
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.payment_links.retrieve("plink_nope")
    assert_stripe_error(gone.value, status=404, code="resource_missing", param="payment_link")
    assert client.v1.payment_links.list().data == []


def test_update_and_list(sk: Harness) -> None:
    client = sk.client
    first = make_link(client)
    second = make_link(client)
    item = client.v1.payment_links.line_items.list(first.id).data[0]
    updated = client.v1.payment_links.update(
        first.id,
        params={
            "active": False,
            "inactive_message": "Sold out",
            "metadata": {"a": "1"},
            "line_items": [{"id": item.id, "quantity": 5}],
        },
    )
    assert updated.active is False and updated.inactive_message == "Sold out"
    assert client.v1.payment_links.line_items.list(first.id).data[0].quantity == 5
    assert [x.id for x in client.v1.payment_links.list(params={"active": True}).data] == [second.id]
    assert [x.id for x in client.v1.payment_links.list().data] == [second.id, first.id]
    page = browse(sk, "GET", first.url)
    assert page.status == 410 and "Sold out" in page.text
    (event,) = client.v1.events.list(params={"type": "payment_link.updated"}).data
    assert event.data.previous_attributes["active"] is True


def test_link_opens_a_session_the_buyer_pays(sk: Harness) -> None:
    client = sk.client
    link = make_link(
        client,
        after_completion={
            "type": "redirect",
            "redirect": {"url": "https://shop.example.com/done?s={CHECKOUT_SESSION_ID}"},
        },
        payment_intent_data={"metadata": {"from": "link"}},
    )
    session = open_session(sk, link)
    assert session.payment_link == link.id and session.mode == "payment"
    assert session.amount_total == 2400 and session.status == "open"
    again = open_session(sk, link)
    assert again.id != session.id  # every visit is a new session
    form = {"action": "pay", "email": "fan@example.com", **CARD}
    paid = browse(sk, "POST", session.url, form)
    assert paid.status == 303
    assert paid.headers["location"] == f"https://shop.example.com/done?s={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert done.status == "complete" and done.payment_intent.metadata.to_dict() == {"from": "link"}
    listed = client.v1.checkout.sessions.list(params={"payment_link": link.id}).data
    assert {s.id for s in listed} == {session.id, again.id}


def test_recurring_link_opens_a_subscription_session(sk: Harness) -> None:
    client = sk.client
    price = monthly_price(client)
    link = client.v1.payment_links.create(
        params={
            "line_items": [{"price": price.id, "quantity": 1}],
            "subscription_data": {"trial_period_days": 7},
        }
    )
    assert link.subscription_data.trial_period_days == 7
    session = open_session(sk, link)
    assert session.mode == "subscription"
    page = browse(sk, "POST", session.url, {"action": "pay", "email": "s@example.com", **CARD})
    assert page.status == 200 and "Thanks" in page.text  # hosted confirmation
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert done.subscription.status == "trialing"
