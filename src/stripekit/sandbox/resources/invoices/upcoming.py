"""`GET /v1/invoices/upcoming` and `GET /v1/invoices/upcoming/lines`: the preview as clients
on API versions before 2025-03-31.basil ask for it.

Stripe replaced both with `POST /v1/invoices/create_preview`, so the pinned spec has no
table for them. Their query is translated onto create_preview's parameters (the flat
`subscription_*` names become `subscription_details[...]`, `coupon` a discount) and
validated with create_preview's table, so values are coerced and anything unknown is
refused as Stripe refuses it; an error about a translated parameter names it as the
caller spelled it. The answer is create_preview's, computed by the same code
(`preview.create_preview`), and like it leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from ...framework import params as param_rules
from ...framework.context import RequestContext
from ...framework.errors import StripeError
from ...framework.routing import Route
from ..prices import only_one
from . import common, model, preview

# The old flat names -> their place under `subscription_details` in create_preview.
_SUBSCRIPTION_FIELDS = {
    "subscription_items": "items",
    "subscription_proration_behavior": "proration_behavior",
    "subscription_proration_date": "proration_date",
    "subscription_billing_cycle_anchor": "billing_cycle_anchor",
    "subscription_cancel_at": "cancel_at",
    "subscription_cancel_at_period_end": "cancel_at_period_end",
    "subscription_cancel_now": "cancel_now",
    "subscription_default_tax_rates": "default_tax_rates",
    "subscription_resume_at": "resume_at",
    "subscription_start_date": "start_date",
    "subscription_trial_end": "trial_end",
}
T = TypeVar("T")
_CREATE_PREVIEW = "POST /v1/invoices/create_preview"
_DETAILS = "subscription_details"
_PAGE_PARAMS: dict[str, Any] = {
    "t": "object",
    "p": {
        "limit": {"t": "integer"},
        "starting_after": {"t": "string", "m": 5000},
        "ending_before": {"t": "string", "m": 5000},
    },
    "s": True,
}


def _translate(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """create_preview's params from the old query, and {new name: old name} for errors."""
    given = dict(raw)
    renamed: dict[str, str] = {}
    details = given.get(_DETAILS)
    details = dict(details) if isinstance(details, dict) else {}
    for old, new in _SUBSCRIPTION_FIELDS.items():
        if old in given:
            if new in details:
                raise only_one(old, f"{_DETAILS}[{new}]")
            details[new] = given.pop(old)
            renamed[f"{_DETAILS}[{new}]"] = old
    if details:
        given[_DETAILS] = details
    if "coupon" in given:
        if "discounts" in given:
            raise only_one("coupon", "discounts")
        coupon = given.pop("coupon")
        given["discounts"] = [{"coupon": coupon}] if coupon != "" else ""
        renamed["discounts[0][coupon]"] = "coupon"
    return given, renamed


def _as_called(error: StripeError, renamed: dict[str, str]) -> StripeError:
    """An error about a translated parameter, in the caller's own names."""
    param = error.param
    if not param:
        return error
    for new, old in renamed.items():
        if param == new or param.startswith(f"{new}["):
            error.param = old + param[len(new) :]
            error.message = error.message.replace(param, error.param)
            break
    return error


def _preview(ctx: RequestContext, raw: dict[str, Any], answer: Callable[[dict[str, Any]], T]) -> T:
    translated, renamed = _translate(raw)
    schema = param_rules.load_tables()["operations"][_CREATE_PREVIEW]
    try:
        params = param_rules.validate(schema, translated)
        return preview.run_preview(ctx, params, answer)
    except StripeError as error:
        raise _as_called(error, renamed) from None


def _stable_ids(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines with ids that name them on every call (`il_tmp_` and 14 hex digits, as
    Stripe's upcoming lines have): a preview is computed afresh each time, so a cursor from
    one page must still find its line on the next. Derived from the line's place and what
    it bills, so the same request gives the same ids."""
    out = []
    for index, line in enumerate(lines):
        source = (
            invoice["customer"],
            index,
            line["amount"],
            line.get("description") or "",
            # Not the period: an item given in the request itself starts "now", which
            # moves between two pages.
            line.get("quantity"),
        )
        digest = hashlib.blake2b(repr(source).encode(), digest_size=7).hexdigest()
        out.append({**line, "id": f"il_tmp_{digest}"})
    return out


def _present(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any]:
    shown = model.present(ctx, invoice)
    # The embedded lines are the list's first ones, so they get the same ids.
    shown["lines"] = {**shown["lines"], "data": _stable_ids(invoice, shown["lines"]["data"])}
    return shown


def upcoming(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _preview(ctx, params, lambda invoice: _present(ctx, invoice))


def upcoming_lines(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    paging = {k: params.pop(k) for k in ("limit", "starting_after", "ending_before") if k in params}
    paging = param_rules.validate(_PAGE_PARAMS, paging)
    # Every line, not the ten an invoice embeds: this list pages through them all.
    lines = _preview(ctx, params, lambda invoice: _stable_ids(invoice, model.lines_of(invoice)))
    return common.paginate(lines, paging, "/v1/invoices/upcoming/lines", "line_item")


ROUTES = [
    Route("GET", "/v1/invoices/upcoming", upcoming),
    Route("GET", "/v1/invoices/upcoming/lines", upcoming_lines),
]
