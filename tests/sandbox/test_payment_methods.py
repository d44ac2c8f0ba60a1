"""PaymentMethods through the official SDK, in both modes: create (card details, tokens,
test ids), retrieve, update, list, attach/detach with Stripe's refusals and events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework import testcards

VISA = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def _card(**overrides: Any) -> dict[str, Any]:
    return {"type": "card", "card": {**VISA, **overrides}}


def _events(client: stripe.StripeClient, type_: str) -> list[Any]:
    return client.v1.events.list(params={"type": type_}).data


def _attached(client: stripe.StripeClient, test_id: str = "pm_card_visa") -> tuple[str, str]:
    customer = client.v1.customers.create(params={"email": "pm@example.com"})
    pm = client.v1.payment_methods.attach(test_id, params={"customer": customer.id})
    return customer.id, pm.id


def test_create_with_card_details_has_stripe_shape(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        params={
            **_card(),
            "billing_details": {"name": "Ada", "address": {"postal_code": "94103"}},
            "metadata": {"order": "42"},
        }
    )
    assert pm.id.startswith("pm_") and len(pm.id) == 27
    assert pm.object == "payment_method" and pm.type == "card"
    assert pm.customer is None and pm.livemode is False
    assert pm.allow_redisplay == "unspecified"
    assert pm.card.brand == "visa" and pm.card.last4 == "4242" and pm.card.funding == "credit"
    assert (pm.card.exp_month, pm.card.exp_year) == (12, 2034)
    assert pm.card.checks.cvc_check == "unchecked"  # verified on first use
    assert pm.card.networks.available == ["visa"]
    assert pm.billing_details.name == "Ada"
    assert pm.billing_details.address.postal_code == "94103"
    assert pm.billing_details.address.city is None and pm.billing_details.email is None
    assert pm.metadata.to_dict() == {"order": "42"}
    assert client.v1.payment_methods.retrieve(pm.id).to_dict() == pm.to_dict()
    # Stripe sends no event for a creation.
    assert _events(client, "payment_method.*") == []


def test_create_without_cvc_and_with_two_digit_year(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "5555555555554444", "exp_month": 3, "exp_year": 45},
        }
    )
    assert pm.card.brand == "mastercard" and pm.card.exp_year == 2045
    assert pm.card.checks.cvc_check is None


@pytest.mark.parametrize(
    ("card", "code", "param", "message"),
    [
        (
            {"number": "4242424242424241"},
            "incorrect_number",
            "card[number]",
            "Your card number is incorrect.",
        ),
        ({"number": "4242"}, "invalid_number", "card[number]", "Your card number is invalid."),
        ({"number": "4242x42424242424"}, "invalid_number", "card[number]", None),
        (
            {"exp_month": 13},
            "invalid_expiry_month",
            "card[exp_month]",
            "Your card's expiration month is invalid.",
        ),
        ({"exp_month": 0}, "invalid_expiry_month", "card[exp_month]", None),
        (
            {"exp_year": 2001},
            "invalid_expiry_year",
            "card[exp_year]",
            "Your card's expiration year is invalid.",
        ),
        ({"exp_year": 2200}, "invalid_expiry_year", "card[exp_year]", None),
        ({"cvc": "12"}, "invalid_cvc", "card[cvc]", "Your card's security code is invalid."),
        ({"cvc": "12345"}, "invalid_cvc", "card[cvc]", None),
        ({"cvc": "abc"}, "invalid_cvc", "card[cvc]", None),
    ],
)
def test_bad_card_details_are_card_errors(
    client: stripe.StripeClient, card: dict[str, Any], code: str, param: str, message: str | None
) -> None:
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_methods.create(params=_card(**card))
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code=code, param=param, message=message
    )


def test_expired_this_year_is_an_invalid_month() -> None:
    # A sandbox of its own, started in June, so an earlier month of this year always exists.
    from stripekit.sandbox import Sandbox

    june = int(datetime(2030, 6, 15, tzinfo=UTC).timestamp())
    with Sandbox(start_time=june, frozen=True) as sandbox:
        client = sandbox.client()
        with pytest.raises(stripe.CardError) as exc:
            client.v1.payment_methods.create(params=_card(exp_month=5, exp_year=2030))
        assert_stripe_error(
            exc.value,
            status=402,
            type_="card_error",
            code="invalid_expiry_month",
            param="card[exp_month]",
        )
        ok = client.v1.payment_methods.create(params=_card(exp_month=6, exp_year=2030))
        assert ok.card.exp_month == 6


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({}, "type", "parameter_missing"),
        ({"type": "card"}, "card", "parameter_missing"),
        (
            {"type": "card", "card": {"exp_month": 1, "exp_year": 2040}},
            "card[number]",
            "parameter_missing",
        ),
        (
            {"type": "card", "card": {"number": "4242424242424242", "exp_year": 2040}},
            "card[exp_month]",
            "parameter_missing",
        ),
        (
            {"type": "card", "card": {"number": "4242424242424242", "exp_month": 2}},
            "card[exp_year]",
            "parameter_missing",
        ),
        ({"type": "ideal", "ideal": {"bank": "abn_amro"}}, "type", None),
        (
            {"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"}},
            "billing_details[name]",
            "parameter_missing",
        ),
        ({"type": "card", "card": {"token": "tok_nope"}}, "card[token]", "resource_missing"),
        ({**_card(), "customer": "cus_x"}, "customer", None),
        ({**_card(), "payment_method": "pm_x"}, "payment_method", None),
    ],
)
def test_bad_create_params(
    client: stripe.StripeClient, params: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.create(params=params)
    assert_stripe_error(exc.value, status=400, code=code, param=param)


def test_non_integer_expiry_is_refused_by_validation(sk: Harness) -> None:
    body = "type=card&card[number]=4242424242424242&card[exp_month]=ab&card[exp_year]=2040"
    response = sk.raw("POST", "/v1/payment_methods", body=body)
    assert response.status == 400
    assert response.body["error"]["param"] == "card[exp_month]"
    assert response.body["error"]["code"] == "parameter_invalid_integer"


def test_create_from_test_token_and_from_a_real_token(client: stripe.StripeClient) -> None:
    from_test = client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_mastercard"}}
    )
    assert from_test.card.brand == "mastercard" and from_test.card.last4 == "4444"
    token = client.v1.tokens.create(
        params={
            "card": {
                "number": "378282246310005",
                "exp_month": "7",
                "exp_year": "2033",
                "cvc": "1234",
                "name": "Grace Hopper",
                "address_zip": "10001",
                "address_country": "US",
            }
        }
    )
    pm = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"token": token.id},
            "billing_details": {"email": "grace@example.com"},
        }
    )
    assert pm.card.brand == "amex" and pm.card.last4 == "0005"
    assert (pm.card.exp_month, pm.card.exp_year) == (7, 2033)
    assert pm.billing_details.name == "Grace Hopper"
    assert pm.billing_details.email == "grace@example.com"
    assert pm.billing_details.address.postal_code == "10001"
    assert pm.card.fingerprint == token.card.fingerprint
    assert client.v1.tokens.retrieve(token.id).used is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.create(params={"type": "card", "card": {"token": token.id}})
    assert_stripe_error(
        exc.value,
        status=400,
        code="token_already_used",
        message=f"You cannot use a Stripe token more than once: {token.id}.",
    )


@pytest.mark.parametrize("name", sorted(testcards.MAGIC_NAMES))
def test_every_test_id_makes_a_real_payment_method(client: stripe.StripeClient, name: str) -> None:
    number = testcards.MAGIC_NAMES[name]
    pm = client.v1.payment_methods.retrieve(f"pm_card_{name}")
    assert pm.id.startswith("pm_") and pm.id != f"pm_card_{name}"
    assert pm.card.last4 == number[-4:]
    assert pm.card.brand == testcards.CARDS[number].brand
    again = client.v1.payment_methods.retrieve(f"pm_card_{name}")
    assert again.id != pm.id  # a test id makes a new PaymentMethod on each use
    # The stored one is retrievable by its own id.
    assert client.v1.payment_methods.retrieve(pm.id).id == pm.id
    via_token = client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": f"tok_{name}"}}
    )
    assert via_token.card.last4 == number[-4:]


def test_visa_prefixed_test_ids_are_accepted(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.retrieve("pm_card_visa_chargeDeclined")
    assert pm.card.last4 == "0002"
    pm = client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_visa_chargeDeclinedInsufficientFunds"}}
    )
    assert pm.card.last4 == "9995"


def test_unknown_ids_are_404_with_stripe_message(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.payment_methods.retrieve("pm_nope"),
        lambda: client.v1.payment_methods.retrieve("pm_card_nosuchcard"),
        lambda: client.v1.payment_methods.update("pm_nope", params={"metadata": {"a": "b"}}),
        lambda: client.v1.payment_methods.attach("pm_nope", params={"customer": "cus_x"}),
        lambda: client.v1.payment_methods.detach("pm_nope"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert exc.value.http_status == 404
        error = exc.value.json_body["error"]
        assert error["code"] == "resource_missing" and error["param"] == "payment_method"
        assert error["message"].startswith("No such PaymentMethod: 'pm_")


def test_attach_then_detach_with_events(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.create(params=_card())
    attached = client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    assert attached.customer == customer.id
    assert attached.card.checks.cvc_check == "pass"  # the attach verified the card
    [event] = _events(client, "payment_method.attached")
    assert event.data.object.id == pm.id and event.data.object.customer == customer.id
    assert "previous_attributes" not in event.data

    # Attaching again to the same customer changes nothing.
    again = client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    assert again.customer == customer.id
    assert len(_events(client, "payment_method.attached")) == 1

    detached = client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    [event] = _events(client, "payment_method.detached")
    assert event.data.previous_attributes.to_dict() == {"customer": customer.id}
    assert event.data.object.customer is None

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.detach(pm.id)
    assert_stripe_error(
        exc.value,
        status=400,
        message="The payment method you provided is not attached to a customer so "
        "detachment is impossible.",
    )
    # A detached PaymentMethod may never be used again.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    assert exc.value.http_status == 400
    assert "It may not be used again" in exc.value.json_body["error"]["message"]


def test_attach_refusals(client: stripe.StripeClient) -> None:
    first, pm_id = _attached(client)
    second = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.attach(pm_id, params={"customer": second.id})
    assert_stripe_error(
        exc.value,
        status=400,
        message="The payment method you provided has already been attached to a customer.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.attach("pm_card_visa", params={"customer": "cus_nope"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="customer",
        message="No such customer: 'cus_nope'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.attach("pm_card_visa", params={})
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="customer")
    client.v1.customers.delete(second.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.attach("pm_card_visa", params={"customer": second.id})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="customer")
    assert client.v1.payment_methods.retrieve(pm_id).customer == first


@pytest.mark.parametrize(
    ("test_id", "code", "decline_code", "param", "message"),
    [
        (
            "pm_card_chargeDeclined",
            "card_declined",
            "generic_decline",
            "",
            "Your card was declined.",
        ),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card", "", None),
        ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card", "", None),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "expired_card",
            "expired_card",
            "exp_month",
            "Your card has expired.",
        ),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "cvc", None),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error", "", None),
    ],
)
def test_attaching_a_declining_card_is_a_card_error(
    client: stripe.StripeClient,
    test_id: str,
    code: str,
    decline_code: str,
    param: str,
    message: str | None,
) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_methods.attach(test_id, params={"customer": customer.id})
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code=code, param=param, message=message
    )
    assert exc.value.json_body["error"]["decline_code"] == decline_code
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    assert _events(client, "payment_method.attached") == []


def test_generic_decline_carries_stripe_advice_codes(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer.id})
    error = exc.value.json_body["error"]
    assert error["advice_code"] == "try_again_later" and error["network_decline_code"] == "01"


@pytest.mark.parametrize(
    "name",
    [
        n
        for n, number in sorted(testcards.MAGIC_NAMES.items())
        if testcards.CARDS[number].outcome != testcards.DECLINE
    ],
)
def test_every_other_test_card_attaches(client: stripe.StripeClient, name: str) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach(f"pm_card_{name}", params={"customer": customer.id})
    assert pm.customer == customer.id and pm.id.startswith("pm_")


def test_update_needs_a_customer(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(params=_card())
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.update(pm.id, params={"metadata": {"a": "1"}})
    assert_stripe_error(
        exc.value,
        status=400,
        message="You must save this PaymentMethod to a customer before you can update it.",
    )


def test_update_fields_and_event(client: stripe.StripeClient) -> None:
    _, pm_id = _attached(client)
    before = client.v1.payment_methods.retrieve(pm_id)
    updated = client.v1.payment_methods.update(
        pm_id,
        params={
            "billing_details": {"name": "Ada", "address": {"city": "London", "country": "GB"}},
            "card": {"exp_month": 6, "exp_year": 2036},
            "metadata": {"k": "v"},
            "allow_redisplay": "limited",
        },
    )
    assert updated.billing_details.name == "Ada"
    assert updated.billing_details.address.city == "London"
    assert (updated.card.exp_month, updated.card.exp_year) == (6, 2036)
    assert updated.metadata.to_dict() == {"k": "v"} and updated.allow_redisplay == "limited"
    [event] = _events(client, "payment_method.updated")
    assert event.data.previous_attributes.to_dict() == {
        "billing_details": {"name": None, "address": {"city": None, "country": None}},
        "card": {"exp_month": before.card.exp_month, "exp_year": before.card.exp_year},
        "metadata": {"k": None},
        "allow_redisplay": "unspecified",
    }
    # Address fields merge; "" clears one.
    again = client.v1.payment_methods.update(
        pm_id, params={"billing_details": {"address": {"line1": "1 Main St", "city": ""}}}
    )
    assert again.billing_details.address.line1 == "1 Main St"
    assert again.billing_details.address.city is None
    assert again.billing_details.address.country == "GB"
    # An update that changes nothing sends no event.
    client.v1.payment_methods.update(pm_id, params={"allow_redisplay": "limited"})
    assert len(_events(client, "payment_method.updated")) == 2


def test_update_refuses_bad_expiry(client: stripe.StripeClient) -> None:
    _, pm_id = _attached(client)
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_methods.update(pm_id, params={"card": {"exp_month": 13}})
    assert_stripe_error(
        exc.value,
        status=402,
        type_="card_error",
        code="invalid_expiry_month",
        param="card[exp_month]",
    )
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_methods.update(pm_id, params={"card": {"exp_year": 1999}})
    assert_stripe_error(
        exc.value,
        status=402,
        type_="card_error",
        code="invalid_expiry_year",
        param="card[exp_year]",
    )


def test_lists(client: stripe.StripeClient) -> None:
    customer_id, first = _attached(client)
    second = client.v1.payment_methods.attach("pm_card_amex", params={"customer": customer_id})
    client.v1.payment_methods.update(second.id, params={"allow_redisplay": "always"})
    client.v1.payment_methods.create(params=_card())  # not attached: never listed
    other_id, _ = _attached(client)

    # Without a customer Stripe lists only Treasury payment methods: none.
    assert client.v1.payment_methods.list().data == []
    listed = client.v1.payment_methods.list(params={"customer": customer_id, "type": "card"})
    assert [pm.id for pm in listed.data] == [second.id, first]
    assert listed.url == "/v1/payment_methods"
    redisplay = client.v1.payment_methods.list(
        params={"customer": customer_id, "allow_redisplay": "always"}
    )
    assert [pm.id for pm in redisplay.data] == [second.id]
    page = client.v1.payment_methods.list(params={"customer": customer_id, "limit": 1})
    assert page.has_more is True and [pm.id for pm in page.data] == [second.id]

    scoped = client.v1.customers.payment_methods.list(customer_id, params={"type": "card"})
    assert [pm.id for pm in scoped.data] == [second.id, first]
    assert scoped.url == f"/v1/customers/{customer_id}/payment_methods"
    assert (
        client.v1.customers.payment_methods.list(customer_id, params={"type": "sepa_debit"}).data
        == []
    )
    assert client.v1.customers.payment_methods.retrieve(customer_id, first).id == first
    assert client.v1.customers.payment_methods.list(other_id).data[0].customer == other_id


def test_list_refusals(client: stripe.StripeClient) -> None:
    customer_id, pm_id = _attached(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.list(params={"customer": "cus_nope"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="customer",
        message="No such customer: 'cus_nope'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_methods.list("cus_nope")
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")
    other = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_methods.retrieve(other.id, pm_id)
    assert_stripe_error(exc.value, status=404, param="customer", message="Invalid request")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_methods.retrieve(customer_id, "pm_nope")
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="payment_method")
    client.v1.customers.delete(customer_id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_methods.list(params={"customer": customer_id})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="customer")


def test_detaching_the_default_clears_invoice_settings(client: stripe.StripeClient) -> None:
    customer_id, pm_id = _attached(client)
    customer = client.v1.customers.update(
        customer_id, params={"invoice_settings": {"default_payment_method": pm_id}}
    )
    assert customer.invoice_settings.default_payment_method == pm_id
    client.v1.payment_methods.detach(pm_id)
    assert client.v1.customers.retrieve(customer_id).invoice_settings.default_payment_method is None
    latest = _events(client, "customer.updated")[0]
    assert latest.data.previous_attributes.to_dict() == {
        "invoice_settings": {"default_payment_method": pm_id}
    }


def test_expand_customer(client: stripe.StripeClient) -> None:
    customer_id, pm_id = _attached(client)
    pm = client.v1.payment_methods.retrieve(pm_id, params={"expand": ["customer"]})
    assert pm.customer.id == customer_id


def test_a_failed_attach_leaves_nothing_behind(sk: Harness) -> None:
    customer = sk.client.v1.customers.create()
    response = sk.raw(
        "POST",
        "/v1/payment_methods/pm_card_chargeDeclined/attach",
        body=f"customer={customer.id}",
    )
    assert response.status == 402
    assert response.body["error"]["type"] == "card_error"
    assert sk.client.v1.customers.payment_methods.list(customer.id).data == []
