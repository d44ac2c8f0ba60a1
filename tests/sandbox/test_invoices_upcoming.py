"""`GET /v1/invoices/upcoming` and `GET /v1/invoices/upcoming/lines`, in both modes: the
preview as clients on API versions before 2025-03-31.basil ask for it, answered by the
create_preview code from the old flat parameters.

The SDK no longer has methods for them, so calls go through `StripeClient.raw_request`;
the answers are still checked against the spec (an invoice, as
`GET /v1/invoices/{invoice}` answers, and a list of lines, as its `/lines` does).
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from test_billing_scenarios import (
    DAY,
    T0,
    add_months,
    check_totals,
    on_clock,
    prorated,
    recurring_price,
)
from test_invoices import item, types_of

from conftest import Harness, assert_stripe_error

LEGACY_VERSION = "2024-06-20"


def upcoming(client: stripe.StripeClient, **params: Any) -> stripe.Invoice:
    response = client.raw_request("get", "/v1/invoices/upcoming", **params)
    invoice = client.deserialize(response, api_mode="V1")
    assert isinstance(invoice, stripe.Invoice)
    return invoice


def upcoming_lines(client: stripe.StripeClient, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = client.raw_request("get", "/v1/invoices/upcoming/lines", **params).data
    assert page["object"] == "list" and page["url"] == "/v1/invoices/upcoming/lines"
    return page


def refused(client: stripe.StripeClient, path: str, **params: Any) -> stripe.StripeError:
    with pytest.raises(stripe.StripeError) as caught:
        client.raw_request("get", path, **params)
    return caught.value


def comparable(invoice: Any, *, on_clock: bool = True) -> dict[str, Any]:
    """What two previews of the same invoice share (ids and creation time aside). Off a
    test clock the period of a customer's preview is "now", which may tick between calls."""
    lines = [
        (
            line.amount,
            line.description,
            (line.period.start, line.period.end) if on_clock else None,
            line.quantity,
        )
        for line in invoice.lines.data
    ]
    return {
        "lines": lines,
        "subtotal": invoice.subtotal,
        "total": invoice.total,
        "amount_due": invoice.amount_due,
        "billing_reason": invoice.billing_reason,
        "period": (invoice.period_start, invoice.period_end) if on_clock else None,
        "customer": invoice.customer,
    }


def test_upcoming_for_a_customer_is_create_previews_answer(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "once"})
    error = refused(client, "/v1/invoices/upcoming", customer=customer.id)
    assert_stripe_error(
        error,
        status=400,
        code="invoice_upcoming_none",
        message=f"No upcoming invoices for customer: {customer.id}",
    )
    pending = item(client, customer.id, 2000)
    before = types_of(client)
    extra = [{"amount": 500, "currency": "usd", "description": "Extra"}]
    old = upcoming(client, customer=customer.id, invoice_items=extra, coupon=coupon.id)
    assert old.id.startswith("upcoming_in_") and old.status == "draft"
    assert (old.subtotal, old.total) == (2500, 2250)
    assert check_totals(client, old)
    assert pending.id in [line.parent.invoice_item_details.invoice_item for line in old.lines.data]
    new = client.v1.invoices.create_preview(
        params={
            "customer": customer.id,
            "invoice_items": extra,
            "discounts": [{"coupon": coupon.id}],
        }
    )
    assert comparable(old, on_clock=False) == comparable(new, on_clock=False)
    # Nothing was kept: no invoice, no new item, no redemption, no event.
    assert client.v1.invoices.list().data == []
    assert [i.id for i in client.v1.invoice_items.list().data] == [pending.id]
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 0
    assert types_of(client) == before
    # Expansion works as on any invoice.
    expanded = upcoming(client, customer=customer.id, expand=["customer"])
    assert expanded.customer.id == customer.id


def test_upcoming_with_subscription_changes(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    basic = recurring_price(client, 1000, name="Basic")
    pro = recurring_price(client, 3000, name="Pro")
    sub = billing.subscribe(items=[{"price": basic.id}])
    at = T0 + 8 * DAY
    billing.advance(at)
    item_id = sub["items"].data[0].id
    renewal = upcoming(client, subscription=sub.id)
    assert renewal.total == 1000 and renewal.billing_reason == "upcoming"
    assert renewal.customer == billing.customer  # found from the subscription
    old = upcoming(
        client,
        customer=billing.customer,
        subscription=sub.id,
        subscription_items=[{"id": item_id, "price": pro.id}],
        subscription_proration_date=at,
        subscription_proration_behavior="create_prorations",
    )
    end = add_months(T0, 1)
    credit = -prorated(1000, end - at, end - T0)
    charge = prorated(3000, end - at, end - T0)
    assert [line.amount for line in check_totals(client, old)] == [credit, charge, 3000]
    new = client.v1.invoices.create_preview(
        params={
            "customer": billing.customer,
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": item_id, "price": pro.id}],
                "proration_date": at,
                "proration_behavior": "create_prorations",
            },
        }
    )
    assert comparable(old) == comparable(new)
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == basic.id
    assert client.v1.invoice_items.list(params={"customer": billing.customer}).data == []
    cancel = refused(
        client, "/v1/invoices/upcoming", subscription=sub.id, subscription_cancel_at_period_end=True
    )
    assert_stripe_error(cancel, status=400, code="invoice_upcoming_none")
    # A new subscription's first invoice, from the flat item list.
    first = upcoming(
        client, customer=billing.customer, subscription_items=[{"price": pro.id, "quantity": 2}]
    )
    assert first.total == 6000
    assert len(client.v1.subscriptions.list().data) == 1


def test_upcoming_lines_page_through_every_line(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    for n in range(1, 13):
        item(client, customer.id, 100 * n)
    invoice = upcoming(client, customer=customer.id)
    assert invoice.lines.total_count == 12 and invoice.lines.has_more is True
    first = upcoming_lines(client, customer=customer.id, limit=5)
    assert len(first["data"]) == 5 and first["has_more"] is True
    assert [line["amount"] for line in first["data"]] == [
        line.amount for line in invoice.lines.data[:5]
    ]
    seen = list(first["data"])
    while seen and len(seen) < 12:
        page = upcoming_lines(client, customer=customer.id, limit=5, starting_after=seen[-1]["id"])
        seen += page["data"]
    assert sorted(line["amount"] for line in seen) == [100 * n for n in range(1, 13)]
    assert page["has_more"] is False and len(page["data"]) == 2
    everything = upcoming_lines(client, customer=customer.id, limit=100)
    assert len(everything["data"]) == 12 and everything["has_more"] is False
    # A preview is computed afresh on each call, yet its lines keep their ids.
    assert [line["id"] for line in everything["data"][:10]] == [
        line.id for line in invoice.lines.data
    ]
    assert all(line["id"].startswith("il_tmp_") for line in everything["data"])
    error = refused(
        client, "/v1/invoices/upcoming/lines", customer=customer.id, starting_after="il_nope"
    )
    assert_stripe_error(error, status=400, param="starting_after", code="resource_missing")
    error = refused(client, "/v1/invoices/upcoming/lines", customer=customer.id, limit="x")
    assert_stripe_error(error, status=400, param="limit", code="parameter_invalid_integer")


def test_upcoming_refusals_name_the_old_parameters(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 1000)
    sub = billing.subscribe(items=[{"price": price.id}])
    path = "/v1/invoices/upcoming"
    error = refused(client, path)
    assert_stripe_error(error, status=400, param="customer", code="parameter_missing")
    error = refused(client, path, customer=billing.customer, colour="red")
    assert_stripe_error(error, status=400, param="colour", code="parameter_unknown")
    error = refused(client, path, subscription=sub.id, subscription_proration_behavior="maybe")
    assert_stripe_error(error, status=400, param="subscription_proration_behavior")
    assert error.user_message.startswith("Invalid subscription_proration_behavior: must be")
    error = refused(
        client, path, subscription=sub.id, subscription_items=[{"price": price.id, "quantity": "x"}]
    )
    assert_stripe_error(
        error,
        status=400,
        param="subscription_items[0][quantity]",
        code="parameter_invalid_integer",
    )
    error = refused(client, path, subscription=sub.id, subscription_items=[{"colour": "red"}])
    assert_stripe_error(
        error, status=400, param="subscription_items[0][colour]", code="parameter_unknown"
    )
    error = refused(client, path, subscription="sub_missing")
    assert_stripe_error(error, status=400, param="subscription", code="resource_missing")
    error = refused(client, path, customer="cus_missing")
    assert_stripe_error(error, status=400, param="customer", code="resource_missing")
    error = refused(
        client,
        path,
        customer=billing.customer,
        coupon="c",
        discounts=[{"coupon": "c"}],
    )
    assert_stripe_error(error, status=400, param="coupon")
    error = refused(
        client,
        path,
        subscription=sub.id,
        subscription_trial_end="now",
        subscription_details={"trial_end": "now"},
    )
    assert_stripe_error(error, status=400, param="subscription_trial_end")


def test_upcoming_is_not_an_invoice_id(sk: Harness) -> None:
    """The literal route wins: `upcoming` is never looked up as an invoice."""
    customer = sk.client.v1.customers.create()
    response = sk.raw("GET", "/v1/invoices/upcoming", query=f"customer={customer.id}")
    assert response.status == 400
    assert response.body["error"]["code"] == "invoice_upcoming_none"
    response = sk.raw("POST", "/v1/invoices/upcoming", validate=False)
    assert response.status == 404  # no such operation; never "No such invoice: 'upcoming'"
    assert "Unrecognized request URL" in response.body["error"]["message"]


def test_upcoming_bills_legacy_usage_so_far(sk: Harness) -> None:
    legacy = sk.make_client(sk.api_key, stripe_version=LEGACY_VERSION)
    billing = on_clock(legacy)
    price = recurring_price(legacy, 4, name="API", recurring={"usage_type": "metered"})
    sub = billing.subscribe(items=[{"price": price.id}])
    item_id = sub["items"].data[0].id
    billing.advance(T0 + 5 * DAY)
    legacy.raw_request("post", f"/v1/subscription_items/{item_id}/usage_records", quantity=75)
    invoice = upcoming(legacy, subscription=sub.id)
    (line,) = check_totals(legacy, invoice)
    assert (line.quantity, line.amount) == (75, 300)
    assert (line.period.start, line.period.end) == (T0, add_months(T0, 1))
    lines = upcoming_lines(legacy, subscription=sub.id)
    assert [entry["quantity"] for entry in lines["data"]] == [75]
