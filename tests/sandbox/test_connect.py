"""Connect: connected accounts, acting as one with `Stripe-Account` (the SDK's
`stripe_account` option), transfers, destination and direct charges with application fees,
and Connect webhook endpoints hearing connected accounts' events."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox import Sandbox

FOREIGN_MESSAGE = (
    "The provided key does not have access to account '{}' (or that account does not "
    "exist). Application access may have been revoked."
)


def _connected(client: stripe.StripeClient, **params: Any) -> stripe.Account:
    return client.v1.accounts.create(
        params={
            "type": "custom",
            "country": "US",
            "email": "seller@example.com",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            **params,
        }
    )


def _as(account: str) -> dict[str, Any]:
    return {"stripe_account": account}


# -- connected accounts ---------------------------------------------------------------------


def test_create_retrieve_update_list_delete_account(client: stripe.StripeClient) -> None:
    account = _connected(client, metadata={"shop": "42"})
    assert account.id.startswith("acct_")
    assert account.type == "custom"
    assert account.controller.type == "application"
    assert account.capabilities.card_payments == "active"
    assert account.capabilities.transfers == "active"
    assert account.charges_enabled and account.payouts_enabled
    assert account.email == "seller@example.com" and account.country == "US"
    assert client.v1.accounts.retrieve(account.id).metadata.to_dict() == {"shop": "42"}

    updated = client.v1.accounts.update(
        account.id, params={"email": "new@example.com", "business_profile": {"name": "Shop"}}
    )
    assert updated.email == "new@example.com"
    assert updated.business_profile.name == "Shop"
    event = client.v1.events.list(params={"type": "account.updated"}).data[0]
    assert event.data.object.id == account.id
    assert event.data.previous_attributes.email == "seller@example.com"

    other = _connected(client, type="express")
    listed = client.v1.accounts.list()
    assert [a.id for a in listed.data] == [other.id, account.id]
    assert other.controller.stripe_dashboard.type == "express"

    deleted = client.v1.accounts.delete(account.id)
    assert deleted.deleted is True and deleted.id == account.id
    assert [a.id for a in client.v1.accounts.list().data] == [other.id]
    with pytest.raises(stripe.PermissionError) as exc:
        client.v1.customers.list(options=_as(account.id))
    assert_stripe_error(
        exc.value, status=403, type_="invalid_request_error", code="account_invalid"
    )


def test_account_needs_a_type_or_controller(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.accounts.create(params={"email": "x@example.com"})
    assert_stripe_error(exc.value, status=400, param="type")
    with pytest.raises(stripe.InvalidRequestError) as bad_type:
        client.v1.accounts.create(params={"type": "platform"})
    assert_stripe_error(bad_type.value, status=400, param="type")
    assert client.v1.accounts.list().data == []


def test_controller_instead_of_type(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(
        params={
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "none"},
            }
        }
    )
    assert account.type == "custom"


def test_missing_account(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.accounts.retrieve("acct_missing")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="account",
        message="No such account: 'acct_missing'",
    )


def test_own_account_has_a_stable_id(client: stripe.StripeClient) -> None:
    own = client.v1.accounts.retrieve_current()
    assert own.id.startswith("acct_")
    assert client.v1.accounts.retrieve_current().id == own.id
    assert own.controller.type == "account"
    connected = _connected(client)
    assert connected.id != own.id
    seen_by_connected = client.v1.accounts.retrieve_current(options=_as(connected.id))
    assert seen_by_connected.id == connected.id
    assert seen_by_connected.type == "custom"


def test_account_link_redirects_back(sk: Harness, client: stripe.StripeClient) -> None:
    account = _connected(client)
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "return_url": "https://example.com/back",
            "refresh_url": "https://example.com/refresh",
        }
    )
    assert link.expires_at > link.created
    path = link.url.split("://", 1)[1].split("/", 1)[1]
    page = sk.sandbox.engine.handle("GET", "/" + path, b"", {}, b"")
    assert page.status in (302, 303)
    assert dict(page.headers)["location"] == "https://example.com/back"


# -- acting as a connected account ----------------------------------------------------------


def test_stripe_account_acts_as_the_connected_account(client: stripe.StripeClient) -> None:
    account = _connected(client)
    theirs = client.v1.customers.create(params={"name": "Theirs"}, options=_as(account.id))
    mine = client.v1.customers.create(params={"name": "Mine"})
    assert [c.id for c in client.v1.customers.list(options=_as(account.id)).data] == [theirs.id]
    assert [c.id for c in client.v1.customers.list().data] == [mine.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(theirs.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(mine.id, options=_as(account.id))
    event = client.v1.events.list(options=_as(account.id)).data[0]
    assert event.type == "customer.created" and event.account == account.id
    assert all("account" not in e for e in client.v1.events.list().data)


def test_stripe_account_of_someone_else_is_refused(
    sk: Harness, client: stripe.StripeClient
) -> None:
    other = sk.make_client(sk.new_key())
    theirs = _connected(other)
    for foreign in (theirs.id, "acct_doesnotexist"):
        with pytest.raises(stripe.PermissionError) as exc:
            client.v1.customers.create(params={"name": "x"}, options=_as(foreign))
        assert_stripe_error(
            exc.value,
            status=403,
            type_="invalid_request_error",
            code="account_invalid",
            message=FOREIGN_MESSAGE.format(foreign),
        )
    assert other.v1.customers.list(options=_as(theirs.id)).data == []


def test_idempotency_keys_are_per_acting_account(client: stripe.StripeClient) -> None:
    account = _connected(client)
    mine = client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "same"})
    theirs = client.v1.customers.create(
        params={"name": "A"}, options={"idempotency_key": "same", **_as(account.id)}
    )
    assert mine.id != theirs.id
    again = client.v1.customers.create(
        params={"name": "A"}, options={"idempotency_key": "same", **_as(account.id)}
    )
    assert again.id == theirs.id


# -- transfers --------------------------------------------------------------------------------


def _available(client: stripe.StripeClient, **options: Any) -> int:
    balance = client.v1.balance.retrieve(options=options or None)
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


def test_transfer_moves_available_balance(client: stripe.StripeClient) -> None:
    account = _connected(client)
    _pay(client, 10_000)  # net 10000 - 320 fee, available at once
    assert _available(client) == 9_680
    transfer = client.v1.transfers.create(
        params={
            "amount": 2_500,
            "currency": "usd",
            "destination": account.id,
            "transfer_group": "order-1",
            "metadata": {"order": "1"},
        }
    )
    assert transfer.amount == 2_500 and transfer.destination == account.id
    assert transfer.transfer_group == "order-1" and transfer.reversed is False
    assert _available(client) == 7_180
    assert _available(client, stripe_account=account.id) == 2_500
    txn = client.v1.balance_transactions.retrieve(transfer.balance_transaction)
    assert (txn.type, txn.amount, txn.source) == ("transfer", -2_500, transfer.id)
    theirs = client.v1.balance_transactions.list(options=_as(account.id)).data
    assert [(t.type, t.amount, t.net) for t in theirs] == [("payment", 2_500, 2_500)]
    assert theirs[0].source == transfer.destination_payment
    assert client.v1.transfers.retrieve(transfer.id).metadata.to_dict() == {"order": "1"}
    updated = client.v1.transfers.update(transfer.id, params={"description": "payout share"})
    assert updated.description == "payout share"
    assert [t.id for t in client.v1.transfers.list(params={"destination": account.id})] == [
        transfer.id
    ]
    types = [e.type for e in client.v1.events.list().data]
    assert types[:2] == ["transfer.updated", "transfer.created"]


def test_transfer_beyond_available_balance_is_refused(client: stripe.StripeClient) -> None:
    account = _connected(client)
    _pay(client, 1_000, payment_method="pm_card_visa")  # pending, not available
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.create(
            params={"amount": 500, "currency": "usd", "destination": account.id}
        )
    assert_stripe_error(exc.value, status=400, code="balance_insufficient")
    assert "4000 0000 0000 0077" in exc.value.user_message
    assert client.v1.transfers.list().data == []
    assert _available(client, stripe_account=account.id) == 0


def test_transfer_bad_inputs_change_nothing(sk: Harness, client: stripe.StripeClient) -> None:
    _pay(client, 5_000)
    stranger = _connected(sk.make_client(sk.new_key()))
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": stranger.id}
        )
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="destination",
        message=f"No such destination: '{stranger.id}'",
    )
    account = _connected(client)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.transfers.create(params={"currency": "usd", "destination": account.id})
    assert_stripe_error(missing.value, status=400, code="parameter_missing", param="amount")
    with pytest.raises(stripe.InvalidRequestError) as currency:
        client.v1.transfers.create(
            params={"amount": 100, "currency": "zzz", "destination": account.id}
        )
    assert_stripe_error(currency.value, status=400, param="currency")
    assert client.v1.transfers.list().data == []
    assert _available(client) == 4_825


# -- destination and direct charges -------------------------------------------------------------


def test_destination_charge_with_application_fee(client: stripe.StripeClient) -> None:
    account = _connected(client)
    intent = _pay(
        client,
        10_000,
        application_fee_amount=1_230,
        transfer_data={"destination": account.id},
    )
    assert intent.status == "succeeded"
    assert intent.transfer_data.destination == account.id
    assert intent.application_fee_amount == 1_230
    charge = client.v1.charges.retrieve(intent.latest_charge)
    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount, transfer.destination) == (10_000, account.id)
    assert transfer.source_transaction == charge.id
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.originating_transaction) == (1_230, account.id, charge.id)
    assert fee.charge == transfer.destination_payment
    assert [f.id for f in client.v1.application_fees.list().data] == [fee.id]
    # Platform: +10000 less Stripe's 320, -10000 transferred, +1230 fee.
    assert _available(client) == 10_000 - 320 - 10_000 + 1_230
    # Destination: the payment of 10000 less the platform's fee.
    assert _available(client, stripe_account=account.id) == 10_000 - 1_230
    payment_txn = client.v1.balance_transactions.list(options=_as(account.id)).data[0]
    assert payment_txn.fee == 1_230
    assert payment_txn.fee_details[0].type == "application_fee"
    types = {e.type for e in client.v1.events.list().data}
    assert {"transfer.created", "application_fee.created", "payment_intent.succeeded"} <= types


def test_destination_charge_with_transfer_amount(client: stripe.StripeClient) -> None:
    account = _connected(client)
    intent = _pay(client, 10_000, transfer_data={"destination": account.id, "amount": 8_000})
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert client.v1.transfers.retrieve(charge.transfer).amount == 8_000
    assert charge.application_fee is None
    assert _available(client) == 10_000 - 320 - 8_000
    assert _available(client, stripe_account=account.id) == 8_000
    assert client.v1.application_fees.list().data == []


def test_manual_capture_transfers_on_capture(client: stripe.StripeClient) -> None:
    account = _connected(client)
    intent = _pay(client, 5_000, capture_method="manual", transfer_data={"destination": account.id})
    assert client.v1.transfers.list().data == []
    client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 4_000})
    assert [t.amount for t in client.v1.transfers.list().data] == [4_000]
    assert _available(client, stripe_account=account.id) == 4_000


def test_direct_charge_pays_the_platform_its_fee(client: stripe.StripeClient) -> None:
    account = _connected(client)
    intent = client.v1.payment_intents.create(
        params={
            "amount": 10_000,
            "currency": "usd",
            "payment_method": "pm_card_bypassPending",
            "payment_method_types": ["card"],
            "confirm": True,
            "application_fee_amount": 500,
        },
        options=_as(account.id),
    )
    assert intent.status == "succeeded"
    charge = client.v1.charges.retrieve(intent.latest_charge, options=_as(account.id))
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.charge) == (500, account.id, charge.id)
    assert _available(client) == 500
    assert _available(client, stripe_account=account.id) == 10_000 - 320 - 500
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.retrieve(intent.id)


def test_legacy_charge_with_destination(client: stripe.StripeClient) -> None:
    account = _connected(client)
    charge = client.v1.charges.create(
        params={
            "amount": 2_000,
            "currency": "usd",
            "source": "tok_bypassPending",
            "transfer_data": {"destination": account.id},
            "application_fee_amount": 200,
        }
    )
    assert charge.transfer and charge.application_fee
    assert _available(client, stripe_account=account.id) == 1_800


def test_connect_payment_refusals_change_nothing(sk: Harness, client: stripe.StripeClient) -> None:
    stranger = _connected(sk.make_client(sk.new_key()))
    with pytest.raises(stripe.InvalidRequestError) as foreign:
        _pay(client, 1_000, transfer_data={"destination": stranger.id})
    assert_stripe_error(
        foreign.value, status=400, code="resource_missing", param="transfer_data[destination]"
    )
    with pytest.raises(stripe.InvalidRequestError) as plain_fee:
        _pay(client, 1_000, application_fee_amount=100)
    assert_stripe_error(plain_fee.value, status=400, param="application_fee_amount")
    account = _connected(client)
    with pytest.raises(stripe.InvalidRequestError) as too_big:
        _pay(
            client,
            1_000,
            application_fee_amount=1_001,
            transfer_data={"destination": account.id},
        )
    assert_stripe_error(too_big.value, status=400, param="application_fee_amount")
    assert client.v1.payment_intents.list().data == []
    assert client.v1.transfers.list().data == []
    assert _available(client) == 0


# -- Connect webhooks -------------------------------------------------------------------------


class Recorder:
    """An in-process webhook target checking each signature with the SDK."""

    def __init__(self) -> None:
        self.secret = ""
        self.events: list[stripe.Event] = []

    def __call__(self, payload: bytes, headers: Any) -> int:
        self.events.append(
            stripe.Webhook.construct_event(
                payload.decode(), headers["Stripe-Signature"], self.secret
            )
        )
        return 200


def test_connect_endpoint_hears_connected_accounts_events() -> None:
    with Sandbox(webhook_delivery="sync") as sandbox:
        client = sandbox.client()
        connect_hook, own_hook = Recorder(), Recorder()
        sandbox.mount_webhook_target("http://connect.test", connect_hook)
        sandbox.mount_webhook_target("http://own.test", own_hook)
        connect_hook.secret = client.v1.webhook_endpoints.create(
            params={"url": "http://connect.test/h", "enabled_events": ["*"], "connect": True}
        ).secret
        own_hook.secret = client.v1.webhook_endpoints.create(
            params={"url": "http://own.test/h", "enabled_events": ["*"]}
        ).secret
        account = _connected(client)
        customer = client.v1.customers.create(params={"name": "c"}, options=_as(account.id))
        client.v1.customers.create(params={"name": "platform's own"})
        assert [(e.type, e.account) for e in connect_hook.events] == [
            ("customer.created", account.id)
        ]
        assert connect_hook.events[0].data.object.id == customer.id
        assert [e.type for e in own_hook.events] == ["account.updated", "customer.created"]
        assert all("account" not in e for e in own_hook.events)
        deliveries = sandbox.webhook_deliveries()
        assert {d["status"] for d in deliveries} == {"succeeded"}
        connected_event = client.v1.events.list(options=_as(account.id)).data[0]
        assert connected_event.pending_webhooks == 0
