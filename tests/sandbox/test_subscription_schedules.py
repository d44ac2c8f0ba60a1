"""Subscription schedules through the official SDK, in both modes: a two-phase schedule
driven by a test clock through both phases and its end, a future start, taking over a
subscription, updates, cancel and release, lists, and refusals that change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from test_billing_scenarios import (
    DAY,
    T0,
    Billing,
    X,
    add_months,
    check_totals,
    on_clock,
    prorated,
    recurring_price,
)

from conftest import assert_stripe_error


def schedule_events(
    client: stripe.StripeClient, prefix: str = "subscription_schedule."
) -> list[str]:
    """Event types about schedules, oldest first."""
    found = client.v1.events.list(params={"limit": 100}).data
    return [event.type for event in reversed(found) if event.type.startswith(prefix)]


def two_phases(billing: Billing, client: stripe.StripeClient, **params: Any) -> Any:
    """Gold x1 for one month, then Gold x3 plus Silver for two months."""
    gold = recurring_price(client, 1000)
    silver = recurring_price(client, 500, name="Silver")
    return (
        client.v1.subscription_schedules.create(
            params={
                "customer": billing.customer,
                "start_date": "now",
                "phases": [
                    {"items": [{"price": gold.id, "quantity": 1}], "metadata": {"phase": "one"}},
                    {
                        "items": [
                            {"price": gold.id, "quantity": 3},
                            {"price": silver.id},
                        ],
                        "duration": {"interval": "month", "interval_count": 2},
                        "metadata": {"phase": "two"},
                    },
                ],
                **params,
            }
        ),
        gold,
        silver,
    )


def items_of(client: stripe.StripeClient, sub_id: str) -> dict[str, int | None]:
    sub = client.v1.subscriptions.retrieve(sub_id)
    return {item.price.id: item.to_dict().get("quantity") for item in sub["items"].data}


def test_two_phases_on_a_test_clock_then_cancel(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    schedule, gold, silver = two_phases(billing, client, end_behavior="cancel")
    one, two, end = T0, add_months(T0, 1), add_months(T0, 3)
    assert schedule.id.startswith("sub_sched_") and schedule.object == "subscription_schedule"
    assert (schedule.status, schedule.end_behavior, schedule.customer) == (
        "active",
        "cancel",
        billing.customer,
    )
    assert schedule.test_clock == billing.clock
    assert [(p.start_date, p.end_date) for p in schedule.phases] == [(one, two), (two, end)]
    assert (schedule.current_phase.start_date, schedule.current_phase.end_date) == (one, two)
    assert schedule.phases[1].items[0].quantity == 3 and schedule.phases[0].currency == "usd"
    assert schedule.default_settings.collection_method == "charge_automatically"
    sub = client.v1.subscriptions.retrieve(
        schedule.subscription, params={"expand": ["latest_invoice"]}
    )
    assert (sub.status, sub.schedule, sub.cancel_at) == ("active", schedule.id, None)
    assert sub.metadata.to_dict() == {"phase": "one"}
    assert items_of(client, sub.id) == {gold.id: 1}
    assert sub.latest_invoice.total == 1000 and sub.latest_invoice.status == "paid"
    assert schedule_events(client) == ["subscription_schedule.created"]
    expanded = client.v1.subscription_schedules.retrieve(
        schedule.id, params={"expand": ["subscription"]}
    )
    assert expanded.subscription.id == sub.id

    billing.advance(two)  # phase two: the renewal bills the new prices
    schedule = client.v1.subscription_schedules.retrieve(schedule.id)
    assert (schedule.current_phase.start_date, schedule.current_phase.end_date) == (two, end)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert items_of(client, sub.id) == {gold.id: 3, silver.id: 1}
    assert sub.metadata.to_dict() == {"phase": "two"}
    assert sub.cancel_at == end  # the last phase ends the subscription
    invoice = sub.latest_invoice
    assert invoice.billing_reason == "subscription_cycle" and invoice.total == 3500
    lines = check_totals(client, invoice)
    assert sorted(line.amount for line in lines) == [500, 3000]
    assert f"3 {X} Gold (at $10.00 / month)" in {line.description for line in lines}
    assert schedule_events(client)[-1] == "subscription_schedule.updated"

    billing.advance(add_months(T0, 2))  # a renewal inside phase two
    invoices = billing.invoices(sub.id)
    assert [i.total for i in invoices] == [1000, 3500, 3500]

    billing.advance(end)  # the end: canceled, schedule completed
    schedule = client.v1.subscription_schedules.retrieve(schedule.id)
    assert (schedule.status, schedule.completed_at, schedule.current_phase) == (
        "completed",
        end,
        None,
    )
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert (sub.status, sub.ended_at) == ("canceled", end)
    assert len(billing.invoices(sub.id)) == 3  # nothing billed after the end
    assert schedule_events(client) == [
        "subscription_schedule.created",
        "subscription_schedule.updated",
        "subscription_schedule.completed",
    ]
    deleted = client.v1.events.list(params={"type": "customer.subscription.deleted"}).data
    assert [e.data.object.id for e in deleted] == [sub.id]


def test_release_at_the_end_leaves_the_subscription_running(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    schedule, gold, silver = two_phases(billing, client)
    assert schedule.end_behavior == "release"
    billing.advance(add_months(T0, 1))
    billing.advance(add_months(T0, 3))
    schedule = client.v1.subscription_schedules.retrieve(schedule.id)
    assert (schedule.status, schedule.released_at) == ("released", add_months(T0, 3))
    assert schedule.subscription is None and schedule.current_phase is None
    sub = client.v1.subscriptions.retrieve(schedule.released_subscription)
    assert (sub.status, sub.schedule, sub.cancel_at) == ("active", None, None)
    assert items_of(client, sub.id) == {gold.id: 3, silver.id: 1}
    billing.advance(add_months(T0, 4))  # it renews on its own
    assert [i.total for i in billing.invoices(sub.id)] == [1000, 3500, 3500, 3500, 3500]
    assert schedule_events(client)[-1] == "subscription_schedule.released"


def test_future_start_creates_the_subscription_on_time(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    gold = recurring_price(client, 1000)
    start = T0 + 10 * DAY
    schedule = client.v1.subscription_schedules.create(
        params={
            "customer": billing.customer,
            "start_date": start,
            "phases": [{"items": [{"price": gold.id, "quantity": 2}], "trial": True}],
        }
    )
    assert (schedule.status, schedule.subscription, schedule.current_phase) == (
        "not_started",
        None,
        None,
    )
    end = add_months(start, 1)
    assert (schedule.phases[0].start_date, schedule.phases[0].end_date) == (start, end)
    assert schedule.phases[0].trial_end == end
    assert client.v1.subscriptions.list(params={"customer": billing.customer}).data == []
    listed = client.v1.subscription_schedules.list(params={"scheduled": True}).data
    assert [s.id for s in listed] == [schedule.id]

    billing.advance(start - 1)
    assert client.v1.subscription_schedules.retrieve(schedule.id).status == "not_started"
    billing.advance(start)
    schedule = client.v1.subscription_schedules.retrieve(schedule.id)
    assert schedule.status == "active" and schedule.current_phase.start_date == start
    sub = client.v1.subscriptions.retrieve(schedule.subscription)
    assert (sub.status, sub.start_date, sub.trial_end, sub.schedule) == (
        "trialing",
        start,
        end,
        schedule.id,
    )
    assert client.v1.subscription_schedules.list(params={"scheduled": True}).data == []
    assert schedule_events(client) == [
        "subscription_schedule.created",
        "subscription_schedule.updated",
    ]


def test_from_subscription_takes_over(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    gold = recurring_price(client, 1000)
    sub = billing.subscribe(items=[{"price": gold.id, "quantity": 2}])
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    assert (schedule.status, schedule.subscription, schedule.customer) == (
        "active",
        sub.id,
        billing.customer,
    )
    (phase,) = schedule.phases
    assert (phase.start_date, phase.end_date) == (T0, add_months(T0, 1))
    assert [(i.price, i.quantity) for i in phase.items] == [(gold.id, 2)]
    assert client.v1.subscriptions.retrieve(sub.id).schedule == schedule.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    assert_stripe_error(exc.value, status=400, param="from_subscription")
    # A new phase after the current one: a downgrade at the renewal.
    updated = client.v1.subscription_schedules.update(
        schedule.id,
        params={
            "phases": [
                {
                    "items": [{"price": gold.id, "quantity": 2}],
                    "start_date": T0,
                    "end_date": phase.end_date,
                },
                {"items": [{"price": gold.id, "quantity": 1}]},
            ]
        },
    )
    assert [p.items[0].quantity for p in updated.phases] == [2, 1]
    billing.advance(add_months(T0, 1))
    assert items_of(client, sub.id) == {gold.id: 1}
    assert [i.total for i in billing.invoices(sub.id)] == [2000, 1000]


def test_update_current_phase_prorates_and_future_phases_replace(
    client: stripe.StripeClient,
) -> None:
    billing = on_clock(client)
    schedule, gold, silver = two_phases(billing, client)
    billing.advance(T0 + 15 * DAY)
    updated = client.v1.subscription_schedules.update(
        schedule.id,
        params={
            "metadata": {"k": "v"},
            "proration_behavior": "always_invoice",
            "phases": [
                {"start_date": T0, "items": [{"price": gold.id, "quantity": 2}]},
                {"items": [{"price": silver.id, "quantity": 4}]},
            ],
        },
    )
    assert updated.metadata.to_dict() == {"k": "v"}
    assert [p.items[0].quantity for p in updated.phases] == [2, 4]
    assert updated.phases[1].end_date == add_months(add_months(T0, 1), 1)
    sub = client.v1.subscriptions.retrieve(
        updated.subscription, params={"expand": ["latest_invoice"]}
    )
    assert items_of(client, sub.id) == {gold.id: 2}
    invoice = sub.latest_invoice
    period = add_months(T0, 1) - T0
    remaining = add_months(T0, 1) - (T0 + 15 * DAY)
    # Two at $10 for the rest of the month, less the unused time of one.
    expected = prorated(2000, remaining, period) - prorated(1000, remaining, period)
    assert invoice.billing_reason == "subscription_update"
    assert invoice.total == expected
    billing.advance(add_months(T0, 1))
    assert items_of(client, sub.id) == {silver.id: 4}
    assert schedule_events(client).count("subscription_schedule.updated") == 2


def test_cancel_and_release(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    schedule, _, _ = two_phases(billing, client)
    canceled = client.v1.subscription_schedules.cancel(
        schedule.id, params={"invoice_now": False, "prorate": False}
    )
    assert (canceled.status, canceled.canceled_at, canceled.current_phase) == ("canceled", T0, None)
    assert client.v1.subscriptions.retrieve(schedule.subscription).status == "canceled"
    for call in (
        client.v1.subscription_schedules.cancel,
        client.v1.subscription_schedules.release,
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call(schedule.id)
        assert_stripe_error(exc.value, status=400)
        assert "`canceled` status" in str(exc.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_schedules.update(schedule.id, params={"metadata": {"a": "b"}})
    assert_stripe_error(exc.value, status=400)
    assert client.v1.subscription_schedules.retrieve(schedule.id).metadata.to_dict() == {}

    other, _, _ = two_phases(billing, client, end_behavior="cancel")
    sub_id = other.subscription
    billing.advance(add_months(T0, 1))  # the last phase: the subscription carries cancel_at
    assert client.v1.subscriptions.retrieve(sub_id).cancel_at == add_months(T0, 3)
    released = client.v1.subscription_schedules.release(other.id)
    assert (released.status, released.subscription, released.released_subscription) == (
        "released",
        None,
        sub_id,
    )
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert (sub.schedule, sub.cancel_at, sub.status) == (None, None, "active")
    assert schedule_events(client)[-1] == "subscription_schedule.released"


def test_cancel_by_default_prorates_and_invoices_now(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    schedule, _, _ = two_phases(billing, client)
    billing.advance(T0 + 10 * DAY)
    client.v1.subscription_schedules.cancel(schedule.id)
    sub = client.v1.subscriptions.retrieve(
        schedule.subscription, params={"expand": ["latest_invoice"]}
    )
    assert (sub.status, sub.ended_at) == ("canceled", T0 + 10 * DAY)
    period = add_months(T0, 1) - T0
    credit = -prorated(1000, period - 10 * DAY, period)
    assert sub.latest_invoice.total == credit  # the unused time, credited at once
    assert schedule_events(client)[-1] == "subscription_schedule.canceled"


def starting_tomorrow(client: stripe.StripeClient) -> tuple[Billing, Any, Any]:
    """A customer on a clock, a Gold price, and a schedule of Gold starting a day later."""
    billing = on_clock(client)
    gold = recurring_price(client, 1000)
    schedule = client.v1.subscription_schedules.create(
        params={
            "customer": billing.customer,
            "start_date": T0 + DAY,
            "phases": [{"items": [{"price": gold.id}]}],
        }
    )
    return billing, gold, schedule


def test_moving_a_future_start(client: stripe.StripeClient) -> None:
    billing, gold, schedule = starting_tomorrow(client)
    later = T0 + 5 * DAY
    moved = client.v1.subscription_schedules.update(
        schedule.id,
        params={"phases": [{"start_date": later, "items": [{"price": gold.id, "quantity": 2}]}]},
    )
    assert (moved.phases[0].start_date, moved.phases[0].end_date) == (later, add_months(later, 1))
    billing.advance(T0 + 2 * DAY)  # the old start passes: nothing starts
    assert client.v1.subscription_schedules.retrieve(schedule.id).status == "not_started"
    billing.advance(later)
    started = client.v1.subscription_schedules.retrieve(schedule.id)
    assert started.status == "active"
    assert items_of(client, started.subscription) == {gold.id: 2}
    (invoice,) = billing.invoices(started.subscription)
    assert (invoice.total, invoice.created) == (2000, later)


def test_cancel_a_not_started_schedule(client: stripe.StripeClient) -> None:
    billing, _, schedule = starting_tomorrow(client)
    canceled = client.v1.subscription_schedules.cancel(schedule.id)
    assert canceled.status == "canceled" and canceled.subscription is None
    billing.advance(T0 + 2 * DAY)
    assert client.v1.subscriptions.list(params={"customer": billing.customer}).data == []


def test_list_filters(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    first, _, _ = two_phases(billing, client)
    second, _, _ = two_phases(billing, client)
    client.v1.subscription_schedules.cancel(second.id)
    other = client.v1.customers.create()
    listed = client.v1.subscription_schedules.list(params={"customer": billing.customer})
    assert [s.id for s in listed.data] == [second.id, first.id]
    assert client.v1.subscription_schedules.list(params={"customer": other.id}).data == []
    canceled = client.v1.subscription_schedules.list(params={"canceled_at": {"gte": T0}})
    assert [s.id for s in canceled.data] == [second.id]
    page = client.v1.subscription_schedules.list(params={"limit": 1})
    assert page.has_more is True and page.url == "/v1/subscription_schedules"


@pytest.mark.parametrize(
    ("phases", "extra", "param", "code", "message_part"),
    [
        ([], {}, "phases", "parameter_missing", "Missing required param: phases."),
        (
            [{"items": [{"price": "price_missing"}]}],
            {},
            "phases[0][items][0][price]",
            "resource_missing",
            "price_missing",
        ),
        (
            [{"items": [{"price": "GOLD"}], "end_date": T0 - DAY}],
            {},
            "phases[0][end_date]",
            None,
            "after",
        ),
        (
            [
                {
                    "items": [{"price": "GOLD"}],
                    "end_date": T0 + DAY,
                    "duration": {"interval": "month"},
                }
            ],
            {},
            "phases[0][end_date]",
            None,
            "only specify one",
        ),
        (
            [{"items": [{"price": "GOLD"}]}],
            {"start_date": T0 - DAY},
            "start_date",
            None,
            "backdating",
        ),
        (
            [{"proration_behavior": "none"}],
            {},
            "phases[0][items]",
            "parameter_missing",
            "Missing required",
        ),
    ],
)
def test_bad_inputs_change_nothing(
    client: stripe.StripeClient,
    phases: list[dict[str, Any]],
    extra: dict[str, Any],
    param: str,
    code: str | None,
    message_part: str,
) -> None:
    billing = on_clock(client)
    gold = recurring_price(client, 1000)
    phases = json.loads(json.dumps(phases).replace('"GOLD"', json.dumps(gold.id)))
    before = len(client.v1.events.list(params={"limit": 100}).data)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_schedules.create(
            params={"customer": billing.customer, "phases": phases, **extra}
        )
    assert_stripe_error(exc.value, status=400, code=code, param=param)
    assert message_part in str(exc.value.user_message)
    assert client.v1.subscription_schedules.list().data == []
    assert client.v1.subscriptions.list(params={"customer": billing.customer}).data == []
    assert len(client.v1.events.list(params={"limit": 100}).data) == before


def test_update_refuses_changing_the_current_phase_start(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    schedule, gold, _ = two_phases(billing, client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_schedules.update(
            schedule.id,
            params={"phases": [{"start_date": T0 + DAY, "items": [{"price": gold.id}]}]},
        )
    assert_stripe_error(
        exc.value,
        status=400,
        param="phases[0][start_date]",
        message="You can not modify the start date of the current phase.",
    )
    assert client.v1.subscription_schedules.retrieve(schedule.id).phases == schedule.phases


def test_missing_schedule_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscription_schedules.retrieve("sub_sched_missing")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="schedule",
        message="No such subscription schedule: 'sub_sched_missing'",
    )
