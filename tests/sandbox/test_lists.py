"""Pagination (cursor lists, auto_paging_iter) and expansion errors."""

from __future__ import annotations

import pytest
import stripe

from conftest import Harness, assert_stripe_error


@pytest.fixture
def many(client: stripe.StripeClient) -> list[str]:
    # Created within one or a few seconds: ordering must not rely on `created` alone.
    return [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(250)]


def test_auto_paging_iter_walks_250_newest_first(
    client: stripe.StripeClient, many: list[str]
) -> None:
    walked = [c.id for c in client.v1.customers.list(params={"limit": 100}).auto_paging_iter()]
    assert walked == list(reversed(many))


def test_auto_paging_iter_walks_backwards(client: stripe.StripeClient, many: list[str]) -> None:
    page = client.v1.customers.list(params={"limit": 7, "ending_before": many[0]})
    walked = [c.id for c in page.auto_paging_iter()]
    # Walking backwards from the oldest yields every newer object, oldest first.
    assert walked == many[1:]


def test_page_fields(client: stripe.StripeClient, many: list[str]) -> None:
    page = client.v1.customers.list(params={"limit": 3})
    assert [c.id for c in page.data] == many[-1:-4:-1]
    assert page.has_more is True and page.url == "/v1/customers"
    after = client.v1.customers.list(params={"limit": 3, "starting_after": page.data[-1].id})
    assert [c.id for c in after.data] == many[-4:-7:-1]
    before = client.v1.customers.list(params={"limit": 2, "ending_before": after.data[0].id})
    assert [c.id for c in before.data] == [page.data[1].id, page.data[2].id]
    default = client.v1.customers.list()
    assert len(default.data) == 10


def test_limit_is_clamped(sk: Harness, client: stripe.StripeClient) -> None:
    for _ in range(3):
        client.v1.customers.create()
    assert len(sk.raw("GET", "/v1/customers", query="limit=0").body["data"]) == 1
    assert sk.raw("GET", "/v1/customers", query="limit=1000").status == 200


def test_unknown_cursor(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.list(params={"starting_after": "cus_missing"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="starting_after",
        message="No such customer: 'cus_missing'",
    )


def test_both_cursors(client: stripe.StripeClient) -> None:
    a = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.list(params={"starting_after": a.id, "ending_before": a.id})
    assert "Please pass in only one" in exc.value.user_message


def test_expand_unknown_property(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.retrieve(customer.id, params={"expand": ["bogus"]})
    assert_stripe_error(exc.value, status=400, message="This property cannot be expanded (bogus).")


def test_expand_list_needs_data_prefix(client: stripe.StripeClient) -> None:
    client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.list(params={"expand": ["test_clock"]})
    assert "data.test_clock" in exc.value.user_message


def test_expand_too_deep(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.retrieve(customer.id, params={"expand": ["a.b.c.d.e"]})
    assert "more than 4 levels" in exc.value.user_message


def test_expand_null_field_stays_null(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    got = client.v1.customers.retrieve(customer.id, params={"expand": ["test_clock"]})
    assert got.test_clock is None
