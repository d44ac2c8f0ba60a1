"""3-D Secure in both modes: `requires_action` with a redirect to the sandbox's page, the
page driven as a browser would (a plain HTTP client, no SDK), `Sandbox.authenticate`, and
the cards that need authentication only until they are set up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import stripe

from conftest import Harness, assert_stripe_error

RETURN_URL = "https://shop.example.com/checkout/done?order=7"


@dataclass
class PageAnswer:
    status: int
    headers: dict[str, str]
    text: str


def browse(sk: Harness, method: str, url: str, form: dict[str, str] | None = None) -> PageAnswer:
    """What a browser gets from the page: over a socket in http mode; in-process through
    the engine (the answer is HTML, which `sk.raw` does not parse)."""
    if sk.mode == "http":
        assert url.startswith(sk.base_url + "/")  # absolute, on the host the client used
        response = httpx.request(method, url, data=form, follow_redirects=False)
        return PageAnswer(response.status_code, dict(response.headers), response.text)
    parts = urlsplit(url)
    body = urlencode(form or {}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    answer = sk.sandbox.engine.handle(method, parts.path, parts.query, headers, body)
    return PageAnswer(answer.status, dict(answer.headers), answer.body.decode())


def needs_action(
    client: stripe.StripeClient, card: str = "pm_card_authenticationRequired", **params: Any
) -> Any:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "usd",
            "payment_method": card,
            "confirm": True,
            **params,
        }
    )
    assert pi.status == "requires_action"
    return pi


def events_of(client: stripe.StripeClient, type_: str) -> list[Any]:
    return client.v1.events.list(params={"type": type_}).data


@pytest.mark.parametrize(
    "card", ["pm_card_authenticationRequired", "pm_card_threeDSecure2Required"]
)
def test_approve_on_the_page_redirects_back(sk: Harness, card: str) -> None:
    client = sk.client
    pi = needs_action(client, card, return_url=RETURN_URL)
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == RETURN_URL
    url = pi.next_action.redirect_to_url.url
    assert "/_sandbox/pages/3ds/" in url and url.endswith(pi.id)
    assert pi.latest_charge is None and pi.amount_received == 0
    assert client.v1.charges.list().data == []
    (event,) = events_of(client, "payment_intent.requires_action")
    assert event.data.object.id == pi.id

    page = browse(sk, "GET", url)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "Complete authentication" in page.text and "Fail authentication" in page.text
    assert "$25.00" in page.text and pi.client_secret in page.text
    with pytest.raises(stripe.InvalidRequestError) as early:
        client.v1.payment_intents.capture(pi.id)
    assert_stripe_error(early.value, status=400, code="payment_intent_unexpected_state")

    done = browse(sk, "POST", url, {"action": "approve", "client_secret": pi.client_secret})
    assert done.status == 303
    location = urlsplit(done.headers["location"])
    assert location.netloc == "shop.example.com" and location.path == "/checkout/done"
    assert parse_qs(location.query) == {
        "order": ["7"],
        "payment_intent": [pi.id],
        "payment_intent_client_secret": [pi.client_secret],
        "redirect_status": ["succeeded"],
    }
    paid = client.v1.payment_intents.retrieve(pi.id)
    assert paid.status == "succeeded" and paid.amount_received == 2500
    assert paid.next_action is None and paid.last_payment_error is None
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.captured and charge.status == "succeeded"
    secure = charge.payment_method_details.card.three_d_secure
    assert secure.result == "authenticated" and secure.authentication_flow == "challenge"
    assert charge.payment_method_details.card.electronic_commerce_indicator == "05"
    assert [e.data.object.id for e in events_of(client, "payment_intent.succeeded")] == [pi.id]

    # Finished: the page has nothing more to ask, and refuses a second answer.
    assert "Nothing to authenticate" in browse(sk, "GET", url).text
    twice = browse(sk, "POST", url, {"action": "fail", "client_secret": pi.client_secret})
    assert twice.status == 400
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_fail_on_the_page(sk: Harness) -> None:
    client = sk.client
    pi = needs_action(client, return_url=RETURN_URL)
    url = pi.next_action.redirect_to_url.url
    done = browse(sk, "POST", url, {"action": "fail", "client_secret": pi.client_secret})
    assert done.status == 303
    assert parse_qs(urlsplit(done.headers["location"]).query)["redirect_status"] == ["failed"]
    failed = client.v1.payment_intents.retrieve(pi.id)
    assert failed.status == "requires_payment_method" and failed.payment_method is None
    error = failed.last_payment_error
    assert error.code == "payment_intent_authentication_failure"
    assert error.type == "invalid_request_error" and error.payment_method.id == pi.payment_method
    assert failed.latest_charge is None and client.v1.charges.list().data == []
    (event,) = events_of(client, "payment_intent.payment_failed")
    assert event.data.object.last_payment_error.code == "payment_intent_authentication_failure"
    retry = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert retry.status == "succeeded"


def test_page_without_return_url_and_its_refusals(sk: Harness) -> None:
    client = sk.client
    pi = needs_action(client)
    url = pi.next_action.redirect_to_url.url
    assert pi.next_action.redirect_to_url.return_url is None
    for form in (
        {"action": "approve", "client_secret": "wrong"},
        {"action": "approve"},
        {"action": "maybe", "client_secret": pi.client_secret},
    ):
        refused = browse(sk, "POST", url, form)
        assert refused.status == 400 and "<html" in refused.text
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_action"
    missing = browse(sk, "GET", url.replace(pi.id, "pi_nope"))
    assert missing.status == 404 and "No such payment_intent" in missing.text
    other_account = browse(sk, "GET", url.replace("/3ds/acct_", "/3ds/acct_x"))
    assert other_account.status == 404
    done = browse(sk, "POST", url, {"action": "approve", "client_secret": pi.client_secret})
    assert done.status == 200 and "Authentication complete" in done.text
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_manual_capture_after_authentication(sk: Harness) -> None:
    client = sk.client
    pi = needs_action(client, capture_method="manual")
    held = sk.sandbox.authenticate(pi.id, api_key=sk.api_key)
    assert held.status == "requires_capture" and held.amount_capturable == 2500
    assert client.v1.payment_intents.capture(pi.id).status == "succeeded"


def test_sandbox_authenticate(sk: Harness) -> None:
    client = sk.client
    pi = needs_action(client, return_url=RETURN_URL)
    approved = sk.sandbox.authenticate(pi.id, api_key=sk.api_key)
    assert approved.id == pi.id and approved.status == "succeeded"
    with pytest.raises(ValueError, match="not waiting for authentication"):
        sk.sandbox.authenticate(pi.id, api_key=sk.api_key)
    other = needs_action(client)
    refused = sk.sandbox.authenticate(other.id, approve=False, api_key=sk.api_key)
    assert refused.status == "requires_payment_method"
    assert refused.last_payment_error.code == "payment_intent_authentication_failure"


def test_manual_confirmation_waits_for_the_server(sk: Harness) -> None:
    client = sk.client
    pi = needs_action(client, confirmation_method="manual")
    after = sk.sandbox.authenticate(pi.id, api_key=sk.api_key)
    assert after.status == "requires_confirmation" and after.latest_charge is None
    done = client.v1.payment_intents.confirm(pi.id)
    assert done.status == "succeeded"  # no second challenge


def test_requested_three_d_secure_challenges_any_card(sk: Harness) -> None:
    client = sk.client
    pi = needs_action(
        client,
        "pm_card_visa",
        payment_method_options={"card": {"request_three_d_secure": "challenge"}},
    )
    assert sk.sandbox.authenticate(pi.id, api_key=sk.api_key).status == "succeeded"


def test_card_needs_authentication_until_set_up(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    card = "pm_card_authenticationRequiredOnSetup"
    with pytest.raises(stripe.CardError) as cold:
        client.v1.payment_intents.create(
            params={
                "amount": 2500,
                "currency": "usd",
                "payment_method": card,
                "confirm": True,
                "off_session": True,
            }
        )
    assert cold.value.code == "authentication_required"

    first = needs_action(client, card, customer=customer.id, setup_future_usage="off_session")
    assert sk.sandbox.authenticate(first.id, api_key=sk.api_key).status == "succeeded"
    saved = client.v1.payment_methods.retrieve(first.payment_method)
    assert saved.customer == customer.id
    later = client.v1.payment_intents.create(
        params={
            "amount": 1800,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": saved.id,
            "confirm": True,
            "off_session": True,
        }
    )
    assert later.status == "succeeded"
    on_session = client.v1.payment_intents.create(
        params={
            "amount": 1800,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": saved.id,
            "confirm": True,
        }
    )
    assert on_session.status == "succeeded"
    # The always-3DS card asks every time, set up or not.
    always = needs_action(client, customer=customer.id, setup_future_usage="off_session")
    sk.sandbox.authenticate(always.id, api_key=sk.api_key)
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(
            params={
                "amount": 1800,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": always.payment_method,
                "confirm": True,
                "off_session": True,
            }
        )


def test_setup_intents_use_the_same_page(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create()
    seti = client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "return_url": RETURN_URL,
        }
    )
    assert seti.status == "requires_action"
    url = seti.next_action.redirect_to_url.url
    page = browse(sk, "GET", url)
    assert page.status == 200 and "saving this card" in page.text
    done = browse(sk, "POST", url, {"action": "approve", "client_secret": seti.client_secret})
    assert done.status == 303
    query = parse_qs(urlsplit(done.headers["location"]).query)
    assert query["setup_intent"] == [seti.id] and query["redirect_status"] == ["succeeded"]
    assert client.v1.setup_intents.retrieve(seti.id).status == "succeeded"

    refused = client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
        }
    )
    failed = sk.sandbox.authenticate(refused.id, approve=False, api_key=sk.api_key)
    assert failed.status == "requires_payment_method"
