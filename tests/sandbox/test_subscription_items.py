"""Subscription items through the official SDK, in both modes: create, retrieve, update,
delete and list, with the prorations each change makes."""

from __future__ import annotations

import pytest
import stripe
from test_billing_scenarios import (
    DAY,
    T0,
    X,
    add_months,
    date_text,
    events,
    on_clock,
    prorated,
    recurring_price,
)

from conftest import assert_stripe_error


def _pending(client: stripe.StripeClient, customer: str) -> list[stripe.InvoiceItem]:
    return list(client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data)


def test_create_retrieve_update_delete_list(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    base = recurring_price(client, 2000, name="Base")
    extra = recurring_price(client, 500, name="Extra")
    sub = billing.subscribe(items=[{"price": base.id}])
    start, end = T0, add_months(T0, 1)
    at = T0 + 4 * DAY
    billing.advance(at)
    item = client.v1.subscription_items.create(
        params={
            "subscription": sub.id,
            "price": extra.id,
            "quantity": 2,
            "metadata": {"k": "v"},
        }
    )
    assert item.object == "subscription_item" and item.id.startswith("si_")
    assert (item.subscription, item.quantity, item.price.id) == (sub.id, 2, extra.id)
    assert item.metadata.to_dict() == {"k": "v"} and item.created == at
    assert (item.current_period_start, item.current_period_end) == (start, end)
    assert client.v1.subscription_items.retrieve(item.id).to_dict() == item.to_dict()
    (charge,) = _pending(client, billing.customer)
    assert charge.amount == prorated(1000, end - at, end - start)
    assert charge.description == f"Remaining time on 2 {X} Extra after {date_text(at)}"

    listed = client.v1.subscription_items.list(params={"subscription": sub.id})
    assert sorted(i.id for i in listed.data) == sorted([sub["items"].data[0].id, item.id])
    assert listed.url == "/v1/subscription_items"

    updated = client.v1.subscription_items.update(
        item.id, params={"metadata": {"k": ""}, "proration_behavior": "none", "quantity": 1}
    )
    assert updated.quantity == 1 and updated.metadata.to_dict() == {}
    assert len(_pending(client, billing.customer)) == 1  # `none`: no new prorations
    parent = client.v1.subscriptions.retrieve(sub.id)
    assert [i.quantity for i in parent["items"].data] == [1, 1]

    later = T0 + 9 * DAY
    billing.advance(later)
    deleted = client.v1.subscription_items.delete(item.id)
    assert deleted.to_dict() == {"id": item.id, "object": "subscription_item", "deleted": True}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.retrieve(item.id)
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="item",
        message=f"No such subscription_item: '{item.id}'",
    )
    # The credit is for what was last billed for the item: two units, not one.
    credits = [i for i in _pending(client, billing.customer) if i.amount < 0]
    assert [c.amount for c in credits] == [-prorated(1000, end - later, end - start)]
    assert len(client.v1.subscriptions.retrieve(sub.id)["items"].data) == 1
    assert len(events(client, "customer.subscription.updated")) == 3


def test_refusals(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 1000)
    sub = billing.subscribe(items=[{"price": price.id}])
    only = sub["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.create(params={"subscription": sub.id, "price": price.id})
    assert exc.value.http_status == 400 and exc.value.json_body["error"]["param"] == "items"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.create(
            params={"subscription": "sub_missing", "price": price.id}
        )
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="subscription",
        message="No such subscription: 'sub_missing'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.create(params={"subscription": sub.id})
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="items[0][price]")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.delete(only.id)
    assert exc.value.http_status == 400  # a subscription keeps at least one item
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.update("si_missing", params={"quantity": 2})
    assert exc.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.list(params={})  # type: ignore[typeddict-item]
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="subscription")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_items.update(only.id, params={"quantity": -1})
    assert exc.value.http_status == 400
    assert client.v1.subscription_items.retrieve(only.id).quantity == 1


def test_item_changes_during_a_trial_are_not_prorated(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 1000)
    sub = billing.subscribe(items=[{"price": price.id}], trial_period_days=10)
    billing.advance(T0 + 2 * DAY)
    client.v1.subscription_items.update(sub["items"].data[0].id, params={"quantity": 5})
    assert _pending(client, billing.customer) == []
    billing.advance(T0 + 10 * DAY + 7200)
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert invoice.total == 5000


def test_always_invoice_on_an_item(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 1000)
    sub = billing.subscribe(items=[{"price": price.id}])
    at = T0 + 10 * DAY
    billing.advance(at)
    client.v1.subscription_items.update(
        sub["items"].data[0].id,
        params={"quantity": 2, "proration_behavior": "always_invoice", "proration_date": at},
    )
    latest = client.v1.subscriptions.retrieve(sub.id).latest_invoice
    invoice = client.v1.invoices.retrieve(latest)
    end = add_months(T0, 1)
    expected = prorated(2000, end - at, end - T0) - prorated(1000, end - at, end - T0)
    assert (invoice.total, invoice.status) == (expected, "paid")
    assert _pending(client, billing.customer) == []


def test_changes_in_a_short_first_period_prorate_against_a_full_period(
    client: stripe.StripeClient,
) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 3100)
    anchor = T0 + 10 * DAY
    sub = billing.subscribe(items=[{"price": price.id}], billing_cycle_anchor=anchor)
    at = T0 + 4 * DAY
    billing.advance(at)
    client.v1.subscription_items.update(sub["items"].data[0].id, params={"quantity": 2})
    full = anchor - add_months(anchor, -1)
    amounts = sorted(i.amount for i in _pending(client, billing.customer))
    assert amounts == [-prorated(3100, anchor - at, full), prorated(6200, anchor - at, full)]
