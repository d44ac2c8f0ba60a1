"""Invoices through the official SDK, in both modes: drafts and their lines, finalization
(numbers, hosted page and PDF, the customer's balance), payment through PaymentIntents
(declines, retries, out of band), void / uncollectible / send, automatic advancement on
sandbox time and on test clocks, discounts, lists, search, previews and invoice payments.
Every invoice a test looks at has its totals checked against its lines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import stripe
from test_balance import assert_books_balance, balance_of

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework import ledger

DAY = 86400
NOT_OPEN = "You can only pass in open invoices. This invoice isn't open."


# -- helpers shared with test_invoiceitems and test_customer_balance ---------------------------


def customer_with_card(
    client: stripe.StripeClient, token: str = "tok_visa", **params: Any
) -> tuple[Any, Any]:
    """A customer whose invoice default payment method is a card from `token`."""
    customer = client.v1.customers.create(params={"email": "billing@example.com", **params})
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": token}})
    client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    customer = client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return customer, pm


def item(client: stripe.StripeClient, customer: str, amount: int, **params: Any) -> Any:
    return client.v1.invoice_items.create(
        params={"customer": customer, "amount": amount, "currency": "usd", **params}
    )


def draft(client: stripe.StripeClient, customer: str, *amounts: int, **params: Any) -> Any:
    """A draft holding one pending item per amount."""
    for amount in amounts:
        item(client, customer, amount)
    invoice = client.v1.invoices.create(
        params={"customer": customer, "pending_invoice_items_behavior": "include", **params}
    )
    assert_totals(client, invoice)
    return invoice


def all_lines(client: stripe.StripeClient, invoice: Any) -> list[Any]:
    if not invoice.lines.has_more:
        return list(invoice.lines.data)
    lines: list[Any] = []
    after = None
    while True:
        page = client.v1.invoices.line_items.list(
            invoice.id, params={"limit": 100, **({"starting_after": after} if after else {})}
        )
        lines += page.data
        if not page.has_more:
            return lines
        after = page.data[-1].id


def _id(value: Any) -> str:
    return value if isinstance(value, str) else value.id


def assert_totals(client: stripe.StripeClient, invoice: Any) -> None:
    """Every amount of the invoice agrees with its lines and its balance."""
    lines = all_lines(client, invoice)
    assert invoice.lines.total_count == len(lines)
    assert invoice.subtotal == sum(line.amount for line in lines)
    assert invoice.subtotal_excluding_tax == invoice.subtotal
    by_discount: dict[str, int] = defaultdict(int)
    for line in lines:
        assert line.subtotal == line.amount
        assert line.invoice == invoice.id
        for entry in line.discount_amounts:
            by_discount[_id(entry.discount)] += entry.amount
        assert [c.amount for c in line.pretax_credit_amounts] == [
            d.amount for d in line.discount_amounts
        ]
    totals = {_id(d.discount): d.amount for d in invoice.total_discount_amounts}
    assert dict(by_discount) == totals
    assert invoice.total == invoice.subtotal - sum(totals.values())
    assert invoice.total_excluding_tax == invoice.total
    assert invoice.total_taxes == []
    starting = invoice.starting_balance
    if invoice.ending_balance is None:
        assert invoice.status == "draft"
        combined = invoice.total + starting
        ending = 0 if combined >= 0 else combined
    else:
        ending = invoice.ending_balance
    assert invoice.amount_due == max(0, invoice.total + starting - ending)
    assert invoice.amount_remaining == max(0, invoice.amount_due - invoice.amount_paid)


def types_of(client: stripe.StripeClient, prefix: str = "") -> list[str]:
    """Event types, oldest first."""
    events = client.v1.events.list(params={"limit": 100}).data
    return [e.type for e in reversed(events) if e.type.startswith(prefix)]


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(sk: Harness, url: str, form: dict[str, str] | None = None) -> Fetched:
    """A page the sandbox serves, as a browser gets it."""
    method = "POST" if form is not None else "GET"
    if sk.mode == "http":
        assert url.startswith(sk.base_url + "/")
        response = httpx.request(method, url, data=form, follow_redirects=False)
        return Fetched(response.status_code, dict(response.headers), response.content)
    parts = urlsplit(url)
    body = urlencode(form or {}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    answer = sk.sandbox.engine.handle(method, parts.path, parts.query, headers, body)
    return Fetched(answer.status, dict(answer.headers), answer.body)


# -- drafts -------------------------------------------------------------------------------------


def test_create_draft_has_stripe_shape(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com", "name": "Ada"})
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "description": "Memo", "metadata": {"k": "v"}}
    )
    assert invoice.id.startswith("in_") and invoice.object == "invoice"
    assert invoice.status == "draft" and invoice.billing_reason == "manual"
    assert invoice.auto_advance is False and invoice.automatically_finalizes_at is None
    assert invoice.collection_method == "charge_automatically" and invoice.due_date is None
    assert invoice.currency == "usd" and invoice.number is None
    assert invoice.customer_email == "ada@example.com" and invoice.customer_name == "Ada"
    assert (invoice.period_start, invoice.period_end) == (invoice.created, invoice.created)
    assert invoice.webhooks_delivered_at == invoice.created
    assert invoice.lines.data == [] and invoice.lines.total_count == 0
    assert invoice.lines.url == f"/v1/invoices/{invoice.id}/lines"
    assert invoice.amount_due == 0 and invoice.ending_balance is None
    assert invoice.attempted is False and invoice.attempt_count == 0
    assert invoice.hosted_invoice_url is None and invoice.invoice_pdf is None
    assert invoice.rendering.pdf.page_size == "auto"
    assert invoice.issuer.type == "self" and invoice.parent is None
    assert invoice.metadata.to_dict() == {"k": "v"} and invoice.description == "Memo"
    raw = invoice.to_dict()
    assert "payments" not in raw and "confirmation_secret" not in raw  # includable
    expanded = client.v1.invoices.retrieve(
        invoice.id, params={"expand": ["payments", "confirmation_secret"]}
    )
    assert expanded.payments.data == [] and expanded.confirmation_secret is None
    assert types_of(client, "invoice.") == ["invoice.created"]


def test_pending_items_are_excluded_by_default_and_included_newest_first(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create()
    first = item(client, customer.id, 2000, description="Setup")
    second = item(client, customer.id, 1500, description="Add-on")
    empty = client.v1.invoices.create(params={"customer": customer.id})
    assert empty.lines.data == [] and empty.total == 0
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    assert_totals(client, invoice)
    lines = invoice.lines.data
    assert [line.parent.invoice_item_details.invoice_item for line in lines] == [
        second.id,
        first.id,
    ]
    assert [line.amount for line in lines] == [1500, 2000] and invoice.total == 3500
    assert lines[0].id.startswith("il_") and lines[0].parent.type == "invoice_item_details"
    assert lines[0].pricing.price_details.price == second.pricing.price_details.price
    assert lines[0].quantity == 1 and lines[0].period.start == second.period.start
    assert client.v1.invoice_items.retrieve(first.id).invoice == invoice.id
    pending = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True})
    assert pending.data == []


def test_invoice_in_another_currency_leaves_other_items_pending(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create()
    item(client, customer.id, 1000)
    euros = client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 700, "currency": "eur"}
    )
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "currency": "eur",
            "pending_invoice_items_behavior": "include",
        }
    )
    assert invoice.currency == "eur" and invoice.total == 700
    assert [line.amount for line in invoice.lines.data] == [700]
    assert client.v1.invoice_items.retrieve(euros.id).invoice == invoice.id


def test_create_refusals(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    cases: list[tuple[dict[str, Any], str | None, str]] = [
        (
            {"collection_method": "send_invoice"},
            None,
            "If invoice collection method is 'send_invoice', you must specify 'due_date' or "
            "'days_until_due'.",
        ),
        (
            {"days_until_due": 5},
            None,
            "You can only specify 'due_date' or 'days_until_due' if invoice collection method "
            "is 'send_invoice'.",
        ),
        (
            {"collection_method": "send_invoice", "days_until_due": 5, "due_date": 2000000000},
            "days_until_due",
            "You may only specify one of these parameters: days_until_due, due_date.",
        ),
        (
            {"collection_method": "send_invoice", "due_date": 1000},
            "due_date",
            "The due_date must be in the future.",
        ),
        (
            {"default_payment_method": "pm_nope"},
            "default_payment_method",
            "No such PaymentMethod: 'pm_nope'",
        ),
        ({"subscription": "sub_nope"}, "subscription", "No such subscription: 'sub_nope'"),
        ({"discounts": [{"coupon": "NOPE"}]}, "discounts[0][coupon]", "No such coupon: 'NOPE'"),
        (
            {"pending_invoice_items_behavior": "bogus"},
            "pending_invoice_items_behavior",
            "Invalid pending_invoice_items_behavior: must be one of exclude or include",
        ),
    ]
    for extra, param, message in cases:
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.invoices.create(params={"customer": customer.id, **extra})
        error = exc.value.json_body["error"]
        assert exc.value.http_status == 400, extra
        assert error.get("param") == param, (extra, error)
        assert error["message"].startswith(message.split(": must")[0]), (extra, error)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.create(params={"customer": "cus_nope"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="customer",
        message="No such customer: 'cus_nope'",
    )
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.create(params={"customer": customer.id, "default_payment_method": pm.id})
    assert_stripe_error(exc.value, status=400, param="default_payment_method")
    assert client.v1.invoices.list().data == []


def test_update_draft_and_what_a_finalized_invoice_accepts(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = draft(client, customer.id, 1200)
    updated = client.v1.invoices.update(
        invoice.id,
        params={
            "description": "New memo",
            "footer": "Thanks",
            "metadata": {"a": "1"},
            "collection_method": "send_invoice",
            "days_until_due": 10,
        },
    )
    assert updated.description == "New memo" and updated.footer == "Thanks"
    assert updated.collection_method == "send_invoice"
    assert updated.due_date is not None and updated.due_date >= updated.created + 10 * DAY
    event = client.v1.events.list(params={"type": "invoice.updated"}).data[0]
    previous = event.data.previous_attributes.to_dict()
    assert previous["description"] is None and previous["collection_method"] == (
        "charge_automatically"
    )
    assert previous["metadata"] == {"a": None}
    back = client.v1.invoices.update(
        invoice.id, params={"collection_method": "charge_automatically"}
    )
    assert back.due_date is None
    client.v1.invoices.finalize_invoice(invoice.id)
    opened = client.v1.invoices.update(invoice.id, params={"description": "Still editable"})
    assert opened.description == "Still editable"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.update(invoice.id, params={"collection_method": "send_invoice"})
    assert_stripe_error(
        exc.value,
        status=400,
        param="collection_method",
        message="Finalized invoices can't be updated in this way",
    )
    client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.update(invoice.id, params={"description": "no longer editable"})
    assert_stripe_error(
        exc.value,
        status=400,
        param="description",
        message="Finalized invoices can't be updated in this way",
    )
    paid = client.v1.invoices.update(invoice.id, params={"metadata": {"open": "yes"}})
    assert paid.metadata.to_dict() == {"a": "1", "open": "yes"}


def test_delete_draft_takes_its_items_along(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    on_it = item(client, customer.id, 800, description="Late fee")
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    deleted = client.v1.invoices.delete(invoice.id)
    assert deleted.to_dict() == {"id": invoice.id, "object": "invoice", "deleted": True}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.retrieve(invoice.id)
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="invoice",
        message=f"No such invoice: '{invoice.id}'",
    )
    assert client.v1.invoice_items.list(params={"pending": True}).data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.update(on_it.id, params={"description": "gone"})
    assert_stripe_error(exc.value, status=400, message="This invoice item has been deleted.")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.delete(on_it.id)
    assert_stripe_error(
        exc.value,
        status=400,
        message="Can't delete an invoice item that is attached to an invoice that is no "
        "longer editable",
    )
    assert types_of(client, "invoice.") == ["invoice.created", "invoice.deleted"]


def test_missing_invoice_names_the_param_each_route_names(client: stripe.StripeClient) -> None:
    calls = {
        "invoice": [
            lambda: client.v1.invoices.retrieve("in_nope"),
            lambda: client.v1.invoices.delete("in_nope"),
            lambda: client.v1.invoices.send_invoice("in_nope"),
            lambda: client.v1.invoices.add_lines("in_nope", params={"lines": [{"amount": 1}]}),
        ],
        "id": [
            lambda: client.v1.invoices.update("in_nope", params={"metadata": {"k": "v"}}),
            lambda: client.v1.invoices.pay("in_nope"),
            lambda: client.v1.invoices.finalize_invoice("in_nope"),
            lambda: client.v1.invoices.void_invoice("in_nope"),
            lambda: client.v1.invoices.mark_uncollectible("in_nope"),
        ],
    }
    for param, functions in calls.items():
        for call in functions:
            with pytest.raises(stripe.InvalidRequestError) as exc:
                call()
            assert_stripe_error(
                exc.value,
                status=404,
                code="resource_missing",
                param=param,
                message="No such invoice: 'in_nope'",
            )


# -- finalization ---------------------------------------------------------------------------


def test_finalize_numbers_the_invoice_and_serves_its_page_and_pdf(
    sk: Harness, client: stripe.StripeClient
) -> None:
    customer = client.v1.customers.create(params={"name": "Grace", "invoice_prefix": "GRACE01"})
    invoice = draft(client, customer.id, 1200)
    opened = client.v1.invoices.finalize_invoice(invoice.id)
    assert opened.status == "open" and opened.number == "GRACE01-0001"
    assert opened.status_transitions.finalized_at == opened.effective_at
    assert opened.ending_balance == 0 and opened.amount_due == 1200
    assert opened.attempted is False and opened.next_payment_attempt is None
    assert opened.rendering.pdf.page_size == "letter"
    assert_totals(client, opened)
    assert client.v1.customers.retrieve(customer.id).next_invoice_sequence == 2
    second = client.v1.invoices.finalize_invoice(draft(client, customer.id, 500).id)
    assert second.number == "GRACE01-0002"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.finalize_invoice(invoice.id)
    assert_stripe_error(
        exc.value,
        status=400,
        message="This invoice is already finalized, you can't re-finalize a non-draft invoice.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.delete(invoice.id)
    assert_stripe_error(exc.value, status=400, message="You can only delete draft invoices.")
    expanded = client.v1.invoices.retrieve(
        invoice.id, params={"expand": ["payments", "confirmation_secret"]}
    )
    (default,) = expanded.payments.data
    assert default.is_default and default.status == "open" and default.amount_paid is None
    assert default.amount_requested == 1200
    intent = client.v1.payment_intents.retrieve(default.payment.payment_intent)
    assert intent.status == "requires_payment_method" and intent.amount == 1200
    assert intent.customer == customer.id and intent.description == "Payment for Invoice"
    assert expanded.confirmation_secret.client_secret == intent.client_secret
    assert expanded.confirmation_secret.type == "payment_intent"

    page = fetch(sk, opened.hosted_invoice_url)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    text = page.body.decode()
    assert "GRACE01-0001" in text and "$12.00" in text and "Grace" in text
    pdf = fetch(sk, opened.invoice_pdf)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF-1.4") and pdf.body.rstrip().endswith(b"%%EOF")
    assert b"GRACE01-0001" in pdf.body and b"startxref" in pdf.body
    assert fetch(sk, opened.hosted_invoice_url.replace(invoice.id, "in_nope")).status == 404
    assert types_of(client, "invoice.").count("invoice.finalized") == 2


def test_zero_amount_invoice_is_paid_at_finalization(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.finalize_invoice(
        client.v1.invoices.create(params={"customer": customer.id}).id
    )
    assert invoice.status == "paid" and invoice.amount_due == 0 and invoice.amount_paid == 0
    assert invoice.attempted is True and invoice.attempt_count == 0
    assert invoice.status_transitions.paid_at == invoice.status_transitions.finalized_at
    assert_totals(client, invoice)
    assert types_of(client, "invoice") == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    assert client.v1.payment_intents.list().data == []


# -- the customer's balance -------------------------------------------------------------------


def _credit(client: stripe.StripeClient, customer: str, amount: int) -> None:
    client.v1.customers.balance_transactions.create(
        customer, params={"amount": amount, "currency": "usd"}
    )


def test_credit_balance_lowers_the_amount_due_and_is_used_at_finalization(
    client: stripe.StripeClient,
) -> None:
    customer, _ = customer_with_card(client)
    _credit(client, customer.id, -500)
    invoice = draft(client, customer.id, 2000)
    assert invoice.starting_balance == -500 and invoice.amount_due == 1500
    assert invoice.ending_balance is None
    opened = client.v1.invoices.finalize_invoice(invoice.id)
    assert (opened.starting_balance, opened.ending_balance, opened.amount_due) == (-500, 0, 1500)
    assert_totals(client, opened)
    assert client.v1.customers.retrieve(customer.id).balance == 0
    txns = client.v1.customers.balance_transactions.list(customer.id).data
    assert [(t.type, t.amount, t.ending_balance) for t in txns] == [
        ("applied_to_invoice", 500, 0),
        ("adjustment", -500, -500),
    ]
    assert txns[0].invoice == invoice.id
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 1500 and paid.amount_remaining == 0
    charge = client.v1.charges.list(params={"customer": customer.id}).data[0]
    assert charge.amount == 1500 and charge.paid
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.amount, txn.fee) == (1500, ledger.card_fee(1500, "usd"))


def test_credit_larger_than_the_total_pays_it_and_stays(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    _credit(client, customer.id, -3000)
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 2000).id)
    assert invoice.status == "paid" and invoice.amount_due == 0
    assert (invoice.starting_balance, invoice.ending_balance) == (-3000, -1000)
    assert_totals(client, invoice)
    assert client.v1.customers.retrieve(customer.id).balance == -1000


def test_debit_balance_is_added_to_the_amount_due(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    _credit(client, customer.id, 300)
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 2000).id)
    assert (invoice.amount_due, invoice.starting_balance, invoice.ending_balance) == (2300, 300, 0)
    assert_totals(client, invoice)
    assert client.v1.customers.retrieve(customer.id).balance == 0


def test_amount_under_the_minimum_moves_onto_the_balance(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 30).id)
    assert invoice.status == "paid" and invoice.total == 30 and invoice.amount_due == 0
    assert invoice.ending_balance == 30
    assert_totals(client, invoice)
    assert client.v1.customers.retrieve(customer.id).balance == 30
    (txn,) = client.v1.customers.balance_transactions.list(customer.id).data
    assert (txn.type, txn.amount, txn.invoice) == ("invoice_too_small", 30, invoice.id)
    # The next invoice collects it.
    nxt = client.v1.invoices.finalize_invoice(draft(client, customer.id, 1000).id)
    assert nxt.amount_due == 1030 and nxt.starting_balance == 30


def test_negative_total_becomes_credit(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 1000, -2500).id)
    assert invoice.total == -1500 and invoice.amount_due == 0 and invoice.status == "paid"
    assert invoice.ending_balance == -1500
    assert_totals(client, invoice)
    assert client.v1.customers.retrieve(customer.id).balance == -1500


def test_void_gives_the_applied_balance_back(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    _credit(client, customer.id, -400)
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 1000).id)
    assert client.v1.customers.retrieve(customer.id).balance == 0
    voided = client.v1.invoices.void_invoice(invoice.id)
    assert voided.status == "void" and voided.status_transitions.voided_at is not None
    assert client.v1.customers.retrieve(customer.id).balance == -400
    txn = client.v1.customers.balance_transactions.list(customer.id).data[0]
    assert (txn.type, txn.amount, txn.invoice) == ("unapplied_from_invoice", -400, invoice.id)


# -- paying ---------------------------------------------------------------------------------------


def test_pay_charges_the_default_payment_method(client: stripe.StripeClient) -> None:
    customer, pm = customer_with_card(client)
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 2000, 1500).id)
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 3500 and paid.amount_remaining == 0
    assert paid.attempted is True and paid.attempt_count == 1
    assert paid.status_transitions.paid_at is not None and paid.auto_advance is False
    assert_totals(client, paid)
    expanded = client.v1.invoices.retrieve(
        invoice.id, params={"expand": ["payments.data.payment.payment_intent"]}
    )
    (payment,) = expanded.payments.data
    assert payment.status == "paid" and payment.amount_paid == 3500
    intent = payment.payment.payment_intent
    assert intent.status == "succeeded" and intent.payment_method == pm.id
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.amount == 3500 and charge.customer == customer.id
    assert charge.description == "Payment for Invoice"
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert txn.net == 3500 - ledger.card_fee(3500, "usd") and txn.source == charge.id
    assert types_of(client, "invoice")[-4:] == [
        "invoice.finalized",
        "invoice_payment.paid",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(invoice.id)
    assert_stripe_error(exc.value, status=400, message="Invoice is already paid")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.void_invoice(invoice.id)
    assert_stripe_error(
        exc.value, status=400, message="Invoices with `paid` payments cannot be voided."
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.mark_uncollectible(invoice.id)
    assert_stripe_error(exc.value, status=400, message=NOT_OPEN)


def test_paying_a_draft_finalizes_it_in_the_same_call(client: stripe.StripeClient) -> None:
    customer, _ = customer_with_card(client)
    invoice = draft(client, customer.id, 900)
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.number is not None
    assert paid.status_transitions.finalized_at == paid.status_transitions.paid_at
    assert_totals(client, paid)


def test_decline_leaves_the_invoice_open_then_another_card_pays(
    client: stripe.StripeClient,
) -> None:
    customer, _ = customer_with_card(client, "tok_chargeCustomerFail")
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 4200).id)
    with pytest.raises(stripe.CardError) as exc:
        client.v1.invoices.pay(invoice.id)
    assert_stripe_error(
        exc.value,
        status=402,
        type_="card_error",
        code="card_declined",
        message="Your card was declined.",
    )
    error = exc.value.json_body["error"]
    assert error["decline_code"] == "generic_decline" and error["charge"].startswith("ch_")
    after = client.v1.invoices.retrieve(invoice.id)
    assert after.status == "open" and after.attempted and after.attempt_count == 1
    assert after.amount_paid == 0 and after.next_payment_attempt is None
    failed = client.v1.charges.retrieve(error["charge"])
    assert failed.status == "failed" and failed.amount == 4200
    assert "invoice.payment_failed" in types_of(client)
    paid = client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "paid" and paid.attempt_count == 1  # manual retries don't count
    assert_totals(client, paid)


def test_pay_refusals(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 1000).id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(invoice.id)
    assert_stripe_error(exc.value, status=400)
    assert "no attached payment source or default payment method" in str(exc.value)
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == 0
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="payment_method")
    other = client.v1.customers.create()
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    client.v1.payment_methods.attach(pm.id, params={"customer": other.id})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(invoice.id, params={"payment_method": pm.id})
    assert_stripe_error(exc.value, status=400, param="payment_method")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(invoice.id, params={"source": "card_nope"})
    assert_stripe_error(exc.value, status=400, code="missing", param="source")


def test_pay_with_the_customer_default_card_source(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_mastercard"})
    invoice = client.v1.invoices.pay(draft(client, customer.id, 1800).id)
    assert invoice.status == "paid"
    charge = client.v1.charges.list(params={"customer": customer.id}).data[0]
    assert charge.payment_method == customer.default_source and charge.amount == 1800


def test_paid_out_of_band_takes_no_money(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 4400).id)
    paid = client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    assert paid.status == "paid" and paid.amount_paid == 4400 and paid.amount_remaining == 0
    assert paid.amount_paid_off_stripe == 4400 and paid.attempted is False
    assert_totals(client, paid)
    assert client.v1.charges.list().data == []
    expanded = client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    assert [p.status for p in expanded.payments.data] == ["canceled"]
    types = types_of(client, "invoice")
    assert "invoice.paid" in types and "invoice.payment_succeeded" not in types


def test_on_session_authentication_is_required_action(client: stripe.StripeClient) -> None:
    customer, _ = customer_with_card(client, "tok_threeDSecure2Required")
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 2500).id)
    with pytest.raises(stripe.CardError) as exc:
        client.v1.invoices.pay(invoice.id, params={"off_session": False})
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code="invoice_payment_intent_requires_action"
    )
    intent = exc.value.json_body["error"]["payment_intent"]
    assert intent["status"] == "requires_action"
    assert "invoice.payment_action_required" in types_of(client)
    with pytest.raises(stripe.CardError) as exc:
        client.v1.invoices.pay(invoice.id)  # off-session: the bank asks, nobody answers
    assert exc.value.json_body["error"]["decline_code"] == "authentication_required"
    assert client.v1.invoices.retrieve(invoice.id).status == "open"


def test_hosted_page_pays_with_a_test_card(sk: Harness, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 1300).id)
    declined = fetch(sk, invoice.hosted_invoice_url, {"card": "chargeDeclined"})
    assert declined.status == 200 and b"Payment failed" in declined.body
    assert client.v1.invoices.retrieve(invoice.id).status == "open"
    paid = fetch(sk, invoice.hosted_invoice_url, {"card": "visa"})
    assert b"Payment succeeded" in paid.body
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


# -- void, uncollectible, send ------------------------------------------------------------------


def test_void_and_uncollectible_transitions(client: stripe.StripeClient) -> None:
    customer, _ = customer_with_card(client)
    draft_invoice = draft(client, customer.id, 1000)
    for call in (client.v1.invoices.void_invoice, client.v1.invoices.mark_uncollectible):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call(draft_invoice.id)
        assert_stripe_error(exc.value, status=400, message=NOT_OPEN)
    opened = client.v1.invoices.finalize_invoice(draft_invoice.id)
    intent_id = (
        client.v1.invoices.retrieve(opened.id, params={"expand": ["payments"]})
        .payments.data[0]
        .payment.payment_intent
    )
    voided = client.v1.invoices.void_invoice(opened.id)
    assert voided.status == "void" and voided.auto_advance is False
    assert client.v1.payment_intents.retrieve(intent_id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.void_invoice(opened.id)
    assert_stripe_error(exc.value, status=400, message=NOT_OPEN)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(opened.id)
    assert_stripe_error(exc.value, status=400, message="Invoice is already void")

    bad_debt = client.v1.invoices.finalize_invoice(draft(client, customer.id, 700).id)
    marked = client.v1.invoices.mark_uncollectible(bad_debt.id)
    assert marked.status == "uncollectible"
    assert marked.status_transitions.marked_uncollectible_at is not None
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.mark_uncollectible(bad_debt.id)
    assert_stripe_error(
        exc.value, status=400, message="This invoice has already been marked uncollectible."
    )
    paid = client.v1.invoices.pay(bad_debt.id)  # an uncollectible invoice can still be paid
    assert paid.status == "paid"
    assert_totals(client, paid)
    types = types_of(client, "invoice.")
    assert "invoice.voided" in types and "invoice.marked_uncollectible" in types


def test_send_invoice_is_due_later_sent_and_overdue(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create(params={"email": "payer@example.com"})
    item(client, customer.id, 4400)
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "pending_invoice_items_behavior": "include",
        }
    )
    assert invoice.due_date == invoice.created + 30 * DAY
    assert invoice.next_payment_attempt is None
    sent = client.v1.invoices.send_invoice(invoice.id)  # a draft is finalized, then sent
    assert sent.status == "open" and sent.number is not None
    assert types_of(client, "invoice.")[-2:] == ["invoice.finalized", "invoice.sent"]
    client.v1.invoices.send_invoice(invoice.id)
    assert types_of(client, "invoice.").count("invoice.sent") == 2
    sk.sandbox.advance_clock(31 * DAY)
    assert types_of(client, "invoice.")[-1] == "invoice.overdue"
    paid = client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.send_invoice(paid.id)
    assert_stripe_error(exc.value, status=400)
    assert exc.value.user_message.startswith("This invoice cannot be sent right now.")


# -- automatic advancement -------------------------------------------------------------------


def test_auto_advance_finalizes_and_charges_about_an_hour_later(sk: Harness) -> None:
    client = sk.client
    customer, _ = customer_with_card(client)
    invoice = draft(client, customer.id, 800, auto_advance=True)
    assert invoice.automatically_finalizes_at == invoice.created + 3601
    assert invoice.next_payment_attempt == invoice.created + 3600
    sk.sandbox.advance_clock(1800)
    assert client.v1.invoices.retrieve(invoice.id).status == "draft"
    sk.sandbox.advance_clock(1802)
    paid = client.v1.invoices.retrieve(invoice.id)
    assert paid.status == "paid" and paid.attempt_count == 1 and paid.amount_paid == 800
    assert paid.automatically_finalizes_at is None and paid.next_payment_attempt is None
    assert paid.status_transitions.finalized_at == invoice.created + 3601
    assert_totals(client, paid)
    assert types_of(client, "invoice.")[-3:] == [
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_auto_advance_off_stops_the_timer(sk: Harness) -> None:
    client = sk.client
    customer, _ = customer_with_card(client)
    invoice = draft(client, customer.id, 800, auto_advance=True)
    off = client.v1.invoices.update(invoice.id, params={"auto_advance": False})
    assert off.automatically_finalizes_at is None and off.next_payment_attempt is None
    sk.sandbox.advance_clock(2 * 3600)
    assert client.v1.invoices.retrieve(invoice.id).status == "draft"


def test_failed_automatic_charges_are_retried_then_recover(sk: Harness) -> None:
    client = sk.client
    customer, _ = customer_with_card(client, "tok_chargeCustomerFail")
    invoice = draft(client, customer.id, 2600, auto_advance=True)
    sk.sandbox.advance_clock(3602)
    first = client.v1.invoices.retrieve(invoice.id)
    assert first.status == "open" and first.attempt_count == 1
    finalized_at = first.status_transitions.finalized_at
    assert first.next_payment_attempt == finalized_at + 3 * DAY
    sk.sandbox.advance_clock(3 * DAY)
    second = client.v1.invoices.retrieve(invoice.id)
    assert second.attempt_count == 2 and second.next_payment_attempt == (
        first.next_payment_attempt + 5 * DAY
    )
    assert types_of(client, "invoice.payment_failed").count("invoice.payment_failed") == 2
    # The customer fixes their card; the next retry pays.
    _, good = customer_with_card(client)
    client.v1.payment_methods.detach(good.id)
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    sk.sandbox.advance_clock(5 * DAY)
    paid = client.v1.invoices.retrieve(invoice.id)
    assert paid.status == "paid" and paid.attempt_count == 3 and paid.next_payment_attempt is None


def test_retries_stop_after_the_last_one(sk: Harness) -> None:
    client = sk.client
    customer, _ = customer_with_card(client, "tok_chargeCustomerFail")
    invoice = draft(client, customer.id, 2600, auto_advance=True)
    sk.sandbox.advance_clock(3602)
    for days in (3, 5, 7):
        sk.sandbox.advance_clock(days * DAY)
    last = client.v1.invoices.retrieve(invoice.id)
    assert last.status == "open" and last.attempt_count == 4
    assert last.next_payment_attempt is None
    charges = client.v1.charges.list(params={"customer": customer.id}).data
    assert [c.status for c in charges] == ["failed"] * 4


def test_send_invoice_auto_advance_is_sent_after_an_hour(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    invoice = draft(
        client,
        customer.id,
        900,
        auto_advance=True,
        collection_method="send_invoice",
        days_until_due=7,
    )
    assert invoice.automatically_finalizes_at == invoice.created + 3601
    assert invoice.next_payment_attempt is None
    sk.sandbox.advance_clock(3602)
    sent = client.v1.invoices.retrieve(invoice.id)
    assert sent.status == "open" and sent.attempted is False
    assert types_of(client, "invoice.")[-2:] == ["invoice.finalized", "invoice.sent"]


def test_invoices_on_a_test_clock_run_on_the_clock(client: stripe.StripeClient) -> None:
    start = 1_900_000_000
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": start})
    customer, _ = customer_with_card(client, test_clock=clock.id)
    pending = item(client, customer.id, 1900)
    assert pending.date == start and pending.test_clock == clock.id
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "auto_advance": True,
            "pending_invoice_items_behavior": "include",
        }
    )
    assert invoice.created == start and invoice.test_clock == clock.id
    assert invoice.automatically_finalizes_at == start + 3601
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": start + 7200})
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"
    paid = client.v1.invoices.retrieve(invoice.id)
    assert paid.status == "paid"
    assert paid.status_transitions.finalized_at == start + 3601
    assert paid.status_transitions.paid_at == start + 3601
    assert_totals(client, paid)


# -- discounts ----------------------------------------------------------------------------------


def test_invoice_discounts_split_over_the_lines(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    percent = client.v1.coupons.create(params={"percent_off": 25, "duration": "once"})
    fixed = client.v1.coupons.create(
        params={"amount_off": 500, "currency": "usd", "duration": "once"}
    )
    item(client, customer.id, 3000)
    item(client, customer.id, 1000)
    item(client, customer.id, -200)  # a credit line: not discountable
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "pending_invoice_items_behavior": "include",
            "discounts": [{"coupon": percent.id}, {"coupon": fixed.id}],
        }
    )
    assert_totals(client, invoice)
    assert invoice.subtotal == 3800
    # 25% of 4000 discountable = 1000, then 500 split 3:1 over what is left (2250, 750).
    amounts = {d.amount for d in invoice.total_discount_amounts}
    assert amounts == {1000, 500} and invoice.total == 2300
    by_line = [[d.amount for d in line.discount_amounts] for line in invoice.lines.data]
    assert by_line == [[0, 0], [250, 125], [750, 375]]
    assert [d.discount for d in invoice.total_discount_amounts] == invoice.discounts
    assert all(d.startswith("di_") for d in invoice.discounts)
    assert client.v1.coupons.retrieve(percent.id).times_redeemed == 1
    cleared = client.v1.invoices.update(invoice.id, params={"discounts": ""})
    assert cleared.discounts == [] and cleared.total == 3800
    assert_totals(client, cleared)


def test_item_discount_applies_before_the_invoice_discount(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    half = client.v1.coupons.create(params={"percent_off": 50, "duration": "once"})
    tenth = client.v1.coupons.create(params={"percent_off": 10, "duration": "once"})
    discounted = item(client, customer.id, 2000, discounts=[{"coupon": half.id}])
    assert len(discounted.discounts) == 1
    item(client, customer.id, 1000)
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "pending_invoice_items_behavior": "include",
            "discounts": [{"coupon": tenth.id}],
        }
    )
    assert_totals(client, invoice)
    # 2000 -> 1000 by its own coupon, then 10% of 1000 and of the other line's 1000.
    assert invoice.total == 3000 - 1000 - 100 - 100


def test_coupon_limited_to_products(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    product = client.v1.products.create(params={"name": "Widget"})
    price = client.v1.prices.create(
        params={"product": product.id, "unit_amount": 1000, "currency": "usd"}
    )
    coupon = client.v1.coupons.create(
        params={"percent_off": 50, "duration": "once", "applies_to": {"products": [product.id]}}
    )
    client.v1.invoice_items.create(params={"customer": customer.id, "pricing": {"price": price.id}})
    item(client, customer.id, 1000)
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "pending_invoice_items_behavior": "include",
            "discounts": [{"coupon": coupon.id}],
        }
    )
    assert_totals(client, invoice)
    assert invoice.total == 1500


def test_customer_discount_applies_to_invoices_without_their_own() -> None:
    """At this API version a customer's discount comes from elsewhere (Checkout, the
    Dashboard): it is set here through the discounts module, in-process."""
    from stripekit.sandbox import Sandbox
    from stripekit.sandbox.resources import discounts

    with Sandbox() as sandbox:
        client = sandbox.client()
        coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "forever"})
        customer = client.v1.customers.create()
        sandbox.run_as(
            lambda ctx: discounts.create_discount(ctx, coupon=coupon.id, customer=customer.id)
        )
        assert client.v1.customers.retrieve(customer.id).discount.source.coupon == coupon.id
        invoice = draft(client, customer.id, 1000)
        assert invoice.total == 800
        assert_totals(client, invoice)


# -- lines ----------------------------------------------------------------------------------------


def test_lines_embed_ten_and_the_lines_list_pages(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = draft(client, customer.id, *range(100, 1300, 100))
    assert len(invoice.lines.data) == 10 and invoice.lines.has_more is True
    assert invoice.lines.total_count == 12 and invoice.subtotal == sum(range(100, 1300, 100))
    page = client.v1.invoices.line_items.list(invoice.id, params={"limit": 5})
    assert len(page.data) == 5 and page.has_more and page.url == f"/v1/invoices/{invoice.id}/lines"
    rest = client.v1.invoices.line_items.list(
        invoice.id, params={"limit": 10, "starting_after": page.data[-1].id}
    )
    assert len(rest.data) == 7 and rest.has_more is False
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.line_items.list(invoice.id, params={"starting_after": "il_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")


def test_add_update_and_remove_lines_on_a_draft(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    added = client.v1.invoices.add_lines(
        invoice.id, params={"lines": [{"amount": 999, "description": "Extra line"}]}
    )
    assert_totals(client, added)
    (line,) = added.lines.data
    assert line.amount == 999 and line.description == "Extra line"
    item_id = line.parent.invoice_item_details.invoice_item
    assert client.v1.invoice_items.retrieve(item_id).invoice == invoice.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.add_lines(invoice.id, params={"lines": [{"amount": 100, "quantity": 2}]})
    assert_stripe_error(
        exc.value,
        status=400,
        param="lines[0][amount]",
        message="You may only specify one of these parameters: amount, quantity.",
    )
    updated_line = client.v1.invoices.line_items.update(
        invoice.id, line.id, params={"amount": 777, "description": "Extra line (revised)"}
    )
    assert updated_line.id == line.id and updated_line.amount == 777
    assert updated_line.pricing.price_details.price != line.pricing.price_details.price
    assert client.v1.invoice_items.retrieve(item_id).amount == 777
    again = client.v1.invoices.update_lines(
        invoice.id,
        params={"lines": [{"id": line.id, "amount": 888}], "invoice_metadata": {"v": "2"}},
    )
    assert again.total == 888 and again.metadata.to_dict() == {"v": "2"}
    assert_totals(client, again)
    pending = item(client, customer.id, 300)
    with_it = client.v1.invoices.add_lines(
        invoice.id, params={"lines": [{"invoice_item": pending.id}]}
    )
    assert with_it.total == 1188
    unassigned = client.v1.invoices.remove_lines(
        invoice.id,
        params={
            "lines": [
                {"id": with_it.lines.data[-1].id, "behavior": "unassign"},
                {"id": line.id, "behavior": "delete"},
            ]
        },
    )
    assert unassigned.lines.data == [] and unassigned.total == 0
    assert client.v1.invoice_items.retrieve(pending.id).invoice is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoice_items.retrieve(item_id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.update_lines(invoice.id, params={"lines": [{"id": "il_nope"}]})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="lines[0][id]")
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.add_lines(invoice.id, params={"lines": [{"amount": 1}]})
    assert_stripe_error(
        exc.value,
        status=400,
        code="invoice_not_editable",
        message="Invalid invoice: This invoice is no longer editable",
    )


# -- lists, search, previews, payments -------------------------------------------------------


def test_list_filters_and_pagination(client: stripe.StripeClient) -> None:
    alice = client.v1.customers.create()
    bob = client.v1.customers.create()
    a1 = draft(client, alice.id, 1000)
    a2 = client.v1.invoices.finalize_invoice(draft(client, alice.id, 2000).id)
    b1 = draft(client, bob.id, 3000, collection_method="send_invoice", days_until_due=3)
    ids = lambda page: [i.id for i in page.data]  # noqa: E731
    assert ids(client.v1.invoices.list()) == [b1.id, a2.id, a1.id]
    assert ids(client.v1.invoices.list(params={"customer": alice.id})) == [a2.id, a1.id]
    assert ids(client.v1.invoices.list(params={"status": "open"})) == [a2.id]
    assert ids(client.v1.invoices.list(params={"collection_method": "send_invoice"})) == [b1.id]
    assert ids(client.v1.invoices.list(params={"due_date": {"gt": b1.created}})) == [b1.id]
    assert ids(client.v1.invoices.list(params={"created": {"gte": a1.created}}))[-1] == a1.id
    first = client.v1.invoices.list(params={"limit": 2})
    assert first.has_more and ids(first) == [b1.id, a2.id]
    second = client.v1.invoices.list(params={"limit": 2, "starting_after": a2.id})
    assert ids(second) == [a1.id] and second.has_more is False
    assert client.v1.invoices.list(params={"subscription": "sub_nope"}).data == []
    for invoice in client.v1.invoices.list().data:
        assert_totals(client, invoice)


def test_search(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    small = client.v1.invoices.finalize_invoice(draft(client, customer.id, 500).id)
    big = draft(client, customer.id, 5000, metadata={"order": "42"})
    found = client.v1.invoices.search(params={"query": "status:'open'"})
    assert [i.id for i in found.data] == [small.id]
    found = client.v1.invoices.search(params={"query": "total>1000"})
    assert [i.id for i in found.data] == [big.id]
    found = client.v1.invoices.search(params={"query": "metadata['order']:'42'"})
    assert [i.id for i in found.data] == [big.id]
    found = client.v1.invoices.search(params={"query": f"customer:'{customer.id}'"})
    assert {i.id for i in found.data} == {small.id, big.id}


def test_create_preview_shows_the_next_invoice_and_stores_nothing(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create()
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "once"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.create_preview(params={"customer": customer.id})
    assert_stripe_error(
        exc.value,
        status=400,
        code="invoice_upcoming_none",
        message=f"No upcoming invoices for customer: {customer.id}",
    )
    pending = item(client, customer.id, 2000)
    before = types_of(client)
    preview = client.v1.invoices.create_preview(
        params={
            "customer": customer.id,
            "invoice_items": [{"amount": 500, "currency": "usd", "description": "Extra"}],
            "discounts": [{"coupon": coupon.id}],
        }
    )
    assert preview.id.startswith("upcoming_in_") and preview.status == "draft"
    assert preview.subtotal == 2500 and preview.total == 2250
    assert_totals(client, preview)
    assert pending.id in [
        line.parent.invoice_item_details.invoice_item for line in preview.lines.data
    ]
    assert client.v1.invoices.list().data == []
    assert [i.id for i in client.v1.invoice_items.list().data] == [pending.id]
    assert client.v1.invoice_items.retrieve(pending.id).invoice is None
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 0
    assert types_of(client) == before
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.create_preview(params={})
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="customer")


def test_invoice_payments_list_and_retrieve(client: stripe.StripeClient) -> None:
    customer, _ = customer_with_card(client)
    invoice = client.v1.invoices.pay(draft(client, customer.id, 1000).id)
    listed = client.v1.invoice_payments.list(params={"invoice": invoice.id})
    (payment,) = listed.data
    assert payment.status == "paid" and payment.invoice == invoice.id
    assert client.v1.invoice_payments.retrieve(payment.id).to_dict() == payment.to_dict()
    intent = payment.payment.payment_intent
    by_intent = client.v1.invoice_payments.list(
        params={"payment": {"type": "payment_intent", "payment_intent": intent}}
    )
    assert [p.id for p in by_intent.data] == [payment.id]
    assert client.v1.invoice_payments.list(params={"status": "open"}).data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_payments.retrieve("inpay_nope")
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="invoice_payment")


def test_attach_payment_pays_part_then_the_rest(client: stripe.StripeClient) -> None:
    customer, pm = customer_with_card(client)
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 3000).id)
    part = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    partly = client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": part.id})
    assert partly.status == "open" and partly.amount_paid == 1000
    assert partly.amount_remaining == 2000
    assert_totals(client, partly)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": part.id})
    assert_stripe_error(exc.value, status=400, param="payment_intent")
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 3000
    charges = client.v1.charges.list(params={"customer": customer.id}).data
    assert sorted(c.amount for c in charges) == [1000, 2000]


def test_paying_the_invoice_payment_intent_directly_pays_the_invoice(
    client: stripe.StripeClient,
) -> None:
    """Stripe.js confirms the invoice's PaymentIntent with `confirmation_secret`; the
    invoice takes that payment (no second charge)."""
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 2100).id)
    secret = client.v1.invoices.retrieve(
        invoice.id, params={"expand": ["confirmation_secret"]}
    ).confirmation_secret.client_secret
    intent_id = secret.split("_secret_")[0]
    confirmed = client.v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}
    )
    assert confirmed.status == "succeeded" and confirmed.amount == 2100
    # The payment reaches the invoice at once; paying it again is refused.
    paid = client.v1.invoices.retrieve(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 2100
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(invoice.id)
    assert_totals(client, paid)
    assert len(client.v1.charges.list().data) == 1


def test_automatic_finalization_that_fails_is_recorded(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    invoice = draft(client, customer.id, 1000, auto_advance=True)
    client.v1.customers.delete(customer.id)
    sk.sandbox.advance_clock(3602)
    failed = client.v1.invoices.retrieve(invoice.id)
    assert failed.status == "draft" and failed.automatically_finalizes_at is None
    assert failed.last_finalization_error.type == "invalid_request_error"
    assert types_of(client, "invoice.")[-1] == "invoice.finalization_failed"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.finalize_invoice(invoice.id)


def test_the_money_of_paid_invoices_adds_up_in_the_balance(client: stripe.StripeClient) -> None:
    customer, _ = customer_with_card(client)
    totals = 0
    for amounts in ((1000,), (2500, 500), (700,)):
        paid = client.v1.invoices.pay(draft(client, customer.id, *amounts).id)
        assert paid.status == "paid"
        totals += paid.amount_paid
    client.v1.invoices.pay(draft(client, customer.id, 900).id, params={"paid_out_of_band": True})
    assert_books_balance(client)
    available, pending = balance_of(client)
    charges = client.v1.charges.list(params={"customer": customer.id}).data
    assert sum(c.amount for c in charges) == totals == 4700
    fees = sum(ledger.card_fee(c.amount, "usd") for c in charges)
    assert available + pending == totals - fees
