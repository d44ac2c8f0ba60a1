"""POST /v1/subscriptions/{id}: changing a subscription, and the item changes that
/v1/subscription_items shares.

Item changes (a new price, a new quantity, an item added or deleted) are prorated to the
second from `proration_date` (default: now) per `proration_behavior`: `create_prorations`
(the default) leaves pending invoice items for the next invoice, `always_invoice` bills
them at once (`subscription_update`), `none` changes the price with no proration (the
usual "downgrade at period end": the next renewal bills the new price). A trial has
billed nothing, so nothing is prorated during one.

Resetting the cycle (`billing_cycle_anchor=now`, a price with another interval, or
`trial_end=now` ending a trial) starts a new period now and bills it at once, with a
credit for the unused time of the old one when prorating.

What happens when an immediate invoice is not paid follows `payment_behavior`:
`allow_incomplete` (default) leaves the subscription `past_due`; `default_incomplete`
does not try and leaves it `past_due`; `error_if_incomplete` answers the 402 and changes
nothing; `pending_if_incomplete` keeps the subscription as it was with a `pending_update`
that applies when the invoice is paid (`customer.subscription.pending_update_applied`) or
expires 23 hours later (`...pending_update_expired`, the invoice voided).
"""

from __future__ import annotations

import copy
from typing import Any

from ...framework import metadata
from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError, StripeError
from .. import discounts, payment_methods, tax_rates
from . import billing, creation, cycle, items, lifecycle, model, prorations, timers

CANCELED_ONLY = "A canceled subscription can only update its cancellation_details and metadata."
EXPIRED = "You cannot update a subscription that is `canceled` or `incomplete_expired`."
INCOMPLETE_FIELDS = frozenset(
    (
        "metadata",
        "default_payment_method",
        "default_source",
        "description",
        "payment_settings",
        "off_session",
        "payment_behavior",
        "cancellation_details",
    )
)
PENDING_FIELDS = frozenset(
    (
        "items",
        "proration_behavior",
        "proration_date",
        "billing_cycle_anchor",
        "trial_end",
        "trial_from_plan",
        "payment_behavior",
        "off_session",
    )
)
PENDING_SECONDS = 23 * 3600


def check_proration_date(sub: dict[str, Any], params: dict[str, Any], now: int) -> int:
    at = params.get("proration_date")
    if at is None:
        return now
    start, end = model.period_of(sub)
    if at < start or at > end:
        raise InvalidRequestError(
            "The proration_date must be within the current billing period of the "
            f"subscription ({start} to {end}).",
            param="proration_date",
        )
    return int(at)


# -- items -------------------------------------------------------------------------------------


def apply_item_changes(
    ctx: RequestContext, sub: dict[str, Any], given: list[dict[str, Any]], now: int
) -> tuple[list[tuple[dict[str, Any] | None, dict[str, Any] | None]], bool]:
    """Apply `items[]` to the subscription's items in place. Returns (old, new) pairs
    for every item whose billing changed (None for added / deleted) and whether the
    billing interval changed (which resets the cycle)."""
    current = {item["id"]: item for item in model.items_of(sub)}
    old_interval = cycle.recurring_of(model.items_of(sub)[0]["price"])
    changed: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
    start, end = model.period_of(sub)
    result = list(model.items_of(sub))
    for index, entry in enumerate(given):
        prefix = f"items[{index}]"
        item_id = entry.get("id")
        if item_id:
            if item_id not in current:
                raise InvalidRequestError(
                    f"Subscription item {item_id} does not belong to subscription {sub['id']}.",
                    param=f"{prefix}[id]",
                )
            item = current[item_id]
            if entry.get("deleted"):
                result = [i for i in result if i["id"] != item_id]
                changed.append((copy.deepcopy(item), None))
                continue
            before = copy.deepcopy(item)
            update_item(ctx, item, entry, prefix)
            if billing_changed(before, item):
                changed.append((before, item))
            continue
        if entry.get("deleted"):
            raise InvalidRequestError(
                f"Missing required param: {prefix}[id].",
                param=f"{prefix}[id]",
                code="parameter_missing",
            )
        price = items.resolve_price(ctx, entry, prefix)
        assert price is not None
        quantity = items.check_quantity(price, entry, prefix)
        new = model.new_item(
            ctx,
            sub["id"],
            price,
            quantity=quantity,
            meta=entry.get("metadata"),
            start=start,
            end=end,
            created=now,
            param=f"{prefix}[metadata]",
        )
        new["tax_rates"] = tax_rates.resolve(
            ctx, entry.get("tax_rates"), param=f"{prefix}[tax_rates]"
        )
        result.append(new)
        changed.append((None, new))
    if not result:
        raise InvalidRequestError(
            "A subscription must have at least one active plan. To cancel a subscription, "
            "please use the cancel API endpoint on /v1/subscriptions.",
            param="items",
        )
    items.check_set([(i["price"], "items") for i in result], currency=sub["currency"])
    sub["items"]["data"] = result
    return changed, cycle.recurring_of(result[0]["price"]) != old_interval


def update_item(
    ctx: RequestContext, item: dict[str, Any], entry: dict[str, Any], prefix: str
) -> None:
    price = items.resolve_price(ctx, entry, prefix, required=False)
    if price is not None:
        was_metered = model.is_metered(item["price"])
        item["price"] = model.item_price(price)
        if model.is_metered(price):
            item.pop("quantity", None)
        elif was_metered or "quantity" not in item:
            item["quantity"] = 1
    quantity = items.check_quantity(item["price"], entry, prefix)
    if quantity is not None:
        item["quantity"] = quantity
    if "metadata" in entry:
        item["metadata"] = metadata.merge(
            item.get("metadata"), entry["metadata"], param=f"{prefix}[metadata]"
        )
    if "tax_rates" in entry:
        item["tax_rates"] = tax_rates.resolve(ctx, entry["tax_rates"], param=f"{prefix}[tax_rates]")


def billing_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return before["price"]["id"] != after["price"]["id"] or before.get("quantity") != after.get(
        "quantity"
    )


def prorate_changes(
    ctx: RequestContext,
    sub: dict[str, Any],
    changed: list[tuple[dict[str, Any] | None, dict[str, Any] | None]],
    at: int,
    behavior: str,
) -> None:
    """Credit and debit the changed items (or, with `none`, only forget what a deleted
    item was billed)."""
    prorating = behavior != "none" and sub["status"] not in ("trialing", "incomplete")
    for old, new in changed:
        # The charge is recorded before the credit: invoices list pending items newest
        # first, and Stripe shows the credit (`Unused time`) above the charge.
        # (The credit reads what was billed before the charge replaces it.)
        if prorating and new is not None:
            prorations.debit(ctx, sub, new, at, record=False)
        if prorating and old is not None:
            prorations.credit(ctx, sub, old, at)
        if prorating and new is not None:
            model.set_billed(ctx, sub, {new["id"]: billing.item_amount(ctx, new)})
        if new is None and old is not None:
            model.set_billed(ctx, sub, {old["id"]: None})


# -- the update --------------------------------------------------------------------------------


def check_allowed(sub: dict[str, Any], params: dict[str, Any]) -> None:
    given = {k for k, v in params.items() if v is not None}
    if sub["status"] == "canceled" and given - {"metadata", "cancellation_details"}:
        raise InvalidRequestError(CANCELED_ONLY)
    if sub["status"] == "incomplete_expired" and given - {"metadata"}:
        raise InvalidRequestError(EXPIRED)
    if sub["status"] == "incomplete" and given - INCOMPLETE_FIELDS:
        raise InvalidRequestError(
            "A subscription with status `incomplete` can only update its metadata, "
            "default_payment_method and default_source until its first invoice is paid.",
        )
    if params.get("payment_behavior") == "pending_if_incomplete":
        extra = sorted(given - PENDING_FIELDS - {"expand"})
        if extra:
            raise InvalidRequestError(
                "When `payment_behavior=pending_if_incomplete`, only these parameters may "
                "be given: " + ", ".join(sorted(PENDING_FIELDS)) + f". Received: {extra[0]}.",
                param=extra[0],
            )


def _simple_fields(ctx: RequestContext, sub: dict[str, Any], params: dict[str, Any]) -> None:
    if "metadata" in params:
        sub["metadata"] = metadata.merge(sub.get("metadata"), params["metadata"])
    if "description" in params:
        sub["description"] = params["description"] or None
    if "default_tax_rates" in params:
        sub["default_tax_rates"] = tax_rates.resolve(
            ctx, params["default_tax_rates"], param="default_tax_rates"
        )
    if "cancellation_details" in params:
        given = params["cancellation_details"] or {}
        details = dict(sub["cancellation_details"])
        for key in ("comment", "feedback"):
            if key in given:
                details[key] = given[key] or None
        sub["cancellation_details"] = details
    if params.get("default_payment_method"):
        sub["default_payment_method"] = payment_methods.customer_payment_method(
            ctx, params["default_payment_method"], sub["customer"]
        )
    if "default_source" in params:
        sub["default_source"] = creation.check_source(
            ctx, params["default_source"], sub["customer"]
        )
    settings = params.get("payment_settings")
    if isinstance(settings, dict) and "save_default_payment_method" in settings:
        sub["payment_settings"] = {
            **sub["payment_settings"],
            "save_default_payment_method": settings["save_default_payment_method"] or "off",
        }
    if "pending_invoice_item_interval" in params:
        sub["pending_invoice_item_interval"] = params["pending_invoice_item_interval"] or None
    if params.get("trial_settings"):
        behavior = params["trial_settings"]["end_behavior"]["missing_payment_method"]
        sub["trial_settings"] = {"end_behavior": {"missing_payment_method": behavior}}


def _collection(sub: dict[str, Any], params: dict[str, Any]) -> None:
    collection = params.get("collection_method") or sub["collection_method"]
    days = params.get("days_until_due")
    if collection == "send_invoice":
        if days is None and sub.get("days_until_due") is None:
            creation.check_collection(params, collection)
        if days is not None:
            creation.check_collection(params, collection)
            sub["days_until_due"] = days
    else:
        creation.check_collection(params, collection)
        sub["days_until_due"] = None
    sub["collection_method"] = collection


def _cancellation(sub: dict[str, Any], params: dict[str, Any], now: int) -> None:
    _, end = model.period_of(sub)
    if "cancel_at_period_end" in params:
        if params["cancel_at_period_end"]:
            sub.update(cancel_at_period_end=True, cancel_at=end, canceled_at=now)
        else:
            sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
    if "cancel_at" in params:
        value = params["cancel_at"]
        if value in ("", None):
            sub.update(cancel_at=None, canceled_at=None, cancel_at_period_end=False)
        else:
            at = end if isinstance(value, str) else int(value)
            if at <= now:
                raise InvalidRequestError(creation.FUTURE_TIMESTAMP, param="cancel_at")
            sub.update(cancel_at=at, canceled_at=now, cancel_at_period_end=False)


def _pause(ctx: RequestContext, sub: dict[str, Any], params: dict[str, Any], now: int) -> None:
    if "pause_collection" not in params:
        return
    value = params["pause_collection"]
    if not value:
        sub["pause_collection"] = None
        return
    resumes_at = value.get("resumes_at")
    if resumes_at is not None and resumes_at <= now:
        raise InvalidRequestError(creation.FUTURE_TIMESTAMP, param="pause_collection[resumes_at]")
    sub["pause_collection"] = {"behavior": value["behavior"], "resumes_at": resumes_at}
    if resumes_at is not None:
        timers.schedule(ctx, sub, resumes_at, timers.RESUME_COLLECTION)


def _discounts(ctx: RequestContext, sub: dict[str, Any], params: dict[str, Any]) -> None:
    if "discounts" not in params:
        return
    keep: list[str] = []
    wanted = params["discounts"] or []
    named = {entry.get("discount") for entry in wanted if entry.get("discount")}
    for value in sub.get("discounts") or []:
        discount_id = value["id"] if isinstance(value, dict) else value
        if discount_id in named:
            keep.append(discount_id)
            continue
        stored = ctx.find("discount", discount_id)
        if stored is not None and not stored.get("deleted"):
            ctx.save({**stored, "deleted": True}, listed=False)
            ctx.emit("customer.discount.deleted", discounts.public(stored))
    fresh = [entry for entry in wanted if not entry.get("discount")]
    sub["discounts"] = keep + creation.discount_ids(ctx, fresh, sub)


def update(
    ctx: RequestContext, params: dict[str, Any], subscription_exposed_id: str
) -> dict[str, Any]:
    sub = model.load(ctx, subscription_exposed_id)
    return apply_update(ctx, sub, params)


def apply_update(
    ctx: RequestContext, sub: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    check_allowed(sub, params)
    creation.refuse_unsupported(params)
    before = lifecycle.snapshot(sub)
    now = model.now_of(ctx, sub)
    behavior = params.get("proration_behavior") or "create_prorations"
    payment_behavior = params.get("payment_behavior") or "allow_incomplete"
    at = check_proration_date(sub, params, now) if sub["status"] in model.LIVE else now
    _simple_fields(ctx, sub, params)
    if sub["status"] == "canceled":
        lifecycle.announce(ctx, sub, before)
        return sub
    _collection(sub, params)
    reset = params.get("billing_cycle_anchor") == "now"
    changed: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
    if params.get("items"):
        changed, new_interval = apply_item_changes(ctx, sub, params["items"], now)
        reset = reset or new_interval
    trial = _trial_change(ctx, sub, params, now, behavior)
    if trial == "ended":
        reset = True
    elif trial == "started":
        changed = []
    if reset:
        invoice = _reset_cycle(ctx, sub, now, behavior, payment_behavior, changed, params)
    else:
        prorate_changes(ctx, sub, changed, at, behavior)
        invoice = None
        if behavior == "always_invoice" and changed and sub["status"] != "trialing":
            invoice = _bill_now(ctx, sub, payment_behavior, params, now)
    _cancellation(sub, params, now)
    _pause(ctx, sub, params, now)
    _discounts(ctx, sub, params)
    creation.add_invoice_items(ctx, params.get("add_invoice_items"), sub)
    if invoice is not None:
        sub["latest_invoice"] = invoice["id"]
        if invoice["status"] not in ("paid", "void", "uncollectible") and sub["status"] in (
            "active",
            "trialing",
        ):
            sub["status"] = "past_due"
    if (
        payment_behavior == "pending_if_incomplete"
        and invoice is not None
        and (invoice["status"] == "open")
    ):
        return _hold_as_pending(ctx, before, sub, invoice, now)
    lifecycle.announce(ctx, sub, before)
    for old, new in changed:
        if new is None and old is not None and ctx.find(model.ITEM, old["id"]) is not None:
            ctx.remove(model.ITEM, old["id"])
    if (
        model.period_of(sub) != model.period_of(before)
        or sub.get("cancel_at") != before.get("cancel_at")
        or sub.get("trial_end") != before.get("trial_end")
    ):
        lifecycle.schedule_period(ctx, sub)
    return ctx.find(model.TYPE, sub["id"]) or sub


def _trial_change(
    ctx: RequestContext, sub: dict[str, Any], params: dict[str, Any], now: int, behavior: str
) -> str | None:
    """`trial_end`: `now` ends a trial (the cycle then resets); a timestamp extends a trial
    or starts one (crediting unused paid time when prorating)."""
    value = params.get("trial_end")
    if params.get("trial_from_plan") and value is None:
        days = (model.items_of(sub)[0]["price"].get("recurring") or {}).get("trial_period_days")
        value = now + int(days) * 86400 if days else None
    if value is None:
        return None
    if value == "now":
        if sub["status"] != "trialing":
            return None
        sub["trial_end"] = now
        sub["status"] = "active"
        return "ended"
    if value <= now:
        raise InvalidRequestError(creation.FUTURE_TIMESTAMP, param="trial_end")
    if sub["status"] not in ("trialing", "active", "past_due"):
        return None
    if sub["status"] != "trialing" and behavior != "none":
        for item in model.items_of(sub):
            prorations.credit(ctx, sub, item, now)
    start = sub["trial_start"] if sub["status"] == "trialing" else now
    sub.update(status="trialing", trial_start=start, trial_end=int(value))
    sub["billing_cycle_anchor"] = int(value)
    model.set_period(sub, start, int(value))
    return "started"


def _reset_cycle(
    ctx: RequestContext,
    sub: dict[str, Any],
    now: int,
    behavior: str,
    payment_behavior: str,
    changed: list[tuple[dict[str, Any] | None, dict[str, Any] | None]],
    params: dict[str, Any],
) -> dict[str, Any] | None:
    """A new period starting now, billed at once; the old one's unused time credited."""
    if behavior != "none" and sub["status"] not in ("trialing", "incomplete"):
        credited = {old["id"] for old, _ in changed if old is not None}
        for old, _ in changed:
            if old is not None:
                prorations.credit(ctx, sub, old, now)
        for item in model.items_of(sub):
            if item["id"] not in credited and not any(n is item for _, n in changed):
                prorations.credit(ctx, sub, item, now)
    interval, count = cycle.recurring_of(model.items_of(sub)[0]["price"])
    sub["billing_cycle_anchor"] = now
    model.set_period(sub, now, cycle.boundary(now, interval, count, 1))
    if sub["status"] == "trialing":
        sub["status"] = "active"
        sub["trial_end"] = now
    return _bill_now(
        ctx,
        sub,
        payment_behavior,
        params,
        now,
        lines=billing.period_lines(ctx, sub, now, model.period_of(sub)[1]),
    )


def _bill_now(
    ctx: RequestContext,
    sub: dict[str, Any],
    payment_behavior: str,
    params: dict[str, Any],
    now: int,
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    model.save(ctx, sub)  # the invoice reads the subscription's defaults
    model.set_creating(ctx, sub, True)
    try:
        invoice = billing.issue(
            ctx,
            sub,
            reason="subscription_update",
            lines=lines or [],
            period={"end": now, "start": now},
            now=True,
            attempt=payment_behavior != "default_incomplete",
            off_session=bool(params.get("off_session")),
            raise_errors=payment_behavior == "error_if_incomplete",
        )
    except CardError as exc:
        raise CardError(exc.message, code=exc.code, param=exc.param, **exc.extra) from None
    except StripeError as exc:
        exc.keep_writes = False
        raise
    model.set_creating(ctx, sub, False)
    return invoice


def _hold_as_pending(
    ctx: RequestContext,
    before: dict[str, Any],
    sub: dict[str, Any],
    invoice: dict[str, Any],
    now: int,
) -> dict[str, Any]:
    """pending_if_incomplete: keep the subscription as it was; remember the update."""
    target = {k: sub[k] for k in ("items", "billing_cycle_anchor", "trial_end", "status")}
    record = model.state(ctx, sub)
    record["pending"] = {"invoice": invoice["id"], "target": target}
    model.save_state(ctx, record)
    held = lifecycle.snapshot(before)
    held["latest_invoice"] = invoice["id"]
    held["pending_update"] = {
        "billing_cycle_anchor": target["billing_cycle_anchor"]
        if target["billing_cycle_anchor"] != before["billing_cycle_anchor"]
        else None,
        "discounts": None,
        "expires_at": now + PENDING_SECONDS,
        "subscription_items": target["items"]["data"],
        "trial_end": target["trial_end"] if target["trial_end"] != before["trial_end"] else None,
        "trial_from_plan": None,
    }
    lifecycle.announce(ctx, held, before)
    # Items added by the held update must not linger as stored objects.
    kept = {item["id"] for item in model.items_of(before)}
    for item in target["items"]["data"]:
        if item["id"] not in kept and ctx.find(model.ITEM, item["id"]) is not None:
            ctx.remove(model.ITEM, item["id"])
    timers.schedule(ctx, held, now + PENDING_SECONDS, timers.PENDING_UPDATE_EXPIRY)
    return ctx.find(model.TYPE, held["id"]) or held


def apply_pending(ctx: RequestContext, sub: dict[str, Any], invoice: dict[str, Any]) -> None:
    """The invoice a pending update waited for is paid: the update takes effect."""
    found = ctx.find(model.STATE, sub["id"])
    pending = (found or {}).get("pending")
    if not pending or pending["invoice"] != invoice["id"]:
        return
    record = model.state(ctx, sub)
    record.pop("pending", None)
    model.save_state(ctx, record)
    before = lifecycle.snapshot(sub)
    target = pending["target"]
    old_ids = {item["id"] for item in model.items_of(sub)}
    sub.update(
        items=target["items"],
        billing_cycle_anchor=target["billing_cycle_anchor"],
        trial_end=target["trial_end"],
        pending_update=None,
    )
    if sub["status"] in ("past_due", "incomplete", "unpaid"):
        sub["status"] = "active"
    for item_id in old_ids - {item["id"] for item in model.items_of(sub)}:
        if ctx.find(model.ITEM, item_id) is not None:
            ctx.remove(model.ITEM, item_id)
    lifecycle.announce(ctx, sub, before)
    ctx.emit("customer.subscription.pending_update_applied", sub)
    lifecycle.schedule_period(ctx, sub)


def run_pending_expiry(ctx: RequestContext, value: str) -> None:
    sub_id, at, _ = timers.parse(value)
    sub = ctx.find(model.TYPE, sub_id)
    if sub is None or not sub.get("pending_update"):
        return
    if sub["pending_update"]["expires_at"] != at:
        return
    record = model.state(ctx, sub)
    pending = record.pop("pending", None)
    model.save_state(ctx, record)
    before = lifecycle.snapshot(sub)
    sub["pending_update"] = None
    invoice = ctx.find("invoice", pending["invoice"]) if pending else None
    if invoice is not None and invoice.get("status") == "open":
        billing.void_invoice(ctx, invoice)
    lifecycle.announce(ctx, sub, before)
    ctx.emit("customer.subscription.pending_update_expired", sub)


TIMERS = {timers.PENDING_UPDATE_EXPIRY: run_pending_expiry}
