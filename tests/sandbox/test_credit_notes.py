"""Credit notes through the official SDK, in both modes: pre-payment credits on open
invoices (partial, and one that settles the invoice), post-payment credits split between
a refund, the customer's balance and out of band, notes built from lines, previews that
equal the note created, voiding, lists and lines, and the refusals (each changing
nothing)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from test_invoices import customer_with_card, draft

from conftest import assert_stripe_error


def open_invoice(client: stripe.StripeClient, *amounts: int) -> tuple[Any, Any]:
    """A finalized, unpaid invoice with one line per amount, and its customer."""
    customer, _ = customer_with_card(client)
    invoice = draft(client, customer.id, *amounts)
    return client.v1.invoices.finalize_invoice(invoice.id), customer


def paid_invoice(client: stripe.StripeClient, *amounts: int) -> tuple[Any, Any]:
    invoice, customer = open_invoice(client, *amounts)
    return client.v1.invoices.pay(invoice.id), customer


def types_of(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in client.v1.events.list(params={"limit": 100}).data]


def snapshot(client: stripe.StripeClient, invoice: Any, customer: Any) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    return (
        client.v1.invoices.retrieve(invoice.id).to_dict(),
        client.v1.customers.retrieve(customer.id).balance,
        len(client.v1.credit_notes.list(params={"limit": 100}).data),
        len(client.v1.refunds.list(params={"limit": 100}).data),
        len(client.v1.events.list(params={"limit": 100}).data),
    )


# -- pre-payment ------------------------------------------------------------------------------


def test_partial_credit_lowers_what_an_open_invoice_owes(client: stripe.StripeClient) -> None:
    invoice, customer = open_invoice(client, 3000)
    note = client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "amount": 1000,
            "reason": "order_change",
            "memo": "Sorry",
            "metadata": {"k": "v"},
        }
    )
    assert note.id.startswith("cn_") and note.object == "credit_note"
    assert note.status == "issued" and note.type == "pre_payment"
    assert note.amount == note.total == note.subtotal == 1000
    assert note.pre_payment_amount == 1000 and note.post_payment_amount == 0
    assert note.number == f"{invoice.number}-CN-01"
    assert note.invoice == invoice.id and note.customer == customer.id
    assert note.reason == "order_change" and note.memo == "Sorry"
    assert note.metadata.to_dict() == {"k": "v"}
    assert note.refunds == [] and note.customer_balance_transaction is None
    assert note.out_of_band_amount is None and note.voided_at is None
    assert note.discount_amounts == [] and note.total_taxes == []
    assert note.lines.object == "list" and note.lines.url == f"/v1/credit_notes/{note.id}/lines"

    after = client.v1.invoices.retrieve(invoice.id)
    assert after.status == "open"
    assert after.amount_due == after.amount_remaining == 2000
    assert after.pre_payment_credit_notes_amount == 1000
    assert after.post_payment_credit_notes_amount == 0
    assert client.v1.customers.retrieve(customer.id).balance == 0
    assert {"credit_note.created", "invoice.updated"} <= set(types_of(client))

    # What is left is what a payment now charges.
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 2000


def test_credit_of_everything_owed_settles_the_invoice(client: stripe.StripeClient) -> None:
    invoice, _ = open_invoice(client, 2500)
    first = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 500})
    second = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 2000})
    assert (first.number, second.number) == (
        f"{invoice.number}-CN-01",
        f"{invoice.number}-CN-02",
    )
    after = client.v1.invoices.retrieve(invoice.id)
    assert after.status == "paid" and after.amount_remaining == 0 and after.amount_due == 0
    assert after.amount_paid == 0 and after.pre_payment_credit_notes_amount == 2500
    assert "invoice.paid" in types_of(client)
    # The invoice's PaymentIntent is no longer waiting for money.
    payments = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    intent = client.v1.payment_intents.retrieve(payments[0].payment.payment_intent)
    assert intent.status == "canceled"


def test_uncollectible_invoices_take_credit_notes(client: stripe.StripeClient) -> None:
    invoice, _ = open_invoice(client, 1200)
    client.v1.invoices.mark_uncollectible(invoice.id)
    note = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 200})
    assert note.type == "pre_payment"
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 1000


# -- post-payment ---------------------------------------------------------------------------


def test_paid_invoice_credit_splits_into_refund_balance_and_out_of_band(
    client: stripe.StripeClient,
) -> None:
    invoice, customer = paid_invoice(client, 5000)
    note = client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "amount": 3000,
            "refund_amount": 1000,
            "credit_amount": 1500,
            "out_of_band_amount": 500,
        }
    )
    assert note.type == "post_payment"
    assert note.pre_payment_amount == 0 and note.post_payment_amount == 3000
    assert note.out_of_band_amount == 500

    [linked] = note.refunds
    assert linked.amount_refunded == 1000 and linked.type == "refund"
    refund = client.v1.refunds.retrieve(linked.refund)
    assert refund.amount == 1000 and refund.status == "succeeded"
    payments = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    intent = client.v1.payment_intents.retrieve(payments[0].payment.payment_intent)
    assert refund.charge == intent.latest_charge
    assert client.v1.charges.retrieve(refund.charge).amount_refunded == 1000

    assert client.v1.customers.retrieve(customer.id).balance == -1500
    txn = client.v1.customers.balance_transactions.retrieve(
        customer.id, note.customer_balance_transaction
    )
    assert txn.type == "credit_note" and txn.amount == -1500
    assert txn.credit_note == note.id and txn.invoice == invoice.id

    after = client.v1.invoices.retrieve(invoice.id)
    assert after.status == "paid" and after.amount_due == 5000 and after.amount_paid == 5000
    assert after.post_payment_credit_notes_amount == 3000
    assert after.pre_payment_credit_notes_amount == 0
    kinds = types_of(client)
    assert {"credit_note.created", "refund.created", "charge.refunded"} <= set(kinds)
    assert {"customer.updated", "invoice.updated"} <= set(kinds)


def test_credits_before_and_after_payment_add_up(client: stripe.StripeClient) -> None:
    invoice, customer = open_invoice(client, 4000)
    note = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 1000, "credit_amount": 0}
    )
    assert note.type == "pre_payment"
    client.v1.invoices.pay(invoice.id)  # pays the 3000 left
    mixed_invoice, _ = open_invoice(client, 1000)
    # On a fresh open invoice a note above its total is refused.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.create(
            params={"invoice": mixed_invoice.id, "amount": 1500, "credit_amount": 500}
        )
    assert_stripe_error(exc.value, status=400, param="amount")
    later = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 3000, "credit_amount": 3000}
    )
    assert later.type == "post_payment" and later.post_payment_amount == 3000
    assert client.v1.customers.retrieve(customer.id).balance == -3000
    after = client.v1.invoices.retrieve(invoice.id)
    assert after.pre_payment_credit_notes_amount == 1000
    assert after.post_payment_credit_notes_amount == 3000


def test_existing_refunds_are_linked_not_repeated(client: stripe.StripeClient) -> None:
    invoice, customer = paid_invoice(client, 3000)
    charge = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data[0]
    intent = client.v1.payment_intents.retrieve(charge.payment.payment_intent)
    refund = client.v1.refunds.create(params={"charge": intent.latest_charge, "amount": 800})
    note = client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "amount": 1000,
            "refunds": [{"refund": refund.id}],
            "credit_amount": 200,
        }
    )
    assert [(r.refund, r.amount_refunded) for r in note.refunds] == [(refund.id, 800)]
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 800
    assert len(client.v1.refunds.list().data) == 1

    assert_stripe_error(
        _refused(client, invoice, customer, amount=800, refunds=[{"refund": refund.id}]),
        status=400,
        param="refunds[0][refund]",
    )
    other = client.v1.refunds.create(
        params={
            "charge": client.v1.payment_intents.create(
                params={
                    "amount": 900,
                    "currency": "usd",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                }
            ).latest_charge
        }
    )
    assert_stripe_error(
        _refused(client, invoice, customer, amount=900, refunds=[{"refund": other.id}]),
        status=400,
        param="refunds[0][refund]",
    )


def test_note_on_partially_paid_invoice_is_mixed(client: stripe.StripeClient) -> None:
    customer, pm = customer_with_card(client)
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 3000).id)
    intent = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
            "confirm": True,
        }
    )
    client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": intent.id})
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 2000
    note = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 2500, "refund_amount": 500}
    )
    assert note.type == "mixed"
    assert note.pre_payment_amount == 2000 and note.post_payment_amount == 500
    assert client.v1.refunds.retrieve(note.refunds[0].refund).charge == intent.latest_charge
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


# -- lines -------------------------------------------------------------------------------------


def test_lines_credit_invoice_lines_and_custom_lines(client: stripe.StripeClient) -> None:
    customer, _ = customer_with_card(client)
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 700, "product_data": {"name": "Mug"}}
    )
    client.v1.invoice_items.create(
        params={"customer": customer.id, "pricing": {"price": price.id}, "quantity": 3}
    )
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    line = invoice.lines.data[0]
    assert line.amount == 2100

    note = client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "lines": [
                {"type": "invoice_line_item", "invoice_line_item": line.id, "quantity": 2},
                {
                    "type": "custom_line_item",
                    "description": "Goodwill",
                    "quantity": 2,
                    "unit_amount": 150,
                },
            ],
        }
    )
    assert note.amount == 1400 + 300
    by_type = {item.type: item for item in note.lines.data}
    credited = by_type["invoice_line_item"]
    assert credited.invoice_line_item == line.id and credited.quantity == 2
    assert credited.unit_amount == 700 and credited.amount == 1400
    assert credited.object == "credit_note_line_item" and credited.id.startswith("cnli_")
    custom = by_type["custom_line_item"]
    assert custom.description == "Goodwill" and custom.amount == 300
    assert str(custom.unit_amount_decimal) == "150"
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 2100 - 1700

    listed = client.v1.credit_notes.line_items.list(note.id, params={"limit": 1})
    assert listed.has_more and [x.id for x in listed.data] == [note.lines.data[0].id]
    rest = client.v1.credit_notes.line_items.list(
        note.id, params={"starting_after": listed.data[0].id}
    )
    assert [x.id for x in rest.data] == [note.lines.data[1].id] and not rest.has_more

    # The line has 700 left to credit: 2 more mugs are too many.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.create(
            params={
                "invoice": invoice.id,
                "lines": [
                    {"type": "invoice_line_item", "invoice_line_item": line.id, "quantity": 2}
                ],
            }
        )
    assert_stripe_error(exc.value, status=400, param="lines[0][amount]")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.create(
            params={
                "invoice": invoice.id,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": "il_nope"}],
            }
        )
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="lines[0][invoice_line_item]",
        message="No such invoice line item: 'il_nope'",
    )


# -- previews ---------------------------------------------------------------------------------


def test_preview_equals_the_note_created_and_stores_nothing(client: stripe.StripeClient) -> None:
    invoice, customer = paid_invoice(client, 4000, 1000)
    params: dict[str, Any] = {
        "invoice": invoice.id,
        "lines": [
            {
                "type": "invoice_line_item",
                "invoice_line_item": invoice.lines.data[0].id,
                "amount": 600,
            },
            {"type": "custom_line_item", "description": "Fee back", "unit_amount": 400},
        ],
        "refund_amount": 700,
        "credit_amount": 300,
        "memo": "Preview me",
    }
    before = snapshot(client, invoice, customer)
    preview = client.v1.credit_notes.preview(params=params)
    lines = client.v1.credit_notes.preview_lines.list(params={**params, "limit": 1})
    assert snapshot(client, invoice, customer) == before
    assert lines.has_more and lines.data[0].amount == preview.lines.data[0].amount

    created = client.v1.credit_notes.create(params=params)
    compared = (
        "amount",
        "number",
        "type",
        "pre_payment_amount",
        "post_payment_amount",
        "memo",
        "subtotal",
        "total",
        "currency",
        "invoice",
        "customer",
        "status",
    )
    assert {k: preview[k] for k in compared} == {k: created[k] for k in compared}
    assert [(x.type, x.amount) for x in preview.lines.data] == [
        (x.type, x.amount) for x in created.lines.data
    ]


# -- voiding ----------------------------------------------------------------------------------


def test_void_gives_the_credit_back(client: stripe.StripeClient) -> None:
    invoice, customer = open_invoice(client, 3000)
    note = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 1000})
    voided = client.v1.credit_notes.void_credit_note(note.id)
    assert voided.status == "void" and voided.voided_at is not None
    after = client.v1.invoices.retrieve(invoice.id)
    assert after.amount_due == after.amount_remaining == 3000
    assert after.pre_payment_credit_notes_amount == 0
    assert "credit_note.voided" in types_of(client)
    # A voided note no longer counts: the whole invoice can be credited again, and the
    # next note still takes the next number.
    again = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 3000})
    assert again.number == f"{invoice.number}-CN-02"

    paid, customer = paid_invoice(client, 2000)
    credit = client.v1.credit_notes.create(
        params={"invoice": paid.id, "amount": 800, "credit_amount": 800}
    )
    assert client.v1.customers.retrieve(customer.id).balance == -800
    client.v1.credit_notes.void_credit_note(credit.id)
    assert client.v1.customers.retrieve(customer.id).balance == 0
    txns = client.v1.customers.balance_transactions.list(customer.id).data
    assert [(t.type, t.amount, t.credit_note) for t in txns[:2]] == [
        ("credit_note", 800, credit.id),
        ("credit_note", -800, credit.id),
    ]
    assert client.v1.invoices.retrieve(paid.id).post_payment_credit_notes_amount == 0


def test_void_refusals_change_nothing(client: stripe.StripeClient) -> None:
    invoice, customer = paid_invoice(client, 2000)
    refunded = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 500, "refund_amount": 500}
    )
    before = snapshot(client, invoice, customer)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.void_credit_note(refunded.id)
    assert_stripe_error(exc.value, status=400)
    assert snapshot(client, invoice, customer) == before

    out_of_band = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 300, "out_of_band_amount": 300}
    )
    client.v1.credit_notes.void_credit_note(out_of_band.id)
    before = snapshot(client, invoice, customer)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.void_credit_note(out_of_band.id)
    assert_stripe_error(
        exc.value, status=400, message=f"Credit note {out_of_band.id} has already been voided."
    )
    assert snapshot(client, invoice, customer) == before

    # A pre-payment credit cannot come back once the invoice is settled.
    open_one, customer = open_invoice(client, 2000)
    early = client.v1.credit_notes.create(params={"invoice": open_one.id, "amount": 500})
    client.v1.invoices.pay(open_one.id)
    before = snapshot(client, open_one, customer)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.void_credit_note(early.id)
    assert snapshot(client, open_one, customer) == before

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.void_credit_note("cn_nope")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such credit note: 'cn_nope'",
    )


# -- the stored note: retrieve, update, list ------------------------------------------------


def test_retrieve_update_and_list(client: stripe.StripeClient) -> None:
    first, customer = open_invoice(client, 1000)
    second, other = open_invoice(client, 1000)
    a = client.v1.credit_notes.create(params={"invoice": first.id, "amount": 100})
    b = client.v1.credit_notes.create(params={"invoice": first.id, "amount": 100})
    c = client.v1.credit_notes.create(params={"invoice": second.id, "amount": 100})

    assert client.v1.credit_notes.retrieve(a.id).to_dict() == a.to_dict()
    updated = client.v1.credit_notes.update(
        a.id, params={"memo": "New memo", "metadata": {"x": "1"}}
    )
    assert updated.memo == "New memo" and updated.metadata.to_dict() == {"x": "1"}
    [event] = client.v1.events.list(params={"type": "credit_note.updated"}).data
    assert event.data.previous_attributes.to_dict() == {"memo": None, "metadata": {"x": None}}

    assert [n.id for n in client.v1.credit_notes.list().data] == [c.id, b.id, a.id]
    by_invoice = client.v1.credit_notes.list(params={"invoice": first.id})
    assert [n.id for n in by_invoice.data] == [b.id, a.id]
    by_customer = client.v1.credit_notes.list(params={"customer": other.id})
    assert [n.id for n in by_customer.data] == [c.id]
    page = client.v1.credit_notes.list(params={"limit": 2})
    assert page.has_more and [n.id for n in page.data] == [c.id, b.id]
    rest = client.v1.credit_notes.list(params={"limit": 2, "starting_after": b.id})
    assert [n.id for n in rest.data] == [a.id] and not rest.has_more
    assert client.v1.credit_notes.list(params={"created": {"gt": a.created + 10**6}}).data == []
    assert customer.id != other.id

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.retrieve("cn_nope")
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")


# -- refusals -----------------------------------------------------------------------------------


def _refused(client: stripe.StripeClient, invoice: Any, customer: Any, **params: Any) -> Any:
    before = snapshot(client, invoice, customer)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.create(params={"invoice": invoice.id, **params})
    assert snapshot(client, invoice, customer) == before
    return exc.value


def test_create_refusals_change_nothing(client: stripe.StripeClient) -> None:
    customer, _ = customer_with_card(client)
    unfinished = draft(client, customer.id, 1000)
    err = _refused(client, unfinished, customer, amount=100)
    assert_stripe_error(err, status=400, param="invoice")

    voided = client.v1.invoices.void_invoice(
        client.v1.invoices.finalize_invoice(draft(client, customer.id, 1000).id).id
    )
    assert_stripe_error(_refused(client, voided, customer, amount=100), status=400, param="invoice")

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.credit_notes.create(params={"invoice": "in_nope", "amount": 100})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="invoice",
        message="No such invoice: 'in_nope'",
    )

    invoice, customer = paid_invoice(client, 2000)
    assert_stripe_error(
        _refused(client, invoice, customer),
        status=400,
        message="One of `amount`, `lines`, or `shipping_cost` must be provided.",
    )
    too_much = _refused(client, invoice, customer, amount=2001, credit_amount=2001)
    assert_stripe_error(too_much, status=400, param="amount")
    assert_stripe_error(
        _refused(client, invoice, customer, amount=1000, refund_amount=400, credit_amount=500),
        status=400,
    )
    assert_stripe_error(_refused(client, invoice, customer, amount=1000), status=400)
    assert_stripe_error(
        _refused(client, invoice, customer, amount=0, credit_amount=0), status=400, param="amount"
    )
    assert_stripe_error(
        _refused(
            client,
            invoice,
            customer,
            amount=500,
            lines=[{"type": "custom_line_item", "description": "x", "unit_amount": 400}],
            credit_amount=500,
        ),
        status=400,
        param="amount",
    )
    assert_stripe_error(
        _refused(client, invoice, customer, lines=[{"type": "custom_line_item", "unit_amount": 1}]),
        status=400,
        code="parameter_missing",
        param="lines[0][description]",
    )

    # Refunds made through the Refund API lower what notes can still credit.
    client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 1500, "refund_amount": 1500}
    )
    charge = client.v1.refunds.list().data[0].charge
    client.v1.refunds.create(params={"charge": charge, "amount": 400})
    assert_stripe_error(
        _refused(client, invoice, customer, amount=101, credit_amount=101),
        status=400,
        param="amount",
    )
    last = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 100, "refund_amount": 100}
    )
    assert client.v1.charges.retrieve(charge).refunded
    assert last.refunds[0].amount_refunded == 100

    # An invoice paid out of band has no charge to refund.
    oob_customer, _ = customer_with_card(client)
    oob = client.v1.invoices.finalize_invoice(draft(client, oob_customer.id, 900).id)
    oob = client.v1.invoices.pay(oob.id, params={"paid_out_of_band": True})
    assert_stripe_error(
        _refused(client, oob, oob_customer, amount=100, refund_amount=100),
        status=400,
        param="refund_amount",
    )
