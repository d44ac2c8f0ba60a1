"""Discount objects: made from coupons and promotion codes, set on customers and
subscriptions, removed by the discount routes (SDK, both modes) and by time."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework.context import RequestContext
from stripekit.sandbox.framework.errors import InvalidRequestError
from stripekit.sandbox.resources import discounts

DAY = 86400
FROZEN = 1_900_000_000
T = TypeVar("T")


def in_sandbox(sk: Harness, fn: Callable[[RequestContext], T], now: int | None = None) -> T:
    """Run `fn` as sandbox code of this account (what the invoices and subscriptions
    modules do), committing its writes."""
    engine = sk.sandbox.engine
    with engine.context_for(sk.api_key, now=now) as ctx:
        return fn(ctx)


def _discount(sk: Harness, **kwargs: Any) -> dict[str, Any]:
    return in_sandbox(sk, lambda ctx: discounts.create_discount(ctx, **kwargs))


def _refused(sk: Harness, **kwargs: Any) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as exc:
        _discount(sk, **kwargs)
    return exc.value


def _stored(sk: Harness, type_: str, id_: str) -> dict[str, Any] | None:
    return in_sandbox(sk, lambda ctx: ctx.find(type_, id_))


def _subscription(sk: Harness, customer: str) -> str:
    """A stored subscription, as the subscriptions module keeps one (its `discounts` hold
    discount ids)."""
    sub_id = f"sub_{customer[-10:]}Test"

    def insert(ctx: RequestContext) -> None:
        ctx.insert(
            {
                "id": sub_id,
                "object": "subscription",
                "created": ctx.now,
                "customer": customer,
                "discounts": [],
                "status": "active",
            }
        )

    in_sandbox(sk, insert)
    return sub_id


def _add_to_subscription(sk: Harness, sub_id: str, discount_id: str) -> None:
    def add(ctx: RequestContext) -> None:
        sub = ctx.find("subscription", sub_id)
        assert sub is not None
        sub["discounts"] = [*sub["discounts"], discount_id]
        ctx.save(sub)

    in_sandbox(sk, add)


def _body(obj: Any) -> Any:
    return json.loads(obj.last_response.body)


def _types(client: stripe.StripeClient, prefix: str = "customer.discount.*") -> list[str]:
    return [e.type for e in client.v1.events.list(params={"type": prefix}).data]


# -- customer discounts --------------------------------------------------------------------------


def test_coupon_on_a_customer(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    customer = client.v1.customers.create(params={"name": "Ada"})
    made = _discount(sk, coupon=coupon.id, customer=customer.id)
    assert made["id"].startswith("di_") and len(made["id"]) == 27
    shown = client.v1.customers.retrieve(customer.id)
    assert _body(shown)["discount"] == {
        "id": made["id"],
        "object": "discount",
        "checkout_session": None,
        "customer": customer.id,
        "customer_account": None,
        "end": None,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"coupon": coupon.id, "type": "coupon"},
        "start": made["start"],
        "subscription": None,
        "subscription_item": None,
    }
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    event = client.v1.events.list(params={"type": "customer.discount.created"}).data[0]
    assert event.data.object.id == made["id"] and "created" not in event.data.object
    expanded = client.v1.customers.retrieve(
        customer.id, params={"expand": ["discount.source.coupon"]}
    )
    assert expanded.discount.source.coupon.id == coupon.id
    got = sk.raw("GET", f"/v1/customers/{customer.id}/discount")
    assert got.status == 200 and got.body["id"] == made["id"]


def test_delete_customer_discount(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    customer = client.v1.customers.create(params={"name": "Ada"})
    made = _discount(sk, coupon=coupon.id, customer=customer.id)
    deleted = client.v1.customers.delete_discount(customer.id)
    assert deleted.deleted is True and deleted.id == made["id"]
    assert deleted.object == "discount"
    assert deleted.source.coupon == coupon.id
    assert client.v1.customers.retrieve(customer.id).discount is None
    assert _types(client) == ["customer.discount.deleted", "customer.discount.created"]
    exc = _error(lambda: client.v1.customers.delete_discount(customer.id))
    assert_stripe_error(
        exc,
        status=404,
        code="resource_missing",
        message=f"No active discount for customer: '{customer.id}'",
    )
    missing = sk.raw("GET", f"/v1/customers/{customer.id}/discount")
    assert missing.status == 404
    # The discount stays behind for the invoices that used it, as a deleted discount.
    stored = _stored(sk, "discount", made["id"])
    assert stored is not None and stored["deleted"] is True


def test_discount_routes_on_unknown_customers(client: stripe.StripeClient, sk: Harness) -> None:
    exc = _error(lambda: client.v1.customers.delete_discount("cus_nope"))
    assert_stripe_error(
        exc,
        status=404,
        code="resource_missing",
        param="id",
        message="No such customer: 'cus_nope'",
    )
    customer = client.v1.customers.create()
    client.v1.customers.delete(customer.id)
    exc = _error(lambda: client.v1.customers.delete_discount(customer.id))
    assert_stripe_error(exc, status=404, code="resource_missing", param="id")
    assert sk.raw("GET", "/v1/customers/cus_nope/discount").status == 404


def test_new_customer_coupon_replaces_the_old(sk: Harness, client: stripe.StripeClient) -> None:
    first = client.v1.coupons.create(params={"percent_off": 10})
    second = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd"})
    customer = client.v1.customers.create()
    old = _discount(sk, coupon=first.id, customer=customer.id)
    new = _discount(sk, coupon=second.id, customer=customer.id)
    assert client.v1.customers.retrieve(customer.id).discount.id == new["id"]
    event = client.v1.events.list(params={"type": "customer.discount.updated"}).data[0]
    assert event.data.object.id == new["id"]
    assert event.data.previous_attributes.id == old["id"]
    assert event.data.previous_attributes.source.coupon == first.id
    assert (_stored(sk, "discount", old["id"]) or {}).get("deleted") is True


def test_forever_amount_off_coupons_only_on_customers(
    sk: Harness, client: stripe.StripeClient
) -> None:
    coupon = client.v1.coupons.create(
        params={"amount_off": 500, "currency": "usd", "duration": "forever"}
    )
    customer = client.v1.customers.create()
    sub = _subscription(sk, customer.id)
    exc = _refused(
        sk, coupon=coupon.id, customer=customer.id, subscription=sub, param="discounts[0]"
    )
    assert exc.param == "discounts[0][coupon]"
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 0
    _discount(sk, coupon=coupon.id, customer=customer.id)
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


# -- validation and redemption -----------------------------------------------------------------


def test_refusals_name_the_param(sk: Harness, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    exc = _refused(sk, coupon="nope", customer=customer.id, param="discounts[1]")
    assert (exc.message, exc.param, exc.code, exc.status) == (
        "No such coupon: 'nope'",
        "discounts[1][coupon]",
        "resource_missing",
        400,
    )
    exc = _refused(sk, promotion_code="promo_nope", customer=customer.id)
    assert (exc.message, exc.param) == ("No such promotion code: 'promo_nope'", "promotion_code")
    exc = _refused(sk, coupon="a", promotion_code="b", customer=customer.id)
    assert exc.param == "promotion_code"
    exc = _refused(sk, customer=customer.id)
    assert exc.code == "parameter_missing"


def test_max_redemptions_and_redeem_by(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10, "max_redemptions": 1})
    ada = client.v1.customers.create()
    bob = client.v1.customers.create()
    _discount(sk, coupon=coupon.id, customer=ada.id)
    used = client.v1.coupons.retrieve(coupon.id)
    assert used.times_redeemed == 1 and used.valid is False
    exc = _refused(sk, coupon=coupon.id, customer=bob.id)
    assert (exc.message, exc.code, exc.param) == (
        f"Coupon expired: {coupon.id}",
        "coupon_expired",
        "coupon",
    )
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    dated = client.v1.coupons.create(
        params={"percent_off": 10, "redeem_by": sk.sandbox.now() + 5 * DAY}
    )
    clock = client.v1.test_helpers.test_clocks.create(
        params={"frozen_time": sk.sandbox.now() + 6 * DAY}
    )
    later = client.v1.customers.create(params={"test_clock": clock.id})
    # On the customer's clock the coupon has already expired; for others it has not.
    assert _refused(sk, coupon=dated.id, customer=later.id).code == "coupon_expired"
    _discount(sk, coupon=dated.id, customer=bob.id)


def test_validation_without_redeeming(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    code = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}}
    )
    customer = client.v1.customers.create()
    sub = _subscription(sk, customer.id)
    _discount(sk, coupon=coupon.id, customer=customer.id, subscription=sub, redeem=False)
    _discount(sk, promotion_code=code.id, customer=customer.id, subscription=sub, redeem=False)
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 0
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 0


def test_promotion_code_discount(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 15})
    code = client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "restrictions": {"minimum_amount": 1000, "minimum_amount_currency": "usd"},
        }
    )
    customer = client.v1.customers.create()
    sub = _subscription(sk, customer.id)
    exc = _refused(
        sk,
        promotion_code=code.id,
        customer=customer.id,
        subscription=sub,
        amount=999,
        currency="usd",
        param="discounts[0]",
    )
    assert exc.param == "discounts[0][promotion_code]"
    made = _discount(
        sk,
        promotion_code=code.id,
        customer=customer.id,
        subscription=sub,
        amount=1000,
        currency="usd",
    )
    assert made["promotion_code"] == code.id and made["source"]["coupon"] == coupon.id
    assert made["subscription"] == sub and made["customer"] == customer.id
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    # Subscription discounts are announced as customer discounts, as Stripe does.
    event = client.v1.events.list(params={"type": "customer.discount.created"}).data[0]
    assert event.data.object.subscription == sub
    # Only the subscription holds it: the customer's own discount is untouched.
    assert client.v1.customers.retrieve(customer.id).discount is None


def test_invoice_level_discounts_send_no_customer_events(
    sk: Harness, client: stripe.StripeClient
) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 15, "duration": "once"})
    customer = client.v1.customers.create()
    made = _discount(sk, coupon=coupon.id, customer=customer.id, invoice="in_test")
    assert made["invoice"] == "in_test"
    assert _types(client) == []
    in_sandbox(sk, lambda ctx: discounts.used(ctx, made["id"]))
    # An invoice's own discount stays on the invoice.
    assert not (_stored(sk, "discount", made["id"]) or {}).get("deleted")


# -- durations ---------------------------------------------------------------------------------


def test_add_months_clamps_to_the_month_end() -> None:
    def ts(*parts: int) -> int:
        return int(datetime(*parts, tzinfo=UTC).timestamp())

    assert discounts.add_months(ts(2025, 1, 31, 12), 1) == ts(2025, 2, 28, 12)
    assert discounts.add_months(ts(2024, 1, 31), 1) == ts(2024, 2, 29)
    assert discounts.add_months(ts(2025, 11, 15), 3) == ts(2026, 2, 15)
    assert discounts.add_months(ts(2025, 3, 31), 12) == ts(2026, 3, 31)


def test_active_and_repeating_end(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        params={"percent_off": 50, "duration": "repeating", "duration_in_months": 3}
    )
    customer = client.v1.customers.create()
    made = _discount(sk, coupon=coupon.id, customer=customer.id, start=FROZEN)
    assert made["start"] == FROZEN
    assert made["end"] == discounts.add_months(FROZEN, 3)
    assert discounts.active(made, FROZEN)
    assert discounts.active(made, made["end"] - 1)
    assert not discounts.active(made, made["end"])
    assert not discounts.active({**made, "end": None, "deleted": True}, FROZEN)
    assert discounts.active({**made, "end": None}, FROZEN + 10**8)


def test_repeating_discount_ends_when_the_clock_passes_its_end(
    sk: Harness, client: stripe.StripeClient
) -> None:
    coupon = client.v1.coupons.create(
        params={"percent_off": 50, "duration": "repeating", "duration_in_months": 3}
    )
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    sub = _subscription(sk, customer.id)
    on_customer = _discount(sk, coupon=coupon.id, customer=customer.id)
    on_sub = _discount(sk, coupon=coupon.id, customer=customer.id, subscription=sub)
    _add_to_subscription(sk, sub, on_sub["id"])
    # Started at the clock's time, not the sandbox's.
    assert on_customer["start"] == FROZEN and on_sub["start"] == FROZEN
    end = discounts.add_months(FROZEN, 3)
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": end - 60})
    client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert client.v1.customers.retrieve(customer.id).discount.id == on_customer["id"]
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": end + 60})
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"
    assert client.v1.customers.retrieve(customer.id).discount is None
    stored_sub = _stored(sk, "subscription", sub)
    assert stored_sub is not None and stored_sub["discounts"] == []
    deleted = client.v1.events.list(params={"type": "customer.discount.deleted"}).data
    assert {e.data.object.id for e in deleted} == {on_customer["id"], on_sub["id"]}
    assert all(e.created == end for e in deleted)
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert updated.data.previous_attributes.discounts == [on_sub["id"]]


def test_once_discount_is_spent_by_its_invoice(sk: Harness, client: stripe.StripeClient) -> None:
    once = client.v1.coupons.create(params={"percent_off": 20, "duration": "once"})
    forever = client.v1.coupons.create(params={"percent_off": 20, "duration": "forever"})
    customer = client.v1.customers.create()
    sub = _subscription(sk, customer.id)
    spent = _discount(sk, coupon=once.id, customer=customer.id, subscription=sub)
    kept = _discount(sk, coupon=forever.id, customer=customer.id, subscription=sub)
    _add_to_subscription(sk, sub, spent["id"])
    _add_to_subscription(sk, sub, kept["id"])
    in_sandbox(sk, lambda ctx: discounts.used(ctx, spent["id"]))
    in_sandbox(sk, lambda ctx: discounts.used(ctx, kept["id"]))
    stored_sub = _stored(sk, "subscription", sub)
    assert stored_sub is not None and stored_sub["discounts"] == [kept["id"]]
    gone = _stored(sk, "discount", spent["id"])
    assert gone is not None and not discounts.active(gone, sk.sandbox.now())
    own = _discount(sk, coupon=once.id, customer=customer.id)
    in_sandbox(sk, lambda ctx: discounts.used(ctx, own["id"]))
    assert client.v1.customers.retrieve(customer.id).discount is None


def test_deleted_coupon_keeps_discounting(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        params={"amount_off": 300, "currency": "usd", "applies_to": {"products": []}}
    )
    customer = client.v1.customers.create()
    made = _discount(sk, coupon=coupon.id, customer=customer.id)
    client.v1.coupons.delete(coupon.id)
    kept = in_sandbox(sk, lambda ctx: discounts.coupon_of(ctx, made))
    assert kept["id"] == coupon.id and kept["amount_off"] == 300 and "valid" not in kept
    assert in_sandbox(sk, lambda ctx: discounts.customer_discount(ctx, customer.id, ctx.now))


# -- subscription discounts ----------------------------------------------------------------------


def test_delete_subscription_discount(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    customer = client.v1.customers.create()
    sub = _subscription(sk, customer.id)
    made = _discount(sk, coupon=coupon.id, customer=customer.id, subscription=sub)
    _add_to_subscription(sk, sub, made["id"])
    deleted = client.v1.subscriptions.delete_discount(sub)
    assert deleted.deleted is True and deleted.id == made["id"]
    assert deleted.subscription == sub
    stored_sub = _stored(sk, "subscription", sub)
    assert stored_sub is not None and stored_sub["discounts"] == []
    assert _types(client) == ["customer.discount.deleted", "customer.discount.created"]
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert updated.data.previous_attributes.discounts == [made["id"]]
    exc = _error(lambda: client.v1.subscriptions.delete_discount(sub))
    assert_stripe_error(
        exc,
        status=404,
        code="resource_missing",
        message=f"No active discount for subscription: '{sub}'",
    )
    exc = _error(lambda: client.v1.subscriptions.delete_discount("sub_nope"))
    assert_stripe_error(
        exc,
        status=404,
        code="resource_missing",
        param="subscription_exposed_id",
        message="No such subscription: 'sub_nope'",
    )


def test_legacy_customer_subscription_discount_routes(
    sk: Harness, client: stripe.StripeClient
) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    customer = client.v1.customers.create()
    stranger = client.v1.customers.create()
    sub = _subscription(sk, customer.id)
    made = _discount(sk, coupon=coupon.id, customer=customer.id, subscription=sub)
    _add_to_subscription(sk, sub, made["id"])
    path = f"/v1/customers/{customer.id}/subscriptions/{sub}/discount"
    got = sk.raw("GET", path)
    assert got.status == 200 and got.body["id"] == made["id"]
    assert "created" not in got.body
    wrong = sk.raw("DELETE", f"/v1/customers/{stranger.id}/subscriptions/{sub}/discount")
    assert wrong.status == 404
    assert wrong.body["error"]["message"] == (
        f"Customer {stranger.id} does not have a subscription with ID {sub}"
    )
    gone = sk.raw("DELETE", path)
    assert gone.status == 200 and gone.body["deleted"] is True and gone.body["id"] == made["id"]
    assert sk.raw("DELETE", path).status == 404
    assert sk.raw("GET", path).status == 404
    assert sk.raw("GET", f"/v1/customers/cus_nope/subscriptions/{sub}/discount").status == 404


def _error(call: Callable[[], Any]) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        call()
    return exc.value
