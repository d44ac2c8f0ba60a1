"""Tax rates through the official SDK, in both modes: the object (create, retrieve, update,
list, events, refusals) and the tax they make on invoices — exclusive rates on top,
inclusive rates inside the amount, after discounts, per line and per rate, invoice
defaults and item / line rates, and subscription renewals that carry their rates. Every
taxed invoice a test looks at has its totals checked against its lines."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import stripe
from test_billing_scenarios import HOUR, T0, add_months, on_clock, recurring_price

from conftest import assert_stripe_error


def rate(
    client: stripe.StripeClient, percentage: float, inclusive: bool = False, **extra: Any
) -> Any:
    return client.v1.tax_rates.create(
        params={
            "display_name": extra.pop("display_name", "VAT"),
            "percentage": percentage,
            "inclusive": inclusive,
            **extra,
        }
    )


def _id(value: Any) -> str:
    return value if isinstance(value, str) else value.id


def lines_of(client: stripe.StripeClient, invoice: Any) -> list[Any]:
    return list(
        client.v1.invoices.line_items.list(invoice.id, params={"limit": 100}).auto_paging_iter()
    )


def check_taxed(client: stripe.StripeClient, invoice: Any) -> list[Any]:
    """Every amount of a (possibly taxed) invoice agrees with its lines; returns them."""
    lines = lines_of(client, invoice)
    subtotal = sum(line.amount for line in lines)
    assert invoice.subtotal == subtotal
    discounted = sum(d.amount for d in invoice.total_discount_amounts or [])
    assert discounted == sum(d.amount for line in lines for d in line.discount_amounts or [])
    exclusive = inclusive = 0
    per_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        assert line.subtotal == line.amount
        for tax in line.taxes:
            assert tax.type == "tax_rate_details"
            if tax.tax_behavior == "inclusive":
                inclusive += tax.amount
            else:
                exclusive += tax.amount
            key = _id(tax.tax_rate_details.tax_rate)
            per_rate[key][0] += tax.amount
            per_rate[key][1] += tax.taxable_amount
    totals = {
        _id(t.tax_rate_details.tax_rate): [t.amount, t.taxable_amount] for t in invoice.total_taxes
    }
    assert totals == dict(per_rate)
    assert invoice.total == subtotal - discounted + exclusive
    assert invoice.total_excluding_tax == subtotal - discounted - inclusive
    assert invoice.subtotal_excluding_tax == subtotal - inclusive
    if invoice.status != "draft":
        assert invoice.amount_due == (
            invoice.total + invoice.starting_balance - invoice.ending_balance
        )
    assert invoice.amount_remaining == invoice.amount_due - invoice.amount_paid
    return lines


def customer_with_card(client: stripe.StripeClient) -> str:
    customer = client.v1.customers.create(params={"email": "tax@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return str(customer.id)


def item(client: stripe.StripeClient, customer: str, amount: int, **params: Any) -> Any:
    return client.v1.invoice_items.create(
        params={"customer": customer, "amount": amount, "currency": "usd", **params}
    )


def draft(client: stripe.StripeClient, customer: str, **params: Any) -> Any:
    return client.v1.invoices.create(
        params={"customer": customer, "pending_invoice_items_behavior": "include", **params}
    )


def taxes_of(line: Any) -> list[tuple[str, int, int, str]]:
    return [
        (_id(t.tax_rate_details.tax_rate), t.amount, t.taxable_amount, t.tax_behavior)
        for t in line.taxes
    ]


# -- the object -----------------------------------------------------------------------------------


def test_create_has_stripe_shape(client: stripe.StripeClient) -> None:
    created = rate(
        client,
        8.875,
        display_name="Sales tax",
        country="US",
        state="NY",
        jurisdiction="US - NY",
        description="New York sales tax",
        tax_type="sales_tax",
        metadata={"k": "v"},
    )
    assert created.id.startswith("txr_") and created.object == "tax_rate"
    assert created.percentage == 8.875 and created.effective_percentage == 8.875
    assert created.inclusive is False and created.active is True
    assert (created.country, created.state, created.jurisdiction) == ("US", "NY", "US - NY")
    assert created.description == "New York sales tax" and created.tax_type == "sales_tax"
    assert created.rate_type == "percentage" and created.flat_amount is None
    assert created.jurisdiction_level is None and created.livemode is False
    assert created.metadata.to_dict() == {"k": "v"}
    plain = rate(client, 20, inclusive=True)
    assert plain.percentage == 20 and plain.inclusive is True
    assert (plain.country, plain.state, plain.description, plain.tax_type) == (
        None,
        None,
        None,
        None,
    )
    fetched = client.v1.tax_rates.retrieve(created.id)
    assert fetched.to_dict() == created.to_dict()
    (event,) = [
        e
        for e in client.v1.events.list(params={"type": "tax_rate.created"}).data
        if e.data.object.id == created.id
    ]
    assert event.data.object.display_name == "Sales tax"


def test_create_refusals(client: stripe.StripeClient) -> None:
    def refused(params: dict[str, Any], param: str, **expected: Any) -> None:
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.tax_rates.create(params=params)
        error = (info.value.json_body or {})["error"]
        assert info.value.http_status == 400 and error["param"] == param, error
        for key, value in expected.items():
            assert error.get(key) == value, error

    base = {"display_name": "VAT", "percentage": 20, "inclusive": False}
    refused(
        {k: v for k, v in base.items() if k != "inclusive"}, "inclusive", code="parameter_missing"
    )
    refused(
        {k: v for k, v in base.items() if k != "percentage"}, "percentage", code="parameter_missing"
    )
    refused({**base, "percentage": 100.5}, "percentage")
    refused({**base, "percentage": -1}, "percentage")
    refused({**base, "display_name": ""}, "display_name", code="parameter_invalid_empty")
    refused({**base, "display_name": "x" * 51}, "display_name")
    refused({**base, "tax_type": "poll_tax"}, "tax_type")
    assert client.v1.tax_rates.list().data == []


def test_retrieve_and_update_missing_are_404(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.tax_rates.retrieve("txr_nope"),
        lambda: client.v1.tax_rates.update("txr_nope", params={"active": False}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert_stripe_error(
            info.value,
            status=404,
            code="resource_missing",
            param="tax_rate",
            message="No such tax rate: 'txr_nope'",
        )


def test_update_and_event(client: stripe.StripeClient) -> None:
    created = rate(client, 19, description="old", metadata={"a": "1"})
    updated = client.v1.tax_rates.update(
        created.id,
        params={
            "display_name": "MwSt",
            "active": False,
            "description": "",
            "country": "DE",
            "jurisdiction": "DE",
            "tax_type": "vat",
            "metadata": {"a": "", "b": "2"},
        },
    )
    assert updated.display_name == "MwSt" and updated.active is False
    assert updated.description is None and updated.country == "DE"
    assert updated.tax_type == "vat" and updated.metadata.to_dict() == {"b": "2"}
    assert updated.percentage == 19 and updated.inclusive is False
    (event,) = client.v1.events.list(params={"type": "tax_rate.updated"}).data
    previous = event.data.previous_attributes
    assert previous["display_name"] == "VAT" and previous["active"] is True
    assert previous["description"] == "old" and previous["country"] is None
    # Nothing changed: no event.
    client.v1.tax_rates.update(created.id, params={"display_name": "MwSt"})
    assert len(client.v1.events.list(params={"type": "tax_rate.updated"}).data) == 1
    for params, param in (
        ({"percentage": 5}, "percentage"),
        ({"inclusive": True}, "inclusive"),
        ({"display_name": ""}, "display_name"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.tax_rates.update(created.id, params=params)
        assert info.value.http_status == 400
        assert (info.value.json_body or {})["error"]["param"] == param


def test_list_filters(client: stripe.StripeClient) -> None:
    a = rate(client, 5)
    b = rate(client, 10, inclusive=True)
    c = rate(client, 15)
    client.v1.tax_rates.update(c.id, params={"active": False})
    assert [r.id for r in client.v1.tax_rates.list().data] == [c.id, b.id, a.id]
    active = client.v1.tax_rates.list(params={"active": True}).data
    assert [r.id for r in active] == [b.id, a.id]
    inclusive = client.v1.tax_rates.list(params={"inclusive": True}).data
    assert [r.id for r in inclusive] == [b.id]
    page = client.v1.tax_rates.list(params={"limit": 1, "starting_after": c.id})
    assert [r.id for r in page.data] == [b.id] and page.has_more is True
    created = client.v1.tax_rates.list(params={"created": {"gte": a.created}}).data
    assert len(created) == 3


# -- on invoices --------------------------------------------------------------------------------


def test_exclusive_default_rate_rounds_per_line(client: stripe.StripeClient) -> None:
    customer = customer_with_card(client)
    vat = rate(client, 8.25)
    item(client, customer, 1000)
    item(client, customer, 500)
    invoice = draft(client, customer, default_tax_rates=[vat.id])
    assert [r.id for r in invoice.default_tax_rates] == [vat.id]
    assert invoice.default_tax_rates[0].percentage == 8.25
    lines = check_taxed(client, invoice)
    # 82.5 -> 83 and 41.25 -> 41, each line rounded on its own.
    assert sorted(taxes_of(line)[0][1] for line in lines) == [41, 83]
    assert invoice.total == 1624 and invoice.total_excluding_tax == 1500
    assert invoice.amount_due == 1624
    (total,) = invoice.total_taxes
    assert (total.amount, total.taxable_amount, total.tax_behavior) == (124, 1500, "exclusive")
    assert total.taxability_reason == "not_available"
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 1624
    check_taxed(client, paid)
    charge = client.v1.charges.list(params={"customer": customer}).data[0]
    assert charge.amount == 1624


def test_inclusive_rate_is_inside_the_amount(client: stripe.StripeClient) -> None:
    customer = customer_with_card(client)
    vat = rate(client, 20, inclusive=True)
    item(client, customer, 1000, tax_rates=[vat.id])
    invoice = draft(client, customer)
    (line,) = check_taxed(client, invoice)
    assert taxes_of(line) == [(vat.id, 167, 833, "inclusive")]
    assert invoice.total == 1000 and invoice.amount_due == 1000
    assert invoice.total_excluding_tax == 833 and invoice.subtotal_excluding_tax == 833
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.total == 1000
    check_taxed(client, finalized)


def test_mixed_rates_and_item_rates_override_defaults(client: stripe.StripeClient) -> None:
    customer = customer_with_card(client)
    state = rate(client, 5, display_name="State")
    city = rate(client, 2.5, display_name="City")
    vat = rate(client, 10, inclusive=True)
    own = item(client, customer, 1100, tax_rates=[vat.id, city.id])
    assert [r.id for r in own.tax_rates] == [vat.id, city.id]
    item(client, customer, 2000)
    invoice = draft(client, customer, default_tax_rates=[state.id])
    lines = check_taxed(client, invoice)
    by_amount = {line.amount: taxes_of(line) for line in lines}
    # 1100 with 10% inside: 100 of tax on a net of 1000, then 2.5% of 1000 on top.
    assert by_amount[1100] == [(vat.id, 100, 1000, "inclusive"), (city.id, 25, 1000, "exclusive")]
    assert by_amount[2000] == [(state.id, 100, 2000, "exclusive")]
    assert invoice.total == 3100 + 25 + 100
    assert invoice.total_excluding_tax == 3000


def test_tax_after_discount(client: stripe.StripeClient) -> None:
    customer = customer_with_card(client)
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    vat = rate(client, 10)
    inc = rate(client, 25, inclusive=True)
    item(client, customer, 1000)
    item(client, customer, 500, tax_rates=[inc.id])
    invoice = draft(client, customer, default_tax_rates=[vat.id], discounts=[{"coupon": coupon.id}])
    lines = check_taxed(client, invoice)
    by_amount = {line.amount: taxes_of(line) for line in lines}
    # 1000 - 100 = 900 taxed at 10%; 500 - 50 = 450 holds 25% inclusive: 90, net 360.
    assert by_amount[1000] == [(vat.id, 90, 900, "exclusive")]
    assert by_amount[500] == [(inc.id, 90, 360, "inclusive")]
    assert invoice.total == 1500 - 150 + 90
    assert invoice.total_excluding_tax == 1500 - 150 - 90


def test_changing_rates_on_a_draft(client: stripe.StripeClient) -> None:
    customer = customer_with_card(client)
    vat = rate(client, 10)
    other = rate(client, 20)
    first = item(client, customer, 1000)
    invoice = draft(client, customer)
    assert invoice.total_taxes == [] and invoice.total == 1000
    invoice = client.v1.invoices.update(invoice.id, params={"default_tax_rates": [vat.id]})
    assert invoice.total == 1100
    check_taxed(client, invoice)
    updated = events_of(client, "invoice.updated")[0]
    assert updated.data.previous_attributes["default_tax_rates"] == []
    # The item's own rates win over the invoice's.
    client.v1.invoice_items.update(first.id, params={"tax_rates": [other.id]})
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.total == 1200
    (line,) = check_taxed(client, invoice)
    # Through the line too: "" clears the line's rates, the default applies again.
    client.v1.invoices.update_lines(
        invoice.id, params={"lines": [{"id": line.id, "tax_rates": ""}]}
    )
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.total == 1100
    assert client.v1.invoice_items.retrieve(first.id).tax_rates == []
    added = client.v1.invoices.add_lines(
        invoice.id,
        params={"lines": [{"amount": 500, "tax_rates": [other.id]}]},
    )
    assert added.total == 1100 + 600
    check_taxed(client, added)
    cleared = client.v1.invoices.update(invoice.id, params={"default_tax_rates": ""})
    assert cleared.default_tax_rates == [] and cleared.total == 1000 + 600
    check_taxed(client, cleared)
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.invoices.update(finalized.id, params={"default_tax_rates": [vat.id]})
    assert_stripe_error(
        info.value,
        status=400,
        param="default_tax_rates",
        message="Finalized invoices can't be updated in this way",
    )


def events_of(client: stripe.StripeClient, type_: str) -> list[Any]:
    return list(client.v1.events.list(params={"type": type_}).data)


def test_bad_rates_are_refused(client: stripe.StripeClient) -> None:
    customer = customer_with_card(client)
    vat = rate(client, 10)
    archived = rate(client, 10)
    client.v1.tax_rates.update(archived.id, params={"active": False})

    def refused(call: Any, param: str, **expected: Any) -> None:
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert_stripe_error(info.value, status=400, param=param, **expected)

    refused(
        lambda: draft(client, customer, default_tax_rates=[vat.id, "txr_nope"]),
        "default_tax_rates[1]",
        code="resource_missing",
        message="No such tax rate: 'txr_nope'",
    )
    refused(
        lambda: draft(client, customer, default_tax_rates=[archived.id]), "default_tax_rates[0]"
    )
    refused(
        lambda: draft(client, customer, default_tax_rates=[vat.id, vat.id]), "default_tax_rates[1]"
    )
    refused(
        lambda: item(client, customer, 100, tax_rates=["txr_nope"]),
        "tax_rates[0]",
        code="resource_missing",
    )
    invoice = draft(client, customer)
    refused(
        lambda: client.v1.invoices.add_lines(
            invoice.id, params={"lines": [{"amount": 100, "tax_rates": [archived.id]}]}
        ),
        "lines[0][tax_rates][0]",
    )
    refused(
        lambda: client.v1.invoices.add_lines(
            invoice.id,
            params={
                "lines": [
                    {
                        "amount": 100,
                        "tax_amounts": [
                            {
                                "amount": 5,
                                "taxable_amount": 100,
                                "tax_rate_data": {
                                    "display_name": "VAT",
                                    "inclusive": False,
                                    "percentage": 5,
                                },
                            }
                        ],
                    }
                ]
            },
        ),
        "lines[0][tax_amounts]",
    )
    # Nothing was left behind by the refusals.
    assert client.v1.invoice_items.list(params={"customer": customer}).data == []
    # An archived rate already applied keeps working.
    item(client, customer, 1000, tax_rates=[vat.id])
    client.v1.tax_rates.update(vat.id, params={"active": False})
    taxed = draft(client, customer)
    assert taxed.total == 1100
    check_taxed(client, taxed)


def test_preview_with_item_rates(client: stripe.StripeClient) -> None:
    customer = customer_with_card(client)
    vat = rate(client, 10)
    preview = client.v1.invoices.create_preview(
        params={
            "customer": customer,
            "invoice_items": [{"amount": 1000, "currency": "usd", "tax_rates": [vat.id]}],
        }
    )
    assert preview.total == 1100 and preview.total_excluding_tax == 1000
    (total,) = preview.total_taxes
    assert total.amount == 100
    assert client.v1.invoice_items.list(params={"customer": customer}).data == []


# -- on subscriptions ---------------------------------------------------------------------------


def test_subscription_rates_carry_to_renewals(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    state = rate(client, 5, display_name="State")
    vat = rate(client, 20, inclusive=True)
    gold = recurring_price(client, 1000)
    silver = recurring_price(client, 600, name="Silver")
    sub = billing.subscribe(
        items=[{"price": gold.id}, {"price": silver.id, "tax_rates": [vat.id]}],
        default_tax_rates=[state.id],
    )
    assert [r.id for r in sub.default_tax_rates] == [state.id]
    by_price = {i.price.id: i for i in sub["items"].data}
    assert by_price[gold.id].tax_rates == []
    assert [r.id for r in by_price[silver.id].tax_rates] == [vat.id]
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert [r.id for r in first.default_tax_rates] == [state.id]
    lines = check_taxed(client, first)
    by_amount = {line.amount: taxes_of(line) for line in lines}
    assert by_amount[1000] == [(state.id, 50, 1000, "exclusive")]
    assert by_amount[600] == [(vat.id, 100, 500, "inclusive")]
    assert first.status == "paid" and first.amount_paid == 1650
    billing.advance(add_months(T0, 1) + 2 * HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    renewal = client.v1.invoices.retrieve(sub.latest_invoice)
    assert renewal.id != first.id and renewal.billing_reason == "subscription_cycle"
    assert renewal.status == "paid" and renewal.amount_paid == 1650
    lines = check_taxed(client, renewal)
    assert {line.amount: taxes_of(line) for line in lines} == by_amount
    # Changing the rates changes the next renewal.
    client.v1.subscriptions.update(sub.id, params={"default_tax_rates": ""})
    client.v1.subscription_items.update(by_price[silver.id].id, params={"tax_rates": ""})
    billing.advance(add_months(T0, 2) + 2 * HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    third = client.v1.invoices.retrieve(sub.latest_invoice)
    assert third.total_taxes == [] and third.amount_paid == 1600
    check_taxed(client, third)


def test_subscription_refuses_unknown_rates(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    gold = recurring_price(client, 1000)
    for params, param in (
        ({"default_tax_rates": ["txr_nope"]}, "default_tax_rates[0]"),
        ({"items": [{"price": gold.id, "tax_rates": ["txr_nope"]}]}, "items[0][tax_rates][0]"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as info:
            billing.subscribe(**{"items": [{"price": gold.id}], **params})
        assert_stripe_error(info.value, status=400, param=param, code="resource_missing")
    assert client.v1.subscriptions.list(params={"customer": billing.customer}).data == []
    sub = billing.subscribe(items=[{"price": gold.id}])
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_items.update(
            sub["items"].data[0].id, params={"tax_rates": ["txr_nope"]}
        )
    assert_stripe_error(info.value, status=400, param="tax_rates[0]", code="resource_missing")
