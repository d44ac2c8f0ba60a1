"""The subscription's invoices: which lines a period bills, and handing them to the
invoices package (which owns numbering, totals, finalization, payment and retries).

Lines: each licensed item is billed in advance for the period starting now (a trial's
period at zero: `Trial period for Gold`); each metered item in arrears, for the usage its
meter recorded over the period that just ended. The subscription's own pending invoice
items (prorations) and the customer's loose ones come first, as Stripe orders them.
Discounts: the subscription's discounts that still apply at the invoice's moment.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...store import Filter
from .. import billing_meters, discounts, usage_records
from ..invoices import items as invoice_items
from ..invoices import lifecycle as invoice_lifecycle
from ..invoices import payment as invoice_payment
from . import model, prorations, timers

DAY = 86400


def _line(
    ctx: RequestContext,
    sub: dict[str, Any],
    item: dict[str, Any],
    *,
    quantity: int,
    start: int,
    end: int,
    amount: int | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    return {
        "price": prorations.full_price(ctx, item["price"]),
        "quantity": quantity,
        "period": {"end": end, "start": start},
        "subscription_item": item["id"],
        "amount": amount,
        "description": description,
        "discount_ids": [d for d in item.get("discounts") or [] if isinstance(d, str)],
        "tax_rates": list(item.get("tax_rates") or []),
    }


def period_lines(
    ctx: RequestContext,
    sub: dict[str, Any],
    start: int,
    end: int,
    *,
    amounts: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Licensed items billed in advance for [start, end): full amounts unless `amounts`
    (a first period cut short by the billing cycle anchor) says otherwise; at zero in a
    trial. Records each item's full-period amount as what was last billed."""
    lines = []
    trial = sub["status"] == "trialing"
    billed: dict[str, int | None] = {}
    for item in model.items_of(sub):
        if model.is_metered(item["price"]):
            continue
        quantity = model.quantity_of(item)
        if trial:
            product = ctx.find("product", item["price"]["product"]) or {}
            name = product.get("name") or item["price"]["product"]
            lines.append(
                _line(
                    ctx,
                    sub,
                    item,
                    quantity=quantity,
                    start=start,
                    end=end,
                    amount=0,
                    description=f"Trial period for {name}",
                )
            )
            continue
        whole = prorations.full_amount(ctx, item["price"], quantity)
        amount = (amounts or {}).get(item["id"], whole)
        lines.append(_line(ctx, sub, item, quantity=quantity, start=start, end=end, amount=amount))
        billed[item["id"]] = whole
    if billed:
        model.set_billed(ctx, sub, billed)
    return lines


def usage_lines(
    ctx: RequestContext, sub: dict[str, Any], start: int, end: int
) -> list[dict[str, Any]]:
    """Metered items billed in arrears: the usage their meter recorded over [start, end)
    for the subscription's customer, or, for a legacy price without a meter, the sum of
    the item's usage records (nothing during a trial)."""
    if end <= start:
        return []
    lines = []
    for item in model.items_of(sub):
        if not model.is_metered(item["price"]):
            continue
        meter = (item["price"].get("recurring") or {}).get("meter")
        if meter:
            used = billing_meters.usage(ctx, meter, sub["customer"], start, end)
        else:
            used = usage_records.usage(ctx, item["id"], start, end)
        quantity = int(used)
        amount = 0 if sub["status"] == "trialing" else None
        lines.append(_line(ctx, sub, item, quantity=quantity, start=start, end=end, amount=amount))
    return lines


def ready_lines(
    ctx: RequestContext, sub: dict[str, Any], invoice_id: str, lines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Invoice lines (the invoices package's shape) from this module's line specs."""
    return [
        invoice_items.subscription_line(
            ctx,
            invoice_id,
            price=line["price"],
            quantity=line["quantity"],
            period=line["period"],
            subscription=sub["id"],
            subscription_item=line["subscription_item"],
            amount=line["amount"],
            description=line["description"],
            discount_ids=line["discount_ids"],
            tax_rates=line.get("tax_rates"),
        )
        for line in lines
    ]


def active_discounts(ctx: RequestContext, sub: dict[str, Any], at: int) -> list[str]:
    out = []
    for value in sub.get("discounts") or []:
        discount_id = value["id"] if isinstance(value, dict) else value
        stored = ctx.find("discount", discount_id)
        if stored is not None and discounts.active(stored, at):
            out.append(discount_id)
    return out


def issue(
    ctx: RequestContext,
    sub: dict[str, Any],
    *,
    reason: str,
    lines: list[dict[str, Any]],
    period: dict[str, int],
    now: bool,
    attempt: bool = True,
    off_session: bool = True,
    raise_errors: bool = False,
) -> dict[str, Any] | None:
    """Create the subscription's invoice from `lines` (plus pending items). `now`:
    finalize at once and, charging automatically, try to collect it (`attempt`) —
    creation, `always_invoice` updates, `invoice_now`; otherwise a draft that finalizes
    about an hour later, as renewals do. None when there is nothing at all to bill."""
    customer = ctx.find("customer", sub["customer"])
    if customer is None or customer.get("deleted"):
        return None
    at = model.now_of(ctx, sub)
    if not lines and not invoice_items.pending_items(ctx, sub["customer"], subscription=sub["id"]):
        return None
    invoice_id = ctx.new_id("in")
    ready = ready_lines(ctx, sub, invoice_id, lines)
    collection = sub["collection_method"]
    pause = sub.get("pause_collection") or {}
    # An `unpaid` subscription keeps generating invoices, but nothing collects them.
    auto_advance = pause.get("behavior") != "keep_as_draft" and sub["status"] != "unpaid"
    due_date = None
    if collection == "send_invoice":
        due_date = at + int(sub.get("days_until_due") or 0) * DAY
    invoice = invoice_lifecycle.create_invoice(
        ctx,
        customer,
        subscription=sub["id"],
        lines=ready,
        collection_method=collection,
        billing_reason=reason,
        period=period,
        auto_advance=auto_advance and not (now and not attempt),
        include_pending=True,
        currency=sub["currency"],
        due_date=due_date,
        discount_ids=active_discounts(ctx, sub, at),
        invoice_id=invoice_id,
        subscription_metadata=dict(sub.get("metadata") or {}),
        description=None,
        # The invoice's defaults come from the subscription's, as on Stripe.
        default_tax_rates=list(sub.get("default_tax_rates") or []),
    )
    if now:
        invoice_lifecycle.finalize(ctx, invoice, collect=False)
        if pause.get("behavior") in ("mark_uncollectible", "void"):
            _apply_pause(ctx, invoice, pause["behavior"])
        elif attempt and collection == "charge_automatically" and invoice["status"] == "open":
            invoice_payment.attempt_payment(
                ctx, invoice, automatic=not raise_errors, off_session=off_session
            )
        elif (
            collection == "send_invoice"
            and invoice["status"] == "open"
            and not invoice["auto_advance"]  # finalizing an auto-advancing one sent it
        ):
            invoice_lifecycle.send(ctx, invoice)
    elif pause.get("behavior") in ("mark_uncollectible", "void"):
        invoice_lifecycle.finalize(ctx, invoice, collect=False)
        _apply_pause(ctx, invoice, pause["behavior"])
    if collection == "send_invoice" and due_date is not None:
        timers.schedule(ctx, sub, due_date, timers.OVERDUE, invoice["id"])
    return ctx.find("invoice", invoice["id"]) or invoice


def item_amount(ctx: RequestContext, item: dict[str, Any]) -> int:
    """A whole period of a (licensed) item at its price and quantity."""
    return prorations.full_amount(ctx, item["price"], model.quantity_of(item))


def _apply_pause(ctx: RequestContext, invoice: dict[str, Any], behavior: str) -> None:
    """Collection paused: the invoice is made, then marked uncollectible or voided."""
    if invoice["status"] != "open":
        return
    if behavior == "void":
        invoice_lifecycle.void(ctx, invoice)
    else:
        invoice_lifecycle.mark_uncollectible(ctx, invoice)


def invoices_of(ctx: RequestContext, sub: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return list(
        ctx.tx.scan(
            ctx.account,
            "invoice",
            (
                Filter(("parent", "subscription_details", "subscription"), "eq", sub["id"]),
                Filter(("status",), "eq", status),
            ),
        )
    )


def open_invoices(
    ctx: RequestContext, sub: dict[str, Any], *, excluding: str | None = None
) -> list[dict[str, Any]]:
    return [i for i in invoices_of(ctx, sub, "open") if i["id"] != excluding]


def stop_collection(ctx: RequestContext, sub: dict[str, Any]) -> None:
    """A canceled subscription's open invoices are no longer collected automatically."""
    for invoice in open_invoices(ctx, sub):
        if invoice.get("auto_advance"):
            invoice["auto_advance"] = False
            invoice["next_payment_attempt"] = None
            ctx.save(invoice)


def void_open(ctx: RequestContext, sub: dict[str, Any]) -> None:
    for invoice in open_invoices(ctx, sub):
        invoice_lifecycle.void(ctx, invoice)


def void_invoice(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    invoice_lifecycle.void(ctx, invoice)


def paid_with(ctx: RequestContext, invoice: dict[str, Any]) -> str | None:
    """The PaymentMethod that paid an invoice (for `save_default_payment_method`)."""
    for entry in invoice_payment.payments_of(ctx, invoice["id"]):
        intent_id = (entry.get("payment") or {}).get("payment_intent")
        intent = ctx.find("payment_intent", intent_id) if intent_id else None
        if intent is not None and intent.get("status") == "succeeded":
            method = intent.get("payment_method")
            return method if isinstance(method, str) else None
    return None


def first_payment_intent(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any] | None:
    payment = invoice_payment.default_payment(ctx, invoice)
    if payment is None:
        return None
    intent_id = (payment.get("payment") or {}).get("payment_intent")
    return ctx.find("payment_intent", intent_id) if intent_id else None
