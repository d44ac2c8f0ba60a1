"""Refunds through the official SDK, in both modes: refund math against the balance, the
refusals, the charge-scoped legacy routes, events, and the refundFail card."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error


def pay(client: stripe.StripeClient, card: str = "pm_card_visa", **params: Any) -> Any:
    return client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "usd",
            "payment_method": card,
            "confirm": True,
            **params,
        }
    )


def events_of(client: stripe.StripeClient, type_: str) -> list[Any]:
    return client.v1.events.list(params={"type": type_}).data


def usd_balance(client: stripe.StripeClient) -> int:
    """Available plus pending, in cents: what every transaction's net adds up to."""
    balance = client.v1.balance.retrieve()
    return sum(
        entry.amount for entry in (*balance.available, *balance.pending) if entry.currency == "usd"
    )


def test_partial_refunds_add_up_and_move_the_balance(client: stripe.StripeClient) -> None:
    start = usd_balance(client)
    pi = pay(client)
    charge_txn = client.v1.balance_transactions.retrieve(
        client.v1.charges.retrieve(pi.latest_charge).balance_transaction
    )
    assert usd_balance(client) - start == charge_txn.net == 5000 - 175

    first = client.v1.refunds.create(
        params={
            "charge": pi.latest_charge,
            "amount": 1500,
            "reason": "duplicate",
            "metadata": {"p": "1"},
        }
    )
    assert first.id.startswith("re_") and first.object == "refund"
    assert first.amount == 1500 and first.status == "succeeded" and first.reason == "duplicate"
    assert first.charge == pi.latest_charge and first.payment_intent == pi.id
    assert first.payment_method == pi.payment_method and first.currency == "usd"
    assert first.metadata.to_dict() == {"p": "1"}
    assert first.destination_details.type == "card"
    assert first.destination_details.card.type == "refund"
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 1500 and charge.refunded is False

    second = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 700})
    rest = client.v1.refunds.create(params={"payment_intent": pi.id})
    assert rest.amount == 5000 - 1500 - 700
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 5000 and charge.refunded is True

    nets = [
        client.v1.balance_transactions.retrieve(r.balance_transaction).net
        for r in (first, second, rest)
    ]
    assert nets == [-1500, -700, -2800]
    for refund in (first, second, rest):
        txn = client.v1.balance_transactions.retrieve(refund.balance_transaction)
        assert txn.type == "refund" and txn.fee == 0 and txn.source == refund.id
    # Stripe keeps its fee: the balance ends where it began, less the fee.
    assert usd_balance(client) - start == charge_txn.net + sum(nets) == -175

    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 1})
    assert_stripe_error(
        done.value,
        status=400,
        code="charge_already_refunded",
        message=f"Charge {pi.latest_charge} has already been refunded.",
    )
    created = [e.data.object.id for e in events_of(client, "refund.created")]
    assert created == [rest.id, second.id, first.id]
    refunded = events_of(client, "charge.refunded")
    assert len(refunded) == 3 and refunded[0].data.object.refunded is True
    assert refunded[-1].data.previous_attributes.amount_refunded == 0


def test_refund_of_a_partially_captured_charge(client: stripe.StripeClient) -> None:
    pi = pay(client, capture_method="manual")
    client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 3000})
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    assert refund.amount == 3000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 3000


def test_over_refund_and_bad_amounts(client: stripe.StripeClient) -> None:
    pi = pay(client, amount=3200)
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 700})
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 3000})
    assert_stripe_error(
        over.value,
        status=400,
        param="amount",
        message="Refund amount ($30.00) is greater than unrefunded amount on charge ($25.00)",
    )
    for amount in (0, -5):
        with pytest.raises(stripe.InvalidRequestError) as bad:
            client.v1.refunds.create(params={"payment_intent": pi.id, "amount": amount})
        assert_stripe_error(bad.value, status=400, param="amount")
    with pytest.raises(stripe.InvalidRequestError) as reason:
        client.v1.refunds.create(params={"payment_intent": pi.id, "reason": "bored"})
    assert_stripe_error(reason.value, status=400, param="reason")
    assert client.v1.charges.retrieve(pi.latest_charge).amount_refunded == 700


def test_what_cannot_be_refunded(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as neither:
        client.v1.refunds.create(params={"amount": 100})
    assert_stripe_error(
        neither.value,
        status=400,
        message="One of the following params should be provided for this request: "
        "payment_intent or charge.",
    )
    with pytest.raises(stripe.InvalidRequestError) as charge:
        client.v1.refunds.create(params={"charge": "ch_unknown"})
    assert_stripe_error(
        charge.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such charge: 'ch_unknown'",
    )
    with pytest.raises(stripe.InvalidRequestError) as intent:
        client.v1.refunds.create(params={"payment_intent": "pi_unknown"})
    assert_stripe_error(intent.value, status=400, code="resource_missing", param="payment_intent")

    held = pay(client, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as uncaptured:
        client.v1.refunds.create(params={"charge": held.latest_charge, "amount": 100})
    assert_stripe_error(uncaptured.value, status=400)
    assert f"created by a PaymentIntent ({held.id})" in str(uncaptured.value)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": held.id})

    open_intent = client.v1.payment_intents.create(params={"amount": 900, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as unpaid:
        client.v1.refunds.create(params={"payment_intent": open_intent.id})
    assert_stripe_error(unpaid.value, status=400, param="payment_intent")

    paid = pay(client)
    with pytest.raises(stripe.InvalidRequestError) as mismatch:
        client.v1.refunds.create(params={"payment_intent": paid.id, "charge": held.latest_charge})
    assert_stripe_error(mismatch.value, status=400, param="charge")

    with pytest.raises(stripe.CardError) as declined:
        pay(client, "pm_card_chargeDeclined")
    failed = declined.value.json_body["error"]["charge"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"charge": failed})
    assert client.v1.refunds.list().data == []


def test_disputed_charge_cannot_be_refunded(client: stripe.StripeClient) -> None:
    pi = pay(client, "pm_card_createDispute")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create(params={"payment_intent": pi.id})
    assert_stripe_error(exc.value, status=400, code="charge_disputed")
    # An inquiry takes no money: that charge can still be refunded.
    inquiry = pay(client, "pm_card_createDisputeInquiry")
    assert client.v1.refunds.create(params={"payment_intent": inquiry.id}).amount == 5000


def test_legacy_uncaptured_charge_refund_releases_it(client: stripe.StripeClient) -> None:
    held = client.v1.charges.create(
        params={"amount": 2000, "currency": "usd", "source": "tok_visa", "capture": False}
    )
    with pytest.raises(stripe.InvalidRequestError) as partial:
        client.v1.refunds.create(params={"charge": held.id, "amount": 500})
    assert_stripe_error(partial.value, status=400, param="amount")
    release = client.v1.refunds.create(params={"charge": held.id})
    assert release.amount == 2000 and release.balance_transaction is None
    assert release.destination_details.card.type == "reversal"
    charge = client.v1.charges.retrieve(held.id)
    assert charge.refunded is True and charge.amount_refunded == 2000 and not charge.captured
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"charge": held.id})
    assert_stripe_error(again.value, status=400, code="charge_already_refunded")


def test_retrieve_update_cancel_list(client: stripe.StripeClient) -> None:
    pi = pay(client)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    assert client.v1.refunds.retrieve(refund.id).to_dict() == refund.to_dict()
    updated = client.v1.refunds.update(refund.id, params={"metadata": {"k": "v"}})
    assert updated.metadata.to_dict() == {"k": "v"}
    (event,) = events_of(client, "refund.updated")
    assert event.data.previous_attributes.metadata.to_dict() == {"k": None}
    assert events_of(client, "charge.refund.updated")[0].data.object.id == refund.id
    shown = client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["refunds"]})
    assert shown.refunds.data[0].metadata.to_dict() == {"k": "v"}
    with pytest.raises(stripe.InvalidRequestError) as cancel:
        client.v1.refunds.cancel(refund.id)
    assert_stripe_error(cancel.value, status=400, message="Canceling this refund is unsupported.")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.refunds.retrieve("re_nope")
    assert_stripe_error(missing.value, status=404, code="resource_missing", param="refund")

    other = pay(client)
    second = client.v1.refunds.create(params={"payment_intent": other.id})
    assert [r.id for r in client.v1.refunds.list().data] == [second.id, refund.id]
    by_charge = client.v1.refunds.list(params={"charge": pi.latest_charge}).data
    assert [r.id for r in by_charge] == [refund.id]
    by_intent = client.v1.refunds.list(params={"payment_intent": other.id}).data
    assert [r.id for r in by_intent] == [second.id]
    since = client.v1.refunds.list(params={"created": {"gte": second.created}}).data
    assert second.id in [r.id for r in since]


def test_charge_scoped_routes(sk: Harness) -> None:
    client = sk.client
    pi = pay(client, amount=4100)
    charge_id = pi.latest_charge
    legacy = sk.raw("POST", f"/v1/charges/{charge_id}/refund", body="amount=800")
    assert legacy.status == 200 and legacy.body["object"] == "charge"
    assert legacy.body["amount_refunded"] == 800 and "refunds" not in legacy.body
    created = sk.raw("POST", f"/v1/charges/{charge_id}/refunds", body="amount=300&metadata[a]=b")
    assert created.status == 200 and created.body["amount"] == 300
    refund_id = created.body["id"]
    listed = sk.raw("GET", f"/v1/charges/{charge_id}/refunds")
    assert listed.status == 200 and listed.body["url"] == f"/v1/charges/{charge_id}/refunds"
    assert [r["amount"] for r in listed.body["data"]] == [300, 800]
    one = sk.raw("GET", f"/v1/charges/{charge_id}/refunds/{refund_id}")
    assert one.status == 200 and one.body["metadata"] == {"a": "b"}
    changed = sk.raw("POST", f"/v1/charges/{charge_id}/refunds/{refund_id}", body="metadata[a]=")
    assert changed.status == 200 and changed.body["metadata"] == {}

    other = pay(client)
    wrong = sk.raw("GET", f"/v1/charges/{other.latest_charge}/refunds/{refund_id}")
    assert wrong.status == 404 and wrong.body["error"]["param"] == "refund"
    assert wrong.body["error"]["message"] == f"No such refund: '{refund_id}'"
    gone = sk.raw("GET", "/v1/charges/ch_nope/refunds")
    assert gone.status == 404 and gone.body["error"]["code"] == "resource_missing"
    over = sk.raw("POST", f"/v1/charges/{charge_id}/refunds", body="amount=999999")
    assert over.status == 400 and over.body["error"]["param"] == "amount"
    assert client.v1.charges.retrieve(charge_id).amount_refunded == 1100


def test_refund_fail_card_fails_later(sk: Harness) -> None:
    client = sk.client
    start = usd_balance(client)
    pi = pay(client, "pm_card_refundFail", amount=3000)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    assert refund.status == "succeeded"
    after_refund = usd_balance(client)
    assert client.v1.charges.retrieve(pi.latest_charge).refunded is True

    sk.sandbox.advance_clock(120)
    failed = client.v1.refunds.retrieve(refund.id)
    assert failed.status == "failed" and failed.failure_reason == "expired_or_canceled_card"
    txn = client.v1.balance_transactions.retrieve(failed.failure_balance_transaction)
    assert txn.amount == 3000 and txn.type == "refund_failure" and txn.source == refund.id
    assert usd_balance(client) - after_refund == 3000
    assert usd_balance(client) - start == 3000 - 117  # the charge's net is back
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 0 and charge.refunded is False
    assert [e.data.object.id for e in events_of(client, "refund.failed")] == [refund.id]
    (update,) = events_of(client, "charge.refund.updated")
    assert update.data.object.status == "failed"
    assert update.data.previous_attributes.status == "succeeded"
    # The money can be refunded again (to another card, in real life).
    assert client.v1.refunds.create(params={"payment_intent": pi.id}).amount == 3000


def test_expand_refunds(client: stripe.StripeClient) -> None:
    pi = pay(client)
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    charge = client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["refunds"]})
    assert [r.amount for r in charge.refunds.data] == [100]
    assert charge.refunds.has_more is False and isinstance(
        charge.refunds.data[0].balance_transaction, str
    )
    deeper = client.v1.charges.retrieve(
        pi.latest_charge, params={"expand": ["refunds.data.balance_transaction"]}
    )
    assert deeper.refunds.data[0].balance_transaction.amount == -100
