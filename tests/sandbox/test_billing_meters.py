"""Billing meters, meter events, adjustments and event summaries through the official SDK,
in both modes, and the usage the subscriptions module bills from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework.context import RequestContext
from stripekit.sandbox.framework.errors import InvalidRequestError
from stripekit.sandbox.resources import billing_meters

DAY = 86400
HOUR = 3600
FROZEN = 1_900_000_800  # a whole hour... and minute
T = TypeVar("T")


def in_sandbox(sk: Harness, fn: Callable[[RequestContext], T]) -> T:
    engine = sk.sandbox.engine
    with engine.context_for(sk.api_key) as ctx:
        return fn(ctx)


def _usage(sk: Harness, meter: str, customer: str, start: int, end: int) -> int | float:
    return in_sandbox(sk, lambda ctx: billing_meters.usage(ctx, meter, customer, start, end))


def _error(call: Callable[[], Any]) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        call()
    return exc.value


def _meter(client: stripe.StripeClient, **params: Any) -> Any:
    base = {
        "display_name": "API calls",
        "event_name": "api_call",
        "default_aggregation": {"formula": "sum"},
    }
    return client.v1.billing.meters.create(params={**base, **params})  # type: ignore[arg-type]


def _event(client: stripe.StripeClient, customer: str, value: Any = None, **params: Any) -> Any:
    payload = {"stripe_customer_id": customer}
    if value is not None:
        payload["value"] = str(value)
    payload.update(params.pop("payload", {}))
    return client.v1.billing.meter_events.create(
        params={"event_name": params.pop("event_name", "api_call"), "payload": payload, **params}
    )


def _minute(t: int) -> int:
    return t - t % 60


# -- meters ------------------------------------------------------------------------------------


def test_create_has_stripe_shape(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    assert meter.id.startswith("mtr_test_61") and len(meter.id) == len("mtr_test_") + 32
    assert meter.object == "billing.meter"
    assert meter.display_name == "API calls" and meter.event_name == "api_call"
    assert meter.default_aggregation.formula == "sum"
    assert meter.customer_mapping.to_dict() == {
        "event_payload_key": "stripe_customer_id",
        "type": "by_id",
    }
    assert meter.value_settings.event_payload_key == "value"
    assert meter.event_time_window is None and meter.status == "active"
    assert meter.status_transitions.deactivated_at is None
    assert meter.created == meter.updated and meter.livemode is False
    assert client.v1.billing.meters.retrieve(meter.id).to_dict() == meter.to_dict()
    event = client.v1.events.list(params={"type": "billing.meter.created"}).data[0]
    assert event.data.object.id == meter.id


def test_create_with_custom_keys(client: stripe.StripeClient) -> None:
    meter = _meter(
        client,
        event_name="tokens",
        default_aggregation={"formula": "count"},
        customer_mapping={"type": "by_id", "event_payload_key": "account"},
        value_settings={"event_payload_key": "tokens"},
        event_time_window="hour",
    )
    assert meter.customer_mapping.event_payload_key == "account"
    assert meter.value_settings.event_payload_key == "tokens"
    assert meter.event_time_window == "hour"
    assert meter.default_aggregation.formula == "count"


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"display_name": None}, "display_name", "parameter_missing"),
        ({"event_name": None}, "event_name", "parameter_missing"),
        ({"default_aggregation": None}, "default_aggregation", "parameter_missing"),
        ({"default_aggregation": {"formula": "max"}}, "default_aggregation[formula]", None),
        ({"display_name": ""}, "display_name", "parameter_invalid_empty"),
        ({"event_name": ""}, "event_name", "parameter_invalid_empty"),
        ({"display_name": "x" * 251}, "display_name", None),
        ({"event_name": "x" * 101}, "event_name", None),
        ({"event_time_window": "week"}, "event_time_window", None),
        (
            {"customer_mapping": {"type": "by_email", "event_payload_key": "c"}},
            "customer_mapping[type]",
            None,
        ),
        ({"customer_mapping": {"type": "by_id"}}, "customer_mapping[event_payload_key]", None),
        (
            {"value_settings": {"event_payload_key": ""}},
            "value_settings[event_payload_key]",
            "parameter_invalid_empty",
        ),
    ],
)
def test_create_refusals(
    client: stripe.StripeClient, params: dict[str, Any], param: str, code: str | None
) -> None:
    base: dict[str, Any] = {
        "display_name": "API calls",
        "event_name": "api_call",
        "default_aggregation": {"formula": "sum"},
    }
    for name, value in params.items():
        if value is None:
            base.pop(name)
        else:
            base[name] = value
    exc = _error(lambda: client.v1.billing.meters.create(params=base))  # type: ignore[arg-type]
    assert exc.http_status == 400
    error = (exc.json_body or {})["error"]
    assert error.get("param") == param, error
    if code is not None:
        assert error.get("code") == code, error
    assert client.v1.billing.meters.list().data == []


def test_one_meter_per_event_name(client: stripe.StripeClient) -> None:
    first = _meter(client)
    exc = _error(lambda: _meter(client, display_name="again"))
    assert_stripe_error(
        exc,
        status=400,
        param="event_name",
        message="A meter with the event_name `api_call` already exists.",
    )
    client.v1.billing.meters.deactivate(first.id)
    assert _error(lambda: _meter(client)).param == "event_name"


def test_update_display_name_only(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    sk.sandbox.advance_clock(60)
    renamed = client.v1.billing.meters.update(meter.id, params={"display_name": "Calls"})
    assert renamed.display_name == "Calls" and renamed.updated == meter.updated + 60
    event = client.v1.events.list(params={"type": "billing.meter.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {
        "display_name": "API calls",
        "updated": meter.updated,
    }
    same = client.v1.billing.meters.update(meter.id, params={"display_name": "Calls"})
    assert same.updated == renamed.updated
    exc = _error(
        lambda: client.v1.billing.meters.update(
            meter.id,
            params={"event_name": "other"},  # type: ignore[typeddict-unknown-key]
        )
    )
    assert_stripe_error(exc, status=400, code="parameter_unknown", param="event_name")
    exc = _error(lambda: client.v1.billing.meters.update(meter.id, params={"display_name": ""}))
    assert_stripe_error(exc, status=400, code="parameter_invalid_empty", param="display_name")


def test_unknown_meter(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.billing.meters.retrieve("mtr_nope"),
        lambda: client.v1.billing.meters.update("mtr_nope", params={"display_name": "x"}),
        lambda: client.v1.billing.meters.deactivate("mtr_nope"),
        lambda: client.v1.billing.meters.reactivate("mtr_nope"),
        lambda: client.v1.billing.meters.event_summaries.list(
            "mtr_nope", params={"customer": "cus_x", "start_time": 0, "end_time": 60}
        ),
    ):
        assert_stripe_error(
            _error(call),
            status=404,
            code="resource_missing",
            param="id",
            message="No such billing.meter: 'mtr_nope'",
        )


def test_deactivate_and_reactivate(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    sk.sandbox.advance_clock(30)
    off = client.v1.billing.meters.deactivate(meter.id)
    assert off.status == "inactive"
    assert off.status_transitions.deactivated_at == meter.created + 30 == off.updated
    event = client.v1.events.list(params={"type": "billing.meter.deactivated"}).data[0]
    assert event.data.object.status == "inactive"
    assert event.data.previous_attributes.status == "active"
    exc = _error(lambda: client.v1.billing.meters.deactivate(meter.id))
    assert_stripe_error(exc, status=400, message="This meter is already inactive.")
    on = client.v1.billing.meters.reactivate(meter.id)
    assert on.status == "active" and on.status_transitions.deactivated_at is None
    assert client.v1.events.list(params={"type": "billing.meter.reactivated"}).data
    exc = _error(lambda: client.v1.billing.meters.reactivate(meter.id))
    assert_stripe_error(exc, status=400, message="This meter is already active.")


def test_list_and_status_filter(sk: Harness, client: stripe.StripeClient) -> None:
    first = _meter(client, event_name="a")
    sk.sandbox.advance_clock(1)
    second = _meter(client, event_name="b")
    client.v1.billing.meters.deactivate(first.id)

    def ids(**params: Any) -> list[str]:
        return [m.id for m in client.v1.billing.meters.list(params=params).data]

    assert ids() == [second.id, first.id]
    assert ids(status="active") == [second.id]
    assert ids(status="inactive") == [first.id]
    assert ids(limit=1, starting_after=second.id) == [first.id]
    exc = _error(lambda: client.v1.billing.meters.list(params={"starting_after": "mtr_x"}))
    assert_stripe_error(exc, status=400, code="resource_missing", param="starting_after")
    exc = _error(lambda: client.v1.billing.meters.list(params={"status": "archived"}))  # type: ignore[typeddict-item]
    assert_stripe_error(exc, status=400, param="status")


def test_a_price_needs_an_active_meter(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    assert in_sandbox(sk, lambda ctx: billing_meters.load_for_price(ctx, meter.id, param="m"))
    client.v1.billing.meters.deactivate(meter.id)
    with pytest.raises(InvalidRequestError) as exc:
        in_sandbox(sk, lambda ctx: billing_meters.load_for_price(ctx, meter.id, param="m"))
    assert exc.value.param == "m"
    with pytest.raises(InvalidRequestError) as exc:
        in_sandbox(sk, lambda ctx: billing_meters.load_for_price(ctx, "mtr_x", param="m"))
    assert exc.value.status == 400 and exc.value.code == "resource_missing"


# -- meter events -------------------------------------------------------------------------------


def test_meter_event_shape(sk: Harness, client: stripe.StripeClient) -> None:
    _meter(client)
    customer = client.v1.customers.create()
    event = _event(client, customer.id, 25)
    assert event.to_dict() == {
        "object": "billing.meter_event",
        "created": sk.sandbox.now(),
        "event_name": "api_call",
        "identifier": event.identifier,
        "livemode": False,
        "payload": {"stripe_customer_id": customer.id, "value": "25"},
        "timestamp": sk.sandbox.now(),
    }
    assert event.identifier.startswith("idmp_")
    given = _event(client, customer.id, 5, identifier="req-1", timestamp=sk.sandbox.now() - 100)
    assert given.identifier == "req-1" and given.timestamp == sk.sandbox.now() - 100


def test_meter_event_refusals(sk: Harness, client: stripe.StripeClient) -> None:
    _meter(client)
    customer = client.v1.customers.create()
    now = sk.sandbox.now()
    # Limits: 35 days back, 5 minutes ahead. The sandbox clock runs on while the test does,
    # so each side is checked 30 s away from its limit (a loaded machine is slow).
    exc = _error(lambda: _event(client, customer.id, 1, timestamp=now - 35 * DAY - 30))
    assert_stripe_error(exc, status=400, code="timestamp_too_far_in_past", param="timestamp")
    exc = _error(lambda: _event(client, customer.id, 1, timestamp=now + 330))
    assert_stripe_error(exc, status=400, code="timestamp_in_future", param="timestamp")
    _event(client, customer.id, 1, timestamp=now - 35 * DAY + 30)
    _event(client, customer.id, 1, timestamp=now + 270)
    exc = _error(
        lambda: client.v1.billing.meter_events.create(
            params={"event_name": "api_call"}  # type: ignore[typeddict-item]
        )
    )
    assert_stripe_error(exc, status=400, code="parameter_missing", param="payload")
    exc = _error(
        lambda: client.v1.billing.meter_events.create(
            params={"payload": {"value": "1"}}  # type: ignore[typeddict-item]
        )
    )
    assert_stripe_error(exc, status=400, code="parameter_missing", param="event_name")
    exc = _error(
        lambda: client.v1.billing.meter_events.create(
            params={"event_name": "", "payload": {"value": "1"}}
        )
    )
    assert_stripe_error(exc, status=400, param="event_name", code="parameter_invalid_empty")
    exc = _error(lambda: _event(client, customer.id, 1, identifier="x" * 101))
    assert_stripe_error(exc, status=400, param="identifier")


def test_identifiers_are_unique_for_a_day(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    customer = client.v1.customers.create()
    start = sk.sandbox.now()
    _event(client, customer.id, 5, identifier="dup")
    exc = _error(lambda: _event(client, customer.id, 7, identifier="dup"))
    assert_stripe_error(
        exc,
        status=400,
        param="identifier",
        message="An event with identifier `dup` already exists.",
    )
    sk.sandbox.advance_clock(DAY + 1)
    _event(client, customer.id, 7, identifier="dup")
    assert _usage(sk, meter.id, customer.id, start, sk.sandbox.now() + 1) == 12


# -- aggregation ---------------------------------------------------------------------------------


def test_sum_count_and_last(sk: Harness, client: stripe.StripeClient) -> None:
    summed = _meter(client, event_name="sum")
    counted = _meter(client, event_name="count", default_aggregation={"formula": "count"})
    last = _meter(client, event_name="last", default_aggregation={"formula": "last"})
    customer = client.v1.customers.create()
    other = client.v1.customers.create()
    now = sk.sandbox.now()
    for value, ts in ((5, now - 30), (7.5, now - 20), (3, now - 10)):
        for name in ("sum", "count", "last"):
            _event(client, customer.id, value, event_name=name, timestamp=ts)
    _event(client, other.id, 100, event_name="sum")
    # A late event for an earlier moment does not become the last value.
    _event(client, customer.id, 99, event_name="last", timestamp=now - 25)
    # The untimed event takes the time it arrives, which may be a second or two after
    # `now` on a loaded machine: the window's end leaves room for that.
    window = (now - 60, now + 30)
    assert _usage(sk, summed.id, customer.id, *window) == 15.5
    assert _usage(sk, counted.id, customer.id, *window) == 3
    assert _usage(sk, last.id, customer.id, *window) == 3
    assert _usage(sk, summed.id, other.id, *window) == 100
    assert _usage(sk, summed.id, customer.id, now - 25, now - 10) == 7.5  # [start, end)
    assert _usage(sk, summed.id, customer.id, now, now + 60) == 0
    assert _usage(sk, last.id, customer.id, now, now + 60) == 0
    assert _usage(sk, "mtr_nope", customer.id, *window) == 0
    assert isinstance(_usage(sk, counted.id, customer.id, *window), int)


def test_events_stripe_would_reject_later_are_accepted_but_not_counted(
    sk: Harness, client: stripe.StripeClient
) -> None:
    customer = client.v1.customers.create()
    gone = client.v1.customers.create()
    client.v1.customers.delete(gone.id)
    early = _event(client, customer.id, 1000)  # before its meter exists
    meter = _meter(client)
    assert early.event_name == "api_call"
    _event(client, "cus_nope", 1000)
    _event(client, gone.id, 1000)
    _event(client, customer.id, "lots")
    _event(client, customer.id, "NaN")
    client.v1.billing.meter_events.create(
        params={"event_name": "api_call", "payload": {"value": "1000"}}
    )
    client.v1.billing.meter_events.create(
        params={"event_name": "api_call", "payload": {"stripe_customer_id": customer.id}}
    )
    _event(client, customer.id, 2)
    client.v1.billing.meters.deactivate(meter.id)
    _event(client, customer.id, 1000)
    client.v1.billing.meters.reactivate(meter.id)
    now = sk.sandbox.now()
    assert _usage(sk, meter.id, customer.id, now - 60, now + 1) == 2


def test_custom_payload_keys(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(
        client,
        customer_mapping={"type": "by_id", "event_payload_key": "account"},
        value_settings={"event_payload_key": "tokens"},
    )
    customer = client.v1.customers.create()
    client.v1.billing.meter_events.create(
        params={"event_name": "api_call", "payload": {"account": customer.id, "tokens": "40"}}
    )
    _event(client, customer.id, 1000)  # the default keys mean nothing to this meter
    now = sk.sandbox.now()
    assert _usage(sk, meter.id, customer.id, now - 60, now + 1) == 40


def test_pre_aggregated_windows_keep_the_newest_event(
    sk: Harness, client: stripe.StripeClient
) -> None:
    meter = _meter(client, event_time_window="hour")
    customer = client.v1.customers.create()
    hour = sk.sandbox.now() - sk.sandbox.now() % HOUR - 2 * HOUR
    _event(client, customer.id, 10, timestamp=hour + 5)
    _event(client, customer.id, 20, timestamp=hour + 50)
    _event(client, customer.id, 4, timestamp=hour + 30)  # sent last: replaces the hour
    _event(client, customer.id, 6, timestamp=hour + HOUR + 1)
    assert _usage(sk, meter.id, customer.id, hour, hour + 2 * HOUR) == 10


def test_adjustments_cancel_events(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    customer = client.v1.customers.create()
    _event(client, customer.id, 5, identifier="keep")
    _event(client, customer.id, 7, identifier="oops")
    adjustment = client.v1.billing.meter_event_adjustments.create(
        params={"event_name": "api_call", "type": "cancel", "cancel": {"identifier": "oops"}}
    )
    assert adjustment.to_dict() == {
        "object": "billing.meter_event_adjustment",
        "cancel": {"identifier": "oops"},
        "event_name": "api_call",
        "livemode": False,
        "status": "complete",
        "type": "cancel",
    }
    now = sk.sandbox.now()
    assert _usage(sk, meter.id, customer.id, now - 60, now + 1) == 5
    # Unknown identifiers change nothing, as on Stripe where adjustments apply later.
    client.v1.billing.meter_event_adjustments.create(
        params={"event_name": "api_call", "type": "cancel", "cancel": {"identifier": "nope"}}
    )
    client.v1.billing.meter_event_adjustments.create(
        params={"event_name": "other", "type": "cancel", "cancel": {"identifier": "keep"}}
    )
    assert _usage(sk, meter.id, customer.id, now - 60, now + 1) == 5
    exc = _error(
        lambda: client.v1.billing.meter_event_adjustments.create(
            params={"event_name": "api_call", "type": "cancel"}
        )
    )
    assert_stripe_error(exc, status=400, code="parameter_missing", param="cancel[identifier]")
    exc = _error(
        lambda: client.v1.billing.meter_event_adjustments.create(
            params={"event_name": "api_call", "type": "undo"}  # type: ignore[typeddict-item]
        )
    )
    assert_stripe_error(exc, status=400, param="type")
    # Past a day an event can no longer be canceled.
    sk.sandbox.advance_clock(DAY + 1)
    client.v1.billing.meter_event_adjustments.create(
        params={"event_name": "api_call", "type": "cancel", "cancel": {"identifier": "keep"}}
    )
    assert _usage(sk, meter.id, customer.id, now - 60, now + 1) == 5


def test_usage_on_a_test_clock(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    first = _event(client, customer.id, 3)
    assert first.timestamp == FROZEN and first.created == FROZEN
    exc = _error(lambda: _event(client, customer.id, 3, timestamp=sk.sandbox.now()))
    assert exc.code == "timestamp_too_far_in_past"
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": FROZEN + DAY})
    client.v1.test_helpers.test_clocks.retrieve(clock.id)
    _event(client, customer.id, 4)
    assert _usage(sk, meter.id, customer.id, FROZEN, FROZEN + DAY) == 3
    assert _usage(sk, meter.id, customer.id, FROZEN, FROZEN + DAY + 1) == 7


# -- event summaries ------------------------------------------------------------------------------


def test_event_summaries(sk: Harness, client: stripe.StripeClient) -> None:
    meter = _meter(client)
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN + 2 * HOUR})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    _event(client, customer.id, 1, timestamp=FROZEN + 10)
    _event(client, customer.id, 2, timestamp=FROZEN + HOUR + 10)
    _event(client, customer.id, 4, timestamp=FROZEN + HOUR + 20)
    whole = client.v1.billing.meters.event_summaries.list(
        meter.id,
        params={"customer": customer.id, "start_time": FROZEN, "end_time": FROZEN + 2 * HOUR},
    )
    assert len(whole.data) == 1 and whole.has_more is False
    summary = whole.data[0]
    assert summary.object == "billing.meter_event_summary"
    assert summary.id.startswith("mtrusg_")
    assert (summary.aggregated_value, summary.start_time, summary.end_time) == (
        7,
        FROZEN,
        FROZEN + 2 * HOUR,
    )
    assert summary.meter == meter.id and summary.livemode is False
    hourly = client.v1.billing.meters.event_summaries.list(
        meter.id,
        params={
            "customer": customer.id,
            "start_time": FROZEN,
            "end_time": FROZEN + 2 * HOUR,
            "value_grouping_window": "hour",
        },
    )
    assert [(s.start_time, s.aggregated_value) for s in hourly.data] == [
        (FROZEN + HOUR, 6),
        (FROZEN, 1),
    ]
    first = client.v1.billing.meters.event_summaries.list(
        meter.id,
        params={
            "customer": customer.id,
            "start_time": FROZEN,
            "end_time": FROZEN + 2 * HOUR,
            "value_grouping_window": "hour",
            "limit": 1,
        },
    )
    assert first.has_more is True and first.data[0].id == hourly.data[0].id
    rest = client.v1.billing.meters.event_summaries.list(
        meter.id,
        params={
            "customer": customer.id,
            "start_time": FROZEN,
            "end_time": FROZEN + 2 * HOUR,
            "value_grouping_window": "hour",
            "starting_after": first.data[0].id,
        },
    )
    assert [s.id for s in rest.data] == [hourly.data[1].id] and rest.has_more is False


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"customer": None}, "customer", "parameter_missing"),
        ({"start_time": None}, "start_time", "parameter_missing"),
        ({"end_time": None}, "end_time", "parameter_missing"),
        ({"start_time": FROZEN + 1}, "start_time", None),
        ({"end_time": FROZEN + 61}, "end_time", None),
        ({"end_time": FROZEN}, "end_time", None),
        ({"end_time": FROZEN - 60}, "end_time", None),
        ({"value_grouping_window": "hour", "end_time": FROZEN + 60}, "end_time", None),
        ({"value_grouping_window": "week"}, "value_grouping_window", None),
        ({"customer": "cus_nope"}, "customer", "resource_missing"),
        ({"starting_after": "mtrusg_nope"}, "starting_after", "resource_missing"),
    ],
)
def test_event_summary_refusals(
    client: stripe.StripeClient, params: dict[str, Any], param: str, code: str | None
) -> None:
    meter = _meter(client)
    customer = client.v1.customers.create()
    query: dict[str, Any] = {
        "customer": customer.id,
        "start_time": FROZEN,
        "end_time": FROZEN + HOUR,
    }
    for name, value in params.items():
        if value is None:
            query.pop(name)
        else:
            query[name] = value
    exc = _error(lambda: client.v1.billing.meters.event_summaries.list(meter.id, params=query))  # type: ignore[arg-type]
    assert exc.http_status == 400
    error = (exc.json_body or {})["error"]
    assert error.get("param") == param, error
    if code is not None:
        assert error.get("code") == code, error


def test_restricted_keys_need_billing_permission(sk: Harness) -> None:
    key = sk.sandbox.create_restricted_key("read_only", api_key=sk.api_key)
    restricted = sk.make_client(key)
    with pytest.raises(stripe.PermissionError):
        _meter(restricted)
    assert restricted.v1.billing.meters.list().data == []
