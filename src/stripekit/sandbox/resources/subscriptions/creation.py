"""POST /v1/subscriptions (and the legacy /v1/customers/{customer}/subscriptions).

The subscription starts at its customer's time (the test clock's, when the customer lives
on one). Its first invoice (`subscription_create`) is created and finalized at once:
- in a trial it bills `Trial period for ...` at zero and is paid; the status is
  `trialing` until the trial ends;
- charging automatically it is charged at once (on-session unless `off_session`): paid,
  the subscription is `active`; not paid, `payment_behavior` decides: `allow_incomplete`
  (the default) keeps an `incomplete` subscription whose PaymentIntent awaits a new
  payment method or 3-D Secure, `error_if_incomplete` answers the 402 and creates
  nothing, `default_incomplete` does not even try (the invoice waits to be paid, auto
  advance off). An `incomplete` subscription expires 23 hours later;
- sent (`send_invoice`), it is active at once and its invoice is due in `days_until_due`.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError, StripeError
from .. import discounts, payment_methods, sources, tax_rates
from ..invoices import items as invoice_items
from ..invoices import payment as invoice_payment
from ..test_clocks import now_for
from . import billing, cycle, items, lifecycle, model, timers

MAX_TRIAL_DAYS = 730
DAY = 86400
FUTURE_TIMESTAMP = "Invalid timestamp: must be an integer Unix timestamp in the future."
UNSUPPORTED = (
    "backdate_start_date",
    "billing_cycle_anchor_config",
    "billing_schedules",
    "billing_thresholds",
    "application_fee_percent",
    "on_behalf_of",
    "transfer_data",
)


def refuse_unsupported(params: dict[str, Any]) -> None:
    for name in UNSUPPORTED:
        if params.get(name) not in (None, "", []):
            raise InvalidRequestError(
                f"The sandbox does not support `{name}` on subscriptions.", param=name
            )
    if (params.get("automatic_tax") or {}).get("enabled"):
        raise InvalidRequestError(
            "Stripe Tax has not been activated on your account. The sandbox does not "
            "compute automatic tax.",
            param="automatic_tax[enabled]",
        )


def check_source(ctx: RequestContext, value: Any, customer_id: str) -> str | None:
    if not value:
        return None
    return str(sources.find_card(ctx, customer_id, value, param="default_source")["id"])


def check_collection(params: dict[str, Any], collection: str) -> None:
    days = params.get("days_until_due")
    if collection == "send_invoice":
        if days is None:
            raise InvalidRequestError(
                "Missing required param: days_until_due.",
                param="days_until_due",
                code="parameter_missing",
            )
        if days < 0:
            raise InvalidRequestError("Invalid non-negative integer", param="days_until_due")
    elif days is not None:
        raise InvalidRequestError(
            "Invalid days_until_due: it can only be set when collection_method is send_invoice.",
            param="days_until_due",
        )


def trial_end_of(params: dict[str, Any], first_price: dict[str, Any], now: int) -> int | None:
    """When the trial ends (None: no trial) from `trial_end`, `trial_period_days` or
    `trial_from_plan`."""
    given_end = params.get("trial_end")
    days = params.get("trial_period_days")
    from_plan = params.get("trial_from_plan")
    if given_end is not None and days is not None:
        raise InvalidRequestError(
            "You may only specify one of these parameters: trial_end, trial_period_days.",
            param="trial_end",
        )
    if from_plan and (given_end is not None or days is not None):
        raise InvalidRequestError(
            "You cannot set `trial_from_plan` together with `trial_end` or `trial_period_days`.",
            param="trial_from_plan",
        )
    if from_plan:
        days = (first_price.get("recurring") or {}).get("trial_period_days")
    if days is not None:
        if days < 0 or days > MAX_TRIAL_DAYS:
            raise InvalidRequestError(
                f"Invalid trial_period_days: must be between 0 and {MAX_TRIAL_DAYS}.",
                param="trial_period_days",
            )
        return now + int(days) * DAY if days else None
    if given_end is None or given_end == "now":
        return None
    if given_end <= now:
        raise InvalidRequestError(FUTURE_TIMESTAMP, param="trial_end")
    if given_end > now + MAX_TRIAL_DAYS * DAY:
        raise InvalidRequestError(
            "Invalid timestamp: can be no more than two years in the future.",
            param="trial_end",
        )
    return int(given_end)


def first_period(
    params: dict[str, Any], price: dict[str, Any], now: int, trial_end: int | None
) -> tuple[int, int]:
    """(billing cycle anchor, end of the first period)."""
    interval, count = cycle.recurring_of(price)
    anchor = params.get("billing_cycle_anchor")
    start = trial_end or now
    natural = cycle.boundary(start, interval, count, 1)
    if anchor is None:
        return start, trial_end or natural
    if trial_end is not None and anchor != trial_end:
        raise InvalidRequestError(
            "The sandbox supports a `billing_cycle_anchor` together with a trial only when "
            "it is the trial's end.",
            param="billing_cycle_anchor",
        )
    if anchor < now:
        raise InvalidRequestError(FUTURE_TIMESTAMP, param="billing_cycle_anchor")
    if anchor > natural:
        raise InvalidRequestError(
            f"billing_cycle_anchor cannot be later than next natural billing date ({natural}) "
            "for plan",
            param="billing_cycle_anchor",
        )
    if anchor == now:
        return now, natural
    return int(anchor), int(anchor)


def add_invoice_items(ctx: RequestContext, given: Any, sub: dict[str, Any]) -> None:
    """`add_invoice_items[]`: one-off prices billed on the subscription's next invoice
    (the first one, on creation), as pending items of the subscription."""
    if not given:
        return
    customer = ctx.load("customer", sub["customer"], param="customer", in_path=False)
    for index, entry in enumerate(given):
        prefix = f"add_invoice_items[{index}]"
        if entry.get("period"):
            raise InvalidRequestError(
                f"The sandbox does not support `{prefix}[period]`.", param=f"{prefix}[period]"
            )
        fields: dict[str, Any] = {
            k: entry[k] for k in ("quantity", "metadata", "discountable", "discounts") if k in entry
        }
        if entry.get("price"):
            fields["pricing"] = {"price": entry["price"]}
        if entry.get("price_data"):
            fields["price_data"] = entry["price_data"]
        fields["subscription"] = sub["id"]
        created = invoice_items.create_from_params(
            ctx, fields, customer, invoice=None, prefix=prefix
        )
        ctx.emit("invoiceitem.created", invoice_items.public(created))


def discount_ids(ctx: RequestContext, given: Any, sub: dict[str, Any]) -> list[str]:
    """Discount ids for `discounts[]` entries: an existing discount, or a new one from a
    coupon or promotion code (redeemed now)."""
    out: list[str] = []
    for index, entry in enumerate(given or []):
        if entry.get("discount"):
            stored = ctx.load(
                "discount",
                entry["discount"],
                param=f"discounts[{index}][discount]",
                in_path=False,
            )
            out.append(stored["id"])
            continue
        created = discounts.create_discount(
            ctx,
            coupon=entry.get("coupon"),
            promotion_code=entry.get("promotion_code"),
            customer=sub["customer"],
            subscription=sub["id"],
            currency=sub["currency"],
            param=f"discounts[{index}]",
        )
        out.append(created["id"])
    return out


def create(
    ctx: RequestContext,
    params: dict[str, Any],
    customer_id: str | None = None,
    *,
    schedule: str | None = None,
) -> dict[str, Any]:
    """Create a subscription (`schedule`: the subscription schedule starting it, shown
    on the subscription from its first event on)."""
    customer_id = customer_id or params.get("customer")
    if not customer_id:
        raise InvalidRequestError(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    customer = ctx.load("customer", customer_id, param="customer", in_path=False)
    refuse_unsupported(params)
    behavior = params.get("payment_behavior") or "allow_incomplete"
    if behavior == "pending_if_incomplete":
        raise InvalidRequestError(
            "You can only use `payment_behavior=pending_if_incomplete` when updating a "
            "subscription.",
            param="payment_behavior",
        )
    now = now_for(ctx, customer.get("test_clock"))
    given = params.get("items") or []
    resolved = []
    for index, entry in enumerate(given):
        prefix = f"items[{index}]"
        price = items.resolve_price(ctx, entry, prefix)
        assert price is not None
        resolved.append((price, items.check_quantity(price, entry, prefix), entry, prefix))
    currency = items.check_set([(p, f"{x}[price]") for p, _, _, x in resolved])
    default_rates = tax_rates.resolve(
        ctx, params.get("default_tax_rates"), param="default_tax_rates"
    )
    item_rates = [
        tax_rates.resolve(ctx, entry.get("tax_rates"), param=f"{prefix}[tax_rates]")
        for _, _, entry, prefix in resolved
    ]
    if params.get("currency") and params["currency"] != currency:
        raise InvalidRequestError(
            f"The currency {params['currency']} does not match the currency of the prices "
            f"({currency}).",
            param="currency",
        )
    if customer.get("currency") and customer["currency"] != currency:
        raise InvalidRequestError(
            "You cannot combine currencies on a single customer. This customer has an active "
            "subscription, subscription schedule, discount, quote, or invoice item with "
            f"currency {customer['currency']}.",
            param="currency",
        )
    collection = params.get("collection_method") or "charge_automatically"
    check_collection(params, collection)
    default_pm = payment_methods.customer_payment_method(
        ctx, params.get("default_payment_method"), customer["id"]
    )
    default_source = check_source(ctx, params.get("default_source"), customer["id"])
    trial_end = trial_end_of(params, resolved[0][0], now)
    anchor, period_end = first_period(params, resolved[0][0], now, trial_end)
    sub = model.new_subscription(
        ctx,
        sub_id=ctx.new_id("sub"),
        customer=customer,
        currency=currency,
        created=now,
        params={**params, "default_payment_method": default_pm, "default_source": default_source},
    )
    sub["billing_cycle_anchor"] = anchor
    sub["default_tax_rates"] = default_rates
    sub["schedule"] = schedule
    for (price, quantity, entry, prefix), rates in zip(resolved, item_rates, strict=True):
        item = model.new_item(
            ctx,
            sub["id"],
            price,
            quantity=quantity,
            meta=entry.get("metadata"),
            start=now,
            end=period_end,
            created=now,
            param=f"{prefix}[metadata]",
        )
        item["tax_rates"] = rates
        model.items_of(sub).append(item)
    if trial_end is not None:
        sub.update(status="trialing", trial_start=now, trial_end=trial_end)
    cancel_at = params.get("cancel_at")
    if isinstance(cancel_at, str):
        cancel_at = period_end  # max_period_end / min_period_end / max_billed_until
    if cancel_at is not None:
        if cancel_at <= now:
            raise InvalidRequestError(FUTURE_TIMESTAMP, param="cancel_at")
        sub["cancel_at"] = int(cancel_at)
        sub["canceled_at"] = now
    if params.get("cancel_at_period_end"):
        sub.update(cancel_at_period_end=True, cancel_at=period_end, canceled_at=now)
    if not customer.get("currency"):
        # A customer's currency is set by its first recurring billing, as on Stripe.
        customer["currency"] = currency
        ctx.save(customer)
    model.insert(ctx, sub)
    sub["discounts"] = discount_ids(ctx, params.get("discounts"), sub)
    add_invoice_items(ctx, params.get("add_invoice_items"), sub)
    model.save(ctx, sub)
    invoice = _first_invoice(ctx, sub, params, behavior, now, period_end)
    sub = ctx.find(model.TYPE, sub["id"]) or sub
    if invoice is not None:
        sub["latest_invoice"] = invoice["id"]
        if sub["status"] == "incomplete" and (
            invoice["status"] == "paid" or collection == "send_invoice"
        ):
            sub["status"] = "active"
        saving = sub["payment_settings"]["save_default_payment_method"] == "on_subscription"
        if saving and invoice["status"] == "paid" and not sub["default_payment_method"]:
            sub["default_payment_method"] = billing.paid_with(ctx, invoice)
    elif sub["status"] == "incomplete":
        sub["status"] = "active"
    if sub["status"] == "incomplete":
        timers.schedule(ctx, sub, now + lifecycle.INCOMPLETE_SECONDS, timers.EXPIRE_INCOMPLETE)
    model.save(ctx, sub)
    model.set_creating(ctx, sub, False)
    ctx.emit("customer.subscription.created", sub)
    lifecycle.schedule_period(ctx, sub)
    return sub


def _first_invoice(
    ctx: RequestContext,
    sub: dict[str, Any],
    params: dict[str, Any],
    behavior: str,
    now: int,
    period_end: int,
) -> dict[str, Any] | None:
    amounts: dict[str, int] = {}
    start = now
    if sub["status"] != "trialing" and period_end != cycle.boundary(
        now, *cycle.recurring_of(model.items_of(sub)[0]["price"]), 1
    ):
        # A first period cut short by a future anchor bills its share of a full period.
        interval, count = cycle.recurring_of(model.items_of(sub)[0]["price"])
        full_start = cycle.boundary(period_end, interval, count, -1)
        prorate = params.get("proration_behavior") != "none"
        for item in model.items_of(sub):
            whole = billing.item_amount(ctx, item)
            share = cycle.fraction(period_end - now, period_end - full_start, whole)
            amounts[item["id"]] = share if prorate else 0
    cancel_at = sub.get("cancel_at")
    if cancel_at and cancel_at < period_end and params.get("proration_behavior") != "none":
        for item in model.items_of(sub):
            whole = billing.item_amount(ctx, item)
            amounts[item["id"]] = cycle.fraction(cancel_at - start, period_end - start, whole)
    lines = billing.period_lines(ctx, sub, start, period_end, amounts=amounts)
    charging = sub["collection_method"] == "charge_automatically"
    total = sum(line["amount"] if line["amount"] is not None else 0 for line in lines)
    if (
        charging
        and total > 0
        and behavior in ("allow_incomplete", "error_if_incomplete")
        and not model.has_payment_method(ctx, sub)
    ):
        raise InvalidRequestError(invoice_payment.NO_PAYMENT_METHOD)
    strict = behavior == "error_if_incomplete"
    try:
        return billing.issue(
            ctx,
            sub,
            reason="subscription_create",
            lines=lines,
            period={"end": now, "start": now},
            now=True,
            attempt=behavior != "default_incomplete",
            off_session=bool(params.get("off_session")),
            raise_errors=strict,
        )
    except CardError as exc:
        # error_if_incomplete: nothing is created; the whole request is undone.
        raise CardError(exc.message, code=exc.code, param=exc.param, **exc.extra) from None
    except StripeError as exc:
        exc.keep_writes = False
        raise
