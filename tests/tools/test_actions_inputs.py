"""Convenience inputs map to Stripe's own; bad input is an error naming the field, and
nothing is sent."""

from __future__ import annotations

import re
from typing import Any

import pytest
import stripe

from action_helpers import customer_with_card
from stripekit.facade import AccountActions
from stripekit.sandbox import Sandbox
from stripekit.tools import ActionError, InputError


def _event_count(actions: AccountActions) -> int:
    return len(actions.list_events(all=True)["events"])


def test_create_price_flat_recurring_inputs(actions: AccountActions) -> None:
    product = actions.create_product(name="Pro Plan")
    monthly = actions.create_price(
        product=product["id"], unit_amount=2999, currency="usd", recurring_interval="month"
    )
    assert monthly["recurring"]["interval"] == "month"
    assert monthly["recurring"]["interval_count"] == 1
    assert monthly["type"] == "recurring"
    quarterly = actions.create_price(
        product=product["id"],
        unit_amount=7999,
        currency="usd",
        recurring_interval="month",
        recurring_interval_count=3,
    )
    assert quarterly["recurring"]["interval_count"] == 3
    one_time = actions.create_price(product=product["id"], unit_amount=9900, currency="usd")
    assert one_time["recurring"] is None and one_time["type"] == "one_time"
    # Stripe's own form still works.
    native = actions.create_price(
        product=product["id"], unit_amount=100, currency="usd", recurring={"interval": "year"}
    )
    assert native["recurring"]["interval"] == "year"


def test_create_subscription_with_price_and_quantity(actions: AccountActions) -> None:
    customer = customer_with_card(actions)
    price = actions.create_price(
        product_data={"name": "Seats"}, unit_amount=1000, currency="usd", recurring_interval="month"
    )
    subscription = actions.create_subscription(
        customer=customer["id"],
        price=price["id"],
        quantity=5,
        trial_period_days=14,
        metadata={"plan": "enterprise"},
    )
    item = subscription["items"]["data"][0]
    assert item["price"]["id"] == price["id"] and item["quantity"] == 5
    assert subscription["status"] == "trialing"
    # Source 000's fields, read back from the item where the current API keeps them.
    assert subscription["current_period_start"] == item["current_period_start"]
    assert subscription["current_period_end"] == item["current_period_end"]
    assert subscription["plan"]["id"] == price["id"]
    assert subscription["quantity"] == 5


def test_payment_intent_automatic_payment_methods_flag(actions: AccountActions) -> None:
    off = actions.create_payment_intent(
        amount=2500, currency="eur", automatic_payment_methods_enabled=False
    )
    assert not (off.get("automatic_payment_methods") or {}).get("enabled")
    on = actions.create_payment_intent(
        amount=2500, currency="eur", automatic_payment_methods_enabled=True
    )
    assert on["automatic_payment_methods"]["enabled"] is True


def test_cancel_subscription_prorate_and_invoice_now(actions: AccountActions) -> None:
    customer = customer_with_card(actions)
    price = actions.create_price(
        product_data={"name": "Pro"}, unit_amount=3000, currency="usd", recurring_interval="month"
    )
    subscription = actions.create_subscription(customer=customer["id"], price=price["id"])
    canceled = actions.cancel_subscription(id=subscription["id"], prorate=False, invoice_now=False)
    assert canceled["status"] == "canceled"
    assert canceled["canceled_at"] is not None and canceled["ended_at"] is not None
    invoices = actions.list_invoices(customer=customer["id"])["invoices"]
    assert len(invoices) == 1  # only the first one: no final invoice


@pytest.mark.parametrize(
    ("action", "inputs", "param", "code"),
    [
        ("create_product", {}, "name", "parameter_missing"),
        ("create_product", {"name": "x", "colour": "red"}, "colour", "parameter_unknown"),
        ("create_product", {"name": 5}, "name", "parameter_invalid"),
        ("create_product", {"name": "x", "active": "maybe"}, "active", "parameter_invalid"),
        ("create_price", {"currency": "usd", "unit_amount": "ten"}, "unit_amount",
         "parameter_invalid"),
        ("create_price", {"currency": "usd", "recurring_interval": "fortnight"},
         "recurring_interval", "parameter_invalid"),
        ("create_price", {"currency": "usd", "recurring_interval_count": 3},
         "recurring_interval", "parameter_missing"),
        ("create_customer", {"address": {"cty": "Paris"}}, "address[cty]", "parameter_unknown"),
        ("create_customer", {"metadata": "not a map"}, "metadata", "parameter_invalid"),
        ("create_customer", {"tax_exempt": "sometimes"}, "tax_exempt", "parameter_invalid"),
        ("create_customer", {"name": "x" * 257}, "name", "parameter_invalid"),
        ("get_customer", {}, "id", "parameter_missing"),
        ("create_subscription", {"customer": "cus_1"}, "price", "parameter_missing"),
        ("create_subscription", {"customer": "cus_1", "price": "p", "items": [{"price": "q"}]},
         "price", "parameter_invalid"),
        ("refund_payment", {}, "charge", "parameter_missing"),
        ("refund_payment", {"charge": "ch_1", "payment_intent": "pi_1"}, "charge",
         "parameter_invalid"),
        ("list_customers", {"limit": "many"}, "limit", "parameter_invalid"),
        ("list_customers", {"max_items": 0}, "max_items", "parameter_invalid"),
        ("request", {"method": "PATCH", "path": "/v1/customers"}, "method", "parameter_invalid"),
        ("request", {"method": "GET", "path": "customers"}, "path", "parameter_invalid"),
        ("create_file", {"file": "/no/such/file.pdf", "purpose": "dispute_evidence"}, "file",
         "parameter_invalid"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_sends_nothing(
    actions: AccountActions, action: str, inputs: dict[str, Any], param: str, code: str
) -> None:
    before = _event_count(actions)
    with pytest.raises(InputError) as caught:
        actions.action(action)(inputs)
    error = caught.value
    assert (error.param, error.code, error.status, error.type) == (
        param,
        code,
        None,
        "invalid_input",
    )
    assert param in str(error) and action in str(error)
    assert _event_count(actions) == before
    assert actions.list_customers()["customers"] == []


def test_stripe_errors_carry_status_type_code_param_and_request_id(
    actions: AccountActions,
) -> None:
    with pytest.raises(ActionError) as missing:
        actions.get_customer(id="cus_nope")
    error = missing.value
    assert (error.status, error.type, error.code, error.param) == (
        404, "invalid_request_error", "resource_missing", "id",
    )  # fmt: skip
    assert error.request_id and error.request_id.startswith("req_")
    assert "No such object" in str(error) and "cus_nope" in str(error)

    with pytest.raises(ActionError) as declined:
        actions.create_payment_intent(
            amount=5000, currency="usd", payment_method="pm_card_chargeDeclined", confirm=True,
            automatic_payment_methods_enabled=False, payment_method_types=["card"],
        )  # fmt: skip
    error = declined.value
    assert (error.status, error.type, error.code, error.decline_code) == (
        402, "card_error", "card_declined", "generic_decline",
    )  # fmt: skip
    assert str(error).startswith("create_payment_intent: The payment failed")
    assert error.to_dict()["error"]["decline_code"] == "generic_decline"


def test_bad_key_is_a_401_that_never_shows_the_key(sandbox: Sandbox) -> None:
    from stripekit.accounts import Account
    from stripekit.facade import AccountActions

    secret = "sk_test_" + "S3cr3tPart" * 3
    strict = Sandbox(strict_keys=True)
    bad = AccountActions(Account(api_key=None, client=strict.client(secret)))
    with pytest.raises(ActionError) as caught:
        bad.list_customers()
    assert caught.value.status == 401 and caught.value.type == "invalid_request_error"
    assert "S3cr3tPart" not in str(caught.value) and "S3cr3tPart" not in repr(caught.value)
    assert "rejected the API key" in str(caught.value)


def test_own_idempotency_key_replays(actions: AccountActions) -> None:
    first = actions.create_customer(name="Once", idempotency_key="signup-42")
    again = actions.create_customer(name="Once", idempotency_key="signup-42")
    assert first["id"] == again["id"]
    assert len(actions.list_customers()["customers"]) == 1
    with pytest.raises(ActionError) as caught:
        actions.create_customer(name="Other", idempotency_key="signup-42")
    assert caught.value.type == "idempotency_error"


def test_single_dict_argument_and_aliases(actions: AccountActions) -> None:
    created = actions.create_customer({"name": "Acme Corp", "email": "a@acme.test"})
    assert actions.action("Retrieve Customer")({"id": created["id"]})["email"] == "a@acme.test"
    assert actions.action("get customer by id")(id=created["id"])["name"] == "Acme Corp"


def test_common_failures_read_as_one_sentence() -> None:
    limited = stripe.RateLimitError("Too many requests", http_status=429, code="rate_limit")
    error = ActionError.from_stripe(limited, "list_invoices")
    assert (error.status, error.code) == (429, "rate_limit")
    assert str(error).startswith("list_invoices: Too many requests: Stripe is rate limiting")
    offline = ActionError.from_stripe(
        stripe.APIConnectionError("connection refused"), "get_balance"
    )
    assert offline.status is None and offline.type == "api_connection_error"
    assert "connection refused" in str(offline)


def test_the_sdk_makes_idempotency_keys_and_retries(actions: AccountActions) -> None:
    actions.create_customer(name="Keyed")
    event = actions.list_events(type="customer.created")["events"][0]
    assert re.fullmatch(r"[0-9a-f-]{36}", event["request"]["idempotency_key"])
    assert event["request"]["id"].startswith("req_")
    from stripekit.accounts import Account

    assert Account(api_key="sk_test_x").stripe_client()._requestor._options.max_network_retries == 2
