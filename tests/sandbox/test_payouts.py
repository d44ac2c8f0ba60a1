"""Payouts through the official SDK, in both modes: drawn from the available balance, sent
to the default test bank account, moving pending -> in_transit -> paid as sandbox time
passes, cancellable while pending."""

from __future__ import annotations

import pytest
import stripe
from test_balance import DAY, all_transactions, assert_books_balance, balance_of, charge

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework import ledger

FUNDS = 10_000 - ledger.card_fee(10_000, "usd")


def funded(sk: Harness) -> stripe.StripeClient:
    charge(sk, 10_000)  # available at once
    return sk.client


def _weekday(timestamp: int) -> int:
    return (timestamp // DAY + 3) % 7


def test_create_has_stripe_shape_and_draws_on_the_balance(sk: Harness) -> None:
    client = funded(sk)
    payout = client.v1.payouts.create(
        params={
            "amount": 4_000,
            "currency": "usd",
            "description": "Weekly",
            "statement_descriptor": "ACME PAYOUT",
            "metadata": {"batch": "7"},
        }
    )
    assert payout.id.startswith("po_") and len(payout.id) == 27
    assert payout.object == "payout" and payout.livemode is False
    assert (payout.amount, payout.currency, payout.status) == (4_000, "usd", "pending")
    assert payout.automatic is False and payout.method == "standard"
    assert payout.type == "bank_account" and payout.source_type == "card"
    assert payout.reconciliation_status == "not_applicable"
    assert payout.description == "Weekly" and payout.statement_descriptor == "ACME PAYOUT"
    assert payout.metadata.to_dict() == {"batch": "7"}
    assert payout.destination.startswith("ba_")
    assert payout.failure_balance_transaction is None and payout.failure_code is None
    assert payout.original_payout is None and payout.reversed_by is None
    assert payout.trace_id.to_dict() == {"status": "pending", "value": None}
    # Two business days on, at midnight UTC.
    assert payout.arrival_date % DAY == 0
    assert payout.arrival_date - payout.created < 5 * DAY
    assert _weekday(payout.arrival_date) < 5

    txn = client.v1.balance_transactions.retrieve(payout.balance_transaction)
    assert (txn.amount, txn.fee, txn.net) == (-4_000, 0, -4_000)
    assert txn.type == "payout" and txn.reporting_category == "payout"
    assert txn.source == payout.id and txn.status == "available"
    assert txn.available_on == payout.created
    assert balance_of(client) == (FUNDS - 4_000, 0)
    assert_books_balance(client)
    [event] = client.v1.events.list(params={"type": "payout.created"}).data
    assert event.data.object.id == payout.id
    assert client.v1.payouts.retrieve(payout.id).to_dict() == payout.to_dict()


def test_every_payout_goes_to_the_same_bank_account(sk: Harness) -> None:
    client = funded(sk)
    first = client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    second = client.v1.payouts.create(
        params={"amount": 100, "currency": "usd", "destination": first.destination}
    )
    assert second.destination == first.destination
    expanded = client.v1.payouts.retrieve(first.id, params={"expand": ["destination"]})
    bank = expanded.destination.to_dict()
    assert bank["object"] == "bank_account" and bank["id"] == first.destination
    assert bank["bank_name"] == "STRIPE TEST BANK" and bank["last4"] == "6789"
    assert bank["currency"] == "usd" and bank["country"] == "US"
    assert bank["default_for_currency"] is True
    assert "created" not in bank  # Stripe's bank account has no creation time
    with_txn = client.v1.payouts.retrieve(first.id, params={"expand": ["balance_transaction"]})
    assert with_txn.balance_transaction.amount == -100
    other = sk.make_client(sk.new_key())  # another account has its own bank account
    assert other.v1.payouts.list().data == []


def test_status_moves_with_sandbox_time(sk: Harness) -> None:
    client = funded(sk)
    payout = client.v1.payouts.create(params={"amount": 1_000, "currency": "usd"})
    next_midnight = (payout.created // DAY + 1) * DAY
    sk.sandbox.advance_clock(next_midnight - payout.created)
    in_transit = client.v1.payouts.retrieve(payout.id)
    assert in_transit.status == "in_transit"
    [updated] = client.v1.events.list(params={"type": "payout.updated"}).data
    assert updated.created == next_midnight
    assert updated.data.previous_attributes.to_dict() == {"status": "pending"}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.cancel(payout.id)
    assert_stripe_error(exc.value, status=400)
    assert "in_transit" in exc.value.user_message

    sk.sandbox.advance_clock(payout.arrival_date - next_midnight)
    paid = client.v1.payouts.retrieve(payout.id)
    assert paid.status == "paid"
    assert paid.trace_id.status != "pending"
    [event] = client.v1.events.list(params={"type": "payout.paid"}).data
    assert event.created == payout.arrival_date and event.data.object.status == "paid"
    assert balance_of(client) == (FUNDS - 1_000, 0)  # paying out moves no more money
    sk.sandbox.advance_clock(10 * DAY)
    assert len(client.v1.events.list(params={"type": "payout.*"}).data) == 3


def test_instant_payout_arrives_at_once(sk: Harness) -> None:
    client = funded(sk)
    payout = client.v1.payouts.create(
        params={"amount": 500, "currency": "usd", "method": "instant"}
    )
    assert payout.method == "instant" and payout.arrival_date == payout.created
    assert payout.status == "pending"
    assert client.v1.payouts.retrieve(payout.id).status == "paid"


def test_cancel_gives_the_money_back(sk: Harness) -> None:
    client = funded(sk)
    payout = client.v1.payouts.create(params={"amount": 3_000, "currency": "usd"})
    assert balance_of(client) == (FUNDS - 3_000, 0)
    canceled = client.v1.payouts.cancel(payout.id)
    assert canceled.status == "canceled"
    assert canceled.failure_balance_transaction.startswith("txn_")
    reversal = client.v1.balance_transactions.retrieve(canceled.failure_balance_transaction)
    assert (reversal.amount, reversal.net) == (3_000, 3_000)
    assert reversal.type == "payout_cancel" and reversal.reporting_category == "payout_reversal"
    assert reversal.source == payout.id and reversal.status == "available"
    assert balance_of(client) == (FUNDS, 0)
    assert_books_balance(client)
    [event] = client.v1.events.list(params={"type": "payout.canceled"}).data
    assert event.data.object.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.cancel(payout.id)
    assert_stripe_error(exc.value, status=400)
    sk.sandbox.advance_clock(5 * DAY)  # its timers find nothing to do
    assert client.v1.payouts.retrieve(payout.id).status == "canceled"


def test_only_available_funds_can_be_paid_out(sk: Harness) -> None:
    client = sk.client
    charge(sk, 10_000, available=False)
    message = (
        "You have insufficient funds in your Stripe account for this transfer. Your card "
        "balance is too low.  You can use the /v1/balance endpoint to view your Stripe "
        "balance (for more details, see stripe.com/docs/api#balance)."
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    assert_stripe_error(exc.value, status=400, code="balance_insufficient", message=message)
    charge(sk, 1_000)
    available = 1_000 - ledger.card_fee(1_000, "usd")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.create(params={"amount": available + 1, "currency": "usd"})
    assert_stripe_error(exc.value, status=400, code="balance_insufficient")
    exact = client.v1.payouts.create(params={"amount": available, "currency": "usd"})
    assert exact.status == "pending"
    assert balance_of(client)[0] == 0
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.create(
            params={"amount": 1, "currency": "usd", "source_type": "bank_account"}
        )
    assert_stripe_error(exc.value, status=400, code="balance_insufficient")
    assert [p.id for p in client.v1.payouts.list().data] == [exact.id]
    assert [e.type for e in client.v1.events.list(params={"type": "payout.*"}).data] == [
        "payout.created"
    ]


def test_bad_inputs(sk: Harness) -> None:
    client = funded(sk)
    for amount in (0, -5):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.payouts.create(params={"amount": amount, "currency": "usd"})
        assert_stripe_error(
            exc.value,
            status=400,
            code="parameter_invalid_integer",
            param="amount",
            message="This value must be greater than or equal to 1.",
        )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.create(params={"amount": 100, "currency": "eur"})
    assert_stripe_error(
        exc.value,
        status=400,
        param="currency",
        message="Sorry, you don't have any external accounts in that currency (eur).",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.create(params={"amount": 100, "currency": "us1"})
    assert_stripe_error(exc.value, status=400, param="currency")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.create(
            params={"amount": 100, "currency": "usd", "destination": "ba_missing"}
        )
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="destination")
    for body, param in (
        ("currency=usd", "amount"),
        ("amount=100", "currency"),
        ("amount=ten&currency=usd", "amount"),
        ("amount=100&currency=usd&method=express", "method"),
        ("amount=100&currency=usd&statement_descriptor=" + "x" * 23, "statement_descriptor"),
        ("amount=100&currency=usd&source_type=crypto", "source_type"),
        ("amount=100&currency=usd&bogus=1", "bogus"),
        ("amount=100&currency=usd&payout_method=fa_123", "payout_method"),
    ):
        response = sk.raw("POST", "/v1/payouts", body=body)
        assert response.status == 400, body
        assert response.body["error"]["param"] == param, body
    assert client.v1.payouts.list().data == []
    assert balance_of(client) == (FUNDS, 0)


def test_update_changes_metadata_only(sk: Harness) -> None:
    client = funded(sk)
    payout = client.v1.payouts.create(
        params={"amount": 100, "currency": "usd", "metadata": {"a": "1"}}
    )
    updated = client.v1.payouts.update(payout.id, params={"metadata": {"a": "", "b": "2"}})
    assert updated.metadata.to_dict() == {"b": "2"}
    [event] = client.v1.events.list(params={"type": "payout.updated"}).data
    assert event.data.previous_attributes.to_dict() == {"metadata": {"a": "1", "b": None}}
    response = sk.raw("POST", f"/v1/payouts/{payout.id}", body="description=changed")
    assert response.status == 400 and response.body["error"]["code"] == "parameter_unknown"


def test_missing_payout(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.payouts.retrieve("po_missing"),
        lambda: client.v1.payouts.update("po_missing", params={"metadata": {"a": "b"}}),
        lambda: client.v1.payouts.cancel("po_missing"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(
            exc.value,
            status=404,
            code="resource_missing",
            param="payout",
            message="No such payout: 'po_missing'",
        )


def test_list_filters_and_pagination(sk: Harness) -> None:
    client = funded(sk)
    first = client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    second = client.v1.payouts.create(params={"amount": 200, "currency": "usd"})
    client.v1.payouts.cancel(second.id)
    sk.sandbox.advance_clock(5 * DAY)  # paid, whatever the weekday
    third = client.v1.payouts.create(params={"amount": 300, "currency": "usd"})

    assert [p.id for p in client.v1.payouts.list().data] == [third.id, second.id, first.id]
    by_status = client.v1.payouts.list(params={"status": "canceled"}).data
    assert [p.id for p in by_status] == [second.id]
    assert [p.id for p in client.v1.payouts.list(params={"status": "paid"}).data] == [first.id]
    assert client.v1.payouts.list(params={"status": "exploded"}).data == []
    assert len(client.v1.payouts.list(params={"destination": first.destination}).data) == 3
    assert client.v1.payouts.list(params={"destination": "ba_other"}).data == []
    late = client.v1.payouts.list(params={"created": {"gt": second.created}}).data
    assert [p.id for p in late] == [third.id]

    arriving = client.v1.payouts.list(params={"arrival_date": {"gte": third.arrival_date}}).data
    assert [p.id for p in arriving] == [third.id]
    exactly = client.v1.payouts.list(params={"arrival_date": first.arrival_date}).data
    assert [p.id for p in exactly] == [second.id, first.id]
    page = client.v1.payouts.list(params={"arrival_date": {"gt": 0}, "limit": 2})
    assert [p.id for p in page.data] == [third.id, second.id] and page.has_more is True
    rest = client.v1.payouts.list(params={"arrival_date": {"gt": 0}, "starting_after": second.id})
    assert [p.id for p in rest.data] == [first.id] and rest.has_more is False
    back = client.v1.payouts.list(params={"arrival_date": {"gt": 0}, "ending_before": first.id})
    assert [p.id for p in back.data] == [third.id, second.id]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.list(params={"arrival_date": {"gt": 0}, "starting_after": "po_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payouts.list(params={"starting_after": "po_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")
    bad = sk.raw("GET", "/v1/payouts", query="arrival_date[gt]=soon")
    assert bad.status == 400 and bad.body["error"]["param"] == "arrival_date[gt]"


def test_payouts_are_in_the_books(sk: Harness) -> None:
    client = funded(sk)
    payout = client.v1.payouts.create(params={"amount": 2_500, "currency": "usd"})
    client.v1.payouts.cancel(
        client.v1.payouts.create(params={"amount": 1_000, "currency": "usd"}).id
    )
    types = sorted(t.type for t in all_transactions(client))
    assert types == ["charge", "payout", "payout", "payout_cancel"]
    assert balance_of(client) == (FUNDS - payout.amount, 0)
    assert_books_balance(client)
