"""Billing meters and their usage: /v1/billing/meters (create, retrieve, update, list,
deactivate, reactivate, event_summaries), /v1/billing/meter_events and
/v1/billing/meter_event_adjustments.

A meter event counts toward the meter whose `event_name` it carries, for the customer its
payload names (`customer_mapping.event_payload_key`, `stripe_customer_id` by default), with
the value under `value_settings.event_payload_key` (`value`). Its `timestamp` defaults to now
on that customer's test clock, so usage recorded while a clock is frozen falls in the
billing period the clock is in.

Stripe validates most of an event asynchronously and reports problems in v2 "thin" events
(`v1.billing.meter.error_report_triggered`) that the sandbox does not send: an event with no
active meter, no customer, an unknown customer or a value that is not a number is accepted
(200) as on Stripe and simply not counted. What Stripe refuses at once is refused here: a
timestamp outside the past 35 days / next 5 minutes, and an identifier already used in the
last 24 hours.

Legacy usage records (`/v1/subscription_items/{id}/usage_records`, removed with
2025-03-31.basil) are served by `usage_records.py` for clients on older versions.

`usage(ctx, meter_id, customer_id, start, end)` gives the subscriptions module what a
metered price bills for a period: the meter's aggregation over [start, end).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from ..framework import updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.ids import BASE62
from ..framework.listing import cursors, limit_of, list_objects
from ..framework.routing import Route
from ..store import Filter
from . import test_clocks

METER = "billing.meter"
EVENT = "billing.meter_event"
PAST_WINDOW = 35 * 86400
FUTURE_WINDOW = 5 * 60
IDENTIFIER_WINDOW = 24 * 3600
CANCEL_WINDOW = 24 * 3600
WINDOW_SECONDS = {"hour": 3600, "day": 86400}
DEFAULT_CUSTOMER_KEY = "stripe_customer_id"
DEFAULT_VALUE_KEY = "value"
# Shown on every event; the store's own fields (`id`, `created_at`, what the event counts
# toward) stay behind.
EVENT_FIELDS = ("created", "event_name", "identifier", "livemode", "object", "payload", "timestamp")


# -- meters -----------------------------------------------------------------------------------


def _load(ctx: RequestContext, meter_id: str) -> dict[str, Any]:
    return ctx.load(METER, meter_id, noun="billing.meter")


def load_for_price(ctx: RequestContext, meter_id: str, *, param: str) -> dict[str, Any]:
    """The meter a metered price names: it must exist and be active (Stripe: a deactivated
    meter cannot be attached to a price)."""
    meter = ctx.load(METER, meter_id, param=param, noun="billing.meter", in_path=False)
    if meter["status"] != "active":
        raise InvalidRequestError(
            f"The meter {meter_id} is inactive and cannot be attached to a price.",
            param=param,
        )
    return meter


def _meter_for_event(ctx: RequestContext, event_name: str) -> dict[str, Any] | None:
    found = ctx.tx.scan(ctx.account, METER, (Filter(("event_name",), "eq", event_name),))
    return next(iter(found), None)


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if _meter_for_event(ctx, params["event_name"]) is not None:
        # Stripe: an event name can be used with a single meter. Wording is a proposal.
        raise InvalidRequestError(
            f"A meter with the event_name `{params['event_name']}` already exists.",
            param="event_name",
        )
    mapping = params.get("customer_mapping") or {}
    value_settings = params.get("value_settings") or {}
    meter = {
        "id": f"mtr_test_61{ctx.ids.random_chars(30)}",
        "object": METER,
        "created": ctx.now,
        "customer_mapping": {
            "event_payload_key": mapping.get("event_payload_key") or DEFAULT_CUSTOMER_KEY,
            "type": mapping.get("type") or "by_id",
        },
        "default_aggregation": {"formula": params["default_aggregation"]["formula"]},
        "display_name": params["display_name"],
        "event_name": params["event_name"],
        "event_time_window": params.get("event_time_window") or None,
        "livemode": False,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "updated": ctx.now,
        "value_settings": {
            "event_payload_key": value_settings.get("event_payload_key") or DEFAULT_VALUE_KEY
        },
    }
    ctx.insert(meter)
    ctx.emit("billing.meter.created", meter)
    return meter


def retrieve(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return _load(ctx, id)


def update(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    meter = _load(ctx, id)
    if params.get("display_name") == "":
        raise InvalidRequestError(
            "You passed an empty string for 'display_name'. We assume empty values are an "
            "attempt to unset a parameter; however 'display_name' cannot be unset. You should "
            "remove 'display_name' from your request or supply a non-empty value.",
            param="display_name",
            code="parameter_invalid_empty",
        )
    previous = updates.apply(meter, params, ("display_name",))
    if previous:
        previous["updated"] = meter["updated"]
        meter["updated"] = ctx.now
        ctx.save(meter)
        ctx.emit("billing.meter.updated", meter, previous)
    return meter


def _set_status(ctx: RequestContext, id: str, status: str) -> dict[str, Any]:
    meter = _load(ctx, id)
    if meter["status"] == status:
        # Proposal: a transition to the state the meter is already in is refused.
        raise InvalidRequestError(f"This meter is already {status}.")
    previous = {
        "status": meter["status"],
        "status_transitions": dict(meter["status_transitions"]),
        "updated": meter["updated"],
    }
    meter["status"] = status
    meter["status_transitions"] = {"deactivated_at": ctx.now if status == "inactive" else None}
    meter["updated"] = ctx.now
    ctx.save(meter)
    kind = "deactivated" if status == "inactive" else "reactivated"
    ctx.emit(f"billing.meter.{kind}", meter, previous)
    return meter


def deactivate(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return _set_status(ctx, id, "inactive")


def reactivate(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return _set_status(ctx, id, "active")


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = ()
    if params.get("status"):
        filters = (Filter(("status",), "eq", params["status"]),)
    return list_objects(ctx, METER, params, "/v1/billing/meters", filters, noun="billing.meter")


# -- meter events -----------------------------------------------------------------------------


def _public_event(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in EVENT_FIELDS}


def _number(text: Any) -> Decimal | None:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _counts_toward(
    ctx: RequestContext, meter: dict[str, Any] | None, payload: dict[str, Any]
) -> tuple[str | None, str | None]:
    """(meter id, customer id) the event counts toward, or (None, reason) when Stripe's
    asynchronous validation would reject it."""
    if meter is None:
        return None, "no_meter"
    if meter["status"] != "active":
        return None, "archived_meter"
    customer_id = payload.get(meter["customer_mapping"]["event_payload_key"])
    if not customer_id:
        return None, "meter_event_no_customer_defined"
    customer = ctx.find("customer", customer_id)
    if customer is None or customer.get("deleted"):
        return None, "meter_event_customer_not_found"
    if meter["default_aggregation"]["formula"] != "count":
        raw = payload.get(meter["value_settings"]["event_payload_key"])
        if raw is None:
            return None, "meter_event_value_not_found"
        if _number(raw) is None:
            return None, "meter_event_invalid_value"
    return meter["id"], str(customer_id)


def create_event(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    event_name = params["event_name"]
    payload = dict(params.get("payload") or {})
    if not payload:
        raise InvalidRequestError(
            "Missing required param: payload.", param="payload", code="parameter_missing"
        )
    meter = _meter_for_event(ctx, event_name)
    customer_key = meter["customer_mapping"]["event_payload_key"] if meter else None
    customer = ctx.find("customer", str(payload.get(customer_key or DEFAULT_CUSTOMER_KEY, "")))
    now = test_clocks.now_for(ctx, (customer or {}).get("test_clock"))
    timestamp = params.get("timestamp")
    if timestamp is None:
        timestamp = now
    elif timestamp < now - PAST_WINDOW:
        # Stripe's error codes for these two (documented); the sentences are proposals.
        raise InvalidRequestError(
            "The timestamp must be within the past 35 calendar days.",
            param="timestamp",
            code="timestamp_too_far_in_past",
        )
    elif timestamp > now + FUTURE_WINDOW:
        raise InvalidRequestError(
            "The timestamp cannot be more than 5 minutes in the future.",
            param="timestamp",
            code="timestamp_in_future",
        )
    identifier = params.get("identifier") or None
    if identifier is None:
        identifier = f"idmp_{ctx.ids.random_chars(24)}"
    else:
        same = Filter(("identifier",), "eq", identifier)
        for earlier in ctx.tx.scan(ctx.account, EVENT, (same,)):
            if earlier["received_at"] > ctx.now - IDENTIFIER_WINDOW:
                # Proposal: Stripe enforces the uniqueness; no recorded body.
                raise InvalidRequestError(
                    f"An event with identifier `{identifier}` already exists.",
                    param="identifier",
                )
    counted_meter, customer_or_reason = _counts_toward(ctx, meter, payload)
    event = {
        "id": ctx.new_id("mtrevt"),
        "object": EVENT,
        "created": now,
        "event_name": event_name,
        "identifier": identifier,
        "livemode": False,
        "payload": payload,
        "timestamp": timestamp,
        # The store's own: when the request arrived (sandbox time, for the 24-hour windows),
        # what it counts toward, and why not.
        "received_at": ctx.now,
        "meter": counted_meter,
        "customer": customer_or_reason if counted_meter else None,
        "rejected": None if counted_meter else customer_or_reason,
        "canceled": False,
    }
    ctx.insert(event)
    return _public_event(event)


def create_adjustment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Cancel an event by identifier. Like Stripe, which applies adjustments asynchronously,
    an identifier that names no cancelable event is accepted and changes nothing."""
    cancel = params.get("cancel") or {}
    identifier = cancel.get("identifier")
    if not identifier:
        raise InvalidRequestError(
            "Missing required param: cancel[identifier].",
            param="cancel[identifier]",
            code="parameter_missing",
        )
    same = (
        Filter(("identifier",), "eq", identifier),
        Filter(("event_name",), "eq", params["event_name"]),
    )
    for event in ctx.tx.scan(ctx.account, EVENT, same):
        if not event["canceled"] and event["received_at"] > ctx.now - CANCEL_WINDOW:
            event["canceled"] = True
            ctx.save(event)
    return {
        "object": "billing.meter_event_adjustment",
        "cancel": {"identifier": identifier},
        "event_name": params["event_name"],
        "livemode": False,
        "status": "complete",
        "type": params["type"],
    }


# -- aggregation ------------------------------------------------------------------------------


def _events(
    ctx: RequestContext, meter: dict[str, Any], customer_id: str, start: int, end: int
) -> list[dict[str, Any]]:
    """The counted events in [start, end), newest received first; with a pre-aggregated
    `event_time_window`, only the newest event of each window."""
    mine = (Filter(("meter",), "eq", meter["id"]), Filter(("customer",), "eq", customer_id))
    found = [
        e
        for e in ctx.tx.scan(ctx.account, EVENT, mine)
        if not e["canceled"] and start <= e["timestamp"] < end
    ]
    window = WINDOW_SECONDS.get(meter.get("event_time_window") or "")
    if window:
        seen: set[int] = set()
        latest = []
        for event in found:
            slot = event["timestamp"] // window
            if slot not in seen:
                seen.add(slot)
                latest.append(event)
        found = latest
    return found


def _aggregate(meter: dict[str, Any], events: list[dict[str, Any]]) -> Decimal:
    formula = meter["default_aggregation"]["formula"]
    if formula == "count":
        return Decimal(len(events))
    key = meter["value_settings"]["event_payload_key"]
    values = [(e["timestamp"], _number(e["payload"].get(key)) or Decimal(0)) for e in events]
    if not values:
        return Decimal(0)
    if formula == "last":
        # The latest by timestamp; on a tie, the one received last (listed first).
        best = max(values, key=lambda pair: pair[0])[0]
        return next(value for ts, value in values if ts == best)
    return sum((value for _, value in values), Decimal(0))


def _as_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def usage(
    ctx: RequestContext, meter_id: str, customer_id: str, start: int, end: int
) -> int | float:
    """What the meter aggregates for the customer over [start, end) — the quantity a metered
    price bills at period end (0 for an unknown meter or no usage). Whole numbers come back
    as int."""
    meter = ctx.find(METER, meter_id)
    if meter is None:
        return 0
    return _as_number(_aggregate(meter, _events(ctx, meter, customer_id, start, end)))


# -- event summaries --------------------------------------------------------------------------


def _summary_id(meter_id: str, customer_id: str, start: int, end: int) -> str:
    """Summaries are computed, not stored: their id is derived from what they cover, so a
    cursor names the same summary on every page."""
    digest = hashlib.blake2b(f"{meter_id}|{customer_id}|{start}|{end}".encode(), digest_size=18)
    number = int.from_bytes(digest.digest(), "big")
    chars = []
    for _ in range(24):
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return "mtrusg_test_" + "".join(chars)


def _aligned(value: int, step: int, name: str, unit: str) -> None:
    if value % step:
        # Proposal: the documented alignment rule, no recorded body.
        raise InvalidRequestError(f"{name} must be aligned with {unit} boundaries.", param=name)


def event_summaries(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    meter = _load(ctx, id)
    customer_id = params["customer"]
    customer = ctx.find("customer", customer_id)
    if customer is None or customer.get("deleted"):
        raise ResourceMissing("customer", customer_id, param="customer", status=400)
    start, end = params["start_time"], params["end_time"]
    grouping = params.get("value_grouping_window") or None
    step = WINDOW_SECONDS.get(grouping or "", 60)
    unit = {"hour": "hour", "day": "day"}.get(grouping or "", "minute")
    _aligned(start, step, "start_time", unit)
    _aligned(end, step, "end_time", unit)
    if end <= start:
        raise InvalidRequestError("end_time must be after start_time.", param="end_time")
    bounds = (
        [(start, end)]
        if grouping is None
        else [(s, min(s + step, end)) for s in range(start, end, step)]
    )
    summaries = [
        {
            "id": _summary_id(meter["id"], customer_id, s, e),
            "object": "billing.meter_event_summary",
            "aggregated_value": _as_number(
                _aggregate(meter, _events(ctx, meter, customer_id, s, e))
            ),
            "end_time": e,
            "livemode": False,
            "meter": meter["id"],
            "start_time": s,
        }
        for s, e in reversed(bounds)
    ]
    return _page(summaries, params, f"/v1/billing/meters/{meter['id']}/event_summaries")


def _page(items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Cursor pagination over computed summaries (newest window first)."""
    starting_after, ending_before = cursors(params)
    cursor = starting_after or ending_before
    if cursor is not None:
        position = next((i for i, s in enumerate(items) if s["id"] == cursor), None)
        if position is None:
            which = "starting_after" if starting_after else "ending_before"
            raise ResourceMissing("billing.meter_event_summary", cursor, param=which, status=400)
        items = items[position + 1 :] if starting_after else items[:position]
    limit = limit_of(params)
    page = items[-limit:] if (ending_before and not starting_after) else items[:limit]
    return {"object": "list", "data": page, "has_more": len(items) > limit, "url": url}


ROUTES = [
    Route("POST", "/v1/billing/meters", create),
    Route("GET", "/v1/billing/meters", list_),
    Route("GET", "/v1/billing/meters/{id}", retrieve),
    Route("POST", "/v1/billing/meters/{id}", update),
    Route("POST", "/v1/billing/meters/{id}/deactivate", deactivate),
    Route("POST", "/v1/billing/meters/{id}/reactivate", reactivate),
    Route("GET", "/v1/billing/meters/{id}/event_summaries", event_summaries),
    Route("POST", "/v1/billing/meter_events", create_event),
    Route("POST", "/v1/billing/meter_event_adjustments", create_adjustment),
]
