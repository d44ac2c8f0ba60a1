"""Metadata limits and merge rules (shared by every resource through framework/metadata)."""

from __future__ import annotations

import pytest
import stripe

from conftest import assert_stripe_error


def test_fifty_keys_allowed_fifty_one_refused(client: stripe.StripeClient) -> None:
    fifty = {f"k{i}": "v" for i in range(50)}
    customer = client.v1.customers.create(params={"metadata": fifty})
    assert len(customer.metadata.to_dict()) == 50
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.update(customer.id, params={"metadata": {"one_more": "v"}})
    assert_stripe_error(exc.value, status=400, param="metadata")
    assert "up to 50 keys, but you've set 51" in exc.value.user_message
    assert len(client.v1.customers.retrieve(customer.id).metadata.to_dict()) == 50


def test_key_and_value_lengths(client: stripe.StripeClient) -> None:
    ok = client.v1.customers.create(params={"metadata": {"k" * 40: "v" * 500}})
    assert ok.metadata["k" * 40] == "v" * 500
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"metadata": {"k" * 41: "v"}})
    assert_stripe_error(exc.value, status=400, param="metadata")
    assert "under 40 characters" in exc.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"metadata": {"k": "v" * 501}})
    assert "under 500 characters" in exc.value.user_message


def test_removing_keys_makes_room(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"metadata": {f"k{i}": "v" for i in range(50)}})
    updated = client.v1.customers.update(customer.id, params={"metadata": {"k0": "", "new": "v"}})
    assert "k0" not in updated.metadata and updated.metadata["new"] == "v"
    assert len(updated.metadata.to_dict()) == 50
