"""ACH Direct Debit, a delayed-settlement payment method: us_bank_account PaymentMethods
from Stripe's test routing and account numbers, PaymentIntents that wait for microdeposit
verification (`verify_with_microdeposits`), then in `processing` until sandbox time
settles the debit (succeeded, or failed with the account's failure code), wrong
microdeposit values and exhausted attempts, mandates, SetupIntents verified the same way,
the hosted verification page, and the inputs Stripe refuses."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from test_three_d_secure import browse

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


# -- SetupIntents: microdeposits, then a verified account for off-session debits --------------


def setup(client: stripe.StripeClient, customer_id: str, account: str = SUCCEEDS) -> Any:
    """A confirmed SetupIntent for a new us_bank_account PaymentMethod."""
    return client.v1.setup_intents.create(
        params={
            "customer": customer_id,
            "payment_method_types": ["us_bank_account"],
            "payment_method": ach_method(client, account).id,
            "payment_method_options": {"us_bank_account": {"verification_method": "microdeposits"}},
            "confirm": True,
            "mandate_data": MANDATE,
        }
    )


def test_a_setup_intent_verifies_then_pays_off_session(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    intent = setup(client, customer.id)
    assert intent.status == "requires_action"
    assert intent.payment_method_options.us_bank_account.verification_method == "microdeposits"
    action = intent.next_action
    assert action.type == "verify_with_microdeposits"
    assert action.verify_with_microdeposits.microdeposit_type == "amounts"
    assert intent.id in action.verify_with_microdeposits.hosted_verification_url
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    verified = client.v1.setup_intents.verify_microdeposits(intent.id, params={"amounts": [32, 45]})
    assert (verified.status, verified.next_action) == ("succeeded", None)
    mandate = client.v1.mandates.retrieve(verified.mandate)
    assert (mandate.type, mandate.status) == ("multi_use", "active")
    assert mandate.payment_method == intent.payment_method
    attached = client.v1.customers.payment_methods.list(customer.id).data
    assert [pm.id for pm in attached] == [intent.payment_method]
    later = client.v1.payment_intents.create(
        params={
            "amount": 4200,
            "currency": "usd",
            "customer": customer.id,
            "payment_method_types": ["us_bank_account"],
            "payment_method": intent.payment_method,
            "off_session": True,
            "confirm": True,
        }
    )
    assert later.status == "processing"  # no microdeposits asked again
    charge = client.v1.charges.retrieve(later.latest_charge)
    assert charge.payment_method_details.us_bank_account.mandate == mandate.id
    assert client.v1.payment_intents.retrieve(later.id).status == "succeeded"
    types = types_of(client)
    assert types.index("setup_intent.requires_action") < types.index("setup_intent.succeeded")


def test_a_setup_intent_takes_the_descriptor_code(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    intent = setup(client, customer.id)
    verified = client.v1.setup_intents.verify_microdeposits(
        intent.id, params={"descriptor_code": "SM11AA"}
    )
    assert verified.status == "succeeded"


def test_wrong_setup_values_count_then_fail_the_setup(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    intent = setup(client, customer.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.verify_microdeposits(intent.id, params={"amounts": [1, 2]})
    assert_stripe_error(
        exc.value,
        status=400,
        code="payment_method_microdeposit_verification_amounts_mismatch",
        param="amounts",
    )
    assert client.v1.setup_intents.retrieve(intent.id).status == "requires_action"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.verify_microdeposits(
            intent.id, params={"descriptor_code": "SM44DD"}
        )
    assert_stripe_error(
        exc.value, status=400, code="payment_method_microdeposit_verification_timeout"
    )
    failed = client.v1.setup_intents.retrieve(intent.id)
    assert (failed.status, failed.payment_method) == ("requires_payment_method", None)
    assert failed.last_setup_error.code == "payment_method_microdeposit_verification_timeout"
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    assert "setup_intent.setup_failed" in types_of(client)


def test_verifying_a_setup_intent_not_waiting_is_refused(sk: Harness) -> None:
    client = sk.client
    intent = client.v1.setup_intents.create(params={"payment_method_types": ["us_bank_account"]})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.verify_microdeposits(intent.id, params={"amounts": [32, 45]})
    assert_stripe_error(exc.value, status=400, code="setup_intent_unexpected_state")
    after = client.v1.setup_intents.retrieve(intent.id)
    assert (after.status, after.last_setup_error) == ("requires_payment_method", None)
    assert types_of(client) == ["setup_intent.created"]


# -- the hosted verification page -------------------------------------------------------------


def test_the_hosted_page_shows_errors_then_verifies(sk: Harness) -> None:
    client = sk.client
    intent = debit(client)
    url = intent.next_action.verify_with_microdeposits.hosted_verification_url
    form = browse(sk, "GET", url)
    assert form.status == 200 and "name=amount_1" in form.text
    wrong = browse(sk, "POST", url, {"amount_1": "1", "amount_2": "2"})
    assert "do not match the amounts" in wrong.text
    assert "2 verification attempts remaining" in wrong.text
    done = browse(sk, "POST", url, {"amount_1": "32", "amount_2": "45"})
    assert "Bank account verified" in done.text
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert "Nothing to verify" not in browse(sk, "GET", url).text


def test_the_hosted_page_verifies_a_setup_intent(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    intent = setup(client, customer.id)
    url = intent.next_action.verify_with_microdeposits.hosted_verification_url
    done = browse(sk, "POST", url, {"descriptor_code": "SM11AA"})
    assert "Bank account verified" in done.text
    assert client.v1.setup_intents.retrieve(intent.id).status == "succeeded"


# -- Checkout: completed unpaid while the microdeposits travel, then the debit's outcome --------


def ach_session(client: stripe.StripeClient, types: list[str] | None = None) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "payment_method_types": types or ["card", "us_bank_account"],
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1800,
                        "product_data": {"name": "Plan"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://shop.example.com/thanks",
        }
    )


def complete_with_bank_account(sk: Harness, session_id: str, account: str) -> Any:
    return sk.raw(
        "POST",
        f"/_sandbox/checkout/sessions/{session_id}/complete",
        body=f"routing_number={ROUTING}&account_number={account}&name=Jenny+Rosen",
    )


@pytest.mark.parametrize(
    ("account", "payment_status", "event"),
    [
        (SUCCEEDS, "paid", "checkout.session.async_payment_succeeded"),
        (INSUFFICIENT_FUNDS, "unpaid", "checkout.session.async_payment_failed"),
    ],
)
def test_checkout_completes_unpaid_until_verified_and_settled(
    sk: Harness, account: str, payment_status: str, event: str
) -> None:
    client = sk.client
    session = ach_session(client)
    done = complete_with_bank_account(sk, session.id, account)
    assert done.status == 200, done.body
    assert (done.body["status"], done.body["payment_status"]) == ("complete", "unpaid")
    intent = client.v1.payment_intents.retrieve(done.body["payment_intent"])
    assert intent.status == "requires_action"
    assert intent.next_action.type == "verify_with_microdeposits"
    pm = client.v1.payment_methods.retrieve(intent.payment_method)
    assert (pm.type, pm.us_bank_account.last4) == ("us_bank_account", account[-4:])
    assert pm.billing_details.name == "Jenny Rosen"
    completed = client.v1.events.list(params={"type": "checkout.session.completed"}).data
    assert [e.data.object["payment_status"] for e in completed] == ["unpaid"]
    assert client.v1.events.list(params={"type": event}).data == []

    verify(client, intent.id, amounts=[32, 45])
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert (after.status, after.payment_status) == ("complete", payment_status)
    heard = client.v1.events.list(params={"type": event}).data
    assert [e.data.object["id"] for e in heard] == [session.id]
    types = types_of(client)
    settled = (
        "payment_intent.succeeded" if payment_status == "paid" else "payment_intent.payment_failed"
    )
    assert types.index(settled) < types.index(event)


def test_checkout_refuses_a_bank_account_it_does_not_accept(sk: Harness) -> None:
    client = sk.client
    session = ach_session(client, ["card"])
    refused = complete_with_bank_account(sk, session.id, SUCCEEDS)
    assert refused.status == 402
    assert "ACH Direct Debit" in refused.body["error"]["message"]
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.payment_intents.list().data == []


def test_checkout_refuses_a_bad_routing_number(sk: Harness) -> None:
    client = sk.client
    session = ach_session(client)
    refused = sk.raw(
        "POST",
        f"/_sandbox/checkout/sessions/{session.id}/complete",
        body=f"routing_number=110000001&account_number={SUCCEEDS}&name=Jenny+Rosen",
    )
    assert refused.status == 402
    assert "Invalid routing number" in refused.body["error"]["message"]
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.payment_methods.list(params={"type": "us_bank_account"}).data == []


def test_the_hosted_checkout_page_offers_a_bank_account(sk: Harness) -> None:
    client = sk.client
    session = ach_session(client)
    form = browse(sk, "GET", session.url)
    assert "name=routing_number" in form.text and "id=ach_mandate" in form.text
    incomplete = browse(
        sk,
        "POST",
        session.url,
        {"action": "pay", "email": "b@example.com", "payment_method_type": "us_bank_account"},
    )
    assert "Your bank account details are incomplete." in incomplete.text
    paid = browse(
        sk,
        "POST",
        session.url,
        {
            "action": "pay",
            "email": "b@example.com",
            "payment_method_type": "us_bank_account",
            "routing_number": ROUTING,
            "account_number": SUCCEEDS,
            "bank_account_holder_name": "Jenny Rosen",
        },
    )
    assert paid.status == 303
    assert paid.headers["location"].startswith("https://shop.example.com/thanks")
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    intent = client.v1.payment_intents.retrieve(done.payment_intent)
    assert intent.status == "requires_action"
