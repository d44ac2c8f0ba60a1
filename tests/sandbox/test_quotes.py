"""Quotes through the official SDK, in both modes: a draft edited, finalized (number,
expiry, transitions) and accepted into an invoice (one-time lines) or a subscription
(recurring lines); discounts and tax rates in the totals; expiry on a test clock; the
PDF; lists; and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from test_billing_scenarios import T0, add_months, on_clock, recurring_price

from conftest import assert_stripe_error

DAY = 86400


def one_time_price(client: stripe.StripeClient, amount: int, name: str = "Setup") -> Any:
    return client.v1.prices.create(
        params={"currency": "usd", "unit_amount": amount, "product_data": {"name": name}}
    )


def customer(client: stripe.StripeClient) -> Any:
    return client.v1.customers.create(params={"email": "buyer@example.com", "name": "Buyer"})


def quote_for(client: stripe.StripeClient, customer_id: str, **params: Any) -> Any:
    return client.v1.quotes.create(params={"customer": customer_id, **params})


def event_types(client: stripe.StripeClient, object_id: str) -> list[str]:
    found = client.v1.events.list(params={"limit": 100}).auto_paging_iter()
    return [e.type for e in found if e.data.object.id == object_id][::-1]


def test_one_time_quote_accepted_into_a_draft_invoice(client: stripe.StripeClient) -> None:
    buyer = customer(client)
    setup = one_time_price(client, 5000)
    training = one_time_price(client, 1250, name="Training")
    quote = quote_for(
        client,
        buyer.id,
        line_items=[{"price": setup.id}, {"price": training.id, "quantity": 2}],
        description="Onboarding",
        header="Quote for Buyer",
        footer="Thank you",
        metadata={"deal": "42"},
    )
    assert quote.status == "draft" and quote.number is None
    assert (quote.amount_subtotal, quote.amount_total) == (7500, 7500)
    assert quote.computed.upfront.amount_total == 7500 and quote.computed.recurring is None
    assert quote.expires_at == quote.created + 30 * DAY
    assert "line_items" not in quote
    items = client.v1.quotes.line_items.list(quote.id).data
    assert [(i.price.id, i.quantity, i.amount_total) for i in items] == [
        (setup.id, 1, 5000),
        (training.id, 2, 2500),
    ]

    opened = client.v1.quotes.finalize_quote(quote.id)
    assert opened.status == "open"
    assert opened.number.startswith("QT-") and opened.number.endswith("-0001-1")
    assert opened.status_transitions.finalized_at is not None

    accepted = client.v1.quotes.accept(quote.id)
    assert accepted.status == "accepted" and accepted.status_transitions.accepted_at
    invoice = client.v1.invoices.retrieve(accepted.invoice)
    assert invoice.status == "draft" and invoice.customer == buyer.id
    assert invoice.parent.type == "quote_details"
    assert invoice.parent.quote_details.quote == quote.id
    assert (invoice.total, invoice.amount_due) == (7500, 7500)
    assert invoice.description == "Onboarding" and invoice.footer == "Thank you"
    assert [(line.amount, line.quantity) for line in invoice.lines.data] == [(5000, 1), (2500, 2)]
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open" and finalized.amount_due == 7500
    assert event_types(client, quote.id) == [
        "quote.created",
        "quote.finalized",
        "quote.accepted",
    ]


def test_recurring_quote_accepted_into_a_subscription(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    gold = recurring_price(client, 2000)
    setup = one_time_price(client, 5000)
    quote = quote_for(
        client,
        billing.customer,
        line_items=[{"price": gold.id, "quantity": 3}, {"price": setup.id}],
        subscription_data={"description": "Gold plan", "metadata": {"from": "quote"}},
    )
    assert quote.test_clock == billing.clock
    assert quote.computed.recurring.amount_total == 6000
    assert (quote.computed.recurring.interval, quote.computed.recurring.interval_count) == (
        "month",
        1,
    )
    assert quote.computed.upfront.amount_total == 11000 == quote.amount_total
    client.v1.quotes.finalize_quote(quote.id)
    accepted = client.v1.quotes.accept(quote.id)

    sub = client.v1.subscriptions.retrieve(accepted.subscription)
    assert sub.status == "active" and sub.customer == billing.customer
    assert sub.description == "Gold plan" and sub.metadata.to_dict() == {"from": "quote"}
    assert [(i.price.id, i.quantity) for i in sub["items"].data] == [(gold.id, 3)]
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (T0, add_months(T0, 1))
    first = client.v1.invoices.retrieve(accepted.invoice)
    assert first.id == sub.latest_invoice and first.status == "paid"
    assert first.amount_paid == 11000
    assert sorted(line.amount for line in first.lines.data) == [5000, 6000]


def test_discounts_and_tax_rates_in_the_totals(client: stripe.StripeClient) -> None:
    buyer = customer(client)
    price = one_time_price(client, 10000)
    other = one_time_price(client, 5000, name="Extra")
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "once"})
    vat = client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20, "inclusive": False}
    )
    reduced = client.v1.tax_rates.create(
        params={"display_name": "Reduced", "percentage": 5, "inclusive": False}
    )
    quote = quote_for(
        client,
        buyer.id,
        line_items=[{"price": price.id}, {"price": other.id, "tax_rates": [reduced.id]}],
        discounts=[{"coupon": coupon.id}],
        default_tax_rates=[vat.id],
    )
    # 10% off 15000 = 1500; VAT 20% of 9000 = 1800; reduced 5% of 4500 = 225.
    assert quote.amount_subtotal == 15000
    assert quote.total_details.amount_discount == 1500
    assert quote.total_details.amount_tax == 2025
    assert quote.amount_total == 15000 - 1500 + 2025
    assert quote.default_tax_rates == [vat.id] and len(quote.discounts) == 1
    items = client.v1.quotes.line_items.list(quote.id).data
    assert [(i.amount_discount, i.amount_tax, i.amount_total) for i in items] == [
        (1000, 1800, 10800),
        (500, 225, 4725),
    ]
    assert items[1].taxes[0].rate.id == reduced.id
    client.v1.quotes.finalize_quote(quote.id)
    invoice = client.v1.invoices.retrieve(client.v1.quotes.accept(quote.id).invoice)
    assert invoice.total == quote.amount_total
    assert invoice.total_discount_amounts[0].amount == 1500


def test_an_open_quote_expires_with_the_clock(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = one_time_price(client, 1000)
    quote = quote_for(client, billing.customer, line_items=[{"price": price.id}])
    assert quote.expires_at == T0 + 30 * DAY
    client.v1.quotes.finalize_quote(quote.id, params={"expires_at": T0 + 5 * DAY})
    billing.advance(T0 + 5 * DAY - 1)
    assert client.v1.quotes.retrieve(quote.id).status == "open"
    billing.advance(T0 + 5 * DAY)
    expired = client.v1.quotes.retrieve(quote.id)
    assert expired.status == "canceled"
    assert expired.status_transitions.canceled_at == T0 + 5 * DAY
    assert event_types(client, quote.id)[-1] == "quote.canceled"


def test_pdf_of_a_finalized_quote(client: stripe.StripeClient) -> None:
    buyer = customer(client)
    price = one_time_price(client, 4200)
    quote = quote_for(client, buyer.id, line_items=[{"price": price.id}])
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.quotes.pdf(quote.id)
    opened = client.v1.quotes.finalize_quote(quote.id)
    stream = client.v1.quotes.pdf(quote.id)
    data = stream.io.read()
    assert data.startswith(b"%PDF-1.4") and opened.number.encode() in data
    assert b"$42.00" in data


def test_list_filters_and_cancel(client: stripe.StripeClient) -> None:
    buyer, other = customer(client), customer(client)
    price = one_time_price(client, 1000)
    first = quote_for(client, buyer.id, line_items=[{"price": price.id}])
    second = quote_for(client, buyer.id, line_items=[{"price": price.id}])
    third = quote_for(client, other.id, line_items=[{"price": price.id}])
    client.v1.quotes.finalize_quote(second.id)
    canceled = client.v1.quotes.cancel(first.id)
    assert canceled.status == "canceled" and canceled.status_transitions.canceled_at

    def ids(**params: Any) -> list[str]:
        return [q.id for q in client.v1.quotes.list(params=params).data]

    assert ids() == [third.id, second.id, first.id]
    assert ids(customer=buyer.id) == [second.id, first.id]
    assert ids(status="open") == [second.id]
    assert ids(status="canceled", customer=buyer.id) == [first.id]
    listed = client.v1.quotes.list(params={"expand": ["data.line_items"], "limit": 1})
    assert listed.data[0].line_items.data[0].price.id == price.id


def test_update_a_draft(client: stripe.StripeClient) -> None:
    buyer = customer(client)
    price = one_time_price(client, 1000)
    extra = one_time_price(client, 300, name="Extra")
    quote = quote_for(client, buyer.id, line_items=[{"price": price.id}])
    item = client.v1.quotes.line_items.list(quote.id).data[0]
    updated = client.v1.quotes.update(
        quote.id,
        params={
            "line_items": [{"id": item.id, "quantity": 2}, {"price": extra.id}],
            "collection_method": "send_invoice",
            "invoice_settings": {"days_until_due": 14},
            "header": "Revised",
        },
    )
    assert updated.amount_total == 2300 and updated.header == "Revised"
    assert updated.invoice_settings.days_until_due == 14
    items = client.v1.quotes.line_items.list(quote.id).data
    assert [(i.id == item.id, i.quantity) for i in items] == [(True, 2), (False, 1)]
    client.v1.quotes.finalize_quote(quote.id)
    invoice = client.v1.invoices.retrieve(client.v1.quotes.accept(quote.id).invoice)
    assert invoice.collection_method == "send_invoice"
    assert invoice.due_date == invoice.created + 14 * DAY


def test_refusals_change_nothing(client: stripe.StripeClient) -> None:
    buyer = customer(client)
    price = one_time_price(client, 1000)
    monthly = recurring_price(client, 500)
    yearly = recurring_price(client, 5000, interval="year")
    quote = quote_for(client, buyer.id, line_items=[{"price": price.id}])

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.quotes.accept(quote.id)
    assert_stripe_error(caught.value, status=400)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        quote_for(client, buyer.id, line_items=[{"price": "price_missing"}])
    assert_stripe_error(
        caught.value, status=400, code="resource_missing", param="line_items[0][price]"
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        quote_for(client, buyer.id, line_items=[{"price": monthly.id}, {"price": yearly.id}])
    assert_stripe_error(caught.value, status=400, param="line_items[1][price]")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        quote_for(client, buyer.id, line_items=[{"price": price.id, "quantity": -1}])
    assert_stripe_error(caught.value, status=400, param="line_items[0][quantity]")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.quotes.retrieve("qt_missing")
    assert_stripe_error(caught.value, status=404, code="resource_missing", param="quote")

    client.v1.quotes.finalize_quote(quote.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.quotes.update(quote.id, params={"header": "Too late"})
    assert_stripe_error(caught.value, status=400)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.quotes.finalize_quote(quote.id)
    assert_stripe_error(caught.value, status=400)

    after = client.v1.quotes.retrieve(quote.id)
    assert after.status == "open" and after.header is None and after.invoice is None
    assert [q.id for q in client.v1.quotes.list().data] == [quote.id]
    assert client.v1.invoices.list(params={"customer": buyer.id}).data == []
    client.v1.quotes.accept(quote.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.quotes.cancel(quote.id)
    assert_stripe_error(caught.value, status=400)
    assert client.v1.quotes.retrieve(quote.id).status == "accepted"
