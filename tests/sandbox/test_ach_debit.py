"""ACH Direct Debit, a delayed-settlement payment method: us_bank_account PaymentMethods
from Stripe's test routing and account numbers, PaymentIntents that wait for microdeposit
verification (`verify_with_microdeposits`), then in `processing` until sandbox time
settles the debit (succeeded, or failed with the account's failure code), wrong
microdeposit values and exhausted attempts, mandates, and the inputs Stripe refuses."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error

ROUTING = "110000000"
SUCCEEDS = "000123456789"
ACCOUNT_CLOSED = "000111111113"
INSUFFICIENT_FUNDS = "000222222227"
STAYS_PROCESSING = "000000000009"
HOLDER = {"name": "Jenny Rosen", "email": "jenny@example.com"}
MANDATE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"},
    }
}


def types_of(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]


def ach_method(client: stripe.StripeClient, account: str = SUCCEEDS) -> Any:
    return client.v1.payment_methods.create(
        params={
            "type": "us_bank_account",
            "us_bank_account": {
                "routing_number": ROUTING,
                "account_number": account,
                "account_holder_type": "individual",
                "account_type": "checking",
            },
            "billing_details": HOLDER,
        }
    )


def debit(client: stripe.StripeClient, account: str = SUCCEEDS, amount: int = 2500) -> Any:
    """A confirmed USD PaymentIntent paid by a new us_bank_account PaymentMethod."""
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method_types": ["us_bank_account"],
            "payment_method": ach_method(client, account).id,
            "payment_method_options": {"us_bank_account": {"verification_method": "microdeposits"}},
            "confirm": True,
            "mandate_data": MANDATE,
        }
    )


def verify(client: stripe.StripeClient, intent_id: str, **params: Any) -> Any:
    return client.v1.payment_intents.verify_microdeposits(intent_id, params=params)


# -- PaymentMethods ---------------------------------------------------------------------------


def test_create_stores_the_bank_account_not_its_number(client: stripe.StripeClient) -> None:
    pm = ach_method(client)
    assert pm.type == "us_bank_account"
    details = pm.us_bank_account
    assert details.bank_name == "STRIPE TEST BANK"
    assert (details.routing_number, details.last4) == (ROUTING, "6789")
    assert (details.account_holder_type, details.account_type) == ("individual", "checking")
    assert details.networks.preferred == "ach"
    assert "account_number" not in details
    assert ach_method(client).us_bank_account.fingerprint == details.fingerprint
    assert ach_method(client, ACCOUNT_CLOSED).us_bank_account.fingerprint != details.fingerprint
    assert client.v1.payment_methods.retrieve(pm.id).us_bank_account.last4 == "6789"


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"us_bank_account": {"routing_number": "110000001", "account_number": SUCCEEDS},
          "billing_details": HOLDER}, "us_bank_account[routing_number]", "routing_number_invalid"),
        ({"us_bank_account": {"routing_number": ROUTING}, "billing_details": HOLDER},
         "us_bank_account[account_number]", "parameter_missing"),
        ({"us_bank_account": {"routing_number": ROUTING, "account_number": SUCCEEDS},
          "billing_details": {"email": "j@example.com"}}, "billing_details[name]",
         "parameter_missing"),
    ],
)  # fmt: skip
def test_bad_ach_payment_methods_are_refused(
    sk: Harness, params: dict[str, Any], param: str, code: str
) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.create(params={"type": "us_bank_account", **params})
    assert_stripe_error(exc.value, status=400, code=code, param=param)
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    assert types_of(client) == ["customer.created"]


def test_a_non_usd_intent_is_refused(sk: Harness) -> None:
    client = sk.client
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create(
            params={"amount": 2500, "currency": "eur", "payment_method_types": ["us_bank_account"]}
        )
    assert_stripe_error(exc.value, status=400, param="currency")
    assert "us_bank_account only supports the following currencies: usd" in str(
        exc.value.user_message
    )
    assert client.v1.payment_intents.list().data == []


# -- PaymentIntents: microdeposits, then processing, then settled ----------------------------


def test_microdeposit_amounts_verify_and_the_debit_settles(sk: Harness) -> None:
    client = sk.client
    intent = debit(client, amount=10_000)
    assert intent.status == "requires_action"
    action = intent.next_action
    assert action.type == "verify_with_microdeposits"
    assert action.verify_with_microdeposits.microdeposit_type == "amounts"
    assert action.verify_with_microdeposits.arrival_date > intent.created
    assert intent.id in action.verify_with_microdeposits.hosted_verification_url
    assert intent.latest_charge is None
    verified = verify(client, intent.id, amounts=[32, 45])
    assert verified.status == "processing"
    assert verified.next_action is None
    charge = client.v1.charges.retrieve(verified.latest_charge)
    assert charge.payment_method_details.type == "us_bank_account"
    details = charge.payment_method_details.us_bank_account
    assert (details.bank_name, details.last4, details.routing_number) == (
        "STRIPE TEST BANK",
        "6789",
        ROUTING,
    )
    # Stripe's test accounts settle at once: the next request sees the outcome.
    settled = client.v1.payment_intents.retrieve(intent.id)
    assert (settled.status, settled.amount_received) == ("succeeded", 10_000)
    charge = client.v1.charges.retrieve(settled.latest_charge)
    assert (charge.status, charge.paid) == ("succeeded", True)
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.amount, txn.fee) == (10_000, 80)  # 0.8%
    mandate = client.v1.mandates.retrieve(details.mandate)
    assert mandate.payment_method_details.type == "us_bank_account"
    assert mandate.customer_acceptance.type == "online"
    assert (mandate.status, mandate.type) == ("active", "single_use")
    types = types_of(client)
    assert types.index("payment_intent.requires_action") < types.index("charge.pending")
    assert types.index("payment_intent.processing") < types.index("payment_intent.succeeded")


def test_the_fee_is_capped_at_five_dollars(client: stripe.StripeClient) -> None:
    intent = verify(client, debit(client, amount=1_000_000).id, descriptor_code="SM11AA")
    charge = client.v1.charges.retrieve(client.v1.payment_intents.retrieve(intent.id).latest_charge)
    assert client.v1.balance_transactions.retrieve(charge.balance_transaction).fee == 500


@pytest.mark.parametrize(
    ("account", "code"),
    [(ACCOUNT_CLOSED, "account_closed"), (INSUFFICIENT_FUNDS, "insufficient_funds")],
)
def test_failing_accounts_fail_with_their_code(sk: Harness, account: str, code: str) -> None:
    client = sk.client
    intent = verify(client, debit(client, account).id, amounts=[32, 45])
    assert intent.status == "processing"
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == code
    assert failed.last_payment_error.payment_method_type == "us_bank_account"
    charge = client.v1.charges.retrieve(failed.latest_charge)
    assert (charge.status, charge.failure_code) == ("failed", code)
    assert "payment_intent.payment_failed" in types_of(client)


def test_the_processing_account_never_settles(client: stripe.StripeClient) -> None:
    intent = verify(client, debit(client, STAYS_PROCESSING).id, amounts=[32, 45])
    assert client.v1.payment_intents.retrieve(intent.id).status == "processing"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.status == "pending"


def test_wrong_values_count_attempts_until_verification_fails(sk: Harness) -> None:
    client = sk.client
    intent = debit(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        verify(client, intent.id, amounts=[1, 2])
    assert_stripe_error(
        exc.value,
        status=400,
        code="payment_method_microdeposit_verification_amounts_mismatch",
        param="amounts",
    )
    assert "2 verification attempts remaining" in str(exc.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        verify(client, intent.id, descriptor_code="SM99ZZ")
    assert_stripe_error(
        exc.value,
        status=400,
        code="payment_method_microdeposit_verification_descriptor_code_mismatch",
        param="descriptor_code",
    )
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_action"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        verify(client, intent.id, amounts=[3, 4])
    assert_stripe_error(
        exc.value, status=400, code="payment_method_microdeposit_verification_attempts_exceeded"
    )
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == (
        "payment_method_microdeposit_verification_attempts_exceeded"
    )
    assert failed.latest_charge is None
    assert "payment_intent.payment_failed" in types_of(client)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"amounts": [10, 11]}, "payment_method_microdeposit_verification_attempts_exceeded"),
        ({"descriptor_code": "SM44DD"}, "payment_method_microdeposit_verification_timeout"),
    ],
)
def test_stripes_test_values_for_exhausted_attempts_and_timeouts(
    client: stripe.StripeClient, params: dict[str, Any], code: str
) -> None:
    intent = debit(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        verify(client, intent.id, **params)
    assert_stripe_error(exc.value, status=400, code=code)
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_verifying_an_intent_not_waiting_for_microdeposits_is_refused(
    client: stripe.StripeClient,
) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 2500, "currency": "usd", "payment_method_types": ["us_bank_account"]}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        verify(client, intent.id, amounts=[32, 45])
    assert_stripe_error(exc.value, status=400, code="payment_intent_unexpected_state")
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_a_verified_account_pays_again_without_microdeposits(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create()
    pm = ach_method(client)
    client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    params = {
        "amount": 2500,
        "currency": "usd",
        "customer": customer.id,
        "payment_method_types": ["us_bank_account"],
        "payment_method": pm.id,
        "confirm": True,
        "mandate_data": MANDATE,
        "setup_future_usage": "off_session",
    }
    first = client.v1.payment_intents.create(params=params)
    assert verify(client, first.id, amounts=[32, 45]).status == "processing"
    second = client.v1.payment_intents.create(params={**params, "mandate_data": None})
    assert second.status == "processing"
    charge = client.v1.charges.retrieve(second.latest_charge)
    mandate = client.v1.mandates.retrieve(charge.payment_method_details.us_bank_account.mandate)
    assert mandate.type == "multi_use"
