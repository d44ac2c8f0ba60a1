"""SetupIntents through the official SDK, in both modes: the status machine, declines,
3-D Secure (finished as the sandbox's page finishes it), ownership refusals, events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework.context import RequestContext


def _events(client: stripe.StripeClient, type_: str) -> list[Any]:
    return client.v1.events.list(params={"type": type_}).data


def _in_sandbox(sk: Harness, work: Callable[[RequestContext], Any]) -> Any:
    """Run `work` inside the sandbox as the harness's account (what a page handler does)."""
    engine = sk.sandbox.engine
    with engine.context_for(sk.api_key) as ctx:
        return work(ctx)


def _finish(sk: Harness, intent_id: str, approved: bool) -> dict[str, Any]:
    from stripekit.sandbox.resources import setup_intents

    return _in_sandbox(
        sk, lambda ctx: setup_intents.finish_authentication(ctx, intent_id, approved)
    )


def test_bare_create_has_stripe_shape(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create()
    assert intent.id.startswith("seti_") and len(intent.id) == 29
    assert intent.object == "setup_intent" and intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert intent.automatic_payment_methods.to_dict() == {
        "allow_redirects": "always",
        "enabled": True,
    }
    assert intent.payment_method_configuration_details.id.startswith("pmc_")
    assert intent.payment_method_types == ["card"]
    assert intent.usage == "off_session" and intent.customer is None
    assert intent.payment_method is None and intent.latest_attempt is None
    assert intent.next_action is None and intent.last_setup_error is None
    assert intent.payment_method_options.card.request_three_d_secure == "automatic"
    assert intent.metadata.to_dict() == {} and intent.livemode is False
    [event] = _events(client, "setup_intent.created")
    assert event.data.object.id == intent.id
    again = client.v1.setup_intents.create()
    # One payment method configuration per account.
    assert (
        again.payment_method_configuration_details.id
        == intent.payment_method_configuration_details.id
    )


def test_create_with_types_usage_description(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create(
        params={
            "payment_method_types": ["card"],
            "usage": "on_session",
            "description": "save a card",
            "metadata": {"a": "1"},
            "payment_method_options": {"card": {"request_three_d_secure": "any"}},
        }
    )
    assert intent.automatic_payment_methods is None
    assert intent.payment_method_configuration_details is None
    assert intent.usage == "on_session" and intent.description == "save a card"
    assert intent.payment_method_options.card.request_three_d_secure == "any"
    fetched = client.v1.setup_intents.retrieve(
        intent.id, params={"client_secret": intent.client_secret}
    )
    assert fetched.to_dict() == intent.to_dict()


def test_confirm_succeeds_and_attaches(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    intent = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method": pm.id, "payment_method_types": ["card"]}
    )
    assert intent.status == "requires_confirmation" and intent.payment_method == pm.id
    done = client.v1.setup_intents.confirm(intent.id)
    assert done.status == "succeeded" and done.payment_method == pm.id
    attached = client.v1.payment_methods.retrieve(pm.id)
    assert attached.customer == customer.id and attached.card.checks.cvc_check == "pass"
    assert [e.type for e in client.v1.events.list().data[:3]] == [
        "setup_intent.succeeded",
        "payment_method.attached",
        "setup_intent.created",
    ]
    # Forbidden after success: confirm, cancel, changing the setup.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.confirm(intent.id)
    assert_stripe_error(
        exc.value,
        status=400,
        code="setup_intent_unexpected_state",
        message="You cannot confirm this SetupIntent because it has already succeeded.",
    )
    assert exc.value.json_body["error"]["setup_intent"]["status"] == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.cancel(intent.id)
    assert_stripe_error(
        exc.value,
        status=400,
        code="setup_intent_unexpected_state",
        message="You cannot cancel this SetupIntent because it has a status of succeeded. Only a "
        "SetupIntent with one of the following statuses may be canceled: "
        "`requires_payment_method`, `requires_confirmation`, or `requires_action`.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="setup_intent_unexpected_state",
        message="You cannot update this SetupIntent because it has already succeeded.",
    )
    # Description and metadata stay editable.
    edited = client.v1.setup_intents.update(
        intent.id, params={"description": "after the fact", "metadata": {"k": "v"}}
    )
    assert edited.description == "after the fact" and edited.metadata.to_dict() == {"k": "v"}


def test_confirm_on_create_with_a_test_id(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    intent = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method": "pm_card_mastercard", "confirm": True}
    )
    assert intent.status == "succeeded" and intent.payment_method.startswith("pm_")
    [pm] = client.v1.customers.payment_methods.list(customer.id).data
    assert pm.id == intent.payment_method and pm.card.last4 == "4444"


def test_without_a_customer_the_payment_method_stays_unattached(
    client: stripe.StripeClient,
) -> None:
    intent = client.v1.setup_intents.create(
        params={"payment_method": "pm_card_visa", "confirm": True}
    )
    assert intent.status == "succeeded"
    pm = client.v1.payment_methods.retrieve(intent.payment_method)
    assert pm.customer is None
    # It can still be attached afterwards.
    customer = client.v1.customers.create()
    assert (
        client.v1.payment_methods.attach(pm.id, params={"customer": customer.id}).customer
        == customer.id
    )


def test_decline_keeps_the_failure_on_the_intent(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as exc:
        client.v1.setup_intents.create(
            params={"payment_method": "pm_card_chargeDeclined", "confirm": True}
        )
    assert_stripe_error(
        exc.value,
        status=402,
        type_="card_error",
        code="card_declined",
        message="Your card was declined.",
    )
    error = exc.value.json_body["error"]
    assert error["decline_code"] == "generic_decline"
    assert error["payment_method"]["card"]["last4"] == "0002"
    failed = error["setup_intent"]
    assert failed["status"] == "requires_payment_method" and failed["payment_method"] is None
    stored = client.v1.setup_intents.retrieve(failed["id"])
    assert stored.status == "requires_payment_method"
    assert stored.last_setup_error.code == "card_declined"
    assert stored.last_setup_error.decline_code == "generic_decline"
    assert stored.last_setup_error.type == "card_error"
    assert stored.last_setup_error.payment_method.id == error["payment_method"]["id"]
    [event] = _events(client, "setup_intent.setup_failed")
    assert event.data.object.id == stored.id
    # A new card, and it goes through.
    retried = client.v1.setup_intents.confirm(stored.id, params={"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded" and retried.last_setup_error is None


@pytest.mark.parametrize(
    ("test_id", "code", "decline_code", "param"),
    [
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "exp_month"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "cvc"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", None),
        ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card", None),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error", None),
    ],
)
def test_declines_on_confirm(
    client: stripe.StripeClient, test_id: str, code: str, decline_code: str, param: str | None
) -> None:
    intent = client.v1.setup_intents.create(params={"payment_method": test_id})
    with pytest.raises(stripe.CardError) as exc:
        client.v1.setup_intents.confirm(intent.id)
    assert_stripe_error(exc.value, status=402, type_="card_error", code=code, param=param)
    assert exc.value.json_body["error"]["decline_code"] == decline_code
    assert client.v1.setup_intents.retrieve(intent.id).last_setup_error.code == code


@pytest.mark.parametrize(
    "test_id",
    [
        "pm_card_authenticationRequired",
        "pm_card_threeDSecure2Required",
        "pm_card_authenticationRequiredOnSetup",
    ],
)
def test_three_d_secure_cards_require_action(
    sk: Harness, client: stripe.StripeClient, test_id: str
) -> None:
    customer = client.v1.customers.create()
    intent = client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": test_id,
            "confirm": True,
            "return_url": "https://shop.example/back",
        }
    )
    assert intent.status == "requires_action"
    action = intent.next_action
    assert action.type == "redirect_to_url"
    assert action.redirect_to_url.return_url == "https://shop.example/back"
    url = urlsplit(action.redirect_to_url.url)
    assert url.scheme == "http" and url.netloc
    parts = url.path.split("/")
    assert parts[:4] == ["", "_sandbox", "pages", "3ds"] and parts[5] == intent.id
    assert parts[4].startswith("acct_")
    assert parse_qs(url.query)["client_secret"] == [intent.client_secret]
    [event] = _events(client, "setup_intent.requires_action")
    assert event.data.object.id == intent.id
    # Not attached until authenticated.
    assert client.v1.customers.payment_methods.list(customer.id).data == []

    finished = _finish(sk, intent.id, approved=True)
    assert finished["status"] == "succeeded" and finished["next_action"] is None
    assert client.v1.setup_intents.retrieve(intent.id).status == "succeeded"
    [pm] = client.v1.customers.payment_methods.list(customer.id).data
    assert pm.id == intent.payment_method
    assert len(_events(client, "setup_intent.succeeded")) == 1
    # The page submitted twice changes nothing.
    assert _finish(sk, intent.id, approved=False)["status"] == "succeeded"


def test_refused_authentication_fails_the_setup(sk: Harness, client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create(
        params={"payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    failed = _finish(sk, intent.id, approved=False)
    assert failed["status"] == "requires_payment_method"
    stored = client.v1.setup_intents.retrieve(intent.id)
    assert stored.payment_method is None and stored.next_action is None
    assert stored.last_setup_error.code == "setup_intent_authentication_failure"
    assert stored.last_setup_error.message == (
        "We are unable to authenticate your payment method. Please choose a different "
        "payment method and try again."
    )
    [event] = _events(client, "setup_intent.setup_failed")
    assert event.data.object.id == intent.id


def test_finish_authentication_of_an_unknown_intent(sk: Harness) -> None:
    from stripekit.sandbox.framework.errors import ResourceMissing

    with pytest.raises(ResourceMissing):
        _finish(sk, "seti_nope", approved=True)


def test_request_three_d_secure_any_challenges_every_card(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create(
        params={
            "payment_method": "pm_card_visa",
            "payment_method_options": {"card": {"request_three_d_secure": "any"}},
            "confirm": True,
        }
    )
    assert intent.status == "requires_action"
    assert intent.next_action.redirect_to_url.return_url is None


@pytest.mark.parametrize(
    "test_id",
    ["pm_card_threeDSecureOptional", "pm_card_chargeCustomerFail", "pm_card_createDispute"],
)
def test_cards_that_set_up_without_action(client: stripe.StripeClient, test_id: str) -> None:
    intent = client.v1.setup_intents.create(params={"payment_method": test_id, "confirm": True})
    assert intent.status == "succeeded"


def test_confirm_in_requires_action_restarts(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create(
        params={"payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    switched = client.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert switched.status == "succeeded" and switched.next_action is None


def test_ownership_refusals(client: stripe.StripeClient) -> None:
    owner = client.v1.customers.create()
    stranger = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": owner.id})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.create(params={"payment_method": pm.id})
    assert_stripe_error(
        exc.value,
        status=400,
        param="payment_method",
        message=f"The payment method supplied ({pm.id}) belongs to the Customer {owner.id}. "
        "Please include the Customer in the `customer` parameter on the SetupIntent.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.create(params={"payment_method": pm.id, "customer": stranger.id})
    assert_stripe_error(
        exc.value,
        status=400,
        param="payment_method",
        message=f"The PaymentMethod {pm.id} does not belong to the Customer you supplied "
        f"{stranger.id}. Please use this PaymentMethod with the Customer that it belongs to "
        "instead.",
    )
    # The same refusals on confirm and update carry the intent.
    intent = client.v1.setup_intents.create(params={"customer": stranger.id})
    for call in (
        lambda: client.v1.setup_intents.confirm(intent.id, params={"payment_method": pm.id}),
        lambda: client.v1.setup_intents.update(intent.id, params={"payment_method": pm.id}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(exc.value, status=400, param="payment_method")
        assert exc.value.json_body["error"]["setup_intent"]["id"] == intent.id
    assert client.v1.setup_intents.retrieve(intent.id).status == "requires_payment_method"
    # With its owner, it works.
    ok = client.v1.setup_intents.create(
        params={"payment_method": pm.id, "customer": owner.id, "confirm": True}
    )
    assert ok.status == "succeeded"


def test_spent_payment_methods_are_refused(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.payment_methods.detach(pm.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.create(params={"payment_method": pm.id})
    assert_stripe_error(exc.value, status=400, param="payment_method")
    assert "It may not be used again" in exc.value.json_body["error"]["message"]
    # A PaymentMethod whose customer was deleted still shows it, but is refused too.
    gone = client.v1.customers.create()
    kept = client.v1.payment_methods.attach("pm_card_visa", params={"customer": gone.id})
    client.v1.customers.delete(gone.id)
    assert client.v1.payment_methods.retrieve(kept.id).customer == gone.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.create(params={"payment_method": kept.id})
    assert "It may not be used again" in exc.value.json_body["error"]["message"]


def test_confirm_without_a_payment_method(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create()
    message = (
        "You cannot confirm this SetupIntent because it's missing a payment method. You can "
        "either update the SetupIntent with a payment method and then confirm it again, or "
        "confirm it again directly with a payment method or ConfirmationToken."
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.confirm(intent.id)
    assert_stripe_error(
        exc.value, status=400, code="setup_intent_unexpected_state", message=message
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.create(params={"confirm": True})
    assert_stripe_error(
        exc.value, status=400, code="setup_intent_unexpected_state", message=message
    )
    created = exc.value.json_body["error"]["setup_intent"]
    assert client.v1.setup_intents.retrieve(created["id"]).status == "requires_payment_method"


def test_update_moves_between_states(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create()
    with_pm = client.v1.setup_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    assert with_pm.status == "requires_confirmation" and with_pm.payment_method.startswith("pm_")
    cleared = client.v1.setup_intents.update(intent.id, params={"payment_method": ""})
    assert cleared.status == "requires_payment_method" and cleared.payment_method is None
    customer = client.v1.customers.create()
    moved = client.v1.setup_intents.update(
        intent.id, params={"customer": customer.id, "payment_method_types": ["card"]}
    )
    assert moved.customer == customer.id and moved.automatic_payment_methods is None
    waiting = client.v1.setup_intents.create(
        params={"payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    reset = client.v1.setup_intents.update(waiting.id, params={"payment_method": "pm_card_visa"})
    assert reset.status == "requires_confirmation" and reset.next_action is None
    # Setup intents have no update event.
    assert _events(client, "setup_intent.updated") == []


def test_cancel(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create(params={"payment_method": "pm_card_visa"})
    canceled = client.v1.setup_intents.cancel(
        intent.id, params={"cancellation_reason": "duplicate"}
    )
    assert canceled.status == "canceled" and canceled.cancellation_reason == "duplicate"
    [event] = _events(client, "setup_intent.canceled")
    assert event.data.object.id == intent.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.cancel(intent.id)
    assert_stripe_error(
        exc.value,
        status=400,
        code="setup_intent_unexpected_state",
        message="You cannot cancel this SetupIntent because it is already canceled.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.confirm(intent.id)
    assert_stripe_error(
        exc.value,
        status=400,
        code="setup_intent_unexpected_state",
        message="You cannot confirm this SetupIntent because it has been canceled.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    assert_stripe_error(exc.value, status=400, code="setup_intent_unexpected_state")
    waiting = client.v1.setup_intents.create(
        params={"payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    dropped = client.v1.setup_intents.cancel(
        waiting.id, params={"cancellation_reason": "abandoned"}
    )
    assert dropped.status == "canceled" and dropped.next_action is None


def test_retrieve_refusals(client: stripe.StripeClient) -> None:
    intent = client.v1.setup_intents.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.retrieve(intent.id, params={"client_secret": "seti_x_secret_y"})
    assert_stripe_error(exc.value, status=400, param="client_secret")
    for call in (
        lambda: client.v1.setup_intents.retrieve("seti_nope"),
        lambda: client.v1.setup_intents.confirm("seti_nope"),
        lambda: client.v1.setup_intents.cancel("seti_nope"),
        lambda: client.v1.setup_intents.update("seti_nope", params={"description": "x"}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(
            exc.value,
            status=404,
            code="resource_missing",
            param="intent",
            message="No such setupintent: 'seti_nope'",
        )


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"payment_method_types": ["ideal"]}, "payment_method_types", None),
        (
            {"payment_method_types": ["card"], "automatic_payment_methods": {"enabled": True}},
            "automatic_payment_methods",
            None,
        ),
        ({"return_url": "https://x.example"}, "return_url", None),
        ({"customer": "cus_nope"}, "customer", "resource_missing"),
        ({"payment_method": "pm_nope"}, "payment_method", "resource_missing"),
        ({"payment_method_data": {"type": "sepa_debit"}}, "payment_method_data[type]", None),
    ],
)
def test_bad_create_params(
    client: stripe.StripeClient, params: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.create(params=params)
    assert_stripe_error(exc.value, status=400, code=code, param=param)
    assert client.v1.setup_intents.list().data == []


def test_bad_usage_is_refused_by_validation(sk: Harness) -> None:
    response = sk.raw("POST", "/v1/setup_intents", body="usage=sometimes")
    assert response.status == 400 and response.body["error"]["param"] == "usage"


def test_list_filters(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    first = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method": pm.id}
    )
    second = client.v1.setup_intents.create(params={"customer": customer.id})
    other = client.v1.setup_intents.create()
    assert [i.id for i in client.v1.setup_intents.list().data] == [other.id, second.id, first.id]
    by_customer = client.v1.setup_intents.list(params={"customer": customer.id})
    assert [i.id for i in by_customer.data] == [second.id, first.id]
    by_pm = client.v1.setup_intents.list(params={"payment_method": pm.id})
    assert [i.id for i in by_pm.data] == [first.id]
    assert by_pm.url == "/v1/setup_intents"
    since = client.v1.setup_intents.list(params={"created": {"gte": first.created}, "limit": 2})
    assert len(since.data) == 2 and since.has_more is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.list(params={"starting_after": "seti_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")


def test_expand_payment_method_and_customer(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    intent = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    expanded = client.v1.setup_intents.retrieve(
        intent.id, params={"expand": ["payment_method", "customer"]}
    )
    assert expanded.payment_method.id == intent.payment_method
    assert expanded.customer.id == customer.id


def test_off_session_setup_is_remembered_for_payments(sk: Harness) -> None:
    from stripekit.sandbox.resources import setup_intents

    client = sk.client
    customer = client.v1.customers.create()
    on = client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "usage": "on_session",
        }
    )
    off = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    assert _in_sandbox(sk, lambda ctx: setup_intents.is_set_up(ctx, off.payment_method)) is True
    assert _in_sandbox(sk, lambda ctx: setup_intents.is_set_up(ctx, on.payment_method)) is False


PAGE = "/_sandbox/pages/3ds/{account}/{intent}"


@pytest.mark.parametrize(("action", "status"), [("approve", "succeeded"), ("fail", "failed")])
def test_the_3ds_page_finishes_a_setup_intent(sk: Harness, action: str, status: str) -> None:
    from urllib.parse import urlencode

    from stripekit.sandbox import resources

    if not any(route.template == PAGE for route in resources.ROUTES):
        pytest.skip("the 3-D Secure page (payment_intents) is not built in this tree")
    client = sk.client
    intent = client.v1.setup_intents.create(
        params={
            "payment_method": "pm_card_threeDSecure2Required",
            "confirm": True,
            "return_url": "https://shop.example/done?step=2",
        }
    )
    url = urlsplit(intent.next_action.redirect_to_url.url)
    engine = sk.sandbox.engine
    shown = engine.handle("GET", url.path, url.query, {}, b"")
    assert shown.status == 200 and b"SetupIntent" in shown.body
    body = urlencode({"action": action, "client_secret": intent.client_secret}).encode()
    answer = engine.handle(
        "POST", url.path, "", {"content-type": "application/x-www-form-urlencoded"}, body
    )
    assert answer.status == 303
    location = dict(answer.headers)["location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith("https://shop.example/done?step=2&")
    assert query["setup_intent"] == [intent.id] and query["redirect_status"] == [status]
    after = client.v1.setup_intents.retrieve(intent.id)
    assert after.status == ("succeeded" if action == "approve" else "requires_payment_method")


def test_confirm_checks_the_stored_payment_method_again(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    intent = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method": pm.id}
    )
    client.v1.payment_methods.detach(pm.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.setup_intents.confirm(intent.id)
    assert_stripe_error(exc.value, status=400, param="payment_method")
    assert exc.value.json_body["error"]["setup_intent"]["id"] == intent.id
    assert client.v1.setup_intents.retrieve(intent.id).status == "requires_confirmation"
