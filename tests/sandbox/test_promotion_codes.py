"""Promotion codes through the official SDK, in both modes, and their redemption rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import stripe

from conftest import Harness, assert_stripe_error, invalid_currency
from stripekit.sandbox.framework.context import RequestContext
from stripekit.sandbox.resources import promotion_codes

DAY = 86400
T = TypeVar("T")


def _error(call: Callable[[], Any]) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        call()
    return exc.value


def _body(obj: Any) -> Any:
    """The JSON an SDK call answered (the SDK's objects do not nest maps of objects well)."""
    return json.loads(obj.last_response.body)


def in_sandbox(sk: Harness, fn: Callable[[RequestContext], T]) -> T:
    """Run `fn` as sandbox code of this account (what the invoices and subscriptions
    modules do when they redeem a code), committing its writes."""
    engine = sk.sandbox.engine
    with engine.context_for(sk.api_key) as ctx:
        return fn(ctx)


def _redeem(sk: Harness, code_id: str, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    kwargs.setdefault("customer", None)
    kwargs.setdefault("param", "discounts[0][promotion_code]")
    return in_sandbox(sk, lambda ctx: promotion_codes.redeem(ctx, code_id, **kwargs))


def _redeem_error(sk: Harness, code_id: str, **kwargs: Any) -> Any:
    with pytest.raises(Exception) as exc:
        _redeem(sk, code_id, **kwargs)
    return exc.value


def _coupon(client: stripe.StripeClient, **params: Any) -> Any:
    return client.v1.coupons.create(params={"percent_off": 25, **params})


def _promo(client: stripe.StripeClient, coupon_id: str, **params: Any) -> Any:
    return client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon_id}, **params}
    )


# -- create ----------------------------------------------------------------------------------


def test_create_has_stripe_shape(client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(client, coupon.id, code="SPRING-25")
    assert code.id.startswith("promo_") and len(code.id) == len("promo_") + 24
    assert code.object == "promotion_code"
    assert code.code == "SPRING-25" and code.active is True
    assert code.promotion.to_dict() == {"coupon": coupon.id, "type": "coupon"}
    assert code.customer is None and code.customer_account is None
    assert code.expires_at is None and code.max_redemptions is None
    assert code.times_redeemed == 0 and code.livemode is False
    assert code.metadata.to_dict() == {}
    assert code.restrictions.to_dict() == {
        "first_time_transaction": False,
        "minimum_amount": None,
        "minimum_amount_currency": None,
    }
    assert "coupon" not in code  # at this version the coupon sits under `promotion`
    assert client.v1.promotion_codes.retrieve(code.id).to_dict() == code.to_dict()
    event = client.v1.events.list(params={"type": "promotion_code.created"}).data[0]
    assert event.data.object.id == code.id and event.data.object.active is True


def test_generated_codes(client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    codes = {_promo(client, coupon.id).code for _ in range(4)}
    assert len(codes) == 4
    for code in codes:
        assert len(code) == 8 and code.isalnum() and code == code.upper()


def test_create_with_every_option(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client, max_redemptions=10, redeem_by=sk.sandbox.now() + 60 * DAY)
    customer = client.v1.customers.create(params={"name": "Ada"})
    expires = sk.sandbox.now() + 30 * DAY
    code = _promo(
        client,
        coupon.id,
        code="ada-only",
        customer=customer.id,
        expires_at=expires,
        max_redemptions=3,
        active=False,
        metadata={"campaign": "spring"},
        restrictions={
            "first_time_transaction": True,
            "minimum_amount": 2000,
            "minimum_amount_currency": "USD",
            "currency_options": {"eur": {"minimum_amount": 1800}},
        },
    )
    assert code.code == "ada-only" and code.customer == customer.id
    assert code.expires_at == expires and code.max_redemptions == 3
    assert code.active is False and code.metadata.to_dict() == {"campaign": "spring"}
    assert _body(code)["restrictions"] == {
        "first_time_transaction": True,
        "minimum_amount": 2000,
        "minimum_amount_currency": "usd",
        "currency_options": {"eur": {"minimum_amount": 1800}},
    }
    expanded = client.v1.promotion_codes.retrieve(
        code.id, params={"expand": ["customer", "promotion.coupon"]}
    )
    assert expanded.customer.id == customer.id
    assert expanded.promotion.coupon.id == coupon.id


# -- create: refusals --------------------------------------------------------------------------


def test_promotion_is_required_and_checked(client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    exc = _error(lambda: client.v1.promotion_codes.create(params={"code": "X"}))
    assert_stripe_error(
        exc,
        status=400,
        code="parameter_missing",
        param="promotion",
        message="Missing required param: promotion.",
    )
    exc = _error(lambda: client.v1.promotion_codes.create(params={"promotion": {"coupon": "x"}}))
    assert_stripe_error(exc, status=400, code="parameter_missing", param="promotion[type]")
    exc = _error(lambda: client.v1.promotion_codes.create(params={"promotion": {"type": "gift"}}))
    assert_stripe_error(
        exc,
        status=400,
        param="promotion[type]",
        message="Invalid promotion[type]: must be one of coupon",
    )
    exc = _error(lambda: client.v1.promotion_codes.create(params={"promotion": {"type": "coupon"}}))
    assert_stripe_error(
        exc,
        status=400,
        code="parameter_missing",
        param="promotion[coupon]",
        message="Missing required param: promotion[coupon].",
    )
    exc = _error(
        lambda: client.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": "nope"}}
        )
    )
    assert_stripe_error(
        exc,
        status=400,
        code="resource_missing",
        param="promotion[coupon]",
        message="No such coupon: 'nope'",
    )
    # The pre-basil top-level `coupon` parameter is gone.
    exc = _error(
        lambda: client.v1.promotion_codes.create(params={"coupon": coupon.id})  # type: ignore[typeddict-unknown-key]
    )
    assert_stripe_error(
        exc,
        status=400,
        code="parameter_unknown",
        param="coupon",
        message="Received unknown parameter: coupon",
    )
    assert client.v1.promotion_codes.list().data == []


@pytest.mark.parametrize(
    ("params", "param", "message", "code"),
    [
        ({"max_redemptions": 0}, "max_redemptions", "Invalid positive integer", None),
        ({"max_redemptions": -3}, "max_redemptions", "Invalid positive integer", None),
        ({"code": "SPR ING"}, "code", None, None),
        ({"code": "SPR_ING"}, "code", None, None),
        ({"code": "SPRÏNG"}, "code", None, None),
        ({"code": ""}, "code", None, "parameter_invalid_empty"),
        ({"expires_at": 1000}, "expires_at", None, None),
        ({"customer": "cus_nope"}, "customer", "No such customer: 'cus_nope'", "resource_missing"),
        ({"customer_account": "acct_nope"}, "customer_account", None, "resource_missing"),
        (
            {"restrictions": {"minimum_amount": 1000}},
            "restrictions[minimum_amount_currency]",
            "You must pass minimum_amount_currency when passing minimum_amount",
            None,
        ),
        (
            {"restrictions": {"minimum_amount_currency": "usd"}},
            "restrictions[minimum_amount]",
            None,
            None,
        ),
        (
            {"restrictions": {"minimum_amount": 100, "minimum_amount_currency": "dollars"}},
            "restrictions[minimum_amount_currency]",
            invalid_currency("dollars"),
            None,
        ),
        (
            {"restrictions": {"minimum_amount": -1, "minimum_amount_currency": "usd"}},
            "restrictions[minimum_amount]",
            None,
            None,
        ),
        (
            {"restrictions": {"currency_options": {"eur": {"minimum_amount": 100}}}},
            "restrictions[currency_options]",
            None,
            None,
        ),
        (
            {
                "restrictions": {
                    "minimum_amount": 100,
                    "minimum_amount_currency": "usd",
                    "currency_options": {"EUR": {"minimum_amount": 100}},
                }
            },
            "restrictions[currency_options]",
            "Currencies must be lowercase when used as keys in a map. Use `eur` instead of `EUR`.",
            None,
        ),
        (
            {
                "restrictions": {
                    "minimum_amount": 100,
                    "minimum_amount_currency": "usd",
                    "currency_options": {"eur": {"minimum_amount": -5}},
                }
            },
            "restrictions[currency_options][eur][minimum_amount]",
            None,
            None,
        ),
        ({"restrictions": {"first_time_transaction": "maybe"}}, None, None, None),
    ],
)
def test_create_refusals(
    client: stripe.StripeClient,
    params: dict[str, Any],
    param: str | None,
    message: str | None,
    code: str | None,
) -> None:
    coupon = _coupon(client)
    exc = _error(lambda: _promo(client, coupon.id, **params))
    assert exc.http_status == 400
    error = (exc.json_body or {})["error"]
    if param is not None:
        assert error.get("param") == param, error
    if message is not None:
        assert error["message"] == message, error
    if code is not None:
        assert error.get("code") == code, error
    assert client.v1.promotion_codes.list().data == []


def test_limits_cannot_exceed_the_coupons(sk: Harness, client: stripe.StripeClient) -> None:
    redeem_by = sk.sandbox.now() + 10 * DAY
    coupon = _coupon(client, max_redemptions=5, redeem_by=redeem_by)
    exc = _error(lambda: _promo(client, coupon.id, max_redemptions=6))
    assert_stripe_error(exc, status=400, param="max_redemptions")
    exc = _error(lambda: _promo(client, coupon.id, expires_at=redeem_by + 1))
    assert_stripe_error(exc, status=400, param="expires_at")
    ok = _promo(client, coupon.id, max_redemptions=5, expires_at=redeem_by)
    assert ok.max_redemptions == 5 and ok.expires_at == redeem_by


def test_expired_coupon_cannot_get_a_code(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client, redeem_by=sk.sandbox.now() + DAY)
    sk.sandbox.advance_clock(2 * DAY)
    exc = _error(lambda: _promo(client, coupon.id))
    assert_stripe_error(
        exc,
        status=400,
        code="coupon_expired",
        param="promotion[coupon]",
        message=f"Coupon expired: {coupon.id}",
    )


def test_codes_are_unique_among_active_codes_whatever_the_case(
    client: stripe.StripeClient,
) -> None:
    coupon = _coupon(client)
    first = _promo(client, coupon.id, code="Friends")
    exc = _error(lambda: _promo(client, coupon.id, code="FRIENDS"))
    assert_stripe_error(
        exc,
        status=400,
        param="code",
        message="An active promotion code with `code: FRIENDS` already exists.",
    )
    # An inactive code with the same text may exist, and once the first is deactivated the
    # text is free for a new active code.
    assert _promo(client, coupon.id, code="friends", active=False).active is False
    client.v1.promotion_codes.update(first.id, params={"active": False})
    second = _promo(client, coupon.id, code="FRIENDS")
    assert second.active is True


def test_customer_codes_clash_only_with_what_the_customer_could_type(
    client: stripe.StripeClient,
) -> None:
    coupon = _coupon(client)
    ada = client.v1.customers.create(params={"name": "Ada"})
    bob = client.v1.customers.create(params={"name": "Bob"})
    _promo(client, coupon.id, code="VIP", customer=ada.id)
    assert _promo(client, coupon.id, code="vip", customer=bob.id).customer == bob.id
    exc = _error(lambda: _promo(client, coupon.id, code="VIP", customer=ada.id))
    assert_stripe_error(exc, status=400, param="code")
    exc = _error(lambda: _promo(client, coupon.id, code="VIP"))
    assert_stripe_error(exc, status=400, param="code")


# -- retrieve / update ------------------------------------------------------------------------


def test_retrieve_unknown(client: stripe.StripeClient) -> None:
    exc = _error(lambda: client.v1.promotion_codes.retrieve("promo_nope"))
    assert_stripe_error(
        exc,
        status=404,
        code="resource_missing",
        param="promotion_code",
        message="No such promotion code: 'promo_nope'",
    )
    exc = _error(lambda: client.v1.promotion_codes.update("promo_nope", params={"active": False}))
    assert_stripe_error(exc, status=404, code="resource_missing", param="promotion_code")


def test_update_active_metadata_and_events(client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(client, coupon.id, code="TOGGLE", metadata={"a": "1"})
    off = client.v1.promotion_codes.update(code.id, params={"active": False})
    assert off.active is False
    event = client.v1.events.list(params={"type": "promotion_code.updated"}).data[0]
    assert event.data.object.active is False
    assert event.data.previous_attributes.to_dict() == {"active": True}
    on = client.v1.promotion_codes.update(code.id, params={"active": True})
    assert on.active is True
    tagged = client.v1.promotion_codes.update(code.id, params={"metadata": {"a": "", "b": "2"}})
    assert tagged.metadata.to_dict() == {"b": "2"}
    event = client.v1.events.list(params={"type": "promotion_code.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {"metadata": {"a": "1", "b": None}}
    count = len(client.v1.events.list(params={"type": "promotion_code.updated"}).data)
    same = client.v1.promotion_codes.update(code.id, params={"active": True})
    assert same.active is True
    assert len(client.v1.events.list(params={"type": "promotion_code.updated"}).data) == count


def test_update_refuses_what_cannot_change(client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(client, coupon.id)
    for name, value in (("code", "NEW"), ("max_redemptions", 4), ("customer", "cus_x")):
        exc = _error(
            lambda n=name, v=value: client.v1.promotion_codes.update(
                code.id,
                params={n: v},  # type: ignore[misc]
            )
        )
        assert_stripe_error(exc, status=400, code="parameter_unknown", param=name)


def test_update_currency_options(client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    plain = _promo(client, coupon.id)
    exc = _error(
        lambda: client.v1.promotion_codes.update(
            plain.id,
            params={"restrictions": {"currency_options": {"eur": {"minimum_amount": 5}}}},
        )
    )
    assert_stripe_error(exc, status=400, param="restrictions[currency_options]")
    code = _promo(
        client,
        coupon.id,
        restrictions={"minimum_amount": 1000, "minimum_amount_currency": "usd"},
    )
    updated = client.v1.promotion_codes.update(
        code.id,
        params={"restrictions": {"currency_options": {"gbp": {"minimum_amount": 800}}}},
    )
    assert _body(updated)["restrictions"]["currency_options"] == {"gbp": {"minimum_amount": 800}}
    event = client.v1.events.list(params={"type": "promotion_code.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {"restrictions": {"currency_options": None}}


def test_reactivation_rules(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(client, coupon.id, code="AGAIN")
    client.v1.promotion_codes.update(code.id, params={"active": False})
    _promo(client, coupon.id, code="again")
    exc = _error(lambda: client.v1.promotion_codes.update(code.id, params={"active": True}))
    assert_stripe_error(exc, status=400, param="code")
    assert client.v1.promotion_codes.retrieve(code.id).active is False
    expiring = _promo(client, coupon.id, expires_at=sk.sandbox.now() + DAY)
    client.v1.promotion_codes.update(expiring.id, params={"active": False})
    sk.sandbox.advance_clock(2 * DAY)
    exc = _error(lambda: client.v1.promotion_codes.update(expiring.id, params={"active": True}))
    assert_stripe_error(exc, status=400, param="active")


# -- derived `active` ---------------------------------------------------------------------------


def test_expiry_and_a_deleted_coupon_make_codes_inactive(
    sk: Harness, client: stripe.StripeClient
) -> None:
    coupon = _coupon(client)
    expiring = _promo(client, coupon.id, code="SOON", expires_at=sk.sandbox.now() + DAY)
    other_coupon = _coupon(client)
    orphan = _promo(client, other_coupon.id, code="ORPHAN")
    assert expiring.active is True
    sk.sandbox.advance_clock(DAY)
    assert client.v1.promotion_codes.retrieve(expiring.id).active is False
    client.v1.coupons.delete(other_coupon.id)
    assert client.v1.promotion_codes.retrieve(orphan.id).active is False
    inactive = client.v1.promotion_codes.list(params={"active": False}).data
    assert {c.id for c in inactive} == {expiring.id, orphan.id}
    # Their texts are free again.
    assert _promo(client, coupon.id, code="SOON").active is True


def test_code_on_a_test_clock_expires_on_clock_time(client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_900_000_000})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    exc = _error(lambda: _promo(client, coupon.id, customer=customer.id, expires_at=1_899_000_000))
    assert_stripe_error(exc, status=400, param="expires_at")
    code = _promo(client, coupon.id, customer=customer.id, expires_at=1_900_000_000 + DAY)
    assert code.active is True
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": 1_900_000_000 + 2 * DAY}
    )
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"
    assert client.v1.promotion_codes.retrieve(code.id).active is False


# -- list ---------------------------------------------------------------------------------------


def test_list_filters(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    other = _coupon(client)
    ada = client.v1.customers.create(params={"name": "Ada"})
    first = _promo(client, coupon.id, code="ALPHA")
    sk.sandbox.advance_clock(10)
    second = _promo(client, other.id, code="BETA", customer=ada.id)
    sk.sandbox.advance_clock(10)
    third = _promo(client, coupon.id, code="GAMMA", active=False)

    def ids(**params: Any) -> list[str]:
        return [c.id for c in client.v1.promotion_codes.list(params=params).data]

    assert ids() == [third.id, second.id, first.id]
    assert ids(code="alpha") == [first.id]
    assert ids(code="nope") == []
    assert ids(coupon=coupon.id) == [third.id, first.id]
    assert ids(customer=ada.id) == [second.id]
    assert ids(active=True) == [second.id, first.id]
    assert ids(active=False) == [third.id]
    assert ids(created={"gt": first.created}) == [third.id, second.id]
    assert ids(created=first.created) == [first.id]
    assert ids(customer_account="acct_x") == []
    page = client.v1.promotion_codes.list(params={"limit": 2})
    assert [c.id for c in page.data] == [third.id, second.id] and page.has_more is True
    rest = client.v1.promotion_codes.list(params={"limit": 2, "starting_after": second.id})
    assert [c.id for c in rest.data] == [first.id] and rest.has_more is False
    back = client.v1.promotion_codes.list(params={"limit": 1, "ending_before": first.id})
    assert [c.id for c in back.data] == [second.id] and back.has_more is True
    filtered = client.v1.promotion_codes.list(
        params={"coupon": coupon.id, "starting_after": third.id}
    )
    assert [c.id for c in filtered.data] == [first.id]
    exc = _error(lambda: client.v1.promotion_codes.list(params={"starting_after": "promo_x"}))
    assert_stripe_error(exc, status=400, code="resource_missing", param="starting_after")
    exc = _error(
        lambda: client.v1.promotion_codes.list(
            params={"starting_after": first.id, "ending_before": third.id}
        )
    )
    assert_stripe_error(exc, status=400)
    auto = [c.id for c in client.v1.promotion_codes.list(params={"limit": 1}).auto_paging_iter()]
    assert auto == [third.id, second.id, first.id]


def test_list_active_filter_is_not_a_raw_column(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(client, coupon.id, expires_at=sk.sandbox.now() + 60)
    assert [c.id for c in client.v1.promotion_codes.list(params={"active": True}).data] == [code.id]
    sk.sandbox.advance_clock(120)
    assert client.v1.promotion_codes.list(params={"active": True}).data == []


# -- redemption ------------------------------------------------------------------------------------


def test_redeeming_counts_on_code_and_coupon(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(client, coupon.id, max_redemptions=2)
    customer = client.v1.customers.create(params={"name": "Ada"})
    _redeem(sk, code.id, customer=customer.id)
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    _redeem(sk, code.id, customer=customer.id)
    used_up = client.v1.promotion_codes.retrieve(code.id)
    assert used_up.times_redeemed == 2 and used_up.active is False
    event = client.v1.events.list(params={"type": "promotion_code.updated"}).data[0]
    assert event.data.object.active is False
    assert event.data.previous_attributes.to_dict() == {"active": True}
    exc = _redeem_error(sk, code.id, customer=customer.id)
    assert exc.message == promotion_codes.MAXED
    assert exc.param == "discounts[0][promotion_code]"
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 2


def test_redeeming_refusals(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    ada = client.v1.customers.create(params={"name": "Ada"})
    bob = client.v1.customers.create(params={"name": "Bob"})
    exc = _redeem_error(sk, "promo_nope", customer=ada.id)
    assert (exc.message, exc.param, exc.code, exc.status) == (
        "No such promotion code: 'promo_nope'",
        "discounts[0][promotion_code]",
        "resource_missing",
        400,
    )
    inactive = _promo(client, coupon.id, active=False)
    assert _redeem_error(sk, inactive.id, customer=ada.id).message == promotion_codes.INACTIVE
    adas = _promo(client, coupon.id, customer=ada.id)
    assert _redeem_error(sk, adas.id, customer=bob.id).message == promotion_codes.OTHER_CUSTOMER
    assert _redeem_error(sk, adas.id, customer=None).message == promotion_codes.OTHER_CUSTOMER
    _redeem(sk, adas.id, customer=ada.id)
    expiring = _promo(client, coupon.id, expires_at=sk.sandbox.now() + DAY)
    sk.sandbox.advance_clock(DAY)
    assert _redeem_error(sk, expiring.id, customer=ada.id).message == promotion_codes.EXPIRED
    # A refusal counts nothing.
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_minimum_amount(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(
        client,
        coupon.id,
        restrictions={
            "minimum_amount": 5000,
            "minimum_amount_currency": "usd",
            "currency_options": {"eur": {"minimum_amount": 4500}},
        },
    )
    exc = _redeem_error(sk, code.id, amount=4999, currency="usd")
    assert exc.message == promotion_codes.MINIMUM
    _redeem(sk, code.id, amount=5000, currency="usd")
    _redeem(sk, code.id, amount=4500, currency="eur")
    assert _redeem_error(sk, code.id, amount=4499, currency="eur").message == (
        promotion_codes.MINIMUM
    )
    # A currency with no minimum of its own cannot show it was met.
    assert _redeem_error(sk, code.id, amount=10**6, currency="jpy").message == (
        promotion_codes.MINIMUM
    )
    # Not knowing the total yet skips the check.
    _redeem(sk, code.id)
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 3


def test_first_time_transaction(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = _coupon(client)
    code = _promo(client, coupon.id, restrictions={"first_time_transaction": True})
    newcomer = client.v1.customers.create(params={"name": "New"})
    regular = client.v1.customers.create(params={"name": "Regular", "source": "tok_visa"})
    declined = client.v1.customers.create(params={"name": "Declined"})
    client.v1.charges.create(params={"amount": 1000, "currency": "usd", "customer": regular.id})
    # A failed payment is not a transaction.
    client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "customer": declined.id}
    )
    exc = _redeem_error(sk, code.id, customer=regular.id)
    assert exc.message == promotion_codes.PRIOR
    _redeem(sk, code.id, customer=newcomer.id)
    _redeem(sk, code.id, customer=declined.id)
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 2
    # Invoices count once money was paid on one: a $0 trial invoice is not a transaction.
    trial = client.v1.customers.create(params={"name": "Trial"})
    _invoice(sk, trial.id, status="paid", amount_paid=0)
    _invoice(sk, trial.id, status="open", amount_paid=0)
    _redeem(sk, code.id, customer=trial.id)
    payer = client.v1.customers.create(params={"name": "Payer"})
    _invoice(sk, payer.id, status="paid", amount_paid=1500)
    assert _redeem_error(sk, code.id, customer=payer.id).message == promotion_codes.PRIOR


def _invoice(sk: Harness, customer: str, **fields: Any) -> None:
    """A stored invoice as the invoices module keeps one (only what the check reads)."""

    def insert(ctx: RequestContext) -> None:
        ctx.insert(
            {
                "id": ctx.new_id("in"),
                "object": "invoice",
                "created": ctx.now,
                "customer": customer,
                **fields,
            }
        )

    in_sandbox(sk, insert)


def test_redeeming_on_a_test_clock_uses_clock_time(
    sk: Harness, client: stripe.StripeClient
) -> None:
    now = sk.sandbox.now()
    coupon = _coupon(client, redeem_by=now + 5 * DAY)
    code = _promo(client, coupon.id, expires_at=now + 3 * DAY)
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": now + 4 * DAY})
    on_clock = client.v1.customers.create(params={"test_clock": clock.id})
    off_clock = client.v1.customers.create(params={"name": "now"})
    assert _redeem_error(sk, code.id, customer=on_clock.id).message == promotion_codes.EXPIRED
    _redeem(sk, code.id, customer=off_clock.id)


def test_restricted_key_needs_promotion_code_permission(sk: Harness) -> None:
    key = sk.sandbox.create_restricted_key("read_only", api_key=sk.api_key)
    with pytest.raises(stripe.PermissionError):
        sk.make_client(key).v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": "x"}}
        )
    assert sk.make_client(key).v1.promotion_codes.list().data == []
