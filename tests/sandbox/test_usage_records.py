"""Legacy metered billing, in both modes: usage records and usage record summaries on
subscription items whose metered price has no meter (what clients on API versions before
2025-03-31.basil use), and the usage billed at period end on a test clock.

The pinned spec has neither endpoint, so the SDK has no methods for them: calls go through
`StripeClient.raw_request`, and their successful answers are checked here by hand
(`schema_check.LEGACY_OPERATIONS` lets them through the automatic schema check).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stripe
from test_billing_scenarios import (
    DAY,
    HOUR,
    T0,
    add_months,
    check_totals,
    on_clock,
    recurring_price,
)

from conftest import Harness, assert_stripe_error
from stripekit.sandbox import Sandbox

# A version from before meters were required: metered prices may go without one.
LEGACY_VERSION = "2024-06-20"
RECORD_FIELDS = {"id", "object", "livemode", "quantity", "subscription_item", "timestamp"}
SUMMARY_FIELDS = {
    "id",
    "object",
    "invoice",
    "livemode",
    "period",
    "subscription_item",
    "total_usage",
}


@pytest.fixture
def legacy(sk: Harness) -> stripe.StripeClient:
    return sk.make_client(sk.api_key, stripe_version=LEGACY_VERSION)


def record(client: stripe.StripeClient, item: str, **params: Any) -> dict[str, Any]:
    response = client.raw_request("post", f"/v1/subscription_items/{item}/usage_records", **params)
    body: dict[str, Any] = response.data
    assert set(body) == RECORD_FIELDS, body
    assert body["id"].startswith("mbur_") and body["object"] == "usage_record"
    assert body["livemode"] is False and body["subscription_item"] == item
    assert isinstance(body["quantity"], int) and isinstance(body["timestamp"], int)
    return body


def summaries(client: stripe.StripeClient, item: str, **params: Any) -> dict[str, Any]:
    response = client.raw_request(
        "get", f"/v1/subscription_items/{item}/usage_record_summaries", **params
    )
    page: dict[str, Any] = response.data
    assert page["object"] == "list"
    assert page["url"] == f"/v1/subscription_items/{item}/usage_record_summaries"
    for summary in page["data"]:
        assert set(summary) == SUMMARY_FIELDS, summary
        assert summary["id"].startswith("sis_") and summary["object"] == "usage_record_summary"
        assert summary["livemode"] is False and summary["subscription_item"] == item
        assert set(summary["period"]) == {"start", "end"}
        assert isinstance(summary["total_usage"], int)
    return page


def refused(call: Any, *args: Any, **params: Any) -> stripe.StripeError:
    with pytest.raises(stripe.StripeError) as caught:
        call(*args, **params)
    return caught.value


def metered_subscription(client: stripe.StripeClient, *, unit_amount: int = 4) -> tuple[Any, str]:
    """A customer on a test clock subscribed to a legacy metered price: (billing, item id)."""
    billing = on_clock(client)
    price = recurring_price(client, unit_amount, name="API", recurring={"usage_type": "metered"})
    assert price.recurring.usage_type == "metered" and price.recurring.meter is None
    sub = billing.subscribe(items=[{"price": price.id}])
    assert sub.status == "active" and sub.latest_invoice is None
    return billing, sub["items"].data[0].id


def test_metered_price_without_meter_needs_an_older_version(
    client: stripe.StripeClient, legacy: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        recurring_price(client, 4, recurring={"usage_type": "metered"})
    assert_stripe_error(
        caught.value,
        status=400,
        message="Starting with Stripe version `2025-03-31.basil`, metered prices must be "
        "backed by meters.",
    )
    price = recurring_price(legacy, 4, recurring={"usage_type": "metered"})
    assert (price.recurring.usage_type, price.recurring.meter) == ("metered", None)
    plan = legacy.v1.plans.create(
        params={
            "amount": 3,
            "currency": "usd",
            "interval": "month",
            "usage_type": "metered",
            "product": price.product,
        }
    )
    assert (plan.usage_type, plan.meter) == ("metered", None)


def test_increment_and_set_at_one_timestamp(legacy: stripe.StripeClient) -> None:
    billing, item = metered_subscription(legacy)
    billing.advance(T0 + DAY)
    first = record(legacy, item, quantity=5)
    assert (first["quantity"], first["timestamp"]) == (5, T0 + DAY)  # "now" on the clock
    again = record(legacy, item, quantity=3, timestamp="now", action="increment")
    assert (again["id"], again["quantity"]) == (first["id"], 8)
    replaced = record(legacy, item, quantity=2, timestamp=T0 + DAY, action="set")
    assert (replaced["id"], replaced["quantity"]) == (first["id"], 2)
    earlier = record(legacy, item, quantity=10, timestamp=T0 + HOUR)
    assert earlier["id"] != first["id"] and earlier["quantity"] == 10
    (current,) = summaries(legacy, item)["data"]
    assert current["total_usage"] == 12 and current["invoice"] is None
    assert current["period"] == {"start": T0, "end": add_months(T0, 1)}
    # A retried increment with its idempotency key counts once.
    once = record(legacy, item, quantity=4, timestamp=T0 + HOUR, idempotency_key="usage-1")
    twice = record(legacy, item, quantity=4, timestamp=T0 + HOUR, idempotency_key="usage-1")
    assert once == twice and twice["quantity"] == 14
    assert summaries(legacy, item)["data"][0]["total_usage"] == 16


def test_usage_records_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "legacy.db"
    with Sandbox(db) as sandbox:
        key = sandbox.new_api_key()
        billing, item = metered_subscription(sandbox.client(key, stripe_version=LEGACY_VERSION))
        billing.advance(T0 + DAY)
        record(billing.client, item, quantity=9)
    with Sandbox(db) as sandbox:
        client = sandbox.client(key, stripe_version=LEGACY_VERSION)
        (current,) = summaries(client, item)["data"]
        assert current["total_usage"] == 9
        again = record(client, item, quantity=1, timestamp=T0 + DAY)
        assert again["quantity"] == 10


def test_usage_billed_at_period_end_on_a_test_clock(legacy: stripe.StripeClient) -> None:
    billing, item = metered_subscription(legacy)
    end = add_months(T0, 1)
    for day, quantity in ((1, 120), (10, 30), (29, 50)):
        billing.advance(T0 + day * DAY)
        record(legacy, item, quantity=quantity)
    billing.advance(end + 2 * HOUR)
    record(legacy, item, quantity=1000)  # the renewal ran first: period two
    invoices = billing.invoices()
    assert len(invoices) == 1
    invoice = invoices[0]
    assert invoice.billing_reason == "subscription_cycle" and invoice.created == end
    assert invoice.status == "paid" and invoice.amount_paid == 200 * 4
    (line,) = check_totals(legacy, invoice)
    assert (line.quantity, line.amount) == (200, 800)
    assert (line.period.start, line.period.end) == (T0, end)
    assert line.parent.subscription_item_details.subscription_item == item
    page = summaries(legacy, item)
    current, billed = page["data"]
    assert current["period"] == {"start": end, "end": add_months(T0, 2)}
    assert (current["total_usage"], current["invoice"]) == (1000, None)
    assert billed["period"] == {"start": T0, "end": end}
    assert (billed["total_usage"], billed["invoice"]) == (200, invoice.id)
    billing.advance(add_months(T0, 2) + 2 * HOUR)
    second = billing.invoices()[-1]
    (line,) = check_totals(legacy, second)
    assert (line.quantity, line.amount, second.status) == (1000, 4000, "paid")
    page = summaries(legacy, item)
    assert [s["total_usage"] for s in page["data"]] == [0, 1000, 200]
    assert [s["invoice"] for s in page["data"]] == [None, second.id, invoice.id]
    # Cursor pagination, newest period first.
    one = summaries(legacy, item, limit=1)
    assert one["has_more"] is True and one["data"] == page["data"][:1]
    rest = summaries(legacy, item, starting_after=one["data"][0]["id"])
    assert rest["has_more"] is False and rest["data"] == page["data"][1:]
    back = summaries(legacy, item, ending_before=page["data"][2]["id"], limit=1)
    assert back["data"] == page["data"][1:2] and back["has_more"] is True


def test_refusals_change_nothing(sk: Harness, legacy: stripe.StripeClient) -> None:
    billing, item = metered_subscription(legacy)
    billing.advance(T0 + 3 * DAY)
    record(legacy, item, quantity=7)
    post = legacy.raw_request
    path = f"/v1/subscription_items/{item}/usage_records"
    cases: list[tuple[dict[str, Any], str | None, str | None]] = [
        ({}, "quantity", "parameter_missing"),
        ({"quantity": "many"}, "quantity", "parameter_invalid_integer"),
        ({"quantity": -1}, "quantity", None),
        ({"quantity": 1, "action": "add"}, "action", None),
        ({"quantity": 1, "timestamp": "yesterday"}, "timestamp", "parameter_invalid_integer"),
        ({"quantity": 1, "timestamp": T0 - 1}, "timestamp", None),  # before the period
        ({"quantity": 1, "timestamp": T0 + 3 * DAY + HOUR}, "timestamp", None),  # future
        ({"quantity": 1, "colour": "red"}, "colour", "parameter_unknown"),
    ]
    for params, param, code in cases:
        error = refused(post, "post", path, **params)
        assert_stripe_error(error, status=400, param=param, code=code)
    error = refused(post, "post", path, quantity=1, timestamp=T0 - 1)
    assert "after the subscription's last invoice period" in error.user_message
    error = refused(post, "post", "/v1/subscription_items/si_missing/usage_records", quantity=1)
    assert_stripe_error(error, status=404, param="subscription_item", code="resource_missing")
    (current,) = summaries(legacy, item)["data"]
    assert current["total_usage"] == 7
    # Another account does not see the item.
    stranger = sk.make_client(sk.new_key(), stripe_version=LEGACY_VERSION)
    error = refused(stranger.raw_request, "post", path, quantity=1)
    assert_stripe_error(error, status=404, param="subscription_item", code="resource_missing")
    error = refused(stranger.raw_request, "get", path.replace("records", "record_summaries"))
    assert_stripe_error(error, status=404, param="subscription_item", code="resource_missing")


def test_only_legacy_metered_items_take_usage_records(
    client: stripe.StripeClient, legacy: stripe.StripeClient
) -> None:
    billing = on_clock(client)
    meter = client.v1.billing.meters.create(
        params={
            "display_name": "API calls",
            "event_name": "api_calls",
            "default_aggregation": {"formula": "sum"},
        }
    )
    metered = recurring_price(
        client, 4, name="API", recurring={"usage_type": "metered", "meter": meter.id}
    )
    licensed = recurring_price(client, 1000, name="Seat")
    sub = billing.subscribe(items=[{"price": licensed.id}, {"price": metered.id}])
    seat, api = (item.id for item in sub["items"].data)
    error = refused(
        legacy.raw_request, "post", f"/v1/subscription_items/{api}/usage_records", quantity=1
    )
    assert_stripe_error(
        error,
        status=400,
        message=f"Cannot create a usage record for `{api}` because it is not on the legacy "
        "metered billing system. Call /v1/billing/meter_events instead.",
    )
    summaries_path = f"/v1/subscription_items/{api}/usage_record_summaries"
    error = refused(legacy.raw_request, "get", summaries_path)
    assert_stripe_error(
        error,
        status=400,
        message=f"Cannot list usage record summaries for `{api}` because it is not on the "
        "legacy metered billing system. Call /v1/billing/meters/:id/event_summaries instead.",
    )
    error = refused(
        legacy.raw_request, "post", f"/v1/subscription_items/{seat}/usage_records", quantity=1
    )
    assert_stripe_error(error, status=400)
    assert "metered" in error.user_message


def test_no_usage_on_a_canceled_subscription(legacy: stripe.StripeClient) -> None:
    _, item = metered_subscription(legacy)
    sub_id = legacy.v1.subscription_items.retrieve(item).subscription
    legacy.v1.subscriptions.cancel(sub_id)
    error = refused(
        legacy.raw_request, "post", f"/v1/subscription_items/{item}/usage_records", quantity=1
    )
    assert_stripe_error(error, status=400)
    assert sub_id in error.user_message and "canceled" in error.user_message
