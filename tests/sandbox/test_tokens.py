"""Tokens through the official SDK, in both modes: card tokens with legacy card objects,
Stripe's card errors, the test tokens, and single use."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework import testcards

CARD = {"number": "4242424242424242", "exp_month": "8", "exp_year": "2034", "cvc": "314"}


def _token(client: stripe.StripeClient, **overrides: Any) -> Any:
    return client.v1.tokens.create(params={"card": {**CARD, **overrides}})


def test_card_token_has_stripe_shape(client: stripe.StripeClient) -> None:
    token = _token(
        client,
        name="Jenny Rosen",
        address_line1="1 Main St",
        address_city="Springfield",
        address_zip="12345",
        address_country="US",
    )
    assert token.id.startswith("tok_") and token.object == "token"
    assert token.type == "card" and token.used is False and token.livemode is False
    assert token.client_ip is None
    card = token.card
    assert card.id.startswith("card_") and card.object == "card"
    assert card.brand == "Visa" and card.last4 == "4242" and card.funding == "credit"
    assert (card.exp_month, card.exp_year) == (8, 2034)
    assert card.name == "Jenny Rosen" and card.address_city == "Springfield"
    assert card.address_line2 is None and card.address_state is None
    assert card.cvc_check == "unchecked"
    assert card.address_line1_check == "unchecked" and card.address_zip_check == "unchecked"
    assert card.metadata.to_dict() == {} and card.dynamic_last4 is None
    assert client.v1.tokens.retrieve(token.id).to_dict() == token.to_dict()


def test_checks_are_null_for_what_was_not_given(client: stripe.StripeClient) -> None:
    token = client.v1.tokens.create(
        params={"card": {"number": "4242424242424242", "exp_month": "1", "exp_year": "2040"}}
    )
    assert token.card.cvc_check is None
    assert token.card.address_line1_check is None and token.card.address_zip_check is None


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("5555555555554444", "MasterCard"),
        ("378282246310005", "American Express"),
        ("6011111111111117", "Discover"),
        ("3056930009020004", "Diners Club"),
        ("3566002020360505", "JCB"),
        ("6200000000000005", "UnionPay"),
        ("4000056655665556", "Visa"),
    ],
)
def test_legacy_brand_names(client: stripe.StripeClient, number: str, brand: str) -> None:
    token = _token(client, number=number, cvc="1234" if brand == "American Express" else "123")
    assert token.card.brand == brand and token.card.last4 == number[-4:]


@pytest.mark.parametrize(
    ("card", "code", "param", "message"),
    [
        (
            {"number": "4242424242424241"},
            "incorrect_number",
            "number",
            "Your card number is incorrect.",
        ),
        ({"number": "12345"}, "invalid_number", "number", "Your card number is invalid."),
        (
            {"exp_month": "13"},
            "invalid_expiry_month",
            "exp_month",
            "Your card's expiration month is invalid.",
        ),
        ({"exp_month": "ab"}, "invalid_expiry_month", "exp_month", None),
        (
            {"exp_year": "1999"},
            "invalid_expiry_year",
            "exp_year",
            "Your card's expiration year is invalid.",
        ),
        ({"exp_year": "soon"}, "invalid_expiry_year", "exp_year", None),
        ({"cvc": "1"}, "invalid_cvc", "cvc", "Your card's security code is invalid."),
    ],
)
def test_bad_card_details_are_legacy_card_errors(
    client: stripe.StripeClient, card: dict[str, str], code: str, param: str, message: str | None
) -> None:
    with pytest.raises(stripe.CardError) as exc:
        _token(client, **card)
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code=code, param=param, message=message
    )


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({}, None, None),
        ({"card": {"exp_month": "1", "exp_year": "2040"}}, "card[number]", "parameter_missing"),
        (
            {"card": {"number": "4242424242424242", "exp_year": "2040"}},
            "card[exp_month]",
            "parameter_missing",
        ),
        (
            {"card": {"number": "4242424242424242", "exp_month": "2"}},
            "card[exp_year]",
            "parameter_missing",
        ),
        (
            {
                "bank_account": {
                    "country": "US",
                    "currency": "usd",
                    "account_number": "000123456789",
                    "routing_number": "110000000",
                }
            },
            "bank_account",
            None,
        ),
        ({"card": "card_123"}, "card", None),
    ],
)
def test_bad_token_requests(
    client: stripe.StripeClient, params: dict[str, Any], param: str | None, code: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tokens.create(params=params)
    assert_stripe_error(exc.value, status=400, code=code, param=param)


def test_missing_everything_message(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tokens.create(params={})
    assert exc.value.json_body["error"]["message"] == (
        "You must supply either a card, customer, PII data, bank account, or account legal "
        "entity to create a token."
    )


def test_retrieve_unknown_and_test_tokens_is_404(client: stripe.StripeClient) -> None:
    for token in ("tok_nope", "tok_visa"):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.tokens.retrieve(token)
        assert_stripe_error(
            exc.value,
            status=404,
            code="resource_missing",
            param="token",
            message=f"No such token: '{token}'",
        )


def test_a_token_is_single_use(client: stripe.StripeClient) -> None:
    token = _token(client)
    customer = client.v1.customers.create()
    card = client.v1.customers.payment_sources.create(customer.id, params={"source": token.id})
    assert card.id == token.card.id  # the token's card is the saved card
    assert client.v1.tokens.retrieve(token.id).used is True
    for use in (
        lambda: client.v1.customers.payment_sources.create(
            customer.id, params={"source": token.id}
        ),
        lambda: client.v1.customers.create(params={"source": token.id}),
        lambda: client.v1.payment_methods.create(
            params={"type": "card", "card": {"token": token.id}}
        ),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            use()
        assert_stripe_error(
            exc.value,
            status=400,
            code="token_already_used",
            message=f"You cannot use a Stripe token more than once: {token.id}.",
        )


def test_a_failed_use_does_not_spend_the_token(client: stripe.StripeClient) -> None:
    token = _token(client, number="4000000000000002")  # declines when saved
    customer = client.v1.customers.create()
    with pytest.raises(stripe.CardError):
        client.v1.customers.payment_sources.create(customer.id, params={"source": token.id})
    assert client.v1.tokens.retrieve(token.id).used is False


@pytest.mark.parametrize("name", sorted(testcards.MAGIC_NAMES))
def test_every_test_token_is_accepted_repeatedly(client: stripe.StripeClient, name: str) -> None:
    number = testcards.MAGIC_NAMES[name]
    ids = set()
    for _ in range(2):
        pm = client.v1.payment_methods.create(
            params={"type": "card", "card": {"token": f"tok_{name}"}}
        )
        assert pm.card.last4 == number[-4:]
        ids.add(pm.id)
    assert len(ids) == 2


@pytest.mark.parametrize("name", sorted(testcards.MAGIC_NAMES))
def test_every_test_token_saves_or_declines_as_a_source(
    client: stripe.StripeClient, name: str
) -> None:
    number = testcards.MAGIC_NAMES[name]
    customer = client.v1.customers.create()
    if testcards.CARDS[number].outcome == testcards.DECLINE:
        with pytest.raises(stripe.CardError):
            client.v1.customers.payment_sources.create(
                customer.id, params={"source": f"tok_{name}"}
            )
        return
    card = client.v1.customers.payment_sources.create(customer.id, params={"source": f"tok_{name}"})
    assert card.last4 == number[-4:] and card.customer == customer.id


@pytest.mark.parametrize(
    ("kind", "value"), [("pii", {"id_number": "000000000"}), ("cvc_update", {"cvc": "123"})]
)
def test_other_token_types(client: stripe.StripeClient, kind: str, value: dict[str, str]) -> None:
    token = client.v1.tokens.create(params={kind: value})
    assert token.type == kind and token.used is False
    assert client.v1.tokens.retrieve(token.id).type == kind
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.create(customer.id, params={"source": token.id})
    assert_stripe_error(exc.value, status=400, param="source")


def test_token_from_a_customers_card(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_mastercard"})
    token = client.v1.tokens.create(params={"customer": customer.id})
    assert token.type == "card" and token.card.last4 == "4444"
    assert token.card.id != customer.default_source
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tokens.create(params={"customer": customer.id, "card": "card_nope"})
    assert_stripe_error(exc.value, status=400, code="missing", param="card")
    bare = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tokens.create(params={"customer": bare.id})
    assert_stripe_error(exc.value, status=400, param="customer")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tokens.create(params={"customer": "cus_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="customer")


def test_unknown_token_as_a_source_is_a_400(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.create(customer.id, params={"source": "tok_nope"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="source",
        message="No such token: 'tok_nope'",
    )


def test_consume_helper_for_charges(sk: Harness) -> None:
    """`tokens.consume` is what legacy charges call for `source=tok_...`."""
    from stripekit.sandbox.resources import tokens

    token = _token(sk.client, number="4000000000009995")
    engine = sk.sandbox.engine
    with engine.context_for(sk.api_key) as ctx:
        card, test_card = tokens.consume(ctx, token.id, param="source")
        assert card["id"] == token.card.id and card["last4"] == "9995"
        assert test_card.decline_code == "insufficient_funds"
        magic_card, magic = tokens.consume(ctx, "tok_amex", param="source")
        assert magic_card["brand"] == "American Express" and magic.brand == "amex"
        assert tokens.card_of_legacy(magic_card) == magic
    assert sk.client.v1.tokens.retrieve(token.id).used is True
