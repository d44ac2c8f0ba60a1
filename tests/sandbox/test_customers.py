"""Customers through the official SDK, in both modes."""

from __future__ import annotations

import pytest
import stripe

from conftest import Harness, assert_stripe_error


def test_create_retrieve_has_stripe_shape(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        params={
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "description": "first",
            "metadata": {"plan": "pro"},
            "address": {"city": "London", "country": "GB"},
            "preferred_locales": ["en", "fr"],
        }
    )
    assert customer.id.startswith("cus_") and len(customer.id) == 18
    assert customer.object == "customer"
    assert customer.email == "ada@example.com"
    assert customer.metadata.to_dict() == {"plan": "pro"}
    assert customer.address.city == "London" and customer.address.line1 is None
    assert customer.balance == 0 and customer.delinquent is False
    assert customer.livemode is False
    assert customer.preferred_locales == ["en", "fr"]
    assert customer.invoice_settings.default_payment_method is None

    fetched = client.v1.customers.retrieve(customer.id)
    assert fetched.to_dict() == customer.to_dict()


def test_update_merges_metadata_and_unsets_with_empty_string(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        params={"email": "a@example.com", "description": "d", "metadata": {"a": "1", "b": "2"}}
    )
    updated = client.v1.customers.update(
        customer.id, params={"metadata": {"a": "", "c": "3"}, "description": ""}
    )
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    assert updated.description is None
    assert updated.email == "a@example.com"

    cleared = client.v1.customers.update(customer.id, params={"metadata": ""})
    assert cleared.metadata.to_dict() == {}


def test_update_records_event_with_previous_attributes(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "Old", "metadata": {"k": "v"}})
    client.v1.customers.update(customer.id, params={"name": "New", "metadata": {"x": "y"}})
    events = client.v1.events.list(params={"type": "customer.updated"})
    assert len(events.data) == 1
    event = events.data[0]
    assert event.data.object.id == customer.id
    assert event.data.object.name == "New"
    assert event.data.previous_attributes.to_dict() == {"name": "Old", "metadata": {"x": None}}


def test_delete_then_retrieve_returns_tombstone(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "gone@example.com"})
    deleted = client.v1.customers.delete(customer.id)
    assert deleted.to_dict() == {"id": customer.id, "object": "customer", "deleted": True}
    again = client.v1.customers.retrieve(customer.id)
    assert again.deleted is True
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.update(customer.id, params={"name": "x"})
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message=f"No such customer: '{customer.id}'",
    )
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["customer.deleted", "customer.created"]


def test_missing_customer_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.retrieve("cus_nope")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such customer: 'cus_nope'",
    )


def test_list_filters_by_email_and_created(sk: Harness, client: stripe.StripeClient) -> None:
    first = client.v1.customers.create(params={"email": "x@example.com"})
    sk.sandbox.advance_clock(100)
    second = client.v1.customers.create(params={"email": "y@example.com"})
    client.v1.customers.create(params={"email": "x@example.com"})
    assert [c.email for c in client.v1.customers.list(params={"email": "x@example.com"}).data] == [
        "x@example.com",
        "x@example.com",
    ]
    later = client.v1.customers.list(params={"created": {"gt": first.created}})
    assert second.id in [c.id for c in later.data] and first.id not in [c.id for c in later.data]
    exact = client.v1.customers.list(params={"created": first.created})
    assert [c.id for c in exact.data] == [first.id]


def test_search_by_email_name_metadata_and_created(
    sk: Harness, client: stripe.StripeClient
) -> None:
    ada = client.v1.customers.create(
        params={"email": "ada@example.com", "name": "Ada", "metadata": {"tier": "gold"}}
    )
    sk.sandbox.advance_clock(10)
    bob = client.v1.customers.create(params={"email": "bob@example.com", "name": "Bobby"})
    assert [
        c.id for c in client.v1.customers.search(params={"query": 'email:"ada@example.com"'}).data
    ] == [ada.id]
    assert [
        c.id for c in client.v1.customers.search(params={"query": 'metadata["tier"]:"gold"'}).data
    ] == [ada.id]
    assert [c.id for c in client.v1.customers.search(params={"query": 'name~"obb"'}).data] == [
        bob.id
    ]
    assert [
        c.id for c in client.v1.customers.search(params={"query": f"created>{ada.created}"}).data
    ] == [bob.id]
    both = client.v1.customers.search(
        params={"query": 'email:"ada@example.com" OR email:"bob@example.com"'}
    )
    assert [c.id for c in both.data] == [bob.id, ada.id]
    negated = client.v1.customers.search(params={"query": '-name:"Ada"'})
    assert [c.id for c in negated.data] == [bob.id]
    assert both.object == "search_result" and both.url == "/v1/customers/search"


def test_search_pages_with_next_page(client: stripe.StripeClient) -> None:
    ids = [client.v1.customers.create(params={"metadata": {"batch": "1"}}).id for _ in range(5)]
    seen: list[str] = []
    page = client.v1.customers.search(params={"query": 'metadata["batch"]:"1"', "limit": 2})
    while True:
        seen += [c.id for c in page.data]
        if not page.has_more:
            assert page.next_page is None
            break
        page = client.v1.customers.search(
            params={"query": 'metadata["batch"]:"1"', "limit": 2, "page": page.next_page}
        )
    assert seen == list(reversed(ids))


def test_search_syntax_error(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.search(params={"query": "email:"})
    assert_stripe_error(exc.value, status=400, param="query")


def test_accounts_are_isolated(sk: Harness, client: stripe.StripeClient) -> None:
    mine = client.v1.customers.create(params={"email": "mine@example.com"})
    other = sk.make_client(sk.new_key())
    with pytest.raises(stripe.InvalidRequestError) as exc:
        other.v1.customers.retrieve(mine.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")
    assert other.v1.customers.list().data == []
    assert other.v1.events.list().data == []
