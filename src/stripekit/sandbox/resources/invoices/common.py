"""What every part of the invoices package shares: loading invoices, time on test clocks,
the timers' names, the pages' addresses and the listeners other billing code registers.

Time: an invoice lives on its customer's test clock when the customer has one. Its
timestamps come from `now_of` (the clock's frozen time, else sandbox time) and its timers
wait for that clock (`schedule`).

Listeners: subscriptions (and later dunning rules) need to hear about an invoice's fate
without this package importing them. `listen(name, fn)` registers `fn(ctx, invoice)` for
one of `EVENTS`; `notify` calls them in registration order, after the invoice is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from ...framework.listing import cursors, limit_of
from ..test_clocks import now_for

DAY = 86400
HOUR = 3600
# Stripe waits about an hour after `invoice.created` before it finalizes an auto-advancing
# draft (`automatically_finalizes_at` reads created + 3601 on Stripe, the first payment
# attempt created + 3600).
FINALIZE_DELAY = HOUR + 1
FIRST_ATTEMPT_DELAY = HOUR
# Automatic collection retries a failed charge_automatically invoice this many days after
# the previous attempt (a fixed schedule standing in for Smart Retries: four attempts over
# fifteen days), then stops and leaves the invoice open.
RETRY_DAYS = (3, 5, 7)

FINALIZE_TIMER = "invoice.finalize"
COLLECT_TIMER = "invoice.collect"
OVERDUE_TIMER = "invoice.overdue"

NOT_OPEN = "You can only pass in open invoices. This invoice isn't open."
NOT_EDITABLE = "Invalid invoice: This invoice is no longer editable"

EVENTS = (
    "finalized",
    "paid",
    "payment_failed",
    "payment_action_required",
    "retries_exhausted",
    "voided",
    "marked_uncollectible",
    "deleted",
)
Listener = Callable[[RequestContext, dict[str, Any]], None]
_listeners: dict[str, list[Listener]] = {name: [] for name in EVENTS}


def listen(name: str, listener: Listener) -> None:
    """Call `listener(ctx, invoice)` whenever an invoice reaches `name` (see EVENTS)."""
    if name not in _listeners:
        raise ValueError(f"unknown invoice event {name!r}; expected one of {EVENTS}")
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def notify(ctx: RequestContext, name: str, invoice: dict[str, Any]) -> None:
    for listener in list(_listeners[name]):
        listener(ctx, invoice)


# Subscription previews (`create_preview` with `subscription` or `subscription_details`)
# are answered by the subscriptions code: each provider gets (ctx, params, customer) and
# returns `create_invoice` keyword arguments (lines, subscription, billing_reason,
# period...) for the preview, or None when the params are not its business.
PreviewProvider = Callable[[RequestContext, dict[str, Any], dict[str, Any]], dict[str, Any] | None]
preview_providers: list[PreviewProvider] = []


def provide_previews(provider: PreviewProvider) -> None:
    if provider not in preview_providers:
        preview_providers.append(provider)


# -- loading --------------------------------------------------------------------------------


def load(ctx: RequestContext, invoice_id: str, *, param: str = "invoice") -> dict[str, Any]:
    """The invoice a path names (Stripe names the path param `invoice` on some routes and
    `id` on others), or the 404."""
    found = ctx.find("invoice", invoice_id) if isinstance(invoice_id, str) else None
    if found is None or found.get("deleted"):
        raise ResourceMissing("invoice", str(invoice_id), param=param)
    return found


def load_customer(
    ctx: RequestContext, customer_id: Any, *, param: str = "customer"
) -> dict[str, Any]:
    if not customer_id:
        raise InvalidRequestError(
            f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    return ctx.load("customer", customer_id, param=param, in_path=False)


def paginate(
    objs: list[dict[str, Any]], params: dict[str, Any], url: str, noun: str
) -> dict[str, Any]:
    """Stripe's cursor pagination over a list already in order (an invoice's lines, or a
    list filtered on something the store cannot filter on)."""
    starting_after, ending_before = cursors(params)
    limit = limit_of(params)
    ids = [obj["id"] for obj in objs]
    if starting_after:
        if starting_after not in ids:
            raise ResourceMissing(noun, starting_after, param="starting_after", status=400)
        rest = objs[ids.index(starting_after) + 1 :]
        data, has_more = rest[:limit], len(rest) > limit
    elif ending_before:
        if ending_before not in ids:
            raise ResourceMissing(noun, ending_before, param="ending_before", status=400)
        before = objs[: ids.index(ending_before)]
        data, has_more = before[-limit:], len(before) > limit
    else:
        data, has_more = objs[:limit], len(objs) > limit
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def in_range(value: Any, bounds: dict[str, int] | None) -> bool:
    """`created`/`due_date`-style filters: `{gt, gte, lt, lte}` (an exact value is
    `{gte: v, lte: v}`)."""
    if not bounds:
        return True
    if value is None:
        return False
    return (
        value > bounds.get("gt", value - 1)
        and value >= bounds.get("gte", value)
        and value < bounds.get("lt", value + 1)
        and value <= bounds.get("lte", value)
    )


# -- time -----------------------------------------------------------------------------------


def now_of(ctx: RequestContext, obj: dict[str, Any] | None) -> int:
    """Now, for an invoice, item or customer: its test clock's time when it has one."""
    return now_for(ctx, (obj or {}).get("test_clock"))


def schedule(ctx: RequestContext, obj: dict[str, Any], due: int, kind: str) -> None:
    """A timer for an invoice: on its test clock when it lives on one."""
    clock = obj.get("test_clock")
    if clock:
        ctx.schedule(due, kind, obj["id"], clock=clock)
    else:
        ctx.schedule(due, kind, obj["id"])


# -- addresses of the pages the sandbox serves ------------------------------------------------


def page_base(ctx: RequestContext) -> str:
    return ctx.base_url.rstrip("/")


def hosted_url(ctx: RequestContext, invoice_id: str) -> str:
    return f"{page_base(ctx)}/_sandbox/pages/invoices/{ctx.account}/{invoice_id}"


def pdf_url(ctx: RequestContext, invoice_id: str) -> str:
    return f"{hosted_url(ctx, invoice_id)}/pdf"
