"""Checkout Sessions in both modes: the API (create with its validation, retrieve with
`expand[]=line_items`, update, list, line_items, expire, expiry on sandbox time), and the
hosted page driven as a browser would with plain form posts (payment, subscription and
setup modes; declines, 3-D Secure, promotion codes, adjustable quantities)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import stripe
from test_three_d_secure import PageAnswer, browse

from conftest import Harness, assert_stripe_error
from stripekit.sandbox import Sandbox

SUCCESS = "https://shop.example.com/thanks?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example.com/cart"
CARD = {"card_number": "4242 4242 4242 4242", "exp": "12 / 34", "cvc": "123"}
DAY = 86400


def one_time_price(client: stripe.StripeClient, amount: int = 1500, name: str = "T-shirt") -> Any:
    return client.v1.prices.create(
        params={"currency": "usd", "unit_amount": amount, "product_data": {"name": name}}
    )


def monthly_price(client: stripe.StripeClient, amount: int = 2000) -> Any:
    return client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro plan"},
        }
    )


def payment_session(client: stripe.StripeClient, **params: Any) -> Any:
    price = one_time_price(client)
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 2}],
            "success_url": SUCCESS,
            "cancel_url": CANCEL,
            **params,
        }
    )


def pay(sk: Harness, session: Any, **fields: str) -> PageAnswer:
    form = {"action": "pay", **CARD, **fields}
    if "email" not in form and not session.customer and not session.customer_email:
        form["email"] = "buyer@example.com"
    return browse(sk, "POST", session.url, form)


def page_error(page: PageAnswer) -> str | None:
    found = re.search(r"id=error>([^<]*)<", page.text)
    return found.group(1) if found else None


def event_types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in client.v1.events.list(params={"limit": 100}).data]


def assert_success_redirect(page: PageAnswer, session_id: str) -> None:
    assert page.status == 303, page.text
    assert page.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session_id)


# -- the API --------------------------------------------------------------------------------


def test_create_payment_session_has_stripe_shape(sk: Harness) -> None:
    client = sk.client
    session = payment_session(
        client,
        client_reference_id="order-7",
        metadata={"order": "7"},
        payment_intent_data={"capture_method": "manual", "metadata": {"cart": "c1"}},
    )
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert (session.mode, session.status, session.payment_status) == ("payment", "open", "unpaid")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (3000, 3000, "usd")
    assert session.total_details.amount_discount == 0 and session.total_details.amount_tax == 0
    assert session.success_url == SUCCESS and session.cancel_url == CANCEL
    assert session.client_reference_id == "order-7" and session.metadata.to_dict() == {"order": "7"}
    assert session.payment_intent is None and session.customer is None
    assert session.customer_creation == "if_required" and session.payment_method_types == ["card"]
    assert session.ui_mode == "hosted_page"
    assert session.url.startswith(sk.base_url + "/_sandbox/pages/checkout/")
    assert session.url.endswith(session.id)
    assert session.expires_at == session.created + DAY
    assert "line_items" not in session  # shown only when expanded

    got = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    (item,) = got.line_items.data
    assert item.object == "item" and item.id.startswith("li_")
    assert (item.quantity, item.amount_subtotal, item.amount_total) == (2, 3000, 3000)
    assert item.description == "T-shirt" and item.price.unit_amount == 1500
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [i.id for i in items.data] == [item.id] and items.has_more is False
    assert items.url == f"/v1/checkout/sessions/{session.id}/line_items"


def test_price_data_with_product_data_and_adjustable_quantity(sk: Harness) -> None:
    client = sk.client
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 750,
                        "product_data": {"name": "Sticker pack"},
                    },
                    "quantity": 3,
                    "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10},
                }
            ],
            "success_url": SUCCESS,
        }
    )
    assert (session.amount_total, session.currency) == (2250, "eur")
    (item,) = client.v1.checkout.sessions.line_items.list(session.id).data
    assert item.adjustable_quantity.to_dict() == {"enabled": True, "maximum": 10, "minimum": 1}
    assert item.price.active is False  # inline prices are archived, as Stripe keeps them
    product = client.v1.products.retrieve(item.price.product)
    assert product.name == "Sticker pack"


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"mode": "payment"}, "line_items", None),
        ({"mode": "setup", "currency": "usd", "line_items": "ONE"}, "line_items", None),
        ({"mode": "payment", "line_items": "RECURRING"}, "line_items[0]", None),
        ({"mode": "subscription", "line_items": "ONE"}, "line_items", None),
        ({"mode": "payment", "line_items": "ONE", "expires_at": "SOON"}, "expires_at", None),
        ({"mode": "payment", "line_items": "ONE", "expires_at": "LATE"}, "expires_at", None),
        (
            {"mode": "payment", "line_items": "ONE", "return_url": "https://x.test"},
            "return_url",
            None,
        ),
        (
            {"mode": "payment", "line_items": "ONE", "ui_mode": "embedded_page"},
            "return_url",
            None,
        ),
        (
            {"mode": "payment", "line_items": "ONE", "subscription_data": {"trial_period_days": 3}},
            "subscription_data",
            None,
        ),
        (
            {"mode": "subscription", "line_items": "RECURRING", "customer_creation": "always"},
            "customer_creation",
            None,
        ),
        (
            {
                "mode": "payment",
                "line_items": "ONE",
                "allow_promotion_codes": True,
                "discounts": [{"coupon": "X"}],
            },
            "discounts",
            None,
        ),
        ({"mode": "payment", "line_items": "ONE", "customer": "cus_nope"}, "customer", None),
        (
            {"mode": "payment", "line_items": [{"price": "price_nope", "quantity": 1}]},
            "line_items[0][price]",
            None,
        ),
    ],
)
def test_inconsistent_input_is_refused(
    sk: Harness, params: dict[str, Any], param: str, message: str | None
) -> None:
    client = sk.client
    fixed = dict(params)
    if fixed.get("line_items") == "ONE":
        fixed["line_items"] = [{"price": one_time_price(client).id, "quantity": 1}]
    elif fixed.get("line_items") == "RECURRING":
        fixed["line_items"] = [{"price": monthly_price(client).id, "quantity": 1}]
    now = sk.sandbox.now()
    if fixed.get("expires_at") == "SOON":
        fixed["expires_at"] = now + 60
    elif fixed.get("expires_at") == "LATE":
        fixed["expires_at"] = now + DAY + 3600
    if fixed.get("ui_mode") != "embedded_page":
        fixed.setdefault("success_url", SUCCESS)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(params=fixed)
    error = exc.value.json_body["error"]
    assert exc.value.http_status == 400 and error["param"] == param, error
    assert client.v1.checkout.sessions.list().data == []


def test_update_only_while_open_and_list_filters(sk: Harness) -> None:
    client = sk.client
    first = payment_session(client)
    second = payment_session(client, metadata={"a": "1"})
    updated = client.v1.checkout.sessions.update(second.id, params={"metadata": {"b": "2"}})
    assert updated.metadata.to_dict() == {"a": "1", "b": "2"}
    expired = client.v1.checkout.sessions.expire(first.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.update(first.id, params={"metadata": {"c": "3"}})
    assert_stripe_error(exc.value, status=400)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.checkout.sessions.expire(first.id)
    assert_stripe_error(again.value, status=400)
    listed = client.v1.checkout.sessions.list(params={"status": "open"}).data
    assert [s.id for s in listed] == [second.id]
    assert [s.id for s in client.v1.checkout.sessions.list().data] == [second.id, first.id]
    (event,) = client.v1.events.list(params={"type": "checkout.session.expired"}).data
    assert event.data.object.id == first.id and "line_items" not in event.data.object
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert_stripe_error(missing.value, status=404, code="resource_missing", param="session")


def test_sessions_expire_at_expires_at_on_sandbox_time(sk: Harness) -> None:
    client = sk.client
    now = sk.sandbox.now()
    session = payment_session(client, expires_at=now + 3600)
    assert session.expires_at == now + 3600
    sk.sandbox.advance_clock(3500)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    sk.sandbox.advance_clock(200)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert "checkout.session.expired" in event_types(client)
    page = browse(sk, "GET", session.url)
    assert page.status == 410 and "expired" in page.text


# -- the hosted page: payment mode -------------------------------------------------------------


def test_page_shows_items_total_email_and_cancel_link(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client, allow_promotion_codes=True)
    page = browse(sk, "GET", session.url)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "T-shirt" in page.text and "$30.00" in page.text
    assert "name=email" in page.text and "name=card_number" in page.text
    assert "name=promotion_code" in page.text
    assert f'href="{CANCEL}"' in page.text
    assert "<script" not in page.text and "http" not in page.text.replace(CANCEL, "")


def test_pay_on_the_page_completes_the_session(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client, payment_intent_data={"metadata": {"cart": "c1"}})
    page = pay(sk, session, email="ada@example.com", name="Ada")
    assert_success_redirect(page, session.id)
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer_details.email == "ada@example.com"
    assert done.customer is None  # customer_creation=if_required makes none for a payment
    intent = done.payment_intent
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 3000, 3000)
    assert intent.metadata.to_dict() == {"cart": "c1"}
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (
        charge.paid and charge.amount == 3000 and charge.payment_method_details.card.last4 == "4242"
    )
    types = event_types(client)
    assert types[0] == "checkout.session.completed"
    assert "payment_intent.succeeded" in types and "charge.succeeded" in types
    listed = client.v1.checkout.sessions.list(params={"payment_intent": intent.id}).data
    assert [s.id for s in listed] == [session.id]
    # A completed session's page says so; paying again changes nothing.
    assert "complete" in browse(sk, "GET", session.url).text
    assert pay(sk, session).status == 200
    assert len(client.v1.charges.list().data) == 1


def test_decline_shows_stripe_message_then_retry_succeeds(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client, customer_creation="always")
    declined = pay(sk, session, card_number="4000000000000002")
    assert declined.status == 402 and page_error(declined) == "Your card was declined."
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert after.status == "open" and after.payment_status == "unpaid"
    intent = client.v1.payment_intents.retrieve(after.payment_intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == "generic_decline"
    funds = pay(sk, session, card_number="4000000000009995")
    assert page_error(funds) == "Your card has insufficient funds."
    bad = pay(sk, session, card_number="4242424242424241")
    assert page_error(bad) == "Your card number is incorrect."
    ok = pay(sk, session)
    assert_success_redirect(ok, session.id)
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.payment_intent == intent.id  # the same PaymentIntent, tried again
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    customer = client.v1.customers.retrieve(done.customer)
    assert customer.email == "buyer@example.com"
    assert [c.status for c in client.v1.charges.list().data] == ["succeeded", "failed", "failed"]


def test_three_d_secure_goes_through_the_authentication_page(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client)
    page = pay(sk, session, card_number="4000002760003184")
    assert page.status == 303 and "/_sandbox/pages/3ds/" in page.headers["location"]
    auth_url = page.headers["location"]
    challenge = browse(sk, "GET", auth_url)
    secret = re.search(r"name=client_secret value=([^>]+)>", challenge.text)
    assert secret is not None
    back = browse(sk, "POST", auth_url, {"action": "approve", "client_secret": secret.group(1)})
    assert back.status == 303
    assert urlsplit(back.headers["location"]).path == urlsplit(session.url).path + "/return"
    assert parse_qs(urlsplit(back.headers["location"]).query)["redirect_status"] == ["succeeded"]
    final = browse(sk, "GET", back.headers["location"])
    assert_success_redirect(final, session.id)
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")


def test_failed_three_d_secure_lets_the_buyer_retry(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client)
    auth_url = pay(sk, session, card_number="4000002760003184").headers["location"]
    secret = re.search(r"name=client_secret value=([^>]+)>", browse(sk, "GET", auth_url).text)
    assert secret is not None
    back = browse(sk, "POST", auth_url, {"action": "fail", "client_secret": secret.group(1)})
    shown = browse(sk, "GET", back.headers["location"])
    assert shown.status == 402 and "failed authentication" in (page_error(shown) or "")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert_success_redirect(pay(sk, session), session.id)


def test_manual_capture_completes_unpaid(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client, payment_intent_data={"capture_method": "manual"})
    assert_success_redirect(pay(sk, session), session.id)
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    assert done.payment_intent.status == "requires_capture"


def test_promotion_code_on_the_page_and_adjusted_quantity(sk: Harness) -> None:
    client = sk.client
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "once"})
    client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING25"}
    )
    price = one_time_price(client, 1000)
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {"price": price.id, "quantity": 1, "adjustable_quantity": {"enabled": True}}
            ],
            "allow_promotion_codes": True,
            "success_url": SUCCESS,
        }
    )
    wrong = browse(sk, "POST", session.url, {"action": "promotion_code", "promotion_code": "NOPE"})
    assert wrong.status == 400 and page_error(wrong) == "This code is invalid."
    applied = browse(
        sk, "POST", session.url, {"action": "promotion_code", "promotion_code": "spring25"}
    )
    assert applied.status == 200 and "SPRING25" in applied.text and "$7.50" in applied.text
    item_id = client.v1.checkout.sessions.line_items.list(session.id).data[0].id
    assert_success_redirect(pay(sk, session, **{f"quantity_{item_id}": "4"}), session.id)
    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent", "line_items"]}
    )
    assert (done.amount_subtotal, done.amount_total) == (4000, 3000)
    assert done.total_details.amount_discount == 1000
    assert done.line_items.data[0].quantity == 4
    assert done.discounts[0].promotion_code is not None
    assert done.payment_intent.amount == 3000
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_discounts_at_creation(sk: Harness) -> None:
    client = sk.client
    coupon = client.v1.coupons.create(
        params={"amount_off": 500, "currency": "usd", "duration": "once"}
    )
    session = payment_session(client, discounts=[{"coupon": coupon.id}])
    assert (session.amount_subtotal, session.amount_total) == (3000, 2500)
    assert session.discounts[0].coupon == coupon.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        payment_session(client, discounts=[{"coupon": "nope"}])
    assert_stripe_error(
        exc.value, status=400, code="resource_missing", param="discounts[0][coupon]"
    )


def test_page_refuses_missing_email_and_unknown_session(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client)
    page = pay(sk, session, email="")
    assert page.status == 402 and page_error(page) == "Your email is incomplete."
    assert client.v1.payment_intents.list().data == []
    gone = browse(sk, "GET", session.url[: -len(session.id)] + "cs_test_nope")
    assert gone.status == 404


# -- subscription and setup modes ---------------------------------------------------------


def test_subscription_mode_creates_customer_subscription_and_paid_invoice(sk: Harness) -> None:
    client = sk.client
    price = monthly_price(client)
    setup_fee = one_time_price(client, 500, "Setup fee")
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [
                {"price": price.id, "quantity": 2},
                {"price": setup_fee.id, "quantity": 1},
            ],
            "subscription_data": {"metadata": {"plan": "pro"}},
            "success_url": SUCCESS,
        }
    )
    assert session.amount_total == 4500 and session.customer_creation is None
    assert_success_redirect(pay(sk, session, email="sub@example.com"), session.id)
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    sub = done.subscription
    assert sub.status == "active" and sub.metadata.to_dict() == {"plan": "pro"}
    assert sub.customer == done.customer and sub.default_payment_method is not None
    assert [(i.price.id, i.quantity) for i in sub["items"].data] == [(price.id, 2)]
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "paid" and invoice.amount_paid == 4500
    assert done.invoice == invoice.id
    assert client.v1.customers.retrieve(done.customer).email == "sub@example.com"
    types = event_types(client)
    assert "customer.subscription.created" in types and "invoice.paid" in types
    assert types[0] == "checkout.session.completed"
    listed = client.v1.checkout.sessions.list(params={"subscription": sub.id}).data
    assert [s.id for s in listed] == [session.id]


def test_subscription_trial_needs_no_payment_and_decline_then_retry(sk: Harness) -> None:
    client = sk.client
    price = monthly_price(client)
    trial = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "subscription_data": {"trial_period_days": 14},
            "success_url": SUCCESS,
        }
    )
    assert_success_redirect(pay(sk, trial), trial.id)
    done = client.v1.checkout.sessions.retrieve(trial.id, params={"expand": ["subscription"]})
    assert done.payment_status == "no_payment_required"
    assert done.subscription.status == "trialing"

    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": SUCCESS,
        }
    )
    declined = pay(sk, session, card_number="4000000000000002")
    assert page_error(declined) == "Your card was declined."
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert_success_redirect(pay(sk, session), session.id)
    final = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert final.subscription.status == "active" and final.payment_status == "paid"


def test_setup_mode_creates_a_setup_intent(sk: Harness) -> None:
    client = sk.client
    customer = client.v1.customers.create(params={"email": "saver@example.com"})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "customer": customer.id,
            "success_url": SUCCESS,
        }
    )
    assert session.payment_status == "no_payment_required" and session.amount_total is None
    page = browse(sk, "GET", session.url)
    assert "Save card" in page.text and "name=email" not in page.text
    assert_success_redirect(pay(sk, session), session.id)
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent"]})
    assert (done.status, done.payment_status) == ("complete", "no_payment_required")
    intent = done.setup_intent
    assert intent.status == "succeeded" and intent.customer == customer.id
    card = client.v1.payment_methods.retrieve(intent.payment_method)
    assert card.customer == customer.id


def test_expiring_cancels_the_sessions_payment_intent(sk: Harness) -> None:
    client = sk.client
    session = payment_session(client)
    pay(sk, session, card_number="4000000000000002")
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    client.v1.checkout.sessions.expire(session.id)
    assert client.v1.payment_intents.retrieve(intent_id).status == "canceled"
    page = pay(sk, session)
    assert page.status == 410 and len(client.v1.charges.list().data) == 1


def test_open_session_survives_a_restart_then_pays_and_expiry_still_runs(
    tmp_path: Path,
) -> None:
    db = tmp_path / "sandbox.db"
    with Sandbox(db) as sandbox:
        key = sandbox.api_key
        client = sandbox.client()
        paid = payment_session(client)
        later = payment_session(client)
    with Sandbox(db) as sandbox:
        client = sandbox.client(key)
        parts = urlsplit(paid.url)
        form = {"action": "pay", "email": "back@example.com", **CARD}
        answer = sandbox.engine.handle(
            "POST",
            parts.path,
            "",
            {"content-type": "application/x-www-form-urlencoded"},
            urlencode(form).encode(),
        )
        assert answer.status == 303
        assert client.v1.checkout.sessions.retrieve(paid.id).status == "complete"
        sandbox.advance_clock(DAY + 60)
        assert client.v1.checkout.sessions.retrieve(later.id).status == "expired"
        assert client.v1.checkout.sessions.retrieve(paid.id).status == "complete"


def test_sandbox_complete_endpoint_pays_like_the_page(sk: Harness) -> None:
    """`POST /_sandbox/checkout/sessions/{id}/complete`: what scripts and `stripekit
    trigger` use instead of a browser."""
    client = sk.client
    session = payment_session(client)
    declined = sk.raw(
        "POST",
        f"/_sandbox/checkout/sessions/{session.id}/complete",
        body="card_number=4000000000000002",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert declined.status == 402
    assert declined.body["error"]["type"] == "card_error"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    done = sk.raw("POST", f"/_sandbox/checkout/sessions/{session.id}/complete")
    assert done.status == 200, done.body
    assert (done.body["status"], done.body["payment_status"]) == ("complete", "paid")
    intent = client.v1.payment_intents.retrieve(done.body["payment_intent"])
    assert (intent.status, intent.amount_received) == ("succeeded", 3000)
    again = sk.raw("POST", f"/_sandbox/checkout/sessions/{session.id}/complete")
    assert again.status == 400 and "not open" in again.body["error"]["message"]
    missing = sk.raw("POST", "/_sandbox/checkout/sessions/cs_test_nope/complete")
    assert missing.status == 404
