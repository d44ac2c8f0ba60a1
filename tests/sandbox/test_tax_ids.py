"""Tax IDs through the official SDK, in both modes: customer-scoped and top-level routes,
formats and derived countries, Stripe's test-mode verification values, the customer's
includable `tax_ids` list, `tax_id_data` on customer create, invoices' `customer_tax_ids`,
events, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import assert_stripe_error


def events(client: stripe.StripeClient, type_: str) -> list[Any]:
    return list(client.v1.events.list(params={"type": type_}).data)


def customer(client: stripe.StripeClient, **params: Any) -> Any:
    return client.v1.customers.create(params={"name": "Acme GmbH", **params})


def test_create_retrieve_list_delete_on_a_customer(client: stripe.StripeClient) -> None:
    cus = customer(client)
    tax_id = client.v1.customers.tax_ids.create(
        cus.id, params={"type": "eu_vat", "value": "DE123456789"}
    )
    assert tax_id.id.startswith("txi_")
    assert tax_id.object == "tax_id"
    assert (tax_id.type, tax_id.value, tax_id.country) == ("eu_vat", "DE123456789", "DE")
    assert tax_id.customer == cus.id
    assert tax_id.owner.type == "customer" and tax_id.owner.customer == cus.id
    assert tax_id.verification.status == "pending"

    got = client.v1.customers.tax_ids.retrieve(cus.id, tax_id.id)
    assert got.id == tax_id.id
    listed = client.v1.customers.tax_ids.list(cus.id)
    assert [t.id for t in listed.data] == [tax_id.id]
    assert listed.url == f"/v1/customers/{cus.id}/tax_ids"

    deleted = client.v1.customers.tax_ids.delete(cus.id, tax_id.id)
    assert deleted.deleted is True and deleted.id == tax_id.id
    assert client.v1.customers.tax_ids.list(cus.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.tax_ids.retrieve(cus.id, tax_id.id)
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message=f"No such tax_id: '{tax_id.id}'",
    )
    (created,) = events(client, "customer.tax_id.created")
    assert created.data.object.id == tax_id.id
    (gone,) = events(client, "customer.tax_id.deleted")
    assert gone.data.object.id == tax_id.id


def test_verification_follows_stripes_test_values(client: stripe.StripeClient) -> None:
    cus = customer(client)
    values = {
        "DE123456789": "verified",
        "DE000000000": "verified",
        "DE111111111": "unverified",
        "DE222222222": "pending",
    }
    made = {
        value: client.v1.customers.tax_ids.create(cus.id, params={"type": "eu_vat", "value": value})
        for value in values
    }
    assert {t.verification.status for t in made.values()} == {"pending"}
    for value, status in values.items():
        got = client.v1.customers.tax_ids.retrieve(cus.id, made[value].id)
        assert got.verification.status == status, value
    updated = events(client, "customer.tax_id.updated")
    assert sorted(e.data.object.value for e in updated) == [
        "DE000000000",
        "DE111111111",
        "DE123456789",
    ]
    for event in updated:
        assert event.data.previous_attributes.verification.status == "pending"
    # The customer's list shows the settled status too.
    expanded = client.v1.customers.retrieve(cus.id, params={"expand": ["tax_ids"]})
    shown = {t.value: t.verification.status for t in expanded.tax_ids.data}
    assert shown == values


@pytest.mark.parametrize(
    ("type_", "value", "country", "status"),
    [
        ("gb_vat", "GB123456789", "GB", "pending"),
        ("au_abn", "12345678912", "AU", "pending"),
        ("us_ein", "12-3456789", "US", "unavailable"),
        ("eu_vat", "ATU12345678", "AT", "pending"),
        ("eu_vat", "EL123456789", "GR", "pending"),
        # A type whose format the sandbox does not model is taken as given.
        ("br_cnpj", "anything at all", "BR", "unavailable"),
    ],
)
def test_formats_and_countries(
    client: stripe.StripeClient, type_: str, value: str, country: str, status: str
) -> None:
    cus = customer(client)
    tax_id = client.v1.customers.tax_ids.create(cus.id, params={"type": type_, "value": value})
    assert (tax_id.country, tax_id.verification.status) == (country, status)


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("eu_vat", "DE12345"),
        ("eu_vat", "XX123456789"),
        ("gb_vat", "123456789"),
        ("au_abn", "1234"),
        ("us_ein", "12-345"),
    ],
)
def test_bad_value_is_refused_and_changes_nothing(
    client: stripe.StripeClient, type_: str, value: str
) -> None:
    cus = customer(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.tax_ids.create(cus.id, params={"type": type_, "value": value})
    assert_stripe_error(
        exc.value,
        status=400,
        code="tax_id_invalid",
        param="value",
        message=f"Invalid value for {type_}.",
    )
    assert client.v1.customers.tax_ids.list(cus.id).data == []
    assert events(client, "customer.tax_id.created") == []


def test_unknown_type_is_refused(client: stripe.StripeClient) -> None:
    cus = customer(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.tax_ids.create(cus.id, params={"type": "xx_vat", "value": "1"})
    assert_stripe_error(exc.value, status=400, param="type")
    assert client.v1.customers.tax_ids.list(cus.id).data == []


def test_deleted_or_unknown_customer(client: stripe.StripeClient) -> None:
    cus = customer(client)
    client.v1.customers.delete(cus.id)
    for target in (cus.id, "cus_missing"):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.customers.tax_ids.create(
                target, params={"type": "eu_vat", "value": "DE123456789"}
            )
        assert_stripe_error(exc.value, status=404, code="resource_missing", param="customer")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tax_ids.create(
            params={
                "type": "eu_vat",
                "value": "DE123456789",
                "owner": {"type": "customer", "customer": cus.id},
            }
        )
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="owner[customer]")
    assert events(client, "customer.tax_id.created") == []


def test_another_customers_tax_id_is_missing(client: stripe.StripeClient) -> None:
    mine, theirs = customer(client), customer(client)
    tax_id = client.v1.customers.tax_ids.create(
        theirs.id, params={"type": "us_ein", "value": "12-3456789"}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.tax_ids.delete(mine.id, tax_id.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")
    assert client.v1.customers.tax_ids.retrieve(theirs.id, tax_id.id).id == tax_id.id


def test_customer_shows_tax_ids_only_when_expanded(client: stripe.StripeClient) -> None:
    cus = customer(
        client,
        tax_id_data=[
            {"type": "eu_vat", "value": "DE123456789"},
            {"type": "us_ein", "value": "12-3456789"},
        ],
    )
    assert "tax_ids" not in cus
    assert "tax_ids" not in client.v1.customers.retrieve(cus.id)
    expanded = client.v1.customers.retrieve(cus.id, params={"expand": ["tax_ids"]})
    assert expanded.tax_ids.object == "list"
    assert expanded.tax_ids.total_count == 2
    assert [(t.type, t.value) for t in expanded.tax_ids.data] == [
        ("eu_vat", "DE123456789"),
        ("us_ein", "12-3456789"),
    ]
    listed = client.v1.customers.list(params={"expand": ["data.tax_ids"]})
    assert listed.data[0].tax_ids.total_count == 2
    # Events carry the customer without the list, and one event per tax ID.
    (created,) = events(client, "customer.created")
    assert "tax_ids" not in created.data.object
    assert len(events(client, "customer.tax_id.created")) == 2
    # Deleting one leaves the other on the customer.
    first = expanded.tax_ids.data[0]
    client.v1.customers.tax_ids.delete(cus.id, first.id)
    again = client.v1.customers.retrieve(cus.id, params={"expand": ["tax_ids"]})
    assert [t.value for t in again.tax_ids.data] == ["12-3456789"]


def test_bad_tax_id_data_creates_no_customer(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        customer(
            client,
            tax_id_data=[
                {"type": "eu_vat", "value": "DE123456789"},
                {"type": "gb_vat", "value": "nope"},
            ],
        )
    assert_stripe_error(
        exc.value,
        status=400,
        code="tax_id_invalid",
        param="tax_id_data[1][value]",
        message="Invalid value for gb_vat.",
    )
    assert client.v1.customers.list().data == []
    assert client.v1.tax_ids.list(params={"owner": {"type": "self"}}).data == []
    assert events(client, "customer.created") == []


def test_top_level_routes(client: stripe.StripeClient) -> None:
    cus = customer(client)
    own = client.v1.tax_ids.create(params={"type": "eu_vat", "value": "FRAB123456789"})
    assert own.owner.type == "self" and own.customer is None
    theirs = client.v1.tax_ids.create(
        params={
            "type": "gb_vat",
            "value": "GB123456789",
            "owner": {"type": "customer", "customer": cus.id},
        }
    )
    assert theirs.customer == cus.id
    assert [t.id for t in client.v1.tax_ids.list().data] == [own.id]
    by_customer = client.v1.tax_ids.list(params={"owner": {"type": "customer", "customer": cus.id}})
    assert [t.id for t in by_customer.data] == [theirs.id]
    assert client.v1.tax_ids.retrieve(theirs.id).value == "GB123456789"
    assert [t.id for t in client.v1.customers.tax_ids.list(cus.id).data] == [theirs.id]
    # The account's own tax ID has no customer event; the customer's has.
    assert [e.data.object.id for e in events(client, "customer.tax_id.created")] == [theirs.id]
    assert client.v1.tax_ids.delete(own.id).deleted is True
    assert client.v1.tax_ids.delete(theirs.id).deleted is True
    assert client.v1.customers.tax_ids.list(cus.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tax_ids.retrieve(own.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")


def test_top_level_refusals(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tax_ids.create(
            params={"type": "eu_vat", "value": "DE123456789", "owner": {"type": "customer"}}
        )
    assert_stripe_error(exc.value, status=400, param="owner[customer]")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tax_ids.create(
            params={"type": "eu_vat", "value": "DE123456789", "owner": {"type": "account"}}
        )
    assert_stripe_error(exc.value, status=400, param="owner[type]")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.tax_ids.create(params={"type": "au_abn", "value": "12"})
    assert_stripe_error(exc.value, status=400, code="tax_id_invalid", param="value")
    assert client.v1.tax_ids.list().data == []


def test_invoice_carries_customer_tax_ids(client: stripe.StripeClient) -> None:
    cus = customer(client, tax_id_data=[{"type": "eu_vat", "value": "DE123456789"}])
    client.v1.customers.tax_ids.create(cus.id, params={"type": "us_ein", "value": "12-3456789"})
    invoice = client.v1.invoices.create(params={"customer": cus.id})
    assert [(t.type, t.value) for t in invoice.customer_tax_ids] == [
        ("eu_vat", "DE123456789"),
        ("us_ein", "12-3456789"),
    ]
    # While a draft the invoice follows its customer, as its other customer fields do.
    first = client.v1.customers.tax_ids.list(cus.id).data[-1]
    client.v1.customers.tax_ids.delete(cus.id, first.id)
    draft = client.v1.invoices.retrieve(invoice.id)
    assert [t.value for t in draft.customer_tax_ids] == ["12-3456789"]
