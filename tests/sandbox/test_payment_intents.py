"""PaymentIntents through the official SDK, in both modes: the state machine Stripe's test
cards drive, its refusals, capture math, declines and events."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import assert_stripe_error

DAY = 86400
STATE = "payment_intent_unexpected_state"
REFUNDS = "refunds"  # a charge's includable list of refunds


def pay(client: stripe.StripeClient, card: str = "pm_card_visa", **params: Any) -> Any:
    return client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": card,
            "confirm": True,
            **params,
        }
    )


def event_types(client: stripe.StripeClient) -> list[str]:
    """Every event type, oldest first."""
    return [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]


def events_of(client: stripe.StripeClient, type_: str) -> list[Any]:
    return client.v1.events.list(params={"type": type_}).data


# -- create ------------------------------------------------------------------------------


def test_create_has_stripe_defaults(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 4900, "currency": "USD", "metadata": {"order": "42"}}
    )
    assert pi.id.startswith("pi_") and len(pi.id) == 27
    assert pi.client_secret.startswith(f"{pi.id}_secret_")
    assert pi.status == "requires_payment_method"
    assert pi.currency == "usd" and pi.amount == 4900
    assert pi.capture_method == "automatic_async" and pi.confirmation_method == "automatic"
    assert pi.automatic_payment_methods.to_dict() == {"allow_redirects": "always", "enabled": True}
    assert pi.payment_method_types == ["card", "link"]
    assert pi.payment_method_configuration_details.id.startswith("pmc_")
    assert pi.payment_method_options.card.request_three_d_secure == "automatic"
    assert pi.amount_capturable == 0 and pi.amount_received == 0
    assert pi.latest_charge is None and pi.last_payment_error is None and pi.next_action is None
    assert pi.metadata.to_dict() == {"order": "42"}
    assert client.v1.payment_intents.retrieve(pi.id).to_dict() == pi.to_dict()
    (created,) = events_of(client, "payment_intent.created")
    assert created.data.object.id == pi.id


def test_explicit_payment_method_types(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 800, "currency": "usd", "payment_method_types": ["card"]}
    )
    assert pi.payment_method_types == ["card"]
    assert pi.automatic_payment_methods is None
    assert pi.payment_method_configuration_details is None
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.payment_intents.create(
            params={
                "amount": 800,
                "currency": "usd",
                "payment_method_types": ["card"],
                "automatic_payment_methods": {"enabled": True},
            }
        )
    assert_stripe_error(both.value, status=400, param="automatic_payment_methods")
    with pytest.raises(stripe.InvalidRequestError) as bogus:
        client.v1.payment_intents.create(
            params={"amount": 800, "currency": "usd", "payment_method_types": ["teleport"]}
        )
    assert_stripe_error(bogus.value, status=400, param="payment_method_types[0]")


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (49, "usd", "Amount must be at least $0.50 usd"),
        (29, "gbp", "Amount must be at least £0.30 gbp"),
        (49, "eur", "Amount must be at least €0.50 eur"),
        (49, "jpy", "Amount must be at least ¥50 jpy"),
    ],
)
def test_amount_below_the_currency_minimum(
    client: stripe.StripeClient, amount: int, currency: str, message: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create(params={"amount": amount, "currency": currency})
    assert_stripe_error(
        exc.value, status=400, code="amount_too_small", param="amount", message=message
    )
    # The minimum itself is fine.
    ok = client.v1.payment_intents.create(params={"amount": amount + 1, "currency": currency})
    assert ok.amount == amount + 1


def test_amount_zero_negative_and_too_large(client: stripe.StripeClient) -> None:
    for amount in (0, -5):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.payment_intents.create(params={"amount": amount, "currency": "usd"})
        assert_stripe_error(exc.value, status=400, code="parameter_invalid_integer", param="amount")
        assert "minimum charge amount" in exc.value.json_body["error"]["message"]
    with pytest.raises(stripe.InvalidRequestError) as big:
        client.v1.payment_intents.create(params={"amount": 100_000_000, "currency": "usd"})
    assert_stripe_error(big.value, status=400, code="amount_too_large", param="amount")


def test_create_refusals(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as currency:
        client.v1.payment_intents.create(params={"amount": 500, "currency": "dollars"})
    assert_stripe_error(currency.value, status=400, param="currency")
    with pytest.raises(stripe.InvalidRequestError) as customer:
        client.v1.payment_intents.create(
            params={"amount": 500, "currency": "usd", "customer": "cus_nope"}
        )
    assert_stripe_error(
        customer.value,
        status=400,
        code="resource_missing",
        param="customer",
        message="No such customer: 'cus_nope'",
    )
    with pytest.raises(stripe.InvalidRequestError) as pm:
        client.v1.payment_intents.create(
            params={"amount": 500, "currency": "usd", "payment_method": "pm_nope"}
        )
    assert_stripe_error(pm.value, status=400, code="resource_missing", param="payment_method")
    for name, value in (("return_url", "https://example.com"), ("off_session", True)):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", name: value})
        assert_stripe_error(exc.value, status=400, param=name)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_nope")
    assert_stripe_error(
        missing.value,
        status=404,
        code="resource_missing",
        param="intent",
        message="No such payment_intent: 'pi_nope'",
    )
    assert client.v1.payment_intents.list().data == []


# -- confirm: success -----------------------------------------------------------------------


def test_confirm_with_visa_succeeds_and_records_the_money(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "payer@example.com"})
    pi = pay(client, customer=customer.id, description="order 7", metadata={"order": "7"})
    assert pi.status == "succeeded"
    assert pi.amount_received == 2000 and pi.amount_capturable == 0
    assert pi.payment_method.startswith("pm_")
    charge = client.v1.charges.retrieve(
        pi.latest_charge, params={"expand": ["balance_transaction"]}
    )
    assert charge.status == "succeeded" and charge.paid and charge.captured
    assert charge.amount_captured == 2000 and charge.amount_refunded == 0 and not charge.refunded
    assert charge.payment_intent == pi.id and charge.customer == customer.id
    assert charge.description == "order 7" and charge.metadata.to_dict() == {"order": "7"}
    assert charge.outcome.type == "authorized"
    assert charge.outcome.network_status == "approved_by_network"
    assert charge.outcome.seller_message == "Payment complete."
    card = charge.payment_method_details.card
    assert card.brand == "visa" and card.last4 == "4242" and card.amount_authorized == 2000
    assert card.three_d_secure is None
    assert charge.calculated_statement_descriptor == "Stripe"
    assert charge.disputed is False and charge.to_dict()["dispute"] is None
    assert "refunds" not in charge.to_dict()  # includable: only when expanded
    txn = charge.balance_transaction
    # 2.9% + 30 cents.
    assert (txn.amount, txn.fee, txn.net) == (2000, 88, 1912)
    assert txn.type == "charge" and txn.reporting_category == "charge" and txn.source == charge.id
    assert txn.status == "pending"
    types = event_types(client)
    assert types.index("payment_intent.created") < types.index("charge.succeeded")
    assert types.index("charge.succeeded") < types.index("payment_intent.succeeded")
    (succeeded,) = events_of(client, "charge.succeeded")
    assert succeeded.data.object.id == charge.id
    assert "refunds" not in succeeded.data.object.to_dict()


def test_create_then_confirm_separately(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "usd", "payment_method_types": ["card"]}
    )
    with pytest.raises(stripe.InvalidRequestError) as no_pm:
        client.v1.payment_intents.confirm(pi.id)
    assert_stripe_error(no_pm.value, status=400, code=STATE)
    assert "missing a payment method" in no_pm.value.json_body["error"]["message"]
    assert no_pm.value.json_body["error"]["payment_intent"]["id"] == pi.id
    updated = client.v1.payment_intents.update(pi.id, params={"payment_method": "pm_card_visa"})
    assert updated.status == "requires_confirmation"
    done = client.v1.payment_intents.confirm(pi.id, params={"client_secret": pi.client_secret})
    assert done.status == "succeeded" and done.amount_received == 1500
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.confirm(pi.id)
    assert_stripe_error(
        again.value,
        status=400,
        code=STATE,
        message="You cannot confirm this PaymentIntent because it has a status of succeeded. "
        "Only a PaymentIntent with one of the following statuses may be confirmed: "
        "requires_confirmation, requires_payment_method, requires_action.",
    )


def test_confirm_without_a_method_names_the_customer(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pi = client.v1.payment_intents.create(
        params={"amount": 800, "currency": "usd", "customer": customer.id}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.confirm(pi.id)
    assert customer.id in exc.value.json_body["error"]["message"]


def test_client_secret_must_match(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 800, "currency": "usd"})
    assert client.v1.payment_intents.retrieve(pi.id, params={"client_secret": pi.client_secret})
    for call in (
        lambda: client.v1.payment_intents.retrieve(pi.id, params={"client_secret": "nope"}),
        lambda: client.v1.payment_intents.confirm(
            pi.id, params={"client_secret": "nope", "payment_method": "pm_card_visa"}
        ),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(exc.value, status=400, param="client_secret")
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


# -- declines -------------------------------------------------------------------------------


# pm_card_<name>, code, decline_code, param, advice_code ("-" for none), as Stripe answers.
DECLINES = [
    line.split()
    for line in """
    chargeDeclined                       card_declined    generic_decline        - try_again_later
    visa_chargeDeclined                  card_declined    generic_decline        - try_again_later
    chargeDeclinedInsufficientFunds      card_declined    insufficient_funds     - try_again_later
    chargeDeclinedLostCard               card_declined    lost_card              - do_not_try_again
    chargeDeclinedStolenCard             card_declined    stolen_card            - do_not_try_again
    chargeDeclinedVelocityLimitExceeded  card_declined    card_velocity_exceeded - try_again_later
    chargeDeclinedFraudulent             card_declined    fraudulent             - -
    chargeDeclinedExpiredCard   expired_card     expired_card     exp_month confirm_card_data
    chargeDeclinedIncorrectCvc  incorrect_cvc    incorrect_cvc    cvc       confirm_card_data
    chargeDeclinedProcessingError  processing_error processing_error  -     try_again_later
    chargeCustomerFail                   card_declined    generic_decline        - try_again_later
    """.strip().splitlines()
]


@pytest.mark.parametrize(("card", "code", "decline_code", "param", "advice"), DECLINES)
def test_each_decline(
    client: stripe.StripeClient, card: str, code: str, decline_code: str, param: str, advice: str
) -> None:
    param_or_none = None if param == "-" else param
    advice_or_none = None if advice == "-" else advice
    with pytest.raises(stripe.CardError) as exc:
        pay(client, f"pm_card_{card}")
    assert_stripe_error(exc.value, status=402, type_="card_error", code=code, param=param_or_none)
    error = exc.value.json_body["error"]
    assert error["decline_code"] == decline_code and error.get("advice_code") == advice_or_none
    assert error["doc_url"].endswith(code.replace("_", "-"))
    assert exc.value.user_message == error["message"]
    intent = error["payment_intent"]
    assert intent["status"] == "requires_payment_method" and intent["payment_method"] is None
    assert intent["last_payment_error"]["decline_code"] == decline_code
    assert intent["last_payment_error"]["charge"] == error["charge"]
    assert error["payment_method"]["id"] == intent["last_payment_error"]["payment_method"]["id"]

    # The failed attempt is kept: the intent, its error and the failed charge.
    pi = client.v1.payment_intents.retrieve(intent["id"])
    assert pi.status == "requires_payment_method" and pi.latest_charge == error["charge"]
    assert pi.last_payment_error.code == code and pi.last_payment_error.type == "card_error"
    charge = client.v1.charges.retrieve(error["charge"])
    assert charge.status == "failed" and not charge.paid and not charge.captured
    assert charge.failure_code == code and charge.failure_message == error["message"]
    assert charge.balance_transaction is None and charge.receipt_url is None
    assert charge.outcome.reason in (decline_code, "highest_risk_level")
    expected_type = "blocked" if decline_code == "fraudulent" else "issuer_declined"
    assert charge.outcome.type == expected_type
    assert [e.data.object.id for e in events_of(client, "charge.failed")] == [charge.id]
    assert [e.data.object.id for e in events_of(client, "payment_intent.payment_failed")] == [pi.id]

    # A working card then pays the same intent.
    done = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert done.status == "succeeded" and done.last_payment_error is None
    assert done.latest_charge != charge.id


def test_declines_are_kept_under_an_idempotency_key(client: stripe.StripeClient) -> None:
    params = {
        "amount": 2000,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": True,
    }
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "k-decline"})
    with pytest.raises(stripe.CardError) as again:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "k-decline"})
    assert first.value.json_body == again.value.json_body
    assert len(client.v1.payment_intents.list().data) == 1
    assert len(client.v1.charges.list().data) == 1


def test_off_session_3ds_card_declines_with_authentication_required(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.CardError) as exc:
        pay(client, "pm_card_authenticationRequired", off_session=True)
    assert_stripe_error(exc.value, status=402, type_="card_error", code="authentication_required")
    error = exc.value.json_body["error"]
    assert error["decline_code"] == "authentication_required"
    assert error["message"] == "Your card was declined. This transaction requires authentication."
    assert "charge" not in error  # declined before any charge
    pi = client.v1.payment_intents.retrieve(error["payment_intent"]["id"])
    assert pi.status == "requires_payment_method" and pi.latest_charge is None
    assert client.v1.charges.list().data == []


def test_error_on_requires_action(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as exc:
        pay(client, "pm_card_threeDSecure2Required", error_on_requires_action=True)
    error = exc.value.json_body["error"]
    assert error["code"] == "authentication_required"
    assert error["decline_code"] == "authentication_not_handled"
    assert error["payment_intent"]["status"] == "requires_payment_method"


# -- who may use a PaymentMethod ---------------------------------------------------------------


def test_payment_method_of_another_customer(client: stripe.StripeClient) -> None:
    alice = client.v1.customers.create()
    bob = client.v1.customers.create()
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    client.v1.payment_methods.attach(pm.id, params={"customer": alice.id})
    guest = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "usd", "payment_method_types": ["card"]}
    )
    with pytest.raises(stripe.InvalidRequestError) as no_customer:
        client.v1.payment_intents.confirm(guest.id, params={"payment_method": pm.id})
    assert_stripe_error(no_customer.value, status=400, code="parameter_missing", param="source")
    wrong = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "usd", "customer": bob.id}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.confirm(wrong.id, params={"payment_method": pm.id})
    assert_stripe_error(exc.value, status=400, param="payment_method")
    assert exc.value.json_body["error"]["payment_intent"]["status"] == "requires_payment_method"
    # The owner pays with it, as often as it likes.
    for _ in range(2):
        assert pay(client, pm.id, customer=alice.id).status == "succeeded"


def test_a_guest_payment_method_pays_once(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    assert pay(client, pm.id).status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        pay(client, pm.id)
    assert "may not be used again" in exc.value.json_body["error"]["message"]


def test_setup_future_usage_attaches_the_card(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pi = pay(client, customer=customer.id, setup_future_usage="off_session")
    assert pi.setup_future_usage == "off_session"
    assert client.v1.payment_methods.retrieve(pi.payment_method).customer == customer.id
    # Saved, it pays again off-session.
    again = pay(client, pi.payment_method, customer=customer.id, off_session=True)
    assert again.status == "succeeded"


# -- manual capture ---------------------------------------------------------------------------


def test_manual_capture_partial_math(client: stripe.StripeClient) -> None:
    pi = pay(client, capture_method="manual", amount=6500)
    assert pi.status == "requires_capture" and pi.amount_capturable == 6500
    assert pi.amount_received == 0
    held = client.v1.charges.retrieve(pi.latest_charge)
    assert held.captured is False and held.amount_captured == 0 and held.balance_transaction is None
    assert held.payment_method_details.card.capture_before == held.created + 7 * DAY
    (updated,) = events_of(client, "payment_intent.amount_capturable_updated")
    assert updated.data.object.amount_capturable == 6500

    captured = client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 5000})
    assert captured.status == "succeeded"
    assert captured.amount_received == 5000 and captured.amount_capturable == 0
    charge = client.v1.charges.retrieve(
        pi.latest_charge, params={"expand": ["balance_transaction"]}
    )
    assert charge.captured and charge.amount_captured == 5000 and charge.amount == 6500
    # The released remainder is not a refund.
    assert charge.amount_refunded == 0 and charge.refunded is False
    assert charge.balance_transaction.amount == 5000
    assert charge.balance_transaction.fee == 175  # 145 + 30
    assert [e.data.object.id for e in events_of(client, "charge.captured")] == [charge.id]
    assert len(events_of(client, "payment_intent.succeeded")) == 1

    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.capture(pi.id)
    assert_stripe_error(again.value, status=400, code=STATE)
    assert "remainder of the authorized amount has been released" in str(again.value)


def test_capture_amount_refusals(client: stripe.StripeClient) -> None:
    pi = pay(client, capture_method="manual", amount=2500)
    with pytest.raises(stripe.InvalidRequestError) as large:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 9999})
    assert_stripe_error(large.value, status=400, code="amount_too_large")
    assert large.value.json_body["error"]["payment_intent"]["status"] == "requires_capture"
    with pytest.raises(stripe.InvalidRequestError) as zero:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 0})
    assert_stripe_error(
        zero.value,
        status=400,
        code="parameter_invalid_integer",
        param="amount",
        message="This value must be greater than or equal to 1.",
    )
    with pytest.raises(stripe.InvalidRequestError) as negative:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": -100})
    assert_stripe_error(
        negative.value,
        status=400,
        param="amount_to_capture",
        message="Invalid non-negative integer",
    )
    full = client.v1.payment_intents.capture(pi.id, params={"metadata": {"shipped": "yes"}})
    assert full.amount_received == 2500 and full.metadata.to_dict() == {"shipped": "yes"}
    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.payment_intents.capture(pi.id)
    assert_stripe_error(
        done.value,
        status=400,
        code=STATE,
        message="This PaymentIntent could not be captured because it has a status of "
        "succeeded. Only a PaymentIntent with one of the following statuses may be captured: "
        "requires_capture.",
    )


@pytest.mark.parametrize("status", ["requires_payment_method", "requires_confirmation"])
def test_capture_before_confirming(client: stripe.StripeClient, status: str) -> None:
    params: dict[str, Any] = {"amount": 900, "currency": "usd", "capture_method": "manual"}
    if status == "requires_confirmation":
        params["payment_method"] = "pm_card_visa"
    pi = client.v1.payment_intents.create(params=params)
    assert pi.status == status
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.capture(pi.id)
    assert_stripe_error(
        exc.value,
        status=400,
        code=STATE,
        message=f"This PaymentIntent could not be captured because it has a status of {status}. "
        "Only a PaymentIntent with one of the following statuses may be captured: "
        "requires_capture.",
    )
    assert exc.value.json_body["error"]["payment_intent"]["id"] == pi.id


def test_increment_authorization(client: stripe.StripeClient) -> None:
    pi = pay(
        client,
        capture_method="manual",
        payment_method_options={"card": {"request_incremental_authorization": "if_available"}},
    )
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.incremental_authorization.status == "available"
    with pytest.raises(stripe.InvalidRequestError) as lower:
        client.v1.payment_intents.increment_authorization(pi.id, params={"amount": 1000})
    assert_stripe_error(lower.value, status=400, param="amount")
    raised = client.v1.payment_intents.increment_authorization(pi.id, params={"amount": 3000})
    assert raised.amount == 3000 and raised.amount_capturable == 3000
    assert client.v1.charges.retrieve(pi.latest_charge).amount == 3000
    done = client.v1.payment_intents.capture(pi.id)
    assert done.amount_received == 3000

    plain = pay(client, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.increment_authorization(plain.id, params={"amount": 3000})
    assert_stripe_error(exc.value, status=400)
    with pytest.raises(stripe.InvalidRequestError) as state:
        client.v1.payment_intents.increment_authorization(done.id, params={"amount": 4000})
    assert_stripe_error(state.value, status=400, code=STATE)


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_and_its_refusals(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 1200, "currency": "usd"})
    canceled = client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    assert canceled.canceled_at is not None
    listed = (
        "requires_payment_method, requires_capture, requires_reauthorization, "
        "requires_confirmation, requires_action, expired, processing"
    )
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.cancel(pi.id)
    assert_stripe_error(
        again.value,
        status=400,
        code=STATE,
        message="You cannot cancel this PaymentIntent because it has a status of canceled. "
        f"Only a PaymentIntent with one of the following statuses may be canceled: {listed}.",
    )
    paid = pay(client)
    with pytest.raises(stripe.InvalidRequestError) as succeeded:
        client.v1.payment_intents.cancel(paid.id)
    assert "status of succeeded" in str(succeeded.value)
    with pytest.raises(stripe.InvalidRequestError) as reason:
        client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "bored"})
    assert_stripe_error(reason.value, status=400, param="cancellation_reason")
    for call in (
        lambda: client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"}),
        lambda: client.v1.payment_intents.capture(pi.id),
        lambda: client.v1.payment_intents.update(pi.id, params={"amount": 5000}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert exc.value.http_status == 400 and exc.value.code == STATE
    assert [e.data.object.id for e in events_of(client, "payment_intent.canceled")] == [pi.id]


def test_cancel_an_authorization_releases_the_charge(client: stripe.StripeClient) -> None:
    pi = pay(client, capture_method="manual", amount=3300)
    canceled = client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "requested_by_customer"}
    )
    assert canceled.status == "canceled" and canceled.amount_capturable == 0
    charge = client.v1.charges.retrieve(pi.latest_charge, params={"expand": [REFUNDS]})
    assert charge.refunded is True and charge.amount_refunded == 3300 and not charge.captured
    (release,) = charge.refunds.data
    assert release.amount == 3300 and release.balance_transaction is None
    assert release.status == "succeeded"
    assert [e.data.object.id for e in events_of(client, "charge.refunded")] == [charge.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.charges.capture(charge.id)


# -- update ---------------------------------------------------------------------------------


def test_update_before_and_after_payment(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 4900, "currency": "usd"})
    bigger = client.v1.payment_intents.update(
        pi.id, params={"amount": 5100, "description": "d", "metadata": {"a": "1"}}
    )
    assert bigger.amount == 5100 and bigger.description == "d"
    with pytest.raises(stripe.InvalidRequestError) as small:
        client.v1.payment_intents.update(pi.id, params={"amount": 10})
    assert_stripe_error(small.value, status=400, code="amount_too_small", param="amount")
    with_pm = client.v1.payment_intents.update(pi.id, params={"payment_method": "pm_card_visa"})
    assert with_pm.status == "requires_confirmation"
    without = client.v1.payment_intents.update(pi.id, params={"payment_method": ""})
    assert without.status == "requires_payment_method" and without.payment_method is None

    paid = pay(client)
    after = client.v1.payment_intents.update(
        paid.id, params={"metadata": {"u": "v"}, "description": "after"}
    )
    assert after.description == "after" and after.metadata.to_dict() == {"u": "v"}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.update(paid.id, params={"amount": 9999})
    assert_stripe_error(
        exc.value,
        status=400,
        code=STATE,
        param="amount",
        message="This PaymentIntent's amount could not be updated because it has a status of "
        "succeeded. You may only update the amount of a PaymentIntent with one of the "
        "following statuses: requires_payment_method, requires_confirmation, requires_action.",
    )
    assert client.v1.payment_intents.retrieve(paid.id).amount == 2000
    # No PaymentIntent event exists for an update.
    assert not [t for t in event_types(client) if t == "payment_intent.updated"]


# -- list and search ------------------------------------------------------------------------


def test_list_and_search(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    first = pay(client, customer=customer.id, metadata={"order": "a1"})
    second = client.v1.payment_intents.create(
        params={"amount": 7000, "currency": "eur", "customer": customer.id}
    )
    other = client.v1.payment_intents.create(params={"amount": 900, "currency": "usd"})
    listed = client.v1.payment_intents.list(params={"customer": customer.id})
    assert [p.id for p in listed.data] == [second.id, first.id]
    limited = client.v1.payment_intents.list(params={"limit": 1})
    assert limited.has_more and [p.id for p in limited.data] == [other.id]
    ranged = client.v1.payment_intents.list(params={"created": {"gte": first.created}})
    assert len(ranged.data) == 3

    def search(query: str) -> list[str]:
        return [p.id for p in client.v1.payment_intents.search(params={"query": query}).data]

    assert search("status:'succeeded'") == [first.id]
    assert search("metadata['order']:'a1'") == [first.id]
    assert search("amount>5000") == [second.id]
    assert search(f"customer:'{customer.id}' AND currency:'eur'") == [second.id]
    assert set(search("status:'requires_payment_method'")) == {second.id, other.id}


# -- the special test cards ----------------------------------------------------------------


def test_apply_customer_balance_is_refused(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 900, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.apply_customer_balance(pi.id)
    assert exc.value.json_body["error"]["payment_intent"]["id"] == pi.id
