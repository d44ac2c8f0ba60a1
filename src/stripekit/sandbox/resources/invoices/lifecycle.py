"""The invoice's state machine and the work sandbox time does for it.

    draft --finalize--> open --pay--> paid
      |                  |  \\--mark_uncollectible--> uncollectible --pay--> paid
      delete             void <-----------------------/ (void)

Finalization numbers the invoice (`{invoice_prefix}-{seq:04}` from the customer's
`next_invoice_sequence`), applies the customer's balance (credit lowers what is due,
debit raises it, each with a customer balance transaction), moves an amount under the
minimum charge onto the balance and marks the invoice paid, marks a $0 invoice paid, and
otherwise creates the default payment (see payment.py).

Automatic collection (`auto_advance`): a draft finalizes at `automatically_finalizes_at`
(about an hour after creation), then a charge_automatically invoice is charged and a
send_invoice one is sent; failed charges are retried (`RETRY_DAYS`); an open send_invoice
invoice past its `due_date` sends `invoice.overdue`. Each of these is a timer on the
invoice (on its test clock when it has one), re-checked when it fires, so a changed or
settled invoice simply ignores a stale one.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, StripeError
from .. import customer_balance, tax_ids
from ..payment_intents.money import minimum_amount
from . import common, items, model, payment, totals


def create_invoice(
    ctx: RequestContext,
    customer: dict[str, Any],
    *,
    subscription: str | None = None,
    lines: list[dict[str, Any]] | None = None,
    collection_method: str = "charge_automatically",
    billing_reason: str = "manual",
    period: dict[str, int] | None = None,
    auto_advance: bool = False,
    include_pending: bool = False,
    currency: str | None = None,
    due_date: int | None = None,
    discount_ids: list[str] | None = None,
    invoice_id: str | None = None,
    emit_created: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """Create and store a draft for `customer` (the subscriptions code's entry point).

    `lines` are ready lines (`items.subscription_line`); with `include_pending` the
    customer's pending invoice items (and those of `subscription`) come first, newest
    first, as Stripe orders them. `fields` are passed to `model.new_invoice`
    (description, footer, default_payment_method, subscription_metadata...). An
    auto-advancing draft is scheduled to finalize about an hour later."""
    now = common.now_of(ctx, customer)
    invoice_id = invoice_id or ctx.new_id("in")
    pending = (
        items.pending_items(ctx, customer["id"], subscription=subscription)
        if include_pending
        else []
    )
    if currency is None:
        currency = (
            (lines[0]["currency"] if lines else None)
            or customer.get("currency")
            or (pending[0]["currency"] if pending else None)
            or "usd"
        )
    if customer.get("discount") and discount_ids is None:
        discount_ids = _customer_discount(customer, now)
    invoice = model.new_invoice(
        ctx,
        customer,
        invoice_id=invoice_id,
        now=now,
        currency=currency,
        collection_method=collection_method,
        auto_advance=auto_advance,
        billing_reason=billing_reason,
        due_date=due_date,
        discount_ids=discount_ids,
        subscription=subscription,
        period=period,
        **fields,
    )
    data = model.lines_of(invoice)
    for item in pending:
        if item["currency"] != currency:
            continue
        item["invoice"] = invoice_id
        ctx.save(item)
        items.mark_taken(ctx, item)
        data.append(items.line_from_item(item, invoice_id, ctx.new_id("il")))
    for line in lines or []:
        line["invoice"] = invoice_id
        data.append(line)
    model.recompute(ctx, invoice)
    ctx.insert(invoice)
    if emit_created:
        model.emit(ctx, "invoice.created", invoice)
    schedule_finalization(ctx, invoice)
    return invoice


def _customer_discount(customer: dict[str, Any], now: int) -> list[str] | None:
    """A customer's own discount applies to invoices that name none."""
    discount = customer.get("discount")
    if isinstance(discount, dict) and discount.get("id"):
        end = discount.get("end")
        if end is None or now < end:
            return [discount["id"]]
    return None


def schedule_finalization(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    if invoice["status"] == "draft" and invoice["auto_advance"]:
        due = invoice["automatically_finalizes_at"]
        if due is not None:
            common.schedule(ctx, invoice, due, common.FINALIZE_TIMER)


# -- finalization -------------------------------------------------------------------------------


def _apply_balance(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """Use the customer's balance on the invoice: `starting_balance`, `ending_balance`
    and the customer balance transactions that move the balance. An amount due under the
    minimum charge is moved onto the balance too (the invoice is then paid)."""
    customer = ctx.find("customer", invoice["customer"]) or {}
    currency = invoice["currency"]
    starting = model.balance_for(customer, currency) if customer else 0
    ending = totals.balance_after(invoice["total"], starting)
    due = invoice["total"] + starting - ending
    too_small = due if 0 < due < minimum_amount(currency) else 0
    invoice["starting_balance"] = starting
    invoice["ending_balance"] = ending + too_small
    if not customer or customer.get("deleted"):
        return
    if ending != starting:
        customer_balance.record(
            ctx,
            customer,
            ending - starting,
            currency,
            "applied_to_invoice",
            invoice=invoice["id"],
        )
    if too_small:
        customer_balance.record(
            ctx, customer, too_small, currency, "invoice_too_small", invoice=invoice["id"]
        )


def _number(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    if invoice.get("number"):
        return
    customer = ctx.find("customer", invoice["customer"])
    if customer is None:
        return
    sequence = customer.get("next_invoice_sequence") or 1
    invoice["number"] = f"{customer['invoice_prefix']}-{sequence:04d}"
    customer["next_invoice_sequence"] = sequence + 1
    ctx.save(customer)


def _settle_currency(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """A customer invoiced for the first time is billed in that currency from then on."""
    customer = ctx.find("customer", invoice["customer"])
    if customer is None or customer.get("deleted") or customer.get("currency") is not None:
        return
    customer["currency"] = invoice["currency"]
    ctx.save(customer)
    ctx.emit("customer.updated", tax_ids.customer_in_event(customer), {"currency": None})


def finalize(ctx: RequestContext, invoice: dict[str, Any], *, collect: bool = False) -> None:
    """Finalize a draft (see the module docstring). With `collect` (automatic
    advancement) a charge_automatically invoice is charged at once and a send_invoice one
    is sent; otherwise automatic collection charges it about an hour later."""
    if invoice["status"] != "draft":
        raise InvalidRequestError(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    customer = ctx.find("customer", invoice["customer"])
    if customer is None or customer.get("deleted"):
        raise InvalidRequestError(
            "This invoice's customer has been deleted, so it can no longer be finalized."
        )
    now = common.now_of(ctx, invoice)
    model.recompute(ctx, invoice)
    invoice["status"] = "open"
    _apply_balance(ctx, invoice)
    totals.compute(ctx, invoice, model.lines_of(invoice))
    _number(ctx, invoice)
    _settle_currency(ctx, invoice)
    invoice["status_transitions"]["finalized_at"] = now
    if invoice.get("effective_at") is None:
        invoice["effective_at"] = now
    invoice["hosted_invoice_url"] = common.hosted_url(ctx, invoice["id"])
    invoice["invoice_pdf"] = common.pdf_url(ctx, invoice["id"])
    invoice["rendering"]["pdf"]["page_size"] = "letter"
    invoice["automatically_finalizes_at"] = None
    invoice["last_finalization_error"] = None
    invoice["next_payment_attempt"] = None
    if invoice["amount_due"] == 0:
        invoice["attempted"] = True
        ctx.save(invoice)
        model.emit(ctx, "invoice.finalized", invoice)
        common.notify(ctx, "finalized", invoice)
        payment.mark_paid(ctx, invoice)
        return
    payment.create_default_payment(ctx, invoice)
    charging = invoice["collection_method"] == "charge_automatically"
    if charging and invoice["auto_advance"] and not collect:
        first = max(now, invoice["created"] + common.FIRST_ATTEMPT_DELAY)
        invoice["next_payment_attempt"] = first
        common.schedule(ctx, invoice, first, common.COLLECT_TIMER)
    if not charging and invoice.get("due_date"):
        common.schedule(ctx, invoice, invoice["due_date"], common.OVERDUE_TIMER)
    ctx.save(invoice)
    model.emit(ctx, "invoice.finalized", invoice)
    common.notify(ctx, "finalized", invoice)
    if not charging and invoice["auto_advance"]:
        model.emit(ctx, "invoice.sent", invoice)
    elif charging and collect:
        payment.attempt_payment(ctx, invoice, automatic=True)


# -- the other transitions ------------------------------------------------------------------


def void(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    if invoice["status"] == "paid":
        raise InvalidRequestError("Invoices with `paid` payments cannot be voided.")
    if invoice["status"] not in ("open", "uncollectible"):
        raise InvalidRequestError(common.NOT_OPEN)
    now = common.now_of(ctx, invoice)
    payment.cancel_open_payments(ctx, invoice, "void_invoice")
    applied = (invoice.get("ending_balance") or 0) - (invoice.get("starting_balance") or 0)
    customer = ctx.find("customer", invoice["customer"])
    if applied and customer is not None and not customer.get("deleted"):
        # The balance the invoice used goes back to the customer.
        customer_balance.record(
            ctx,
            customer,
            -applied,
            invoice["currency"],
            "unapplied_from_invoice",
            invoice=invoice["id"],
        )
    invoice.update(status="void", auto_advance=False, next_payment_attempt=None)
    invoice["status_transitions"]["voided_at"] = now
    ctx.save(invoice)
    model.emit(ctx, "invoice.voided", invoice)
    common.notify(ctx, "voided", invoice)


def mark_uncollectible(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    if invoice["status"] == "uncollectible":
        raise InvalidRequestError("This invoice has already been marked uncollectible.")
    if invoice["status"] != "open":
        raise InvalidRequestError(common.NOT_OPEN)
    invoice.update(status="uncollectible", auto_advance=False, next_payment_attempt=None)
    invoice["status_transitions"]["marked_uncollectible_at"] = common.now_of(ctx, invoice)
    ctx.save(invoice)
    model.emit(ctx, "invoice.marked_uncollectible", invoice)
    common.notify(ctx, "marked_uncollectible", invoice)


def send(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """Email the invoice (the sandbox records `invoice.sent`); a draft is finalized
    first."""
    if invoice["status"] in ("paid", "void"):
        raise InvalidRequestError(
            "This invoice cannot be sent right now. Please contact us via "
            "https://support.stripe.com/contact with details, so we can help."
        )
    if invoice["status"] == "draft":
        finalize(ctx, invoice)
        if invoice["status"] == "paid" or (
            invoice["collection_method"] == "send_invoice" and invoice["auto_advance"]
        ):
            return  # paid at once, or already sent by finalization
    model.emit(ctx, "invoice.sent", invoice)


def delete_draft(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any]:
    if invoice["status"] != "draft":
        raise InvalidRequestError("You can only delete draft invoices.")
    if invoice.get("parent"):
        raise InvalidRequestError(
            "You can't delete invoices created by subscriptions. Void the invoice instead."
        )
    # The invoice's items go with it: later updates and deletes of them are refused.
    for line in model.lines_of(invoice):
        item_id = items.item_of_line(line)
        item = ctx.find("invoiceitem", item_id) if item_id else None
        if item is not None:
            tombstone = {
                "id": item["id"],
                "object": "invoiceitem",
                "deleted": True,
                "created": item["created"],
                "invoice": invoice["id"],
            }
            ctx.save(tombstone, listed=False)
    ctx.save(
        {"id": invoice["id"], "object": "invoice", "deleted": True, "created": invoice["created"]},
        listed=False,
    )
    model.emit(ctx, "invoice.deleted", invoice)
    common.notify(ctx, "deleted", invoice)
    return {"id": invoice["id"], "object": "invoice", "deleted": True}


# -- timers -----------------------------------------------------------------------------------


def _live(ctx: RequestContext, invoice_id: str) -> dict[str, Any] | None:
    invoice = ctx.find("invoice", invoice_id)
    return None if invoice is None or invoice.get("deleted") else invoice


def finalize_when_due(ctx: RequestContext, invoice_id: str) -> None:
    invoice = _live(ctx, invoice_id)
    if invoice is None or invoice["status"] != "draft" or not invoice["auto_advance"]:
        return
    due = invoice.get("automatically_finalizes_at")
    if due is None or due > common.now_of(ctx, invoice):
        return  # rescheduled or switched off since this timer was set
    ctx.tx.savepoint()
    try:
        finalize(ctx, invoice, collect=True)
    except StripeError as exc:
        ctx.tx.rollback_savepoint()
        invoice = _live(ctx, invoice_id) or invoice
        invoice["last_finalization_error"] = {"message": exc.message, "type": exc.type}
        invoice["automatically_finalizes_at"] = None
        ctx.save(invoice)
        model.emit(ctx, "invoice.finalization_failed", invoice)
    else:
        ctx.tx.release_savepoint()


def collect_when_due(ctx: RequestContext, invoice_id: str) -> None:
    invoice = _live(ctx, invoice_id)
    if invoice is None or invoice["status"] != "open" or not invoice["auto_advance"]:
        return
    payment.reconcile(ctx, invoice)
    if invoice["status"] != "open" or invoice["collection_method"] != "charge_automatically":
        return
    due = invoice.get("next_payment_attempt")
    if due is None or due > common.now_of(ctx, invoice):
        return
    payment.attempt_payment(ctx, invoice, automatic=True)


def overdue_when_due(ctx: RequestContext, invoice_id: str) -> None:
    invoice = _live(ctx, invoice_id)
    if invoice is None or invoice["status"] != "open" or not invoice.get("due_date"):
        return
    if invoice["due_date"] > common.now_of(ctx, invoice):
        return
    model.emit(ctx, "invoice.overdue", invoice)


TIMERS = {
    common.FINALIZE_TIMER: finalize_when_due,
    common.COLLECT_TIMER: collect_when_due,
    common.OVERDUE_TIMER: overdue_when_due,
}
