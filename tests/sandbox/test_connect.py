"""Connect: connected accounts, acting as one with `Stripe-Account` (the SDK's
`stripe_account` option), transfers, destination and direct charges with application fees,
and Connect webhook endpoints hearing connected accounts' events."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error

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
