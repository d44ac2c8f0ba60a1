"""The event log: every change recorded, listable and filterable."""

from __future__ import annotations

import pytest
import stripe

from conftest import Harness, assert_stripe_error


def test_create_update_delete_record_events(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "e@example.com"})
    client.v1.customers.update(customer.id, params={"email": "f@example.com"})
    client.v1.customers.delete(customer.id)
    events = client.v1.events.list().data
    assert [e.type for e in events] == ["customer.deleted", "customer.updated", "customer.created"]
    created = events[2]
    assert created.id.startswith("evt_") and created.object == "event"
    assert created.data.object.email == "e@example.com"
    assert created.request.id.startswith("req_")
    assert events[1].data.previous_attributes.email == "e@example.com"
    assert events[0].data.object.id == customer.id


def test_retrieve_event_and_filters(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    client.v1.customers.update(customer.id, params={"name": "n"})
    event = client.v1.events.list(params={"type": "customer.created"}).data[0]
    assert client.v1.events.retrieve(event.id).to_dict() == event.to_dict()
    wildcard = client.v1.events.list(params={"type": "customer.*"}).data
    assert {e.type for e in wildcard} == {"customer.created", "customer.updated"}
    several = client.v1.events.list(params={"types": ["customer.updated"]}).data
    assert [e.type for e in several] == ["customer.updated"]
    assert client.v1.events.list(params={"created": {"gt": event.created + 10}}).data == []


def test_no_op_update_records_no_event(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "same"})
    client.v1.customers.update(customer.id, params={"name": "same"})
    assert [e.type for e in client.v1.events.list().data] == ["customer.created"]


def test_idempotency_key_is_recorded_on_event(client: stripe.StripeClient) -> None:
    client.v1.customers.create(options={"idempotency_key": "evt-key"})
    event = client.v1.events.list().data[0]
    assert event.request.idempotency_key == "evt-key"


def test_missing_event(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.events.retrieve("evt_missing")
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")


def test_failed_request_records_nothing(sk: Harness, client: stripe.StripeClient) -> None:
    response = sk.raw("POST", "/v1/customers", body="metadata[" + "k" * 41 + "]=v")
    assert response.status == 400
    assert client.v1.events.list().data == []
