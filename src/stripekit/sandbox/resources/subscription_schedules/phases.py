"""Phases and default settings: from parameters to the stored shape, with their dates.

Phases follow each other with no gap: the first starts at the schedule's start, each next
one where the previous one ends. A phase ends at its `end_date`, after its `duration`
(`interval` x `interval_count` from its start), or, given neither, after one interval of
its first price (Stripe's one iteration). Its items name stored prices (an inline
`price_data` becomes an archived price, as on subscriptions), all in one currency.

What a phase leaves unset falls back to the schedule's `default_settings` when the phase
is applied to the subscription (`setting`).
"""

from __future__ import annotations

from typing import Any

from ...framework import metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from .. import payment_methods, tax_rates
from ..subscriptions import creation, cycle, items, model

MAX_PHASES = 10
# Phase and default-setting parameters the sandbox does not model (Connect, Stripe Tax,
# thresholds, and the one-off parts of a phase).
UNSUPPORTED = (
    "add_invoice_items",
    "application_fee_percent",
    "billing_thresholds",
    "discounts",
    "on_behalf_of",
    "transfer_data",
)
ITEM_UNSUPPORTED = ("billing_thresholds", "discounts")


def refuse_unsupported(given: dict[str, Any], prefix: str, names: tuple[str, ...]) -> None:
    for name in names:
        if given.get(name) not in (None, "", []):
            raise InvalidRequestError(
                f"The sandbox does not support `{prefix}[{name}]` on subscription schedules.",
                param=f"{prefix}[{name}]",
            )
    if (given.get("automatic_tax") or {}).get("enabled"):
        raise InvalidRequestError(
            "Stripe Tax has not been activated on your account. The sandbox does not "
            "compute automatic tax.",
            param=f"{prefix}[automatic_tax][enabled]",
        )
    invoice_settings = given.get("invoice_settings") or {}
    for name in ("account_tax_ids", "issuer"):
        if invoice_settings.get(name):
            raise InvalidRequestError(
                f"The sandbox does not support `{prefix}[invoice_settings][{name}]` on "
                "subscription schedules.",
                param=f"{prefix}[invoice_settings][{name}]",
            )


# -- default settings ---------------------------------------------------------------------------


def default_settings(
    ctx: RequestContext,
    given: dict[str, Any] | None,
    customer_id: str,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The schedule's `default_settings`: the current ones (Stripe's defaults on create)
    with the given fields replaced."""
    settings = current or {
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": "automatic",
        "billing_thresholds": None,
        "collection_method": "charge_automatically",
        "default_payment_method": None,
        "description": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "days_until_due": None,
            "issuer": {"type": "self"},
        },
        "on_behalf_of": None,
        "transfer_data": None,
    }
    if not given:
        return settings
    refuse_unsupported(given, "default_settings", UNSUPPORTED[1:])
    settings = {**settings, "invoice_settings": dict(settings["invoice_settings"])}
    for name in ("billing_cycle_anchor", "collection_method"):
        if given.get(name):
            settings[name] = given[name]
    if "description" in given:
        settings["description"] = given["description"] or None
    if "default_payment_method" in given:
        settings["default_payment_method"] = payment_methods.customer_payment_method(
            ctx,
            given["default_payment_method"],
            customer_id,
            param="default_settings[default_payment_method]",
        )
    if "days_until_due" in (given.get("invoice_settings") or {}):
        settings["invoice_settings"]["days_until_due"] = given["invoice_settings"]["days_until_due"]
    return settings


# -- phases -------------------------------------------------------------------------------------


def _item(
    ctx: RequestContext, entry: dict[str, Any], prefix: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    refuse_unsupported(entry, prefix, ITEM_UNSUPPORTED)
    price = items.resolve_price(ctx, entry, prefix)
    assert price is not None  # required: resolve_price raises without one
    quantity = items.check_quantity(price, entry, prefix)
    rates = tax_rates.resolve(ctx, entry.get("tax_rates"), param=f"{prefix}[tax_rates]")
    stored = {
        "billing_thresholds": None,
        "discounts": [],
        "metadata": metadata.merge(None, entry.get("metadata") or {}, param=f"{prefix}[metadata]"),
        "price": price["id"],
        "tax_rates": [rate["id"] for rate in rates],
    }
    if not model.is_metered(price):  # a metered item bills usage, not a quantity
        stored["quantity"] = 1 if quantity is None else quantity
    return stored, price


def _end(given: dict[str, Any], start: int, first_price: dict[str, Any], prefix: str) -> int:
    end_date = given.get("end_date")
    duration = given.get("duration")
    if end_date is not None and duration:
        raise InvalidRequestError(
            "You may only specify one of these parameters: duration, end_date.",
            param=f"{prefix}[end_date]",
        )
    if duration:
        end = cycle.boundary(
            start, duration["interval"], int(duration.get("interval_count") or 1), 1
        )
    elif end_date is not None:
        end = start if end_date == "now" else int(end_date)
    else:
        end = cycle.boundary(start, *cycle.recurring_of(first_price), 1)
    if end <= start:
        # Stripe publishes no wording for this refusal.
        raise InvalidRequestError(
            f"The end_date of {prefix} must be after its start_date ({start}).",
            param=f"{prefix}[end_date]",
        )
    return end


def _trial_end(given: dict[str, Any], start: int, end: int, prefix: str) -> int | None:
    trial_end = given.get("trial_end")
    if given.get("trial") and trial_end is not None:
        raise InvalidRequestError(
            "You may only specify one of these parameters: trial, trial_end.",
            param=f"{prefix}[trial_end]",
        )
    if given.get("trial"):
        return end
    if trial_end is None:
        return None
    if trial_end == "now" or not start < int(trial_end) <= end:
        # Stripe publishes no wording for this refusal.
        raise InvalidRequestError(
            f"The trial_end of {prefix} must be within the phase ({start} to {end}).",
            param=f"{prefix}[trial_end]",
        )
    return int(trial_end)


def build(
    ctx: RequestContext,
    given: list[dict[str, Any]],
    *,
    start: int,
    customer_id: str,
    currency: str | None,
    first_index: int = 0,
) -> list[dict[str, Any]]:
    """Stored phases from `phases[]` parameters, the first starting at `start`.
    `first_index` numbers the parameters when past phases were left out of an update."""
    if not given:
        raise InvalidRequestError(
            "Missing required param: phases.", param="phases", code="parameter_missing"
        )
    if len(given) > MAX_PHASES:
        raise InvalidRequestError(
            f"A subscription schedule can have at most {MAX_PHASES} phases.", param="phases"
        )
    built: list[dict[str, Any]] = []
    for offset, entry in enumerate(given):
        prefix = f"phases[{first_index + offset}]"
        refuse_unsupported(entry, prefix, UNSUPPORTED)
        given_start = entry.get("start_date")
        if given_start is not None and given_start != "now" and int(given_start) != start:
            # Stripe publishes no wording for this refusal.
            raise InvalidRequestError(
                f"The start_date of {prefix} must be {start}: phases follow each other with "
                "no gap or overlap, each starting where the previous one ends.",
                param=f"{prefix}[start_date]",
            )
        if not entry.get("items"):
            raise InvalidRequestError(
                f"Missing required param: {prefix}[items].",
                param=f"{prefix}[items]",
                code="parameter_missing",
            )
        resolved = [
            _item(ctx, item, f"{prefix}[items][{index}]")
            for index, item in enumerate(entry["items"])
        ]
        currency = items.check_set(
            [(price, f"{prefix}[items]") for _, price in resolved], currency=currency
        )
        end = _end(entry, start, resolved[0][1], prefix)
        days = (entry.get("invoice_settings") or {}).get("days_until_due")
        rates = entry.get("default_tax_rates")
        built.append(
            {
                "add_invoice_items": [],
                "application_fee_percent": None,
                "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
                "billing_cycle_anchor": entry.get("billing_cycle_anchor") or None,
                "billing_thresholds": None,
                "collection_method": entry.get("collection_method") or None,
                "currency": currency,
                "default_payment_method": payment_methods.customer_payment_method(
                    ctx,
                    entry.get("default_payment_method"),
                    customer_id,
                    param=f"{prefix}[default_payment_method]",
                ),
                "default_tax_rates": [
                    rate["id"]
                    for rate in tax_rates.resolve(ctx, rates, param=f"{prefix}[default_tax_rates]")
                ],
                "description": entry.get("description") or None,
                "discounts": [],
                "end_date": end,
                "invoice_settings": (
                    {"account_tax_ids": None, "days_until_due": days, "issuer": None}
                    if days is not None
                    else None
                ),
                "items": [stored for stored, _ in resolved],
                "metadata": metadata.merge(
                    None, entry.get("metadata") or {}, param=f"{prefix}[metadata]"
                ),
                "on_behalf_of": None,
                "proration_behavior": entry.get("proration_behavior") or "create_prorations",
                "start_date": start,
                "transfer_data": None,
                "trial_end": _trial_end(entry, start, end, prefix),
            }
        )
        start = end
    return built


def setting(schedule: dict[str, Any], phase: dict[str, Any], name: str) -> Any:
    """A phase's value for a setting, else the schedule's default."""
    value = phase.get(name)
    return schedule["default_settings"].get(name) if value is None else value


def days_until_due(schedule: dict[str, Any], phase: dict[str, Any]) -> int | None:
    own = (phase.get("invoice_settings") or {}).get("days_until_due")
    if own is not None:
        return int(own)
    default = schedule["default_settings"]["invoice_settings"].get("days_until_due")
    return None if default is None else int(default)


def check_collection(schedule: dict[str, Any]) -> None:
    """Every phase sending invoices knows when they are due (its own `days_until_due`
    or the default one), as a subscription sending invoices must."""
    for phase in schedule["phases"]:
        if setting(schedule, phase, "collection_method") == "send_invoice":
            creation.check_collection(
                {"days_until_due": days_until_due(schedule, phase)}, "send_invoice"
            )


def index_of_current(schedule: dict[str, Any]) -> int:
    """The index of the phase running now (the schedule is `active`)."""
    current = schedule["current_phase"]
    for index, phase in enumerate(schedule["phases"]):
        if phase["start_date"] == current["start_date"]:
            return index
    raise LookupError(schedule["id"])  # an active schedule always has its current phase


def current_of(phase: dict[str, Any]) -> dict[str, int]:
    return {"end_date": phase["end_date"], "start_date": phase["start_date"]}
