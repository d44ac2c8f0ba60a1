"""Billing-cycle arithmetic: where a subscription's periods start and end.

Every period boundary is counted from the billing cycle anchor, never chained from the
previous boundary, so an anchor on the 31st bills on Feb 28 (or 29), Mar 31, Apr 30...
as Stripe does: the day of month is clamped to the month's length and the time of day
is kept. Weeks and days are plain multiples of 7 and 1 days. All in UTC.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

DAY = 86400
_DAYS = {"day": 1, "week": 7}
_MONTHS = {"month": 1, "year": 12}


def _shift_months(anchor: int, months: int) -> int:
    moment = datetime.fromtimestamp(anchor, tz=UTC)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def boundary(anchor: int, interval: str, count: int, n: int) -> int:
    """The `n`th billing date from `anchor` (n may be negative): anchor + n intervals."""
    if interval in _DAYS:
        return anchor + n * count * _DAYS[interval] * DAY
    return _shift_months(anchor, n * count * _MONTHS[interval])


def next_boundary(anchor: int, interval: str, count: int, after: int) -> int:
    """The first billing date from `anchor` strictly later than `after`."""
    if interval in _DAYS:
        step = count * _DAYS[interval] * DAY
        n = (after - anchor) // step + 1
        return anchor + n * step
    months = count * _MONTHS[interval]
    # An estimate from the mean month length, then corrected: clamped days make the
    # boundaries uneven, so step until the boundary is the first one past `after`.
    n = int((after - anchor) // (months * 30.436875 * DAY))
    while boundary(anchor, interval, count, n) > after:
        n -= 1
    while boundary(anchor, interval, count, n) <= after:
        n += 1
    return boundary(anchor, interval, count, n)


def full_period_start(anchor: int, interval: str, count: int, end: int) -> int:
    """Where the full period ending at `end` begins, counted from the anchor (a first
    period cut short by a future anchor is prorated against the full period's length)."""
    if interval in _DAYS:
        return end - count * _DAYS[interval] * DAY
    months = count * _MONTHS[interval]
    n = round((end - anchor) / (months * 30.436875 * DAY))
    for k in (n - 1, n, n + 1):
        if boundary(anchor, interval, count, k) == end:
            return boundary(anchor, interval, count, k - 1)
    return boundary(end, interval, count, -1)  # `end` is off the anchor's cycle


def recurring_of(price: dict[str, Any]) -> tuple[str, int]:
    recurring = price.get("recurring") or {}
    return recurring.get("interval", "month"), int(recurring.get("interval_count") or 1)


def fraction(numerator: int, denominator: int, amount: int) -> int:
    """`amount * numerator / denominator`, rounded half away from zero (Stripe rounds
    each proration line to the nearest minor unit)."""
    if denominator <= 0:
        return 0
    sign = -1 if amount * numerator < 0 else 1
    value = abs(amount * numerator)
    whole, rest = divmod(value, denominator)
    if rest * 2 >= denominator:
        whole += 1
    return sign * whole


def date_text(timestamp: int) -> str:
    """`01 Sep 2020`, the way Stripe dates proration lines."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%d %b %Y")
