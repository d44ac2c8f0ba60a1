"""Legacy metered billing: `POST /v1/subscription_items/{item}/usage_records` and
`GET /v1/subscription_items/{item}/usage_record_summaries`.

Stripe removed both with API version 2025-03-31.basil (metered prices are backed by
billing meters since), so the pinned spec has neither; clients on older versions still
call them. They serve subscription items whose price is metered and has no meter, which
only a request asking for an older API version can create (see `prices.py`). The spec's
price no longer takes `recurring[aggregate_usage]`, so usage is summed over the period,
the old default.

A usage record belongs to one subscription item and one timestamp: `action=increment`
(the default) adds to the quantity already recorded at that timestamp, `set` replaces
it, and the answer is the record as it now stands. Records are kept in the generic
object store, per account, never listed; a record's id is derived from its item and
timestamp, so finding the one to add to is a lookup, not a scan. Next to them, one
unlisted total per item and period (`TOTAL`) keeps the period's sum, so billing a month
of per-second usage reads one object. `usage(ctx, item, start, end)` is what the
subscriptions code bills in arrears at period end, as it does a meter's aggregation.

Summaries are computed, not stored: the current period's first (no invoice yet), then
each period an invoice billed for the item, newest first.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..framework import params as param_rules
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.ids import BASE62
from ..framework.routing import Route
from ..store import Filter
from . import test_clocks
from .invoices.common import paginate

TYPE = "usage_record"
SUMMARY = "usage_record_summary"
# The sandbox's own running sum of an item's usage over one period (never served).
TOTAL = "sandbox.usage_total"
ITEM = "subscription_item"
# Stripe's ids for these: `mbur_...` (records) and `sis_...` (summaries).
ID_PREFIX = "mbur"
SUMMARY_PREFIX = "sis"
# Stored with each record, never shown: the store orders objects by it.
_HIDDEN = ("created",)
# How far past now a timestamp may be, for clients whose clock runs a little ahead.
FUTURE_SLACK = 5 * 60
ENDED = ("canceled", "incomplete_expired")

# The old API's parameters, in the spec tables' node format, so the generic validator
# coerces them and refuses anything else in Stripe's words.
_CREATE_PARAMS: dict[str, Any] = {
    "t": "object",
    "p": {
        "quantity": {"t": "integer"},
        "timestamp": {"o": [{"t": "string", "e": ["now"], "m": 5000}, {"t": "integer"}]},
        "action": {"t": "string", "e": ["increment", "set"]},
        "expand": {"t": "array", "i": {"t": "string", "m": 5000}},
    },
    "r": ["quantity"],
}
_LIST_PARAMS: dict[str, Any] = {
    "t": "object",
    "p": {
        "limit": {"t": "integer"},
        "starting_after": {"t": "string", "m": 5000},
        "ending_before": {"t": "string", "m": 5000},
        "expand": {"t": "array", "i": {"t": "string", "m": 5000}},
    },
    "s": True,
}


def _legacy_item(ctx: RequestContext, item_id: str, *, summaries: bool) -> dict[str, Any]:
    """The subscription item, if it bills from usage records."""
    item = ctx.load(ITEM, item_id, param="subscription_item", noun=ITEM)
    recurring = (item.get("price") or {}).get("recurring") or {}
    if recurring.get("usage_type") != "metered":
        # Proposal: no recorded body for a usage record on a licensed item.
        raise InvalidRequestError(
            f"Usage records can only be used with subscription items on a metered price "
            f"(`recurring[usage_type]=metered`); `{item['id']}` is licensed.",
        )
    if recurring.get("meter"):
        # Stripe's wording, as live bodies show it.
        if summaries:
            raise InvalidRequestError(
                f"Cannot list usage record summaries for `{item['id']}` because it is not on "
                "the legacy metered billing system. Call /v1/billing/meters/:id/event_summaries"
                " instead."
            )
        raise InvalidRequestError(
            f"Cannot create a usage record for `{item['id']}` because it is not on the legacy "
            "metered billing system. Call /v1/billing/meter_events instead."
        )
    return item


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in _HIDDEN}


def _derived_id(prefix: str, *parts: object) -> str:
    """An id made from what it names, so the same thing gets the same id every time."""
    text = "|".join(str(part) for part in parts)
    number = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=18).digest(), "big")
    chars = []
    for _ in range(24):
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return f"{prefix}_{''.join(chars)}"


def _add_to_total(ctx: RequestContext, item_id: str, start: int, delta: int) -> None:
    total_id = _derived_id("usgtot", item_id, start)
    total = ctx.find(TOTAL, total_id)
    if total is None:
        total = {"id": total_id, "object": TOTAL, "created": ctx.now, "quantity": 0}
        ctx.insert(total)
    total["quantity"] += delta
    ctx.save(total, listed=False)


def create(ctx: RequestContext, params: dict[str, Any], item: str) -> dict[str, Any]:
    given = param_rules.validate(_CREATE_PARAMS, params)
    found = _legacy_item(ctx, item, summaries=False)
    sub = ctx.find("subscription", found["subscription"]) or {}
    if sub.get("status") in ENDED:
        # Proposal: Stripe refuses usage on an ended subscription; no recorded body.
        raise InvalidRequestError(
            f"Cannot create usage records for subscription `{sub['id']}` because it is "
            f"{sub['status']}."
        )
    quantity = given["quantity"]
    if quantity < 0:
        raise InvalidRequestError("Invalid non-negative integer", param="quantity")
    now = test_clocks.now_for(ctx, sub.get("test_clock"))
    timestamp = given.get("timestamp", "now")
    if timestamp == "now":
        timestamp = now
    start, end = found["current_period_start"], found["current_period_end"]
    if timestamp < start:
        # Stripe's wording, as live bodies show it.
        raise InvalidRequestError(
            "Cannot create the usage record with this timestamp because timestamps must be "
            "after the subscription's last invoice period (or current period start time).",
            param="timestamp",
        )
    if timestamp > now + FUTURE_SLACK or timestamp >= end:
        # Proposal: the documented rule (not in the future, within the current period).
        raise InvalidRequestError(
            "Cannot create the usage record with this timestamp because timestamps must be "
            "within the subscription's current period and not in the future.",
            param="timestamp",
        )
    record_id = _derived_id(ID_PREFIX, found["id"], timestamp)
    record = ctx.find(TYPE, record_id)
    if record is None:
        record = {
            "id": record_id,
            "object": TYPE,
            "livemode": False,
            "quantity": 0,
            "subscription_item": found["id"],
            "timestamp": timestamp,
            "created": ctx.now,
        }
        ctx.insert(record)
    before = record["quantity"]
    record["quantity"] = quantity if given.get("action") == "set" else before + quantity
    ctx.save(record, listed=False)
    _add_to_total(ctx, found["id"], start, record["quantity"] - before)
    return _public(record)


def usage(ctx: RequestContext, item_id: str, start: int, end: int) -> int:
    """The item's usage over the period that started at `start` (the quantity a legacy
    metered price bills at its end). Records are only taken inside the current period, so
    whatever `end` the period came to have, they all fall before it."""
    total = ctx.find(TOTAL, _derived_id("usgtot", item_id, start))
    return int(total["quantity"]) if total is not None else 0


def _billed_periods(ctx: RequestContext, item: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(start, end, invoice) for each period an invoice billed the item's usage."""
    invoices = ctx.tx.scan(
        ctx.account,
        "invoice",
        (Filter(("parent", "subscription_details", "subscription"), "eq", item["subscription"]),),
    )
    found: dict[int, tuple[int, int, str]] = {}
    for invoice in invoices:
        for line in invoice["lines"]["data"]:
            details = (line.get("parent") or {}).get("subscription_item_details") or {}
            if details.get("subscription_item") == item["id"] and not details.get("proration"):
                period = line["period"]
                found.setdefault(period["start"], (period["start"], period["end"], invoice["id"]))
    return sorted(found.values(), reverse=True)


def list_summaries(ctx: RequestContext, params: dict[str, Any], item: str) -> dict[str, Any]:
    given = param_rules.validate(_LIST_PARAMS, params)
    found = _legacy_item(ctx, item, summaries=True)
    start, end = found["current_period_start"], found["current_period_end"]
    periods: list[tuple[int, int, str | None]] = [(start, end, None)]
    periods += [p for p in _billed_periods(ctx, found) if p[0] < start]
    summaries = [
        {
            # Derived from what it covers, so a cursor names it on every page.
            "id": _derived_id(SUMMARY_PREFIX, found["id"], s),
            "object": SUMMARY,
            "invoice": invoice,
            "livemode": False,
            "period": {"end": e, "start": s},
            "subscription_item": found["id"],
            "total_usage": usage(ctx, found["id"], s, e),
        }
        for s, e, invoice in periods
    ]
    url = f"/v1/subscription_items/{found['id']}/usage_record_summaries"
    return paginate(summaries, given, url, SUMMARY)


ROUTES = [
    Route("POST", "/v1/subscription_items/{item}/usage_records", create),
    Route("GET", "/v1/subscription_items/{item}/usage_record_summaries", list_summaries),
]
