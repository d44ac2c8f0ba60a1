"""SEPA Direct Debit, a delayed-settlement payment method: sepa_debit PaymentMethods from
Stripe's test IBANs, PaymentIntents that wait in `processing` until sandbox time settles
the debit (succeeded, failed with the IBAN's failure code, or disputed), refunds of a
settled debit, Checkout Sessions that complete unpaid and then hear
`checkout.session.async_payment_*`, and the inputs Stripe refuses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe

from conftest import Harness, assert_stripe_error

SUCCEEDS = "DE89370400440532013000"
SUCCEEDS_LATE = "DE08370400440532013003"
FAILS = "DE62370400440532013001"
FAILS_LATE = "AT051904300235473205"
DISPUTED = "DE35370400440532013002"
INSUFFICIENT_FUNDS = "FR9720041010050000002222227"
HOLDER = {"name": "Jenny Rosen", "email": "jenny@example.com"}
MANDATE = {"customer_acceptance": {"type": "offline"}}
THREE_MINUTES = 180


def types_of(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]


def sepa_method(client: stripe.StripeClient, iban: str = SUCCEEDS) -> Any:
    return client.v1.payment_methods.create(
        params={"type": "sepa_debit", "sepa_debit": {"iban": iban}, "billing_details": HOLDER}
    )


def debit(client: stripe.StripeClient, iban: str, amount: int = 2500, **extra: Any) -> Any:
    """A confirmed EUR PaymentIntent paid by a new sepa_debit PaymentMethod."""
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "eur",
            "payment_method_types": ["sepa_debit"],
            "payment_method": sepa_method(client, iban).id,
            "confirm": True,
            "mandate_data": MANDATE,
            **extra,
        }
    )


# -- PaymentMethods ---------------------------------------------------------------------------


def test_create_stores_the_bank_account_not_the_iban(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "FR14 2004 1010 0505 0001 3M02 606"},
            "billing_details": HOLDER,
            "metadata": {"order": "42"},
        }
    )
    assert pm.type == "sepa_debit"
    assert pm.billing_details.name == "Jenny Rosen"
    assert pm.billing_details.email == "jenny@example.com"
    assert pm.metadata.to_dict() == {"order": "42"}
    details = pm.sepa_debit
    assert (details.country, details.bank_code, details.branch_code) == ("FR", "20041", "01005")
    assert details.last4 == "2606"
    assert details.generated_from.charge is None
    assert "iban" not in details
    again = sepa_method(client, "FR1420041010050500013M02606")
    assert again.sepa_debit.fingerprint == details.fingerprint
    assert sepa_method(client, SUCCEEDS).sepa_debit.fingerprint != details.fingerprint
    german = sepa_method(client, SUCCEEDS).sepa_debit
    assert (german.bank_code, german.branch_code, german.last4) == ("37040044", "", "3000")
    assert client.v1.payment_methods.retrieve(pm.id).sepa_debit.last4 == "2606"


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"sepa_debit": {"iban": "DE89370400440532013001"}, "billing_details": HOLDER},
         "sepa_debit[iban]", "invalid_bank_account_iban"),
        ({"sepa_debit": {"iban": "US89370400440532013000"}, "billing_details": HOLDER},
         "sepa_debit[iban]", "invalid_bank_account_iban"),
        ({"billing_details": HOLDER}, "sepa_debit[iban]", "parameter_missing"),
        ({"sepa_debit": {"iban": SUCCEEDS}, "billing_details": {"email": "j@example.com"}},
         "billing_details[name]", "parameter_missing"),
        ({"sepa_debit": {"iban": SUCCEEDS}, "billing_details": {"name": "Jenny Rosen"}},
         "billing_details[email]", "parameter_missing"),
    ],
)  # fmt: skip
def test_bad_sepa_payment_methods_are_refused(
    sk: Harness, params: dict[str, Any], param: str, code: str
) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.create(params={"type": "sepa_debit", **params})
    assert_stripe_error(exc.value, status=400, code=code, param=param)
    # Nothing was stored, and nothing happened.
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    assert types_of(client) == ["customer.created"]


# -- PaymentIntents: processing, then settled by sandbox time -------------------------------


def test_a_delayed_success_settles_after_three_minutes(sk: Harness) -> None:
    client = sk.client
    intent = debit(client, SUCCEEDS_LATE, amount=10_000)
    assert intent.status == "processing"
    assert intent.amount_received == 0
    assert intent.payment_method_options.sepa_debit is not None
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.captured) == ("pending", False, True)
    assert charge.balance_transaction is None
    details = charge.payment_method_details
    assert details.type == "sepa_debit"
    assert details.sepa_debit.last4 == "3003"
    assert client.v1.mandates.retrieve(details.sepa_debit.mandate).type == "single_use"
    assert types_of(client) == [
        "payment_intent.created",
        "charge.pending",
        "payment_intent.processing",
    ]

    sk.sandbox.advance_clock(60)
    assert client.v1.payment_intents.retrieve(intent.id).status == "processing"
    sk.sandbox.advance_clock(THREE_MINUTES)
    settled = client.v1.payment_intents.retrieve(intent.id)
    assert (settled.status, settled.amount_received) == ("succeeded", 10_000)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid) == ("succeeded", True)
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    # SEPA Direct Debit on a US account: 0.8%, capped at 5.00.
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (10_000, 80, 9_920, "eur")
    assert txn.source == charge.id
    assert types_of(client)[3:] == ["charge.succeeded", "payment_intent.succeeded"]
    pending = {b.currency: b.amount for b in client.v1.balance.retrieve().pending}
    assert pending["eur"] == 9_920


def test_the_fee_is_capped(client: stripe.StripeClient) -> None:
    intent = debit(client, SUCCEEDS, amount=100_000)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert client.v1.balance_transactions.retrieve(charge.balance_transaction).fee == 500


def test_an_immediate_success_settles_before_the_next_request(
    client: stripe.StripeClient,
) -> None:
    intent = debit(client, SUCCEEDS)
    assert intent.status == "processing"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert types_of(client) == [
        "payment_intent.created",
        "charge.pending",
        "payment_intent.processing",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_a_delayed_failure_returns_the_intent_to_requires_payment_method(sk: Harness) -> None:
    client = sk.client
    intent = debit(client, FAILS_LATE)
    assert intent.status == "processing"
    sk.sandbox.advance_clock(THREE_MINUTES + 1)
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.payment_method is None
    assert failed.amount_received == 0
    error = failed.last_payment_error
    assert (error.code, error.type, error.payment_method_type) == (
        "generic_could_not_process",
        "card_error",
        "sepa_debit",
    )
    assert error.charge == intent.latest_charge
    assert error.payment_method.type == "sepa_debit"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.captured) == ("failed", False, False)
    assert charge.failure_code == "generic_could_not_process"
    assert charge.balance_transaction is None
    assert types_of(client)[3:] == ["charge.failed", "payment_intent.payment_failed"]
    assert client.v1.balance_transactions.list().data == []


def test_failure_codes_follow_the_test_iban(client: stripe.StripeClient) -> None:
    intent = debit(client, INSUFFICIENT_FUNDS)
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.last_payment_error.code == "insufficient_funds"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.failure_code == "insufficient_funds"
    assert charge.outcome.type == "issuer_declined"
    # The intent takes another PaymentMethod and tries again.
    retried = client.v1.payment_intents.confirm(
        intent.id,
        params={"payment_method": sepa_method(client, SUCCEEDS).id, "mandate_data": MANDATE},
    )
    assert retried.status == "processing"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_the_disputed_iban_succeeds_then_is_disputed(client: stripe.StripeClient) -> None:
    intent = debit(client, DISPUTED)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.disputed is True
    dispute = client.v1.disputes.retrieve(charge.dispute)
    assert (dispute.amount, dispute.status) == (2500, "needs_response")
    assert types_of(client)[3:] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    ]


def test_a_processing_debit_cannot_be_canceled_or_refunded(client: stripe.StripeClient) -> None:
    intent = debit(client, SUCCEEDS_LATE)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.cancel(intent.id)
    assert_stripe_error(exc.value, status=400, code="payment_intent_unexpected_state")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create(params={"charge": intent.latest_charge})
    assert_stripe_error(
        exc.value,
        status=400,
        message=f"Charge {intent.latest_charge} has a status of pending and cannot be refunded.",
    )
    assert client.v1.payment_intents.retrieve(intent.id).status == "processing"


def test_a_settled_debit_is_refunded(client: stripe.StripeClient) -> None:
    intent = debit(client, SUCCEEDS, amount=4000)
    client.v1.payment_intents.retrieve(intent.id)  # settles it
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1500})
    assert (refund.status, refund.amount) == ("succeeded", 1500)
    assert refund.destination_details.type == "sepa_debit"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1500, False)
    txn = client.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert (txn.amount, txn.currency) == (-1500, "eur")


def test_saving_for_later_attaches_the_bank_account(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    intent = debit(client, SUCCEEDS, customer=customer.id, setup_future_usage="off_session")
    attached = client.v1.customers.payment_methods.list(customer.id, params={"type": "sepa_debit"})
    assert [pm.id for pm in attached.data] == [intent.payment_method]
    # Saved, it pays again off-session.
    again = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method_types": ["sepa_debit"],
            "payment_method": intent.payment_method,
            "off_session": True,
            "confirm": True,
        }
    )
    assert again.status == "processing"
    assert client.v1.payment_intents.retrieve(again.id).status == "succeeded"


# -- refusals ---------------------------------------------------------------------------------


def test_sepa_debits_are_in_euros_only(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "payment_method_types": ["sepa_debit"]}
        )
    assert_stripe_error(
        exc.value,
        status=400,
        param="currency",
        message=(
            "The currency provided (usd) is invalid for one or more payment method types on "
            "this PaymentIntent. The payment method type sepa_debit only supports the "
            "following currencies: eur. Either correct the provided currency, or use a "
            "different PaymentIntent to accept this payment method type."
        ),
    )
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "payment_method_types": ["sepa_debit"]}
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.update(intent.id, params={"currency": "usd"})
    assert client.v1.payment_intents.retrieve(intent.id).currency == "eur"
    assert types_of(client) == ["payment_intent.created"]


def test_a_card_only_intent_refuses_a_bank_account(client: stripe.StripeClient) -> None:
    pm = sepa_method(client)
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "payment_method_types": ["card"]}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": pm.id})
    assert_stripe_error(exc.value, status=400, param="payment_method")
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    assert client.v1.charges.list().data == []


# -- Checkout: completed unpaid, then the debit's outcome ---------------------------------------


def sepa_session(client: stripe.StripeClient) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "payment_method_types": ["card", "sepa_debit"],
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 1800,
                        "product_data": {"name": "Abo"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://shop.example.com/thanks",
        }
    )


def complete_with_iban(sk: Harness, session_id: str, iban: str) -> Any:
    return sk.raw(
        "POST",
        f"/_sandbox/checkout/sessions/{session_id}/complete",
        body=f"iban={iban}&name=Jenny+Rosen",
    )


@pytest.mark.parametrize(
    ("iban", "payment_status", "event"),
    [
        (SUCCEEDS_LATE, "paid", "checkout.session.async_payment_succeeded"),
        (FAILS_LATE, "unpaid", "checkout.session.async_payment_failed"),
    ],
)
def test_checkout_completes_unpaid_then_hears_the_debit(
    sk: Harness, iban: str, payment_status: str, event: str
) -> None:
    client = sk.client
    session = sepa_session(client)
    done = complete_with_iban(sk, session.id, iban)
    assert done.status == 200, done.body
    assert (done.body["status"], done.body["payment_status"]) == ("complete", "unpaid")
    intent = client.v1.payment_intents.retrieve(done.body["payment_intent"])
    assert intent.status == "processing"
    completed = client.v1.events.list(params={"type": "checkout.session.completed"}).data
    assert [e.data.object["payment_status"] for e in completed] == ["unpaid"]

    sk.sandbox.advance_clock(THREE_MINUTES + 1)
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert (after.status, after.payment_status) == ("complete", payment_status)
    heard = client.v1.events.list(params={"type": event}).data
    assert [e.data.object["id"] for e in heard] == [session.id]
    assert heard[0].data.object["payment_status"] == payment_status
    types = types_of(client)
    settled = (
        "payment_intent.succeeded" if payment_status == "paid" else "payment_intent.payment_failed"
    )
    assert types.index(settled) < types.index(event)


def test_checkout_refuses_an_iban_it_does_not_accept(sk: Harness) -> None:
    client = sk.client
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 1800,
                        "product_data": {"name": "Abo"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://shop.example.com/thanks",
        }
    )
    refused = complete_with_iban(sk, session.id, SUCCEEDS)
    assert refused.status == 402
    assert "SEPA Direct Debit" in refused.body["error"]["message"]
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.payment_intents.list().data == []


# -- Mandates ---------------------------------------------------------------------------------

ONLINE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0"},
    }
}


def test_a_one_off_debit_with_mandate_data_makes_a_single_use_mandate(
    sk: Harness,
) -> None:
    client = sk.client
    intent = debit(client, SUCCEEDS, amount=4200, mandate_data=ONLINE)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    mandate = client.v1.mandates.retrieve(charge.payment_method_details.sepa_debit.mandate)
    assert mandate.id.startswith("mandate_")
    assert (mandate.type, mandate.status) == ("single_use", "active")
    assert (mandate.single_use.amount, mandate.single_use.currency) == (4200, "eur")
    assert mandate.payment_method == intent.payment_method
    acceptance = mandate.customer_acceptance
    assert acceptance.type == "online"
    assert (acceptance.online.ip_address, acceptance.online.user_agent) == (
        "203.0.113.7",
        "Mozilla/5.0",
    )
    details = mandate.payment_method_details
    assert details.type == "sepa_debit"
    assert len(details.sepa_debit.reference) == 16
    page = sk.sandbox.engine.handle("GET", urlsplit(details.sepa_debit.url).path, "", {}, b"")
    assert page.status == 200 and details.sepa_debit.reference.encode() in page.body
    # No event announces a new mandate (Stripe documents mandate.updated only).
    assert not [t for t in types_of(client) if t.startswith("mandate.")]


def test_saving_for_later_makes_a_multi_use_mandate(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    intent = debit(client, SUCCEEDS, customer=customer.id, setup_future_usage="off_session")
    first = client.v1.charges.retrieve(intent.latest_charge)
    mandate = client.v1.mandates.retrieve(first.payment_method_details.sepa_debit.mandate)
    assert (mandate.type, mandate.customer_acceptance.type) == ("multi_use", "offline")
    assert mandate.customer_acceptance.accepted_at == first.created
    # A later off-session debit is made under the same mandate, named or not.
    for extra in ({"mandate": mandate.id}, {}):
        again = client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "eur",
                "customer": customer.id,
                "payment_method_types": ["sepa_debit"],
                "payment_method": intent.payment_method,
                "off_session": True,
                "confirm": True,
                **extra,
            }
        )
        charge = client.v1.charges.retrieve(again.latest_charge)
        assert charge.payment_method_details.sepa_debit.mandate == mandate.id


def test_an_unknown_or_foreign_mandate_is_refused(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    saved = debit(client, SUCCEEDS, customer=customer.id, setup_future_usage="off_session")
    other = debit(client, SUCCEEDS, mandate_data=MANDATE)
    foreign = client.v1.charges.retrieve(other.latest_charge).payment_method_details
    before = len(client.v1.charges.list().data)
    for mandate, code in (
        ("mandate_missing", "resource_missing"),
        (foreign.sepa_debit.mandate, None),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.payment_intents.create(
                params={
                    "amount": 1000,
                    "currency": "eur",
                    "customer": customer.id,
                    "payment_method_types": ["sepa_debit"],
                    "payment_method": saved.payment_method,
                    "off_session": True,
                    "confirm": True,
                    "mandate": mandate,
                }
            )
        assert_stripe_error(exc.value, status=400, code=code, param="mandate")
    assert len(client.v1.charges.list().data) == before
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.mandates.retrieve("mandate_missing")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="mandate",
        message="No such mandate: 'mandate_missing'",
    )


# -- SetupIntents -----------------------------------------------------------------------------


def sepa_setup(client: stripe.StripeClient, customer: str, iban: str = SUCCEEDS) -> Any:
    """A confirmed sepa_debit SetupIntent for `customer`."""
    return client.v1.setup_intents.create(
        params={
            "customer": customer,
            "payment_method_types": ["sepa_debit"],
            "payment_method": sepa_method(client, iban).id,
            "confirm": True,
            "mandate_data": ONLINE,
        }
    )


def test_a_sepa_setup_succeeds_at_once_with_its_mandate(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    setup = sepa_setup(client, customer.id)
    # SEPA needs no verification in test mode: no next_action, no waiting.
    assert (setup.status, setup.next_action) == ("succeeded", None)
    assert setup.payment_method_options.sepa_debit is not None
    assert "card" not in setup.payment_method_options
    mandate = client.v1.mandates.retrieve(setup.mandate)
    assert (mandate.type, mandate.status, mandate.payment_method) == (
        "multi_use",
        "active",
        setup.payment_method,
    )
    assert mandate.customer_acceptance.online.ip_address == "203.0.113.7"
    attached = client.v1.customers.payment_methods.list(customer.id)
    assert [pm.id for pm in attached.data] == [setup.payment_method]
    assert types_of(client)[-3:] == [
        "setup_intent.created",
        "payment_method.attached",
        "setup_intent.succeeded",
    ]
    # The saved bank account pays later off-session, under the set-up mandate.
    later = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method_types": ["sepa_debit"],
            "payment_method": setup.payment_method,
            "mandate": setup.mandate,
            "off_session": True,
            "confirm": True,
        }
    )
    assert later.status == "processing"
    assert client.v1.payment_intents.retrieve(later.id).status == "succeeded"
    charge = client.v1.charges.retrieve(later.latest_charge)
    assert charge.payment_method_details.sepa_debit.mandate == setup.mandate


def test_a_sepa_setup_confirmed_later_without_mandate_data(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    setup = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method_types": ["sepa_debit"]}
    )
    assert (setup.status, setup.mandate) == ("requires_payment_method", None)
    done = client.v1.setup_intents.confirm(
        setup.id, params={"payment_method": sepa_method(client, SUCCEEDS).id}
    )
    assert done.status == "succeeded"
    assert client.v1.mandates.retrieve(done.mandate).customer_acceptance.type == "offline"


def test_a_setup_intent_refuses_a_type_it_does_not_take(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    card_only = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method_types": ["card"]}
    )
    bank = sepa_method(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.confirm(card_only.id, params={"payment_method": bank.id})
    assert_stripe_error(exc.value, status=400, param="payment_method")
    assert client.v1.setup_intents.retrieve(card_only.id).status == "requires_payment_method"
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.create(
            params={
                "customer": customer.id,
                "payment_method_types": ["card"],
                "payment_method": bank.id,
            }
        )
    assert_stripe_error(exc.value, status=400, param="payment_method")
    assert len(client.v1.setup_intents.list().data) == 1


# -- Invoices and subscriptions paid by debit -------------------------------------------------

FROZEN = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400


def sepa_customer(client: stripe.StripeClient, iban: str, **extra: Any) -> Any:
    """A customer whose invoices are paid by a set-up SEPA debit."""
    customer = client.v1.customers.create(params=extra)
    setup = sepa_setup(client, customer.id, iban)
    return client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": setup.payment_method}}
    )


def open_invoice(client: stripe.StripeClient, customer: str, currency: str = "eur") -> Any:
    invoice = client.v1.invoices.create(
        params={"customer": customer, "auto_advance": False, "currency": currency}
    )
    client.v1.invoice_items.create(
        params={"customer": customer, "amount": 5000, "currency": currency, "invoice": invoice.id}
    )
    return client.v1.invoices.finalize_invoice(invoice.id)


def invoice_intent(client: stripe.StripeClient, invoice: Any) -> Any:
    payment = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data[0]
    return client.v1.payment_intents.retrieve(payment.payment.payment_intent)


def test_an_invoice_stays_open_until_its_debit_settles(sk: Harness) -> None:
    client = sk.client
    customer = sepa_customer(client, SUCCEEDS_LATE)
    invoice = open_invoice(client, customer.id)
    paying = client.v1.invoices.pay(invoice.id)
    assert (paying.status, paying.amount_paid, paying.attempted) == ("open", 0, True)
    intent = invoice_intent(client, invoice)
    assert intent.status == "processing"
    assert "sepa_debit" in intent.payment_method_types
    charge = client.v1.charges.retrieve(intent.latest_charge)
    setup_mandate = client.v1.setup_intents.list(params={"customer": customer.id}).data[0].mandate
    assert charge.payment_method_details.sepa_debit.mandate == setup_mandate
    sk.sandbox.advance_clock(60)
    assert client.v1.invoices.retrieve(invoice.id).status == "open"
    sk.sandbox.advance_clock(THREE_MINUTES)
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 5000, 0)
    types = types_of(client)
    assert types.index("payment_intent.succeeded") < types.index("invoice.paid")
    assert "invoice.payment_failed" not in types


def test_a_failing_iban_records_a_failed_invoice_payment(sk: Harness) -> None:
    client = sk.client
    customer = sepa_customer(client, FAILS_LATE)
    invoice = open_invoice(client, customer.id)
    assert client.v1.invoices.pay(invoice.id).status == "open"
    assert "invoice.payment_failed" not in types_of(client)
    sk.sandbox.advance_clock(THREE_MINUTES + 1)
    failed = client.v1.invoices.retrieve(invoice.id)
    assert (failed.status, failed.amount_paid, failed.attempt_count) == ("open", 0, 1)
    intent = invoice_intent(client, invoice)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "generic_could_not_process"
    heard = client.v1.events.list(params={"type": "invoice.payment_failed"}).data
    assert [e.data.object["id"] for e in heard] == [invoice.id]


def test_a_dollar_invoice_cannot_be_debited(client: stripe.StripeClient) -> None:
    customer = sepa_customer(client, SUCCEEDS)
    invoice = open_invoice(client, customer.id, currency="usd")
    before = types_of(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(invoice.id)
    assert_stripe_error(exc.value, status=400, param="currency")
    assert "sepa_debit only supports the following currencies: eur" in exc.value.user_message
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.attempted, after.attempt_count) == ("open", False, 0)
    assert types_of(client) == before
    assert client.v1.charges.list(params={"customer": customer.id}).data == []


def monthly_eur(client: stripe.StripeClient) -> Any:
    return client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 2000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Abo"},
        }
    )


def test_a_subscription_renews_by_debit_on_its_test_clock(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    customer = sepa_customer(client, SUCCEEDS_LATE, test_clock=clock.id)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly_eur(client).id}]}
    )
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert first.status == "open"
    assert invoice_intent(client, first).status == "processing"
    # Sandbox time does not settle a debit on a test clock: the clock does.
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": FROZEN + 600})
    assert client.v1.invoices.retrieve(first.id).status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"

    # The renewal a month later: finalized, debited, paid once its debit settles.
    renewal_at = sub.items.data[0].current_period_end
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": renewal_at + 2 * 3600}
    )
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": renewal_at + 3 * 3600}
    )
    invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
    assert [(i.billing_reason, i.status) for i in invoices] == [
        ("subscription_cycle", "paid"),
        ("subscription_create", "paid"),
    ]
    assert invoices[0].amount_paid == 2000
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_a_failing_renewal_leaves_the_subscription_past_due(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    customer = sepa_customer(client, SUCCEEDS, test_clock=clock.id)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly_eur(client).id}]}
    )
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": FROZEN + 60})
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    # The customer's bank account changes to one whose debits fail.
    failing = sepa_setup(client, customer.id, FAILS)
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": failing.payment_method}}
    )
    renewal_at = sub.items.data[0].current_period_end
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": renewal_at + 2 * 3600}
    )
    renewal = client.v1.invoices.list(params={"subscription": sub.id}).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.status, renewal.attempt_count) == ("open", 1)
    assert renewal.next_payment_attempt is not None
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
