"""Connect's money coming back: transfer reversals, application fee refunds, and refunds
of destination and direct charges that reverse the transfer or refund the fee. Each test
asserts both accounts' balances to the cent."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import assert_stripe_error

CARD_FEE_10000 = 320  # Stripe's 2.9% + 30 on 100.00


def _connected(client: stripe.StripeClient) -> stripe.Account:
    return client.v1.accounts.create(
        params={
            "type": "custom",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )


def _as(account: str) -> dict[str, Any]:
    return {"stripe_account": account}


def _available(client: stripe.StripeClient, account: str | None = None) -> int:
    balance = client.v1.balance.retrieve(options=_as(account) if account else None)
    return sum(b.amount for b in balance.available if b.currency == "usd")


def _pay(client: stripe.StripeClient, amount: int, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method": "pm_card_bypassPending",
            "payment_method_types": ["card"],
            "confirm": True,
            **params,
        }
    )


def _types(client: stripe.StripeClient, account: str | None = None) -> list[str]:
    return [e.type for e in client.v1.events.list(options=_as(account) if account else None)]


# -- transfer reversals -----------------------------------------------------------------------


def test_partial_then_full_reversal(client: stripe.StripeClient) -> None:
    account = _connected(client)
    _pay(client, 10_000)
    transfer = client.v1.transfers.create(
        params={"amount": 4_000, "currency": "usd", "destination": account.id}
    )
    assert (_available(client), _available(client, account.id)) == (5_680, 4_000)

    first = client.v1.transfers.reversals.create(
        transfer.id, params={"amount": 1_500, "metadata": {"why": "partial"}}
    )
    assert first.id.startswith("trr_") and first.object == "transfer_reversal"
    assert (first.amount, first.transfer, first.currency) == (1_500, transfer.id, "usd")
    assert first.metadata.to_dict() == {"why": "partial"}
    assert (_available(client), _available(client, account.id)) == (7_180, 2_500)
    txn = client.v1.balance_transactions.retrieve(first.balance_transaction)
    assert (txn.type, txn.amount, txn.net, txn.reporting_category, txn.source) == (
        "transfer_refund",
        1_500,
        1_500,
        "transfer_reversal",
        first.id,
    )
    payment_refund = client.v1.refunds.retrieve(
        first.destination_payment_refund, options=_as(account.id)
    )
    assert payment_refund.amount == 1_500
    assert payment_refund.charge == transfer.destination_payment
    assert payment_refund.source_transfer_reversal == first.id
    their_txn = client.v1.balance_transactions.retrieve(
        payment_refund.balance_transaction, options=_as(account.id)
    )
    assert (their_txn.type, their_txn.amount) == ("payment_refund", -1_500)
    seen = client.v1.transfers.retrieve(transfer.id)
    assert (seen.amount_reversed, seen.reversed) == (1_500, False)
    assert [r.id for r in seen.reversals.data] == [first.id]
    assert _types(client)[:2] == ["transfer.updated", "transfer.reversed"]
    updated_event = client.v1.events.list(params={"type": "transfer.updated"}).data[0]
    assert updated_event.data.previous_attributes.amount_reversed == 0

    rest = client.v1.transfers.reversals.create(transfer.id)  # the remaining amount
    assert rest.amount == 2_500
    assert (_available(client), _available(client, account.id)) == (9_680, 0)
    seen = client.v1.transfers.retrieve(transfer.id)
    assert (seen.amount_reversed, seen.reversed) == (4_000, True)
    payment = client.v1.charges.retrieve(transfer.destination_payment, options=_as(account.id))
    assert (payment.amount_refunded, payment.refunded) == (4_000, True)
    assert "charge.refunded" in _types(client, account.id)

    listed = client.v1.transfers.reversals.list(transfer.id)
    assert [r.id for r in listed.data] == [rest.id, first.id]
    assert client.v1.transfers.reversals.retrieve(transfer.id, first.id).amount == 1_500
    changed = client.v1.transfers.reversals.update(
        transfer.id, first.id, params={"metadata": {"why": "", "note": "x"}}
    )
    assert changed.metadata.to_dict() == {"note": "x"}
    shown = client.v1.transfers.retrieve(transfer.id).reversals.data
    assert [r.metadata.to_dict() for r in shown] == [{}, {"note": "x"}]
    assert _types(client)[0] == "transfer.updated"


def test_reversal_refusals_change_nothing(client: stripe.StripeClient) -> None:
    account = _connected(client)
    _pay(client, 10_000)
    transfer = client.v1.transfers.create(
        params={"amount": 3_000, "currency": "usd", "destination": account.id}
    )
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 3_001})
    assert_stripe_error(too_much.value, status=400, param="amount")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.transfers.reversals.create("tr_missing")
    assert_stripe_error(missing.value, status=404, code="resource_missing", param="id")
    with pytest.raises(stripe.InvalidRequestError) as no_reversal:
        client.v1.transfers.reversals.retrieve(transfer.id, "trr_missing")
    assert_stripe_error(
        no_reversal.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such transfer reversal: 'trr_missing'",
    )
    # The destination pays out most of what it got: a transfer made on its own can be
    # reversed only as far as the destination's balance covers.
    client.v1.payouts.create(params={"amount": 2_000, "currency": "usd"}, options=_as(account.id))
    with pytest.raises(stripe.InvalidRequestError) as broke:
        client.v1.transfers.reversals.create(transfer.id)
    assert_stripe_error(broke.value, status=400, code="balance_insufficient")
    assert client.v1.transfers.reversals.list(transfer.id).data == []
    seen = client.v1.transfers.retrieve(transfer.id)
    assert (seen.amount_reversed, seen.reversed) == (0, False)
    assert (_available(client), _available(client, account.id)) == (6_680, 1_000)
    client.v1.transfers.reversals.create(transfer.id, params={"amount": 1_000})
    assert (_available(client), _available(client, account.id)) == (7_680, 0)


def test_reversing_a_destination_charge_transfer_refunds_the_fee(
    client: stripe.StripeClient,
) -> None:
    account = _connected(client)
    intent = _pay(
        client, 10_000, application_fee_amount=1_000, transfer_data={"destination": account.id}
    )
    charge = client.v1.charges.retrieve(intent.latest_charge)
    platform, theirs = 10_000 - CARD_FEE_10000 - 10_000 + 1_000, 10_000 - 1_000
    assert (_available(client), _available(client, account.id)) == (platform, theirs)
    # The destination pays out everything: a destination charge's transfer can still be
    # reversed, its balance going negative.
    client.v1.payouts.create(params={"amount": theirs, "currency": "usd"}, options=_as(account.id))

    quarter = client.v1.transfers.reversals.create(
        charge.transfer, params={"amount": 2_500, "refund_application_fee": True}
    )
    assert quarter.amount == 2_500
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (250, False)
    [fee_refund] = fee.refunds.data
    assert (fee_refund.object, fee_refund.amount, fee_refund.fee) == ("fee_refund", 250, fee.id)
    assert (_available(client), _available(client, account.id)) == (
        platform + 2_500 - 250,
        -2_500 + 250,
    )
    platform_txn = client.v1.balance_transactions.retrieve(fee_refund.balance_transaction)
    assert (platform_txn.type, platform_txn.amount) == ("application_fee_refund", -250)
    adjustment = client.v1.balance_transactions.list(options=_as(account.id)).data[0]
    assert (adjustment.type, adjustment.amount, adjustment.reporting_category) == (
        "adjustment",
        250,
        "fee",
    )
    assert "application_fee.refunded" in _types(client)

    client.v1.transfers.reversals.create(charge.transfer, params={"refund_application_fee": True})
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (1_000, True)
    # Both sides are back where they were before the transfer and its fee.
    assert (_available(client), _available(client, account.id)) == (
        10_000 - CARD_FEE_10000,
        -theirs,
    )


# -- application fee refunds ------------------------------------------------------------------


def _direct_charge_with_fee(client: stripe.StripeClient, account: str, fee: int) -> str:
    """A connected account's own charge of 100.00 paying the platform `fee`: the fee id."""
    intent = client.v1.payment_intents.create(
        params={
            "amount": 10_000,
            "currency": "usd",
            "payment_method": "pm_card_bypassPending",
            "payment_method_types": ["card"],
            "confirm": True,
            "application_fee_amount": fee,
        },
        options=_as(account),
    )
    charge = client.v1.charges.retrieve(intent.latest_charge, options=_as(account))
    return str(charge.application_fee)


def test_application_fee_refunds(client: stripe.StripeClient) -> None:
    account = _connected(client)
    fee_id = _direct_charge_with_fee(client, account.id, 800)
    theirs = 10_000 - CARD_FEE_10000 - 800
    assert (_available(client), _available(client, account.id)) == (800, theirs)

    first = client.v1.application_fees.refunds.create(
        fee_id, params={"amount": 300, "metadata": {"reason": "goodwill"}}
    )
    assert first.id.startswith("fr_")
    assert (first.amount, first.fee, first.currency) == (300, fee_id, "usd")
    assert (_available(client), _available(client, account.id)) == (500, theirs + 300)
    fee = client.v1.application_fees.retrieve(fee_id)
    assert (fee.amount_refunded, fee.refunded) == (300, False)
    event = client.v1.events.list(params={"type": "application_fee.refunded"}).data[0]
    assert event.data.object.id == fee_id
    assert event.data.previous_attributes.amount_refunded == 0

    changed = client.v1.application_fees.refunds.update(
        fee_id, first.id, params={"metadata": {"ticket": "9"}}
    )
    assert changed.metadata.to_dict() == {"reason": "goodwill", "ticket": "9"}
    assert client.v1.application_fees.retrieve(fee_id).refunds.data[0].metadata.ticket == "9"
    updated = client.v1.events.list(params={"type": "application_fee.refund.updated"}).data[0]
    assert updated.data.object.id == first.id
    assert updated.data.previous_attributes.metadata.to_dict() == {"ticket": None}

    rest = client.v1.application_fees.refunds.create(fee_id)
    assert rest.amount == 500
    assert (_available(client), _available(client, account.id)) == (0, theirs + 800)
    listed = client.v1.application_fees.refunds.list(fee_id)
    assert [r.id for r in listed.data] == [rest.id, first.id]
    assert client.v1.application_fees.refunds.retrieve(fee_id, first.id).amount == 300
    fee = client.v1.application_fees.retrieve(fee_id)
    assert (fee.amount_refunded, fee.refunded) == (800, True)


def test_legacy_fee_refund_answers_the_fee(client: stripe.StripeClient) -> None:
    account = _connected(client)
    fee_id = _direct_charge_with_fee(client, account.id, 400)
    response = client.raw_request("post", f"/v1/application_fees/{fee_id}/refund", amount=150)
    fee = client.deserialize(response, api_mode="V1")
    assert (fee.object, fee.id, fee.amount_refunded) == ("application_fee", fee_id, 150)
    assert _available(client) == 250


def test_fee_refund_refusals_change_nothing(client: stripe.StripeClient) -> None:
    account = _connected(client)
    fee_id = _direct_charge_with_fee(client, account.id, 500)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.application_fees.refunds.create(fee_id, params={"amount": 501})
    assert_stripe_error(too_much.value, status=400, param="amount")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.application_fees.refunds.create("fee_missing")
    assert_stripe_error(
        missing.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such application fee: 'fee_missing'",
    )
    with pytest.raises(stripe.InvalidRequestError) as no_refund:
        client.v1.application_fees.refunds.retrieve(fee_id, "fr_missing")
    assert_stripe_error(no_refund.value, status=404, code="resource_missing", param="id")
    assert client.v1.application_fees.refunds.list(fee_id).data == []
    assert (_available(client), _available(client, account.id)) == (
        500,
        10_000 - CARD_FEE_10000 - 500,
    )
    client.v1.application_fees.refunds.create(fee_id)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.application_fees.refunds.create(fee_id)
    assert_stripe_error(again.value, status=400)
    assert _available(client) == 0


# -- refunds of Connect charges ---------------------------------------------------------------


def test_destination_charge_refund_reverses_transfer_and_fee(client: stripe.StripeClient) -> None:
    account = _connected(client)
    intent = _pay(
        client, 10_000, application_fee_amount=1_000, transfer_data={"destination": account.id}
    )
    charge = client.v1.charges.retrieve(intent.latest_charge)
    platform, theirs = 10_000 - CARD_FEE_10000 - 10_000 + 1_000, 9_000

    refund = client.v1.refunds.create(
        params={
            "payment_intent": intent.id,
            "amount": 4_000,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )
    reversal = client.v1.transfers.reversals.retrieve(charge.transfer, refund.transfer_reversal)
    assert (reversal.amount, reversal.source_refund) == (4_000, refund.id)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert fee.amount_refunded == 400
    # Platform: pays 4000 to the customer, gets 4000 back from the transfer, gives 400
    # of its fee back. Destination: 4000 taken back, 400 of the fee returned.
    platform, theirs = platform - 4_000 + 4_000 - 400, theirs - 4_000 + 400
    assert (_available(client), _available(client, account.id)) == (platform, theirs)

    rest = client.v1.refunds.create(
        params={
            "payment_intent": intent.id,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )
    assert rest.amount == 6_000
    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (10_000, True)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (1_000, True)
    assert (_available(client), _available(client, account.id)) == (-CARD_FEE_10000, 0)
    types = _types(client)
    assert {"charge.refunded", "transfer.reversed", "application_fee.refunded"} <= set(types)


def test_plain_refund_of_a_destination_charge_is_the_platforms(
    client: stripe.StripeClient,
) -> None:
    account = _connected(client)
    intent = _pay(client, 3_000, transfer_data={"destination": account.id})
    assert _available(client) == -117  # Stripe's fee on 30.00, the rest transferred
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "succeeded" and refund.transfer_reversal is None
    # The destination keeps what it got; the platform's balance goes negative.
    assert (_available(client), _available(client, account.id)) == (-3_117, 3_000)
    assert (
        client.v1.transfers.retrieve(
            client.v1.charges.retrieve(intent.latest_charge).transfer
        ).amount_reversed
        == 0
    )


def test_direct_charge_refund_gives_the_fee_back(client: stripe.StripeClient) -> None:
    account = _connected(client)
    fee_id = _direct_charge_with_fee(client, account.id, 1_000)
    fee = client.v1.application_fees.retrieve(fee_id)
    theirs = 10_000 - CARD_FEE_10000 - 1_000
    client.v1.refunds.create(
        params={"charge": fee.charge, "amount": 5_000, "refund_application_fee": True},
        options=_as(account.id),
    )
    assert client.v1.application_fees.retrieve(fee_id).amount_refunded == 500
    assert (_available(client), _available(client, account.id)) == (500, theirs - 5_000 + 500)


def test_reverse_transfer_without_a_transfer_changes_nothing(
    client: stripe.StripeClient,
) -> None:
    intent = _pay(client, 2_000)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create(params={"payment_intent": intent.id, "reverse_transfer": True})
    assert_stripe_error(exc.value, status=400, param="reverse_transfer")
    assert client.v1.refunds.list().data == []
    assert _available(client) == 2_000 - 88
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0
