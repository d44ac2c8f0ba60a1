"""Request decoding, validation, routing and error shapes."""

from __future__ import annotations

import pytest
import stripe

from conftest import Harness, assert_stripe_error


def test_bracket_nesting_and_booleans(sk: Harness) -> None:
    body = (
        "name=n&metadata[order]=42&address[line1]=1+Main+St&address[country]=US"
        "&preferred_locales[0]=en&preferred_locales[1]=de&expand[]=test_clock"
    )
    response = sk.raw("POST", "/v1/customers", body=body)
    assert response.status == 200, response.body
    assert response.body["metadata"] == {"order": "42"}
    assert response.body["address"]["line1"] == "1 Main St"
    assert response.body["preferred_locales"] == ["en", "de"]


def test_integers_are_coerced(sk: Harness) -> None:
    response = sk.raw("POST", "/v1/customers", body="balance=-500&next_invoice_sequence=7")
    assert response.body["balance"] == -500 and response.body["next_invoice_sequence"] == 7


def test_unknown_parameter(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"nickname": "x"})  # type: ignore[typeddict-unknown-key]
    assert_stripe_error(
        exc.value,
        status=400,
        code="parameter_unknown",
        param="nickname",
        message="Received unknown parameter: nickname",
    )


def test_unknown_nested_parameter(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"address": {"planet": "Mars"}})  # type: ignore[typeddict-unknown-key]
    assert_stripe_error(exc.value, status=400, code="parameter_unknown", param="address[planet]")


def test_invalid_integer(sk: Harness) -> None:
    response = sk.raw("POST", "/v1/customers", body="balance=lots")
    assert response.status == 400
    error = response.body["error"]
    assert (error["code"], error["param"], error["message"]) == (
        "parameter_invalid_integer",
        "balance",
        "Invalid integer: lots",
    )


def test_invalid_enum(sk: Harness) -> None:
    response = sk.raw("POST", "/v1/customers", body="tax_exempt=sometimes")
    assert response.status == 400
    assert response.body["error"]["param"] == "tax_exempt"
    assert response.body["error"]["message"].startswith("Invalid tax_exempt: must be one of")


def test_invalid_limit_type_on_list(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/customers", query="limit=ten")
    assert response.status == 400
    assert response.body["error"]["code"] == "parameter_invalid_integer"


def test_unknown_parameter_on_get(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/customers", query="colour=blue")
    assert response.status == 400 and response.body["error"]["param"] == "colour"


def test_unrecognized_url(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/nothing_here", validate=False)
    assert response.status == 404
    assert response.body["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/nothing_here)."
    )
    assert "code" not in response.body["error"]


def test_wrong_method_is_unrecognized(sk: Harness) -> None:
    response = sk.raw("PUT", "/v1/customers", validate=False)
    assert response.status == 404
    assert "(PUT: /v1/customers)" in response.body["error"]["message"]


def test_trailing_slash_hint(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/customers/", validate=False)
    assert response.status == 404
    assert "remove the trailing slash" in response.body["error"]["message"]


def test_request_id_on_every_response(sk: Harness) -> None:
    ok = sk.raw("GET", "/v1/customers")
    bad = sk.raw("GET", "/v1/customers/cus_missing")
    ids = {ok.headers["request-id"], bad.headers["request-id"]}
    assert len(ids) == 2 and all(i.startswith("req_") for i in ids)


def test_sdk_exposes_request_id(sk: Harness, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    assert customer.last_response.request_id.startswith("req_")


@pytest.mark.parametrize(
    "body",
    [
        "metadata=notahash&metadata[a]=b",
        "metadata[a]=1&metadata=x",
        "address[line1][deep]=x",
        "preferred_locales[]=en&preferred_locales[x]=y",
        "%ff%fe=%00",
        "a[=1",
        "]]]=1",
        "balance=99999999999999999999999999",
        "email=" + "x" * 6000,
        "metadata[" + "k" * 41 + "]=v",
        "expand[]=nope",
        "expand[]=" + ".".join(["a"] * 6),
        "invoice_settings[default_payment_method]=pm_missing",
        "tax_exempt[]=none",
        "shipping[name]=only-name",
    ],
)
def test_garbage_never_500(sk: Harness, body: str) -> None:
    before = sk.raw("GET", "/v1/customers").body["data"]
    response = sk.raw("POST", "/v1/customers", body=body)
    assert 400 <= response.status < 500, response.body
    assert set(response.body["error"]) >= {"type", "message"}
    assert sk.raw("GET", "/v1/customers").body["data"] == before


def test_non_utf8_query_never_500(sk: Harness) -> None:
    response = sk.raw("GET", "/v1/customers", query="email=%ff")
    assert response.status in (200, 400)
