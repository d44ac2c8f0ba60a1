"""Credit notes: /v1/credit_notes (create, retrieve, update, list, void, lines) and the
previews (`/v1/credit_notes/preview`, `/preview/lines`), which compute the same note
without storing anything.

A credit note lowers what a finalized invoice (open, paid or uncollectible) is worth. Its
`amount` comes from `amount` or from `lines` (`invoice_line_item`: part of one of the
invoice's lines, by `amount` or `quantity`; `custom_line_item`: `description`,
`quantity`, `unit_amount`). All the notes of an invoice, with the refunds made on its
payments through the Refund API, never credit more than its total, and a line never more
than its amount.

The credit first reduces what is still owed (`pre_payment_amount`: the invoice's
`amount_due` and `amount_remaining` go down, its `pre_payment_credit_notes_amount` up; an
invoice left owing nothing is paid). The rest (`post_payment_amount`, added to the
invoice's `post_payment_credit_notes_amount`) must be split exactly between
`refund_amount` (a Refund of the invoice's charges, through the refunds code, so the
charge, the balance and the events follow), `refunds` (existing refunds of those charges,
linked), `credit_amount` (a `credit_note` customer balance transaction) and
`out_of_band_amount` (recorded only). `type` says which parts a
note has: `pre_payment`, `post_payment` or `mixed`.

Voiding gives back what can be given back: the pre-payment part returns to an invoice
still awaiting payment and a balance credit is debited again. A refund cannot be undone,
so a note with refunds cannot be voided, nor can one whose pre-payment part would reopen
an invoice that is settled since.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..framework import metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter
from . import customer_balance, refunds
from .invoices import common, model, payment, totals
from .payment_intents.money import format_amount

OBJECT = "credit_note"
NOUN = "credit note"
EMBEDDED_LINES = 10
CREDITABLE_STATUSES = ("open", "paid", "uncollectible")
AWAITING_PAYMENT = ("open", "uncollectible")
SPLIT = ("refund_amount", "credit_amount", "out_of_band_amount")


# -- what the note credits ---------------------------------------------------------------------


def _issued_notes(ctx: RequestContext, invoice_id: str) -> list[dict[str, Any]]:
    return [
        note
        for note in ctx.tx.scan(ctx.account, OBJECT, (Filter(("invoice",), "eq", invoice_id),))
        if note["status"] == "issued"
    ]


def _credited_on_line(notes: list[dict[str, Any]], line_id: str) -> int:
    return sum(
        line["amount"]
        for note in notes
        for line in note["lines"]["data"]
        if line.get("invoice_line_item") == line_id
    )


def _line_base(ctx: RequestContext, kind: str, given: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ctx.new_id("cnli"),
        "object": "credit_note_line_item",
        "amount": 0,
        "description": given.get("description") or None,
        "discount_amount": 0,
        "discount_amounts": [],
        "livemode": False,
        "metadata": metadata.merge(None, given.get("metadata") or {}),
        "pretax_credit_amounts": [],
        "quantity": None,
        "tax_rates": [],
        "taxes": [],
        "type": kind,
        "unit_amount": None,
        "unit_amount_decimal": None,
    }


def _invoice_line(
    ctx: RequestContext,
    invoice: dict[str, Any],
    given: dict[str, Any],
    param: str,
    notes: list[dict[str, Any]],
) -> dict[str, Any]:
    line_id = given.get("invoice_line_item")
    if not line_id:
        # Stripe publishes no wording for this; a plain one.
        raise InvalidRequestError(
            "An `invoice_line_item` line needs the id of one of the invoice's lines.",
            param=f"{param}[invoice_line_item]",
            code="parameter_missing",
        )
    source = next((line for line in model.lines_of(invoice) if line["id"] == line_id), None)
    if source is None:
        raise ResourceMissing(
            "invoice line item", str(line_id), param=f"{param}[invoice_line_item]", status=400
        )
    line = _line_base(ctx, "invoice_line_item", given)
    line["invoice_line_item"] = line_id
    line["description"] = line["description"] or source.get("description")
    unit = (source.get("pricing") or {}).get("unit_amount_decimal")
    if given.get("amount") is not None:
        line["amount"] = given["amount"]
    else:
        quantity = given.get("quantity")
        if quantity is None or unit is None:
            line["amount"] = source["amount"]  # the whole line
            quantity = source.get("quantity")
        else:
            line["amount"] = totals.decimal_amount(unit, quantity)
        line["quantity"] = quantity
        if unit is not None:
            line["unit_amount"] = int(Decimal(unit))
            line["unit_amount_decimal"] = unit
    left = source["amount"] - _credited_on_line(notes, line_id)
    if line["amount"] <= 0 or line["amount"] > left:
        # Stripe publishes no wording for this; a plain one.
        raise InvalidRequestError(
            f"The credit for line {line_id} ({format_amount(line['amount'], invoice['currency'])}) "
            "must be positive and at most what the line has left to credit "
            f"({format_amount(max(left, 0), invoice['currency'])}).",
            param=f"{param}[amount]",
        )
    return line


def _custom_line(ctx: RequestContext, given: dict[str, Any], param: str) -> dict[str, Any]:
    if not given.get("description"):
        raise InvalidRequestError(
            "Missing required param: description.",
            param=f"{param}[description]",
            code="parameter_missing",
        )
    unit = given.get("unit_amount_decimal")
    if unit is None and given.get("unit_amount") is not None:
        unit = str(given["unit_amount"])
    if unit is None:
        raise InvalidRequestError(
            "Missing required param: unit_amount.",
            param=f"{param}[unit_amount]",
            code="parameter_missing",
        )
    quantity = given.get("quantity", 1)
    line = _line_base(ctx, "custom_line_item", given)
    line.update(
        amount=totals.decimal_amount(str(unit), quantity),
        quantity=quantity,
        unit_amount=int(Decimal(str(unit))),
        unit_amount_decimal=str(unit),
    )
    if line["amount"] <= 0:
        raise InvalidRequestError("Invalid positive integer", param=f"{param}[unit_amount]")
    return line


def _lines(
    ctx: RequestContext,
    invoice: dict[str, Any],
    params: dict[str, Any],
    notes: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for i, given in enumerate(params.get("lines") or []):
        param = f"lines[{i}]"
        if given["type"] == "invoice_line_item":
            # Earlier lines of this note count too, so one line cannot be credited twice over.
            pending = {"status": "issued", "lines": {"data": lines}}
            lines.append(_invoice_line(ctx, invoice, given, param, [*notes, pending]))
        else:
            lines.append(_custom_line(ctx, given, param))
    return lines


def _amount(
    invoice: dict[str, Any],
    params: dict[str, Any],
    lines: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    refunded_outside: int,
) -> int:
    currency = invoice["currency"]
    if lines:
        amount = sum(line["amount"] for line in lines)
        if params.get("amount") is not None and params["amount"] != amount:
            # Stripe publishes no wording for this; a plain one.
            raise InvalidRequestError(
                f"The amount ({format_amount(params['amount'], currency)}) must equal the sum "
                f"of the lines ({format_amount(amount, currency)}).",
                param="amount",
            )
    elif params.get("amount") is not None:
        amount = params["amount"]
        if amount <= 0:
            raise InvalidRequestError("Invalid positive integer", param="amount")
    else:
        raise InvalidRequestError("One of `amount`, `lines`, or `shipping_cost` must be provided.")
    left = invoice["total"] - sum(note["amount"] for note in notes) - refunded_outside
    if amount > left:
        # Stripe's guide: "The sum of all credit notes cannot exceed the invoice's total
        # amount", and the API reference: refunds made through the Refund API lower that
        # maximum too. No published error wording, so a plain one.
        raise InvalidRequestError(
            f"The credit note amount ({format_amount(amount, currency)}) exceeds what is left "
            f"to credit on invoice {invoice['id']} ({format_amount(max(left, 0), currency)}).",
            param="amount",
        )
    return amount


def _split(
    invoice: dict[str, Any], params: dict[str, Any], post: int, linked: int
) -> dict[str, int]:
    parts = {name: params.get(name) or 0 for name in SPLIT}
    for name, value in parts.items():
        if value < 0:
            raise InvalidRequestError("Invalid non-negative integer", param=name)
    total = sum(parts.values()) + linked
    if total != post:
        currency = invoice["currency"]
        # The API reference: "The sum of refunds, customer balance credits, and outside of
        # Stripe credits must equal the post_payment_amount"; the wording is ours.
        raise InvalidRequestError(
            "The sum of refunds, credit_amount and out_of_band_amount "
            f"({format_amount(total, currency)}) must equal the credit note's "
            f"post_payment_amount ({format_amount(post, currency)}).",
        )
    return parts


def _linked_refunds(
    ctx: RequestContext,
    invoice: dict[str, Any],
    params: dict[str, Any],
    notes: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """`refunds`: existing refunds of the invoice's payments the note accounts for."""
    charges = {charge["id"] for charge in _refundable_charges(ctx, invoice)}
    taken = {part["refund"] for note in notes for part in note["refunds"]}
    linked: list[dict[str, Any]] = []
    # Stripe publishes no wording for these refusals; plain ones.
    for i, given in enumerate(params.get("refunds") or []):
        param = f"refunds[{i}]"
        if given.get("type") == "payment_record_refund":
            raise InvalidRequestError(
                "The sandbox keeps no payment records, so there is no payment record refund "
                "to link.",
                param=f"{param}[type]",
            )
        if not given.get("refund"):
            raise InvalidRequestError(
                "Missing required param: refund.",
                param=f"{param}[refund]",
                code="parameter_missing",
            )
        refund = ctx.load("refund", given["refund"], param=f"{param}[refund]", in_path=False)
        if refund["charge"] not in charges:
            raise InvalidRequestError(
                f"Refund {refund['id']} is not a refund of this invoice's payments.",
                param=f"{param}[refund]",
            )
        if refund["id"] in taken:
            raise InvalidRequestError(
                f"Refund {refund['id']} is already linked to a credit note.",
                param=f"{param}[refund]",
            )
        amount = given.get("amount_refunded", refund["amount"])
        if not 0 < amount <= refund["amount"]:
            raise InvalidRequestError(
                f"amount_refunded must be positive and at most the refund's amount "
                f"({format_amount(refund['amount'], refund['currency'])}).",
                param=f"{param}[amount_refunded]",
            )
        taken.add(refund["id"])
        linked.append(
            {
                "amount_refunded": amount,
                "payment_record_refund": None,
                "refund": refund["id"],
                "type": "refund",
            }
        )
    return linked


def _refundable_charges(ctx: RequestContext, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    """The charges that paid the invoice, newest first."""
    charges = []
    for entry in payment.payments_of(ctx, invoice):
        if entry["status"] != "paid":
            continue
        intent = ctx.find("payment_intent", entry["payment"]["payment_intent"])
        charge = ctx.find("charge", intent["latest_charge"]) if intent else None
        if charge is not None:
            charges.append(charge)
    return charges


def _check_refundable(ctx: RequestContext, invoice: dict[str, Any], amount: int) -> None:
    if amount == 0:
        return
    available = sum(
        charge["amount_captured"] - charge["amount_refunded"]
        for charge in _refundable_charges(ctx, invoice)
    )
    if amount > available:
        currency = invoice["currency"]
        # Stripe publishes no wording for this; a plain one.
        raise InvalidRequestError(
            f"The refund amount ({format_amount(amount, currency)}) is greater than what is "
            f"left to refund on the invoice's payments ({format_amount(available, currency)}).",
            param="refund_amount",
        )


# -- building the note ----------------------------------------------------------------------


def _load_invoice(ctx: RequestContext, invoice_id: Any) -> dict[str, Any]:
    invoice = ctx.load("invoice", invoice_id, param="invoice", in_path=False)
    if invoice["status"] not in CREDITABLE_STATUSES:
        # Stripe's guide: credit notes are for finalized invoices; the wording is ours.
        raise InvalidRequestError(
            f"You can only create credit notes for finalized invoices (open, paid or "
            f"uncollectible). Invoice {invoice['id']} is {invoice['status']}.",
            param="invoice",
        )
    return invoice


def _build(
    ctx: RequestContext, invoice: dict[str, Any], params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The note `params` describe, and its post-payment split; nothing is written."""
    if params.get("shipping_cost") and not params.get("amount") and not params.get("lines"):
        # Invoices here carry no shipping rate, so there is no shipping to credit.
        raise InvalidRequestError(
            "This invoice has no shipping cost to credit.", param="shipping_cost"
        )
    notes = _issued_notes(ctx, invoice["id"])
    note_id = ctx.new_id("cn")
    lines = _lines(ctx, invoice, params, notes)
    linked = _linked_refunds(ctx, invoice, params, notes)
    linked_total = sum(part["amount_refunded"] for part in linked)
    refunded = sum(charge["amount_refunded"] for charge in _refundable_charges(ctx, invoice))
    by_notes = sum(part["amount_refunded"] for note in notes for part in note["refunds"])
    amount = _amount(invoice, params, lines, notes, refunded - by_notes - linked_total)
    owed = invoice["amount_remaining"] if invoice["status"] in AWAITING_PAYMENT else 0
    pre = min(amount, owed)
    post = amount - pre
    parts = _split(invoice, params, post, linked_total)
    _check_refundable(ctx, invoice, parts["refund_amount"])
    now = common.now_of(ctx, invoice)
    sequence = sum(1 for _ in ctx.tx.scan(ctx.account, OBJECT, _of_invoice(invoice["id"]))) + 1
    note = {
        "id": note_id,
        "object": OBJECT,
        "amount": amount,
        "amount_shipping": 0,
        "created": now,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_account": None,
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": params.get("effective_at") or now,
        "invoice": invoice["id"],
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/credit_notes/{note_id}/lines",
        },
        "livemode": False,
        "memo": params.get("memo") or None,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "number": f"{invoice['number']}-CN-{sequence:02d}",
        "out_of_band_amount": parts["out_of_band_amount"] or None,
        "pdf": f"{common.pdf_url(ctx, invoice['id'])}?credit_note={note_id}",
        "post_payment_amount": post,
        "pre_payment_amount": pre,
        "pretax_credit_amounts": [],
        "reason": params.get("reason"),
        "refunds": linked,
        "shipping_cost": None,
        "status": "issued",
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "total": amount,
        "total_excluding_tax": amount,
        "total_taxes": [],
        "type": "mixed" if pre and post else ("post_payment" if post else "pre_payment"),
        "voided_at": None,
    }
    return note, parts


def _of_invoice(invoice_id: str) -> tuple[Filter, ...]:
    return (Filter(("invoice",), "eq", invoice_id),)


def present(note: dict[str, Any]) -> dict[str, Any]:
    """The note with its first lines embedded (all of them at `GET .../lines`)."""
    lines = note["lines"]["data"]
    return {
        **note,
        "lines": {
            **note["lines"],
            "data": lines[:EMBEDDED_LINES],
            "has_more": len(lines) > EMBEDDED_LINES,
        },
    }


# -- applying it ------------------------------------------------------------------------------


def _refund(
    ctx: RequestContext, invoice: dict[str, Any], note: dict[str, Any], amount: int
) -> None:
    """Refund `amount` from the invoice's charges, newest first (checked beforehand)."""
    for charge in _refundable_charges(ctx, invoice):
        if amount == 0:
            return
        take = min(amount, charge["amount_captured"] - charge["amount_refunded"])
        if take <= 0:
            continue
        refund = refunds.refund_charge(ctx, charge, take, meta={})
        note["refunds"].append(
            {
                "amount_refunded": take,
                "payment_record_refund": None,
                "refund": refund["id"],
                "type": "refund",
            }
        )
        amount -= take


def _adjust_invoice(
    ctx: RequestContext, invoice: dict[str, Any], pre: int, post: int, *, settle: bool
) -> None:
    """Move the invoice's amounts by a note's parts (negative when voiding); with `settle`
    an invoice left owing nothing is paid."""
    before = {
        key: invoice[key]
        for key in (
            "amount_due",
            "amount_remaining",
            "pre_payment_credit_notes_amount",
            "post_payment_credit_notes_amount",
        )
    }
    invoice["amount_due"] -= pre
    invoice["amount_remaining"] -= pre
    invoice["pre_payment_credit_notes_amount"] += pre
    invoice["post_payment_credit_notes_amount"] += post
    ctx.save(invoice)
    previous = {k: v for k, v in before.items() if invoice[k] != v}
    if previous:
        model.emit(ctx, "invoice.updated", invoice, previous)
    if settle and pre and invoice["amount_remaining"] == 0:
        payment.cancel_open_payments(ctx, invoice, "abandoned")
        payment.mark_paid(ctx, invoice)


def _move_balance(
    ctx: RequestContext, customer: dict[str, Any], note: dict[str, Any], amount: int
) -> dict[str, Any]:
    """A `credit_note` customer balance transaction: the note's credit, or its reversal."""
    return customer_balance.record(
        ctx,
        customer,
        amount,
        note["currency"],
        "credit_note",
        invoice=note["invoice"],
        credit_note=note["id"],
    )


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    invoice = _load_invoice(ctx, params.get("invoice"))
    note, parts = _build(ctx, invoice, params)
    _refund(ctx, invoice, note, parts["refund_amount"])
    if parts["credit_amount"]:
        customer = ctx.load("customer", invoice["customer"], param="invoice", in_path=False)
        txn = _move_balance(ctx, customer, note, -parts["credit_amount"])
        note["customer_balance_transaction"] = txn["id"]
    ctx.insert(note)
    ctx.emit("credit_note.created", present(note))
    _adjust_invoice(
        ctx, invoice, note["pre_payment_amount"], note["post_payment_amount"], settle=True
    )
    return present(note)


def preview(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    invoice = _load_invoice(ctx, params.get("invoice"))
    note, _ = _build(ctx, invoice, params)
    return present(note)


def preview_lines(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    invoice = _load_invoice(ctx, params.get("invoice"))
    note, _ = _build(ctx, invoice, params)
    return common.paginate(
        note["lines"]["data"], params, "/v1/credit_notes/preview/lines", "credit_note_line_item"
    )


# -- the stored note ------------------------------------------------------------------------


def _load(ctx: RequestContext, note_id: str, param: str) -> dict[str, Any]:
    return ctx.load(OBJECT, note_id, param=param, noun=NOUN)


def retrieve(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return present(_load(ctx, id, "id"))


def update(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    note = _load(ctx, id, "id")
    previous = updates.apply(note, params, ("memo", "metadata"))
    if previous:
        ctx.save(note)
        ctx.emit("credit_note.updated", present(note), previous)
    return present(note)


def void(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    note = _load(ctx, id, "id")
    # Stripe publishes no wording for these refusals; plain ones.
    if note["status"] == "void":
        raise InvalidRequestError(f"Credit note {note['id']} has already been voided.")
    if note["refunds"]:
        raise InvalidRequestError(
            f"Credit note {note['id']} refunded a payment, and a refund cannot be undone, so "
            "the credit note cannot be voided."
        )
    invoice = ctx.load("invoice", note["invoice"], param="invoice", in_path=False)
    if note["pre_payment_amount"] and invoice["status"] not in AWAITING_PAYMENT:
        raise InvalidRequestError(
            f"Credit note {note['id']} reduced what invoice {invoice['id']} owed, and the "
            f"invoice is {invoice['status']} now, so the credit note cannot be voided."
        )
    if note["customer_balance_transaction"]:
        credit = ctx.load(customer_balance.TYPE, note["customer_balance_transaction"])
        customer = ctx.find("customer", note["customer"])
        if customer is not None and not customer.get("deleted"):
            _move_balance(ctx, customer, note, -credit["amount"])
    note["status"] = "void"
    note["voided_at"] = common.now_of(ctx, invoice)
    ctx.save(note)
    ctx.emit("credit_note.voided", present(note))
    _adjust_invoice(
        ctx, invoice, -note["pre_payment_amount"], -note["post_payment_amount"], settle=False
    )
    return present(note)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = tuple(
        Filter((name,), "eq", params[name])
        for name in ("customer", "invoice", "customer_account")
        if params.get(name)
    )
    page = list_objects(ctx, OBJECT, params, "/v1/credit_notes", filters, noun=NOUN)
    page["data"] = [present(note) for note in page["data"]]
    return page


def list_lines(ctx: RequestContext, params: dict[str, Any], credit_note: str) -> dict[str, Any]:
    note = _load(ctx, credit_note, "credit_note")
    return common.paginate(
        note["lines"]["data"],
        params,
        f"/v1/credit_notes/{note['id']}/lines",
        "credit_note_line_item",
    )


ROUTES = [
    Route("POST", "/v1/credit_notes", create),
    Route("GET", "/v1/credit_notes", list_),
    Route("GET", "/v1/credit_notes/preview", preview),
    Route("GET", "/v1/credit_notes/preview/lines", preview_lines),
    Route("GET", "/v1/credit_notes/{id}", retrieve),
    Route("POST", "/v1/credit_notes/{id}", update),
    Route("POST", "/v1/credit_notes/{id}/void", void),
    Route("GET", "/v1/credit_notes/{credit_note}/lines", list_lines),
]
