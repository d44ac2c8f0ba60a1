"""Authentication, accounts and restricted keys."""

from __future__ import annotations

import base64

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox import Sandbox


def test_bearer_and_basic_auth_reach_the_same_account(sk: Harness) -> None:
    created = sk.raw("POST", "/v1/customers", body="email=a%40example.com")
    assert created.status == 200
    basic = base64.b64encode(f"{sk.api_key}:".encode()).decode()
    fetched = sk.raw(
        "GET",
        f"/v1/customers/{created.body['id']}",
        headers={"Authorization": f"Basic {basic}"},
        api_key=None,
    )
    assert fetched.status == 200 and fetched.body["email"] == "a@example.com"


def test_missing_key_is_401(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/customers", api_key=None)
    assert response.status == 401
    assert response.body["error"]["type"] == "invalid_request_error"
    assert response.body["error"]["message"].startswith("You did not provide an API key.")
    assert response.headers["request-id"].startswith("req_")


def test_malformed_authorization_header_is_401(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/customers", headers={"Authorization": "Token abc"}, api_key=None)
    assert response.status == 401
    assert "you did set your Authorization header" in response.body["error"]["message"]


def test_malformed_key_is_401_with_masked_key(sk: Harness) -> None:
    with pytest.raises(stripe.AuthenticationError) as exc:
        sk.make_client("sk_live_abcdefghijklmnop").v1.customers.list()
    assert_stripe_error(
        exc.value, status=401, message="Invalid API Key provided: sk_live_************mnop"
    )


def test_any_new_well_formed_key_opens_an_empty_account(sk: Harness) -> None:
    fresh = sk.make_client("sk_test_brandnewaccount123")
    assert fresh.v1.customers.list().data == []
    customer = fresh.v1.customers.create(params={"name": "n"})
    assert fresh.v1.customers.retrieve(customer.id).name == "n"
    with pytest.raises(stripe.InvalidRequestError):
        sk.client.v1.customers.retrieve(customer.id)


def test_strict_keys_accepts_only_issued_keys() -> None:
    with Sandbox(strict_keys=True) as sandbox:
        assert sandbox.client().v1.customers.list().data == []
        with pytest.raises(stripe.AuthenticationError) as exc:
            sandbox.client("sk_test_notissuedbythesandbox").v1.customers.list()
        assert_stripe_error(exc.value, status=401)
        issued = sandbox.new_api_key()
        assert sandbox.client(issued).v1.customers.list().data == []


def test_read_only_restricted_key(sk: Harness) -> None:
    customer = sk.client.v1.customers.create(params={"name": "x"})
    key = sk.sandbox.create_restricted_key("read_only", api_key=sk.api_key)
    assert key.startswith("rk_test_")
    restricted = sk.make_client(key)
    assert restricted.v1.customers.retrieve(customer.id).name == "x"
    with pytest.raises(stripe.PermissionError) as exc:
        restricted.v1.customers.create(params={"name": "y"})
    assert_stripe_error(exc.value, status=403)
    message = exc.value.json_body["error"]["message"]
    assert "rak_customer_write" in message and key[-6:] in message and key not in message
    assert len(sk.client.v1.customers.list().data) == 1


def test_per_resource_restricted_key(sk: Harness) -> None:
    key = sk.sandbox.create_restricted_key({"customers": "write"}, api_key=sk.api_key)
    restricted = sk.make_client(key)
    restricted.v1.customers.create(params={"name": "ok"})
    with pytest.raises(stripe.PermissionError):
        restricted.v1.events.list()


def test_unknown_restricted_key_is_401(sk: Harness) -> None:
    with pytest.raises(stripe.AuthenticationError):
        sk.make_client("rk_test_neverissued1234").v1.customers.list()


def test_restricted_keys_over_the_control_endpoint(sk: Harness) -> None:
    response = sk.raw("POST", "/_sandbox/restricted_keys", body="permissions[customers]=read")
    assert response.status == 200
    key = response.body["secret"]
    denied = sk.raw("POST", "/v1/customers", body="name=x", api_key=key)
    assert denied.status == 403
    bad = sk.raw("POST", "/_sandbox/restricted_keys", body="permissions[customers]=admin")
    assert bad.status == 400 and bad.body["error"]["param"] == "permissions[customers]"


def test_stripe_account_header_for_another_account_is_refused(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/customers", headers={"Stripe-Account": "acct_someoneelse"})
    assert response.status == 403
