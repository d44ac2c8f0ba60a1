"""A customer's legacy card sources through the official SDK, in both modes: saving from
tokens and card details, the default source, updates, deletes, declines, and what
customers create/update do with `source`, `payment_method` and their defaults."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error


def _events(client: stripe.StripeClient, type_: str) -> list[Any]:
    return client.v1.events.list(params={"type": type_}).data


def _add(client: stripe.StripeClient, customer_id: str, source: str = "tok_visa") -> Any:
    return client.v1.customers.payment_sources.create(customer_id, params={"source": source})


def test_first_card_becomes_the_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    card = _add(client, customer.id)
    assert card.id.startswith("card_") and card.object == "card"
    assert card.customer == customer.id and card.brand == "Visa" and card.last4 == "4242"
    assert card.cvc_check == "pass"  # saving verified the card
    assert client.v1.customers.retrieve(customer.id).default_source == card.id
    [created] = _events(client, "customer.source.created")
    assert created.data.object.id == card.id
    [updated] = _events(client, "customer.updated")
    assert updated.data.previous_attributes.to_dict() == {"default_source": None}

    second = _add(client, customer.id, "tok_mastercard")
    assert client.v1.customers.retrieve(customer.id).default_source == card.id
    listed = client.v1.customers.payment_sources.list(customer.id, params={"object": "card"})
    assert [c.id for c in listed.data] == [second.id, card.id]
    assert listed.url == f"/v1/customers/{customer.id}/sources"
    assert client.v1.customers.payment_sources.list(customer.id).data[0].id == second.id
    assert (
        client.v1.customers.payment_sources.list(
            customer.id, params={"object": "bank_account"}
        ).data
        == []
    )
    assert (
        client.v1.customers.payment_sources.retrieve(customer.id, card.id).to_dict()
        == card.to_dict()
    )
    expanded = client.v1.customers.retrieve(customer.id, params={"expand": ["default_source"]})
    assert expanded.default_source.id == card.id


def test_card_details_and_metadata(sk: Harness) -> None:
    customer = sk.client.v1.customers.create()
    body = (
        "card[number]=5555555555554444&card[exp_month]=4&card[exp_year]=2035&card[cvc]=123"
        "&card[name]=Ada&card[address_zip]=94103&metadata[k]=v"
    )
    response = sk.raw("POST", f"/v1/customers/{customer.id}/sources", body=body)
    assert response.status == 200, response.body
    card = response.body
    assert card["brand"] == "MasterCard" and card["name"] == "Ada"
    assert card["address_zip"] == "94103" and card["address_zip_check"] == "pass"
    assert card["metadata"] == {"k": "v"}
    bad = sk.raw(
        "POST",
        f"/v1/customers/{customer.id}/sources",
        body="card[number]=4242424242424241&card[exp_month]=4&card[exp_year]=2035",
    )
    assert bad.status == 402
    assert (
        bad.body["error"]["code"] == "incorrect_number" and bad.body["error"]["param"] == "number"
    )


def test_saving_a_declining_card_is_a_card_error(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.CardError) as exc:
        _add(client, customer.id, "tok_chargeDeclinedInsufficientFunds")
    assert_stripe_error(
        exc.value,
        status=402,
        type_="card_error",
        code="card_declined",
        param="source",
        message="Your card has insufficient funds.",
    )
    assert exc.value.json_body["error"]["decline_code"] == "insufficient_funds"
    assert client.v1.customers.payment_sources.list(customer.id).data == []
    assert client.v1.customers.retrieve(customer.id).default_source is None
    # The card that fails only when charged saves fine.
    assert _add(client, customer.id, "tok_chargeCustomerFail").last4 == "0341"


def test_source_refusals(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.create(customer.id, params={})
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="source")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        _add(client, customer.id, "src_nope")
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="source")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        _add(client, "cus_nope")
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.retrieve(customer.id, "card_nope")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such source: 'card_nope'",
    )
    other = client.v1.customers.create()
    theirs = _add(client, other.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.retrieve(customer.id, theirs.id)
    assert exc.value.http_status == 404


def test_update_card_fields_and_event(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    card = _add(client, customer.id)
    updated = client.v1.customers.payment_sources.update(
        customer.id,
        card.id,
        params={
            "name": "Ada Lovelace",
            "address_line1": "1 Main St",
            "exp_month": "3",
            "exp_year": "2036",
            "metadata": {"k": "v"},
        },
    )
    assert updated.name == "Ada Lovelace" and updated.address_line1 == "1 Main St"
    assert updated.address_line1_check == "unchecked"
    assert (updated.exp_month, updated.exp_year) == (3, 2036)
    assert updated.metadata.to_dict() == {"k": "v"}
    [event] = _events(client, "customer.source.updated")
    assert event.data.previous_attributes.to_dict() == {
        "name": None,
        "address_line1": None,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "metadata": {"k": None},
    }
    with pytest.raises(stripe.CardError) as exc:
        client.v1.customers.payment_sources.update(customer.id, card.id, params={"exp_month": "13"})
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code="invalid_expiry_month", param="exp_month"
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.update(
            customer.id, card.id, params={"account_holder_name": "x"}
        )
    assert exc.value.http_status == 400


def test_delete_moves_the_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    first = _add(client, customer.id)
    second = _add(client, customer.id, "tok_mastercard")
    third = _add(client, customer.id, "tok_amex")
    deleted = client.v1.customers.payment_sources.delete(customer.id, first.id)
    assert deleted.to_dict() == {"id": first.id, "object": "card", "deleted": True}
    # The most recently added card left becomes the default.
    assert client.v1.customers.retrieve(customer.id).default_source == third.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.retrieve(customer.id, first.id)
    assert exc.value.http_status == 404
    client.v1.customers.payment_sources.delete(customer.id, second.id)  # not the default
    assert client.v1.customers.retrieve(customer.id).default_source == third.id
    client.v1.customers.payment_sources.delete(customer.id, third.id)
    assert client.v1.customers.retrieve(customer.id).default_source is None
    assert len(_events(client, "customer.source.deleted")) == 3
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.payment_sources.delete(customer.id, third.id)
    assert exc.value.http_status == 404


def test_legacy_cards_routes(sk: Harness) -> None:
    customer = sk.client.v1.customers.create()
    created = sk.raw("POST", f"/v1/customers/{customer.id}/cards", body="source=tok_discover")
    assert created.status == 200 and created.body["brand"] == "Discover"
    card_id = created.body["id"]
    listed = sk.raw("GET", f"/v1/customers/{customer.id}/cards")
    assert [c["id"] for c in listed.body["data"]] == [card_id]
    assert listed.body["url"] == f"/v1/customers/{customer.id}/cards"
    assert sk.raw("GET", f"/v1/customers/{customer.id}/cards/{card_id}").body["id"] == card_id
    missing = sk.raw("GET", f"/v1/customers/{customer.id}/cards/card_nope")
    assert missing.status == 404
    assert missing.body["error"]["message"] == (
        f"Customer {customer.id} does not have card with ID card_nope"
    )
    updated = sk.raw("POST", f"/v1/customers/{customer.id}/cards/{card_id}", body="name=Ada")
    assert updated.body["name"] == "Ada"
    gone = sk.raw("DELETE", f"/v1/customers/{customer.id}/cards/{card_id}")
    assert gone.body == {"id": card_id, "object": "card", "deleted": True}


def test_customer_create_with_a_source(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_amex"})
    assert customer.default_source and customer.default_source.startswith("card_")
    [card] = client.v1.customers.payment_sources.list(customer.id).data
    assert card.id == customer.default_source and card.brand == "American Express"
    assert [e.type for e in client.v1.events.list().data] == [
        "customer.source.created",
        "customer.created",
    ]


def test_customer_create_with_a_declining_source_creates_nothing(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.CardError) as exc:
        client.v1.customers.create(params={"source": "tok_chargeDeclined"})
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code="card_declined", param="source"
    )
    assert client.v1.customers.list().data == []
    assert client.v1.events.list().data == []


def test_customer_update_source_replaces_the_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_visa"})
    old = customer.default_source
    extra = _add(client, customer.id, "tok_discover")
    updated = client.v1.customers.update(customer.id, params={"source": "tok_mastercard"})
    assert updated.default_source not in (old, extra.id)
    ids = [c.id for c in client.v1.customers.payment_sources.list(customer.id).data]
    assert updated.default_source in ids and extra.id in ids and old not in ids
    latest = _events(client, "customer.updated")[0]
    assert latest.data.previous_attributes.to_dict() == {"default_source": old}
    assert _events(client, "customer.source.deleted")[0].data.object.id == old


def test_customer_default_source_must_be_its_own(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_visa"})
    second = _add(client, customer.id, "tok_mastercard")
    switched = client.v1.customers.update(customer.id, params={"default_source": second.id})
    assert switched.default_source == second.id
    other = client.v1.customers.create(params={"source": "tok_visa"})
    for wrong in ("card_nope", other.default_source):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.customers.update(customer.id, params={"default_source": wrong})
        assert_stripe_error(
            exc.value,
            status=400,
            code="missing",
            param="default_source",
            message=f"Customer {customer.id} does not have a linked source with ID {wrong}.",
        )


def test_customer_create_with_payment_method(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        params={"payment_method": "pm_card_visa", "email": "pm@example.com"}
    )
    [pm] = client.v1.customers.payment_methods.list(customer.id).data
    assert pm.customer == customer.id
    assert [e.type for e in client.v1.events.list().data] == [
        "payment_method.attached",
        "customer.created",
    ]
    made = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    with_default = client.v1.customers.create(
        params={
            "payment_method": made.id,
            "invoice_settings": {"default_payment_method": made.id},
        }
    )
    assert with_default.invoice_settings.default_payment_method == made.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"payment_method": made.id})
    assert_stripe_error(exc.value, status=400, param="payment_method")
    with pytest.raises(stripe.CardError) as exc:
        client.v1.customers.create(params={"payment_method": "pm_card_chargeDeclined"})
    assert_stripe_error(
        exc.value, status=402, type_="card_error", code="card_declined", param="payment_method"
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"payment_method": "pm_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="payment_method")
    assert len(client.v1.customers.list().data) == 2


def test_default_payment_method_must_be_attached_to_the_customer(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create()
    loose = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    for call in (
        lambda: client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": loose.id}}
        ),
        lambda: client.v1.customers.create(
            params={"invoice_settings": {"default_payment_method": loose.id}}
        ),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(
            exc.value,
            status=400,
            param="invoice_settings[default_payment_method]",
            message=f"The customer does not have a payment method with the ID {loose.id}. "
            "The payment method must be attached to the customer.",
        )
    other = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    theirs = client.v1.customers.payment_methods.list(other.id).data[0].id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": theirs}}
        )
    assert exc.value.http_status == 400
    client.v1.payment_methods.attach(loose.id, params={"customer": customer.id})
    updated = client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": loose.id}}
    )
    assert updated.invoice_settings.default_payment_method == loose.id


def test_helpers_for_charges(sk: Harness) -> None:
    """`find_card`, `card_of_source` and `default_card` are what legacy charges use."""
    from stripekit.sandbox.framework.errors import InvalidRequestError
    from stripekit.sandbox.resources import sources

    customer = sk.client.v1.customers.create(params={"source": "tok_chargeCustomerFail"})
    engine = sk.sandbox.engine
    with engine.context_for(sk.api_key) as ctx:
        card = sources.card_of_source(ctx, customer.id, customer.default_source)
        assert card.number == "4000000000000341"
        stored = sources.find_card(ctx, customer.id, customer.default_source)
        assert stored["last4"] == "0341"
        found = ctx.find("customer", customer.id)
        assert found is not None
        default = sources.default_card(ctx, found)
        assert default is not None and default["id"] == customer.default_source
        with pytest.raises(InvalidRequestError) as exc:
            sources.card_of_source(ctx, "cus_other", customer.default_source)
        assert exc.value.code == "missing" and exc.value.param == "source"
