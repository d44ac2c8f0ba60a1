"""Charges through the official SDK, in both modes: the legacy create (tokens, card
details, saved cards), capture, update, list/search, expiry and the receipt page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import stripe

from conftest import Harness, assert_stripe_error

DAY = 86400


def charge(client: stripe.StripeClient, source: str = "tok_visa", **params: Any) -> Any:
    return client.v1.charges.create(
        params={"amount": 2000, "currency": "usd", "source": source, **params}
    )


def events_of(client: stripe.StripeClient, type_: str) -> list[Any]:
    return client.v1.events.list(params={"type": type_}).data


def test_token_charge_has_stripe_shape(client: stripe.StripeClient) -> None:
    ch = charge(
        client,
        description="legacy",
        metadata={"k": "v"},
        statement_descriptor="KIT SHOP",
        receipt_email="r@example.com",
        shipping={"name": "Ada", "address": {"line1": "1 Main St", "city": "Paris"}},
    )
    assert ch.id.startswith("ch_") and ch.object == "charge"
    assert ch.status == "succeeded" and ch.paid and ch.captured
    assert ch.amount == ch.amount_captured == 2000 and ch.amount_refunded == 0
    assert ch.payment_intent is None
    assert ch.payment_method.startswith("card_")
    source = ch.to_dict()["source"]
    assert source["id"] == ch.payment_method and source["brand"] == "Visa"
    assert source["last4"] == "4242" and source["cvc_check"] == "pass"
    card = ch.payment_method_details.card
    assert card.brand == "visa" and card.network == "visa" and card.checks.cvc_check == "pass"
    assert ch.calculated_statement_descriptor == "KIT SHOP"
    assert ch.receipt_email == "r@example.com" and ch.shipping.address.city == "Paris"
    assert ch.metadata.to_dict() == {"k": "v"} and ch.description == "legacy"
    assert ch.outcome.type == "authorized" and ch.outcome.risk_level == "normal"
    txn = client.v1.balance_transactions.retrieve(ch.balance_transaction)
    assert (txn.amount, txn.fee, txn.net, txn.source) == (2000, 88, 1912, ch.id)
    assert client.v1.charges.retrieve(ch.id).to_dict() == ch.to_dict()
    (succeeded,) = events_of(client, "charge.succeeded")
    assert succeeded.data.object.id == ch.id


def test_card_details_and_their_errors(client: stripe.StripeClient) -> None:
    good = {"number": "5555555555554444", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    ch = client.v1.charges.create(params={"amount": 900, "currency": "usd", "card": good})
    assert ch.payment_method_details.card.brand == "mastercard"
    assert ch.to_dict()["source"]["brand"] == "MasterCard"
    with pytest.raises(stripe.CardError) as exc:
        client.v1.charges.create(
            params={
                "amount": 900,
                "currency": "usd",
                "card": {**good, "number": "4242424242424241"},
            }
        )
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code="incorrect_number", param="number"
    )


@pytest.mark.parametrize(
    ("token", "code", "decline_code", "param"),
    [
        ("tok_chargeDeclined", "card_declined", "generic_decline", None),
        ("tok_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", None),
        ("tok_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "cvc"),
        ("tok_chargeDeclinedExpiredCard", "expired_card", "expired_card", "exp_month"),
        ("tok_chargeDeclinedFraudulent", "card_declined", "fraudulent", None),
        ("tok_authenticationRequired", "authentication_required", "authentication_required", None),
    ],
)
def test_legacy_declines_keep_the_failed_charge(
    client: stripe.StripeClient, token: str, code: str, decline_code: str, param: str | None
) -> None:
    with pytest.raises(stripe.CardError) as exc:
        charge(client, token)
    assert_stripe_error(exc.value, status=402, type_="card_error", code=code, param=param)
    error = exc.value.json_body["error"]
    assert error["decline_code"] == decline_code and "payment_intent" not in error
    failed = client.v1.charges.retrieve(error["charge"])
    assert failed.status == "failed" and failed.failure_code == code and not failed.paid
    assert failed.balance_transaction is None
    assert [e.data.object.id for e in events_of(client, "charge.failed")] == [failed.id]


def test_create_refusals(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as neither:
        client.v1.charges.create(params={"amount": 1400, "currency": "usd"})
    assert_stripe_error(
        neither.value,
        status=400,
        code="parameter_missing",
        message="Must provide source or customer.",
    )
    with pytest.raises(stripe.InvalidRequestError) as amount:
        client.v1.charges.create(params={"currency": "usd", "source": "tok_visa"})
    assert_stripe_error(amount.value, status=400, code="parameter_missing", param="amount")
    with pytest.raises(stripe.InvalidRequestError) as small:
        charge(client, amount=10)
    assert_stripe_error(
        small.value,
        status=400,
        code="amount_too_small",
        param="amount",
        message="Amount must be at least $0.50 usd",
    )
    with pytest.raises(stripe.InvalidRequestError) as token:
        charge(client, "tok_nope")
    assert_stripe_error(token.value, status=400, code="resource_missing", param="source")
    with pytest.raises(stripe.InvalidRequestError) as customer:
        client.v1.charges.create(params={"amount": 1400, "currency": "usd", "customer": "cus_x"})
    assert_stripe_error(customer.value, status=400, code="resource_missing", param="customer")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.charges.retrieve("ch_nope")
    assert_stripe_error(
        missing.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such charge: 'ch_nope'",
    )
    assert client.v1.charges.list().data == []


def test_customer_sources(client: stripe.StripeClient) -> None:
    bare = client.v1.customers.create()
    with pytest.raises(stripe.CardError) as nothing:
        client.v1.charges.create(params={"amount": 1400, "currency": "usd", "customer": bare.id})
    assert_stripe_error(nothing.value, status=402, type_="card_error", code="missing", param="card")
    assert "doesn't have any saved payment details" in str(nothing.value)

    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    client.v1.payment_methods.attach(pm.id, params={"customer": bare.id})
    with pytest.raises(stripe.CardError) as only_pm:
        client.v1.charges.create(params={"amount": 1400, "currency": "usd", "customer": bare.id})
    assert "Use a Payment Intent instead" in str(only_pm.value)

    saved = client.v1.customers.create(params={"source": "tok_mastercard"})
    ch = client.v1.charges.create(params={"amount": 1400, "currency": "usd", "customer": saved.id})
    assert ch.customer == saved.id and ch.payment_method == saved.default_source
    assert ch.payment_method_details.card.brand == "mastercard"
    named = charge(client, saved.default_source, customer=saved.id)
    assert named.payment_method == saved.default_source
    with pytest.raises(stripe.InvalidRequestError) as other:
        charge(client, "card_nope", customer=saved.id)
    assert_stripe_error(other.value, status=400, code="missing", param="source")


def test_capture_later(client: stripe.StripeClient) -> None:
    held = charge(client, capture=False)
    assert held.captured is False and held.status == "succeeded" and held.paid
    assert held.balance_transaction is None and held.amount_captured == 0
    with pytest.raises(stripe.InvalidRequestError) as large:
        client.v1.charges.capture(held.id, params={"amount": 5000})
    assert_stripe_error(large.value, status=400, code="amount_too_large")
    captured = client.v1.charges.capture(held.id, params={"amount": 1500})
    assert captured.captured and captured.amount_captured == 1500 and captured.amount == 2000
    assert captured.amount_refunded == 0 and not captured.refunded
    txn = client.v1.balance_transactions.retrieve(captured.balance_transaction)
    assert txn.amount == 1500
    (event,) = events_of(client, "charge.captured")
    assert event.data.previous_attributes.captured is False
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.charges.capture(held.id)
    assert_stripe_error(
        again.value,
        status=400,
        code="charge_already_captured",
        message=f"Charge {held.id} has already been captured.",
    )
    failed_id = None
    try:
        charge(client, "tok_chargeDeclined")
    except stripe.CardError as exc:
        failed_id = exc.json_body["error"]["charge"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.charges.capture(failed_id)


def test_uncaptured_legacy_charge_expires(sk: Harness) -> None:
    client = sk.client
    held = charge(client, capture=False)
    sk.sandbox.advance_clock(7 * DAY + 1)
    expired = client.v1.charges.retrieve(held.id)
    assert expired.refunded is True and expired.captured is False
    assert expired.amount_refunded == 2000
    assert [e.data.object.id for e in events_of(client, "charge.expired")] == [held.id]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.charges.capture(held.id)
    assert_stripe_error(exc.value, status=400, code="charge_expired_for_capture")


def test_capturing_a_payment_intents_charge_captures_the_intent(
    client: stripe.StripeClient,
) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "capture_method": "manual",
        }
    )
    ch = client.v1.charges.capture(pi.latest_charge, params={"amount": 2500})
    assert ch.captured and ch.amount_captured == 2500
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "succeeded" and after.amount_received == 2500


def test_update(client: stripe.StripeClient) -> None:
    ch = charge(client, metadata={"a": "1"})
    updated = client.v1.charges.update(
        ch.id,
        params={
            "description": "new",
            "metadata": {"a": "", "b": "2"},
            "fraud_details": {"user_report": "safe"},
            "shipping": {"name": "Bo", "address": {"line1": "2 Rue"}},
            "receipt_email": "x@example.com",
        },
    )
    assert updated.description == "new" and updated.metadata.to_dict() == {"b": "2"}
    assert updated.fraud_details.to_dict() == {"user_report": "safe"}
    assert updated.shipping.name == "Bo" and updated.receipt_email == "x@example.com"
    (event,) = events_of(client, "charge.updated")
    assert event.data.previous_attributes.description is None
    assert event.data.previous_attributes.metadata.to_dict() == {"a": "1", "b": None}
    customer = client.v1.customers.create()
    assert client.v1.charges.update(ch.id, params={"customer": customer.id}).customer == customer.id
    other = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.charges.update(ch.id, params={"customer": other.id})
    assert_stripe_error(exc.value, status=400, param="customer")

    pi = client.v1.payment_intents.create(
        params={"amount": 900, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    with pytest.raises(stripe.InvalidRequestError) as group:
        client.v1.charges.update(pi.latest_charge, params={"transfer_group": "g"})
    assert pi.id in str(group.value)
    assert client.v1.charges.update(ch.id, params={"transfer_group": "g"}).transfer_group == "g"


def test_list_and_search(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_visa"})
    first = client.v1.charges.create(
        params={
            "amount": 1100,
            "currency": "usd",
            "customer": customer.id,
            "metadata": {"order": "x"},
        }
    )
    pi = client.v1.payment_intents.create(
        params={
            "amount": 5200,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    assert [c.id for c in client.v1.charges.list().data] == [pi.latest_charge, first.id]
    assert [c.id for c in client.v1.charges.list(params={"customer": customer.id}).data] == [
        first.id
    ]
    by_intent = client.v1.charges.list(params={"payment_intent": pi.id}).data
    assert [c.id for c in by_intent] == [pi.latest_charge]

    def search(query: str) -> list[str]:
        return [c.id for c in client.v1.charges.search(params={"query": query}).data]

    assert search("amount>5000") == [pi.latest_charge]
    assert search("metadata['order']:'x'") == [first.id]
    assert search(f"customer:'{customer.id}'") == [first.id]
    assert search("payment_method_details.card.last4:'4242'") == [pi.latest_charge, first.id]
    client.v1.refunds.create(params={"charge": first.id})
    assert search("refunded:'true'") == [first.id]


def test_refunds_are_shown_only_when_expanded(client: stripe.StripeClient) -> None:
    ch = charge(client)
    client.v1.refunds.create(params={"charge": ch.id, "amount": 300})
    assert "refunds" not in client.v1.charges.retrieve(ch.id).to_dict()
    assert "refunds" not in client.v1.charges.list().data[0].to_dict()
    shown = client.v1.charges.retrieve(
        ch.id, params={"expand": ["refunds.data.balance_transaction"]}
    )
    assert shown.refunds.url == f"/v1/charges/{ch.id}/refunds"
    assert [r.amount for r in shown.refunds.data] == [300]
    assert shown.refunds.data[0].balance_transaction.amount == -300
    for event in client.v1.events.list().data:
        if event.data.object.object == "charge":
            assert "refunds" not in event.data.object.to_dict()


def _page(sk: Harness, url: str) -> tuple[int, str]:
    if sk.mode == "http":
        assert url.startswith(sk.base_url)  # absolute, on the address the client used
        response = httpx.get(url)
        return response.status_code, response.text
    answer = sk.sandbox.engine.handle("GET", urlsplit(url).path, "", {}, b"")
    return answer.status, answer.body.decode()


def test_receipt_page(sk: Harness) -> None:
    client = sk.client
    ch = charge(client)
    status, html = _page(sk, ch.receipt_url)
    assert status == 200 and "$20.00" in html and "4242" in html
    status, html = _page(sk, ch.receipt_url.replace(ch.id, "ch_nope"))
    assert status == 404 and "No such charge" in html


def pay(client: stripe.StripeClient, card: str = "pm_card_visa", **params: Any) -> Any:
    return client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method": card, "confirm": True} | params
    )


def event_types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]


# -- charges made by PaymentIntents -----------------------------------------------------------


def test_uncaptured_authorization_expires_after_seven_days(sk: Harness) -> None:
    client = sk.client
    pi = pay(client, capture_method="manual")
    sk.sandbox.advance_clock(6 * DAY)
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_capture"
    sk.sandbox.advance_clock(DAY + 60)
    expired = client.v1.payment_intents.retrieve(pi.id)
    assert expired.status == "canceled" and expired.cancellation_reason == "automatic"
    assert expired.amount_capturable == 0
    charge = client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["refunds"]})
    assert charge.captured is False and charge.refunded is True
    assert charge.amount_refunded == 2000 and charge.balance_transaction is None
    (release,) = charge.refunds.data
    assert release.reason == "expired_uncaptured_charge" and release.balance_transaction is None
    assert [e.data.object.id for e in events_of(client, "charge.expired")] == [charge.id]
    (canceled,) = events_of(client, "payment_intent.canceled")
    assert canceled.request.id is None  # the sandbox did it, not a request
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.capture(pi.id)


def test_bypass_pending_funds_are_available_at_once(client: stripe.StripeClient) -> None:
    pi = pay(client, "pm_card_bypassPending")
    charge = client.v1.charges.retrieve(
        pi.latest_charge, params={"expand": ["balance_transaction"]}
    )
    txn = charge.balance_transaction
    assert txn.status == "available" and txn.available_on <= txn.created
    normal = pay(client)
    other = client.v1.charges.retrieve(
        normal.latest_charge, params={"expand": ["balance_transaction"]}
    )
    assert other.balance_transaction.available_on > other.balance_transaction.created


def test_dispute_card_is_disputed_once_captured(client: stripe.StripeClient) -> None:
    pi = pay(client, "pm_card_createDispute", capture_method="manual")
    assert client.v1.charges.retrieve(pi.latest_charge).disputed is False
    client.v1.payment_intents.capture(pi.id)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.disputed is True and charge.to_dict()["dispute"].startswith("du_")
    types = event_types(client)
    assert types.index("charge.captured") < types.index("charge.dispute.created")
