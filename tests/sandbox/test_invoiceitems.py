"""Invoice items through the official SDK, in both modes: pricing by amount, price,
price_data or decimal unit amount; pending items and items on a draft (whose line and
totals follow them); what a finalized invoice forbids; lists and events."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from test_invoices import assert_totals, draft, item, types_of

from conftest import assert_stripe_error


def test_amount_item_has_stripe_shape_and_a_minted_price(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    created = item(client, customer.id, 2000, description="One-time setup fee")
    assert created.id.startswith("ii_") and created.object == "invoiceitem"
    assert (created.amount, created.currency, created.quantity) == (2000, "usd", 1)
    assert str(created.quantity_decimal) == "1" and created.customer == customer.id
    assert created.invoice is None and created.discountable is True
    assert created.discounts == [] and created.proration is False and created.parent is None
    assert created.period.start == created.period.end == created.date
    assert created.metadata.to_dict() == {} and created.tax_rates == []
    assert created.test_clock is None and created.frozen_fields == []
    assert "created" not in created.to_dict()
    details = created.pricing.price_details
    assert (
        created.pricing.type == "price_details"
        and str(created.pricing.unit_amount_decimal) == "2000"
    )
    price = client.v1.prices.retrieve(details.price)
    assert price.unit_amount == 2000 and price.active is False and price.product == details.product
    assert client.v1.products.retrieve(details.product).name == "One-time setup fee"
    assert details.price not in [p.id for p in client.v1.prices.list().data]  # unlisted
    assert client.v1.invoice_items.retrieve(created.id).to_dict() == created.to_dict()
    event = client.v1.events.list(params={"type": "invoiceitem.created"}).data[0]
    assert event.data.object.id == created.id


def test_pricing_by_price_and_quantity(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    product = client.v1.products.create(params={"name": "Seat"})
    price = client.v1.prices.create(
        params={"product": product.id, "unit_amount": 1250, "currency": "usd"}
    )
    created = client.v1.invoice_items.create(
        params={"customer": customer.id, "pricing": {"price": price.id}, "quantity": 3}
    )
    assert created.amount == 3750 and created.quantity == 3
    assert created.pricing.price_details.price == price.id
    assert created.pricing.price_details.product == product.id
    fractional = client.v1.invoice_items.create(
        params={"customer": customer.id, "pricing": {"price": price.id}, "quantity_decimal": "1.5"}
    )
    assert fractional.amount == 1875 and fractional.quantity == 1
    assert str(fractional.quantity_decimal) == "1.5"
    recurring = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 500,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.create(
            params={"customer": customer.id, "pricing": {"price": recurring.id}}
        )
    assert_stripe_error(
        exc.value,
        status=400,
        param="pricing[price]",
        message="The price specified is set to `type=recurring` but this field only accepts "
        "prices with `type=one_time`.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.create(
            params={"customer": customer.id, "pricing": {"price": "price_nope"}}
        )
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="pricing[price]",
        message="No such price: 'price_nope'",
    )


def test_price_data_and_unit_amount_decimal(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    product = client.v1.products.create(params={"name": "Hours"})
    by_data = client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "price_data": {"currency": "usd", "product": product.id, "unit_amount": 4000},
            "quantity": 2,
        }
    )
    assert by_data.amount == 8000 and by_data.pricing.price_details.product == product.id
    decimal = client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "currency": "usd",
            "unit_amount_decimal": "33.5",
            "quantity": 3,
        }
    )
    assert decimal.amount == 101 and str(decimal.pricing.unit_amount_decimal) == "33.5"
    credit = item(client, customer.id, -500, description="Goodwill credit")
    assert credit.amount == -500 and credit.discountable is False


def test_create_refusals(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    cases: list[tuple[dict[str, Any], str | None, str]] = [
        ({"amount": 100}, "currency", "Missing required param: currency."),
        (
            {"amount": 100, "currency": "usd", "quantity": 2},
            "amount",
            "You may only specify one of these parameters: amount, quantity.",
        ),
        (
            {"amount": 100, "currency": "usd", "pricing": {"price": "price_x"}},
            "pricing",
            "You may only specify one of these parameters: amount, pricing.",
        ),
        ({"currency": "usd"}, "amount", "You must specify either"),
        (
            {"amount": 100, "currency": "usd", "period": {"start": 200, "end": 100}},
            "period[end]",
            "The period end must be greater than or equal to the period start.",
        ),
        ({"amount": 100, "currency": "usd", "invoice": "in_nope"}, "invoice", "No such invoice"),
        ({"amount": 100, "currency": "usd", "tax_rates": ["txr_nope"]}, "tax_rates[0]", "No such"),
        (
            {"amount": 100, "currency": "usd", "discounts": [{"coupon": "NOPE"}]},
            "discounts[0][coupon]",
            "No such coupon: 'NOPE'",
        ),
    ]
    for extra, param, message in cases:
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.invoice_items.create(params={"customer": customer.id, **extra})
        error = exc.value.json_body["error"]
        assert exc.value.http_status == 400 and error.get("param") == param, (extra, error)
        assert error["message"].startswith(message), (extra, error)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.create(params={"amount": 100, "currency": "usd"})
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="customer")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.create(
            params={"customer": "cus_nope", "amount": 100, "currency": "usd"}
        )
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="customer")
    assert client.v1.invoice_items.list().data == []


def test_item_created_on_a_draft_joins_its_lines(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    created = item(client, customer.id, 700, invoice=invoice.id)
    assert created.invoice == invoice.id
    updated = client.v1.invoices.retrieve(invoice.id)
    assert updated.total == 700 and updated.lines.data[0].amount == 700
    assert_totals(client, updated)
    assert types_of(client, "invoice.")[-1] == "invoice.updated"
    other = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        item(client, other.id, 100, invoice=invoice.id)
    assert_stripe_error(exc.value, status=400, param="invoice")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.create(
            params={"customer": customer.id, "amount": 1, "currency": "eur", "invoice": invoice.id}
        )
    assert_stripe_error(exc.value, status=400, param="currency")
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        item(client, customer.id, 100, invoice=invoice.id)
    assert_stripe_error(
        exc.value,
        status=400,
        code="invoice_not_editable",
        param="invoice",
        message="Invalid invoice: This invoice is no longer editable",
    )


def test_update_a_pending_item_and_one_on_a_draft(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pending = item(client, customer.id, 1500, description="Usage add-on")
    revised = client.v1.invoice_items.update(
        pending.id,
        params={"description": "Usage add-on (revised)", "metadata": {"k": "v"}},
    )
    assert revised.description == "Usage add-on (revised)" and revised.amount == 1500
    assert revised.metadata.to_dict() == {"k": "v"}
    repriced = client.v1.invoice_items.update(pending.id, params={"amount": 1800})
    assert repriced.amount == 1800 and str(repriced.pricing.unit_amount_decimal) == "1800"
    assert repriced.pricing.price_details.product == pending.pricing.price_details.product
    invoice = draft(client, customer.id)
    assert invoice.total == 1800
    client.v1.invoice_items.update(pending.id, params={"amount": 2500, "discountable": False})
    after = client.v1.invoices.retrieve(invoice.id)
    assert after.total == 2500 and after.lines.data[0].discountable is False
    assert after.lines.data[0].id == invoice.lines.data[0].id
    assert_totals(client, after)
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.update(pending.id, params={"description": "late"})
    assert_stripe_error(exc.value, status=400)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.delete(pending.id)
    assert_stripe_error(
        exc.value,
        status=400,
        message="Can't delete an invoice item that is attached to an invoice that is no "
        "longer editable",
    )
    # Stripe sends no event for an item that changed.
    assert "invoiceitem.updated" not in types_of(client)


def test_delete_pending_and_from_a_draft(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    gone = item(client, customer.id, 400, description="Never billed")
    deleted = client.v1.invoice_items.delete(gone.id)
    assert deleted.to_dict() == {"id": gone.id, "object": "invoiceitem", "deleted": True}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.retrieve(gone.id)
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message=f"No such Invoice Item: '{gone.id}'(livemode=false)",
    )
    invoice = draft(client, customer.id, 300, 600)
    line_item = invoice.lines.data[0].parent.invoice_item_details.invoice_item
    client.v1.invoice_items.delete(line_item)
    after = client.v1.invoices.retrieve(invoice.id)
    assert after.total == 300 and len(after.lines.data) == 1
    assert_totals(client, after)
    assert types_of(client, "invoiceitem.").count("invoiceitem.deleted") == 2


def test_list_filters(client: stripe.StripeClient) -> None:
    alice = client.v1.customers.create()
    bob = client.v1.customers.create()
    a1 = item(client, alice.id, 100)
    b1 = item(client, bob.id, 200)
    invoice = draft(client, alice.id)
    a2 = item(client, alice.id, 300)
    ids = lambda page: [i.id for i in page.data]  # noqa: E731
    assert ids(client.v1.invoice_items.list()) == [a2.id, b1.id, a1.id]
    assert ids(client.v1.invoice_items.list(params={"customer": alice.id})) == [a2.id, a1.id]
    assert ids(client.v1.invoice_items.list(params={"pending": True})) == [a2.id, b1.id]
    assert ids(client.v1.invoice_items.list(params={"pending": False})) == [a1.id]
    assert ids(client.v1.invoice_items.list(params={"invoice": invoice.id})) == [a1.id]
    page = client.v1.invoice_items.list(params={"limit": 1})
    assert ids(page) == [a2.id] and page.has_more
    assert ids(client.v1.invoice_items.list(params={"limit": 5, "starting_after": a2.id})) == [
        b1.id,
        a1.id,
    ]
    assert ids(client.v1.invoice_items.list(params={"created": {"gt": a2.date}})) == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.list(params={"starting_after": "ii_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")
