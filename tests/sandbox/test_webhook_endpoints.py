"""Webhook endpoints through the official SDK, in both modes: the secret shown once,
updates (including disabling), deletion, lists, Stripe's errors for bad input, and the
deliveries an endpoint is owed counted in each event's `pending_webhooks`."""

from __future__ import annotations

import pytest
import stripe

from conftest import Harness, assert_stripe_error

# Nothing listens on port 9 (discard): deliveries there fail at once and wait to retry.
NOWHERE = "http://127.0.0.1:9/webhooks"


def _create(client: stripe.StripeClient, **params: object) -> stripe.WebhookEndpoint:
    return client.v1.webhook_endpoints.create(
        params={"url": NOWHERE, "enabled_events": ["*"], **params}  # type: ignore[arg-type]
    )


def test_create_returns_the_secret_once(client: stripe.StripeClient) -> None:
    endpoint = _create(
        client,
        enabled_events=["customer.created", "charge.succeeded", "customer.created"],
        description="orders app",
        metadata={"team": "billing"},
        api_version="2024-06-20",
    )
    assert endpoint.id.startswith("we_") and endpoint.object == "webhook_endpoint"
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) == 38
    assert endpoint.url == NOWHERE and endpoint.status == "enabled"
    assert endpoint.enabled_events == ["customer.created", "charge.succeeded"]
    assert endpoint.description == "orders app" and endpoint.api_version == "2024-06-20"
    assert endpoint.metadata.to_dict() == {"team": "billing"}
    assert endpoint.application is None and endpoint.livemode is False

    fetched = client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert "secret" not in fetched.to_dict()
    assert {**fetched.to_dict(), "secret": endpoint.secret} == endpoint.to_dict()
    listed = client.v1.webhook_endpoints.list().data
    assert [e.id for e in listed] == [endpoint.id] and "secret" not in listed[0].to_dict()
    # Each endpoint has its own secret.
    assert _create(client).secret != endpoint.secret


def test_update_url_events_disabled_description_metadata(client: stripe.StripeClient) -> None:
    endpoint = _create(client, description="first", metadata={"a": "1"})
    updated = client.v1.webhook_endpoints.update(
        endpoint.id,
        params={
            "url": "https://example.test/hooks",
            "enabled_events": ["invoice.paid"],
            "disabled": True,
            "description": "",
            "metadata": {"b": "2"},
        },
    )
    assert updated.url == "https://example.test/hooks"
    assert updated.enabled_events == ["invoice.paid"]
    assert updated.status == "disabled" and updated.description is None
    assert updated.metadata.to_dict() == {"a": "1", "b": "2"}
    assert "secret" not in updated.to_dict()
    again = client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": False})
    assert again.status == "enabled"
    assert client.v1.webhook_endpoints.retrieve(endpoint.id).to_dict() == again.to_dict()


def test_delete(client: stripe.StripeClient) -> None:
    endpoint = _create(client)
    deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.to_dict() == {"id": endpoint.id, "object": "webhook_endpoint", "deleted": True}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")
    assert client.v1.webhook_endpoints.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.webhook_endpoints.delete(endpoint.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")


def test_list_paginates_newest_first(client: stripe.StripeClient) -> None:
    made = [_create(client, description=str(i)).id for i in range(3)]
    page = client.v1.webhook_endpoints.list(params={"limit": 2})
    assert [e.id for e in page.data] == made[::-1][:2] and page.has_more
    rest = client.v1.webhook_endpoints.list(params={"starting_after": page.data[-1].id})
    assert [e.id for e in rest.data] == [made[0]] and not rest.has_more


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"url": "example.com/hooks"}, "url_invalid", "url"),
        ({"url": "ftp://example.com/hooks"}, "url_invalid", "url"),
        ({"url": "http://"}, "url_invalid", "url"),
        ({"enabled_events": ["customer.nonsense"]}, None, "enabled_events[0]"),
        ({"enabled_events": ["*", "no.such_event"]}, None, "enabled_events[1]"),
        ({"api_version": "1999-01-01"}, None, "api_version"),
    ],
)
def test_bad_create_changes_nothing(
    client: stripe.StripeClient, params: dict[str, object], code: str | None, param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        _create(client, **params)
    assert_stripe_error(exc.value, status=400, code=code, param=param)
    assert client.v1.webhook_endpoints.list().data == []


def test_missing_required_params(sk: Harness) -> None:
    for body, param in (("enabled_events[]=*", "url"), (f"url={NOWHERE}", "enabled_events")):
        response = sk.raw("POST", "/v1/webhook_endpoints", body=body)
        assert response.status == 400
        assert response.body["error"]["code"] == "parameter_missing"
        assert response.body["error"]["param"] == param


def test_bad_update_changes_nothing(client: stripe.StripeClient) -> None:
    endpoint = _create(client)
    for params, param in (
        ({"url": "mailto:x@example.com"}, "url"),
        ({"enabled_events": ["customer.nonsense"]}, "enabled_events[0]"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.webhook_endpoints.update(endpoint.id, params=params)  # type: ignore[arg-type]
        assert exc.value.json_body["error"]["param"] == param  # type: ignore[index]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.webhook_endpoints.update("we_missing", params={"description": "x"})
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")
    fetched = client.v1.webhook_endpoints.retrieve(endpoint.id).to_dict()
    assert fetched == {k: v for k, v in endpoint.to_dict().items() if k != "secret"}


def test_pending_webhooks_counts_the_endpoints_that_want_the_event(
    sk: Harness, client: stripe.StripeClient
) -> None:
    _create(client)
    _create(client, enabled_events=["customer.created"])
    _create(client, enabled_events=["customer.updated"])
    disabled = _create(client)
    client.v1.webhook_endpoints.update(disabled.id, params={"disabled": True})
    # A Connect endpoint hears connected accounts' events, not the account's own.
    connect = _create(client, connect=True)
    assert "connect" not in connect.to_dict()
    assert "connect" not in client.v1.webhook_endpoints.retrieve(connect.id).to_dict()
    customer = client.v1.customers.create()
    client.v1.customers.update(customer.id, params={"name": "x"})
    events = {e.type: e for e in client.v1.events.list().data}
    # The deliveries to port 9 fail and wait a minute to retry: still outstanding.
    assert events["customer.created"].pending_webhooks == 2
    assert events["customer.updated"].pending_webhooks == 2
    # Another account's endpoints are not this account's.
    other = sk.make_client(sk.new_key())
    other.v1.customers.create()
    assert other.v1.events.list().data[0].pending_webhooks == 0


def test_endpoints_are_per_account(sk: Harness, client: stripe.StripeClient) -> None:
    endpoint = _create(client)
    other = sk.make_client(sk.new_key())
    assert other.v1.webhook_endpoints.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        other.v1.webhook_endpoints.retrieve(endpoint.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")


def test_at_most_sixteen_endpoints(client: stripe.StripeClient) -> None:
    made = [_create(client).id for _ in range(16)]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        _create(client)
    assert_stripe_error(exc.value, status=400, param="url")
    assert len(client.v1.webhook_endpoints.list(params={"limit": 100}).data) == 16
    client.v1.webhook_endpoints.delete(made[0])  # a deleted one frees its place
    assert _create(client).id.startswith("we_")
