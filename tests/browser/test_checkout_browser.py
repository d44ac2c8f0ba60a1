"""A real browser pays a Checkout Session: headless Debian Chromium, driven by Playwright,
opens the session's `url` on a sandbox served over a socket, types Stripe's test cards
into the hosted page and lands on the success URL; the SDK then checks the session, the
PaymentIntent and the events. Skipped (with the reason shown) when Chromium or Playwright
is missing; `scripts/test.sh` installs Chromium when it can."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from stripekit.sandbox import Sandbox

CHROMIUM = os.environ.get("STRIPEKIT_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need Playwright (pip install -e '.[dev]')"
)

SHOP = "http://shop.example.test"
SUCCESS = SHOP + "/thanks?session={CHECKOUT_SESSION_ID}"
CANCEL = SHOP + "/cart"
# Playwright drives the system Chromium; it never downloads a browser of its own.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(tmp_path_factory.mktemp("browser") / "sandbox.db")
    server = sandbox.serve()
    yield sandbox, server.url
    server.stop()
    sandbox.close()


@pytest.fixture
def client(served: tuple[Sandbox, str]) -> stripe.StripeClient:
    sandbox, url = served
    return stripe.StripeClient(
        sandbox.new_api_key(), base_addresses={"api": url}, max_network_retries=0
    )


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
        )
        # The shop's own pages: answered here, so the test needs no second server.
        context.route(
            f"{SHOP}/**",
            lambda route: route.fulfill(
                status=200, content_type="text/html", body="<h1>Thanks for your order</h1>"
            ),
        )
        yield context
        context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    tab = browser_context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    tab.close()


def new_session(client: stripe.StripeClient, amount: int = 2000) -> Any:
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": amount, "product_data": {"name": "Mug"}}
    )
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": SUCCESS,
            "cancel_url": CANCEL,
        }
    )


def fill_card(page: Any, number: str, *, email: str | None = "buyer@example.com") -> None:
    if email is not None:
        page.fill("input[name=email]", email)
    page.fill("input[name=card_number]", number)
    page.fill("input[name=exp]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.click("#submit")


def success_url(session_id: str) -> str:
    return SUCCESS.replace("{CHECKOUT_SESSION_ID}", session_id)


def assert_paid(client: stripe.StripeClient, session_id: str, amount: int) -> None:
    session = client.v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["payment_intent"]}
    )
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.customer_details.email == "buyer@example.com"
    intent = session.payment_intent
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", amount, amount)
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert types[0] == "checkout.session.completed"
    assert "payment_intent.succeeded" in types and "charge.succeeded" in types
    (completed,) = client.v1.events.list(params={"type": "checkout.session.completed"}).data
    assert completed.data.object.id == session_id


def test_pay_with_4242_lands_on_the_success_url(page: Any, client: stripe.StripeClient) -> None:
    session = new_session(client)
    page.goto(session.url)
    assert "Mug" in page.inner_text("main") and page.inner_text("#total") == "$20.00"
    fill_card(page, "4242 4242 4242 4242")
    page.wait_for_url(success_url(session.id))
    assert page.inner_text("h1") == "Thanks for your order"
    assert_paid(client, session.id, 2000)


def test_decline_then_retry(page: Any, client: stripe.StripeClient) -> None:
    session = new_session(client, 3100)
    page.goto(session.url)
    fill_card(page, "4000 0000 0000 0002")
    assert page.inner_text("#error") == "Your card was declined."
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    fill_card(page, "4242424242424242")
    page.wait_for_url(success_url(session.id))
    assert_paid(client, session.id, 3100)
    charges = client.v1.charges.list().data
    assert [c.status for c in charges] == ["succeeded", "failed"]


def test_three_d_secure_card_authenticates_then_succeeds(
    page: Any, client: stripe.StripeClient
) -> None:
    session = new_session(client, 4500)
    page.goto(session.url)
    fill_card(page, "4000 0027 6000 3184")
    page.wait_for_url("**/_sandbox/pages/3ds/**")
    assert "$45.00" in page.inner_text("main")
    page.click("text=Complete authentication")
    page.wait_for_url(success_url(session.id))
    assert_paid(client, session.id, 4500)


def test_cancel_link_goes_to_cancel_url(page: Any, client: stripe.StripeClient) -> None:
    session = new_session(client)
    page.goto(session.url)
    page.click("#cancel")
    page.wait_for_url(CANCEL)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


# -- SEPA Direct Debit and shipping options --------------------------------------------------

IBAN_SUCCEEDS_LATE = "DE08370400440532013003"  # processing, then succeeds
DEBIT_SETTLES = 180  # seconds the sandbox's test IBANs take to settle


def sepa_session(client: stripe.StripeClient) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "payment_method_types": ["card", "sepa_debit"],
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 1800,
                        "product_data": {"name": "Abo"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": SUCCESS,
        }
    )


def fill_iban(page: Any, iban: str) -> None:
    page.check("#method_sepa_debit")
    page.fill("input[name=iban]", iban)
    page.fill("input[name=account_holder_name]", "Jenny Rosen")
    page.click("#submit")


def test_pay_by_iban_completes_unpaid_then_paid(
    page: Any, client: stripe.StripeClient, served: tuple[Sandbox, str]
) -> None:
    session = sepa_session(client)
    page.goto(session.url)
    assert "authorise" in page.inner_text("#mandate")
    page.fill("input[name=email]", "buyer@example.com")
    fill_iban(page, IBAN_SUCCEEDS_LATE)
    page.wait_for_url(success_url(session.id))
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    assert done.payment_intent.status == "processing"
    assert done.payment_intent.payment_method_types == ["card", "sepa_debit"]
    served[0].advance_clock(DEBIT_SETTLES + 1)
    settled = client.v1.checkout.sessions.retrieve(session.id)
    assert (settled.status, settled.payment_status) == ("complete", "paid")
    heard = client.v1.events.list(params={"type": "checkout.session.async_payment_succeeded"}).data
    assert [e.data.object["id"] for e in heard] == [session.id]


def test_invalid_iban_shows_the_error_then_retry(page: Any, client: stripe.StripeClient) -> None:
    session = sepa_session(client)
    page.goto(session.url)
    page.fill("input[name=email]", "buyer@example.com")
    fill_iban(page, "DE00123")
    assert page.inner_text("#error") == "The IBAN you provided is invalid."
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    page.fill("input[name=email]", "buyer@example.com")
    fill_iban(page, IBAN_SUCCEEDS_LATE)
    page.wait_for_url(success_url(session.id))
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "unpaid")


def test_second_shipping_option_is_charged(page: Any, client: stripe.StripeClient) -> None:
    rates = [
        client.v1.shipping_rates.create(
            params={
                "display_name": name,
                "type": "fixed_amount",
                "fixed_amount": {"amount": amount, "currency": "usd"},
            }
        )
        for name, amount in (("Express", 1500), ("Ground", 500))
    ]
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 2000, "product_data": {"name": "Mug"}}
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": SUCCESS,
            "shipping_options": [{"shipping_rate": r.id} for r in rates],
        }
    )
    page.goto(session.url)
    assert page.inner_text("#total") == "$35.00"
    page.check(f"input[name=shipping_rate][value={rates[1].id}]")
    assert page.inner_text("#total") == "$25.00"
    assert page.inner_text("#submit") == "Pay $25.00"
    fill_card(page, "4242 4242 4242 4242")
    page.wait_for_url(success_url(session.id))
    assert_paid(client, session.id, 2500)
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.shipping_cost.shipping_rate == rates[1].id
    assert done.total_details.amount_shipping == 500
