"""Customer balance transactions through the official SDK, in both modes: the ledger
behind `customer.balance` (credits negative, debits positive), its one currency, and the
transactions invoices add when they use the balance."""

from __future__ import annotations

import pytest
import stripe
from test_invoices import assert_totals, draft

from conftest import assert_stripe_error


def test_create_moves_the_balance_and_has_stripe_shape(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    assert customer.currency is None
    txn = client.v1.customers.balance_transactions.create(
        customer.id,
        params={
            "amount": -500,
            "currency": "usd",
            "description": "Goodwill",
            "metadata": {"ticket": "7"},
        },
    )
    assert txn.id.startswith("cbtxn_") and txn.object == "customer_balance_transaction"
    assert (txn.amount, txn.ending_balance, txn.type) == (-500, -500, "adjustment")
    assert txn.customer == customer.id and txn.currency == "usd" and txn.invoice is None
    assert txn.description == "Goodwill" and txn.metadata.to_dict() == {"ticket": "7"}
    assert txn.credit_note is None and txn.checkout_session is None and txn.livemode is False
    after = client.v1.customers.retrieve(customer.id)
    assert after.balance == -500 and after.currency == "usd"
    debit = client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": 200, "currency": "usd"}
    )
    assert debit.ending_balance == -300
    assert client.v1.customers.retrieve(customer.id).balance == -300
    event = client.v1.events.list(params={"type": "customer.updated"}).data[-1]
    assert event.data.previous_attributes.to_dict() == {"balance": 0, "currency": None}


def test_retrieve_update_list(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    other = client.v1.customers.create()
    first = client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": -100, "currency": "usd"}
    )
    second = client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": -200, "currency": "usd"}
    )
    client.v1.customers.balance_transactions.create(
        other.id, params={"amount": 50, "currency": "usd"}
    )
    fetched = client.v1.customers.balance_transactions.retrieve(customer.id, first.id)
    assert fetched.to_dict() == first.to_dict()
    updated = client.v1.customers.balance_transactions.update(
        customer.id, first.id, params={"description": "Fixed", "metadata": {"a": "b"}}
    )
    assert updated.description == "Fixed" and updated.metadata.to_dict() == {"a": "b"}
    assert updated.amount == -100  # the amount never changes
    listed = client.v1.customers.balance_transactions.list(customer.id)
    assert [t.id for t in listed.data] == [second.id, first.id]
    assert listed.url == f"/v1/customers/{customer.id}/balance_transactions"
    page = client.v1.customers.balance_transactions.list(customer.id, params={"limit": 1})
    assert [t.id for t in page.data] == [second.id] and page.has_more


def test_refusals(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    other = client.v1.customers.create()
    theirs = client.v1.customers.balance_transactions.create(
        other.id, params={"amount": 50, "currency": "usd"}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.balance_transactions.create(
            "cus_nope", params={"amount": 1, "currency": "usd"}
        )
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="customer",
        message="No such customer: 'cus_nope'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.balance_transactions.retrieve(customer.id, theirs.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="transaction")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.balance_transactions.update(
            customer.id, "cbtxn_nope", params={"description": "x"}
        )
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="transaction")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.balance_transactions.create(
            customer.id, params={"amount": 0, "currency": "usd"}
        )
    assert_stripe_error(exc.value, status=400, param="amount")
    client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": -100, "currency": "usd"}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.balance_transactions.create(
            customer.id, params={"amount": -100, "currency": "eur"}
        )
    assert_stripe_error(exc.value, status=400, param="currency")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.balance_transactions.create(customer.id, params={"amount": 5})
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="currency")
    assert client.v1.customers.retrieve(customer.id).balance == -100


def test_invoices_record_what_they_use(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": -700, "currency": "usd"}
    )
    invoice = client.v1.invoices.finalize_invoice(draft(client, customer.id, 500).id)
    assert invoice.status == "paid" and invoice.ending_balance == -200
    by_invoice = client.v1.customers.balance_transactions.list(
        customer.id, params={"invoice": invoice.id}
    )
    (txn,) = by_invoice.data
    assert (txn.type, txn.amount, txn.ending_balance) == ("applied_to_invoice", 500, -200)
    # The balance is always the sum of its transactions.
    every = client.v1.customers.balance_transactions.list(customer.id).data
    assert sum(t.amount for t in every) == client.v1.customers.retrieve(customer.id).balance


def test_a_draft_follows_the_balance_until_finalized(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = draft(client, customer.id, 2000)
    assert invoice.starting_balance == 0 and invoice.amount_due == 2000
    client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": -500, "currency": "usd"}
    )
    again = client.v1.invoices.retrieve(invoice.id)
    assert again.starting_balance == -500 and again.amount_due == 1500
    assert_totals(client, again)
    listed = client.v1.invoices.list(params={"customer": customer.id}).data[0]
    assert listed.amount_due == 1500
    final = client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": -100, "currency": "usd"}
    )
    frozen = client.v1.invoices.retrieve(final.id)
    assert frozen.starting_balance == -500 and frozen.amount_due == 1500
