"""Plans (the legacy face of recurring prices) through the official SDK, in both modes."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error


@pytest.fixture
def product(client: stripe.StripeClient) -> str:
    return client.v1.products.create(params={"name": "P"}).id


def create(client: stripe.StripeClient, product: str, **params: Any) -> stripe.Plan:
    body: dict[str, Any] = {"product": product, "currency": "usd", "interval": "month", **params}
    if "billing_scheme" not in params and "amount_decimal" not in params:
        body.setdefault("amount", 2000)
    return client.v1.plans.create(params=body)  # type: ignore[arg-type]


def refused(client: stripe.StripeClient, **params: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.create(params=params)  # type: ignore[arg-type]
    return exc.value


def test_create_has_stripe_shape_and_is_a_price(client: stripe.StripeClient, product: str) -> None:
    plan = create(client, product, id="gold-monthly", nickname="Gold", trial_period_days=14)
    assert plan.to_dict() == {
        "id": "gold-monthly",
        "object": "plan",
        "active": True,
        "amount": 2000,
        "amount_decimal": plan.amount_decimal,
        "billing_scheme": "per_unit",
        "created": plan.created,
        "currency": "usd",
        "interval": "month",
        "interval_count": 1,
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": "Gold",
        "product": product,
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": 14,
        "usage_type": "licensed",
    }
    assert str(plan.amount_decimal) == "2000"
    assert client.v1.plans.retrieve("gold-monthly").to_dict() == plan.to_dict()
    price = client.v1.prices.retrieve("gold-monthly")
    assert (price.type, price.unit_amount, price.product) == ("recurring", 2000, product)
    assert price.recurring.interval == "month" and price.nickname == "Gold"
    assert [p.id for p in client.v1.prices.list(params={"product": product}).data] == [plan.id]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.delete(product)
    assert_stripe_error(
        exc.value,
        status=400,
        message=("This product cannot be deleted because it has one or more user-created prices."),
    )


def test_generated_id_inline_product_and_events(client: stripe.StripeClient) -> None:
    plan = client.v1.plans.create(
        params={
            "amount_decimal": "1999.5",
            "currency": "EUR",
            "interval": "year",
            "product": {"name": "Inline", "unit_label": "seat"},
        }
    )
    assert plan.id.startswith("price_")
    assert (plan.amount, str(plan.amount_decimal), plan.currency) == (None, "1999.5", "eur")
    assert isinstance(plan.product, str)
    made = client.v1.products.retrieve(plan.product)
    assert (made.name, made.unit_label) == ("Inline", "seat")
    events = client.v1.events.list().data
    # The plan's own event first, then its price twin's.
    assert [e.type for e in events] == ["price.created", "plan.created", "product.created"]
    assert events[1].data.object.object == "plan" and events[0].data.object.object == "price"


def test_create_refusals(client: stripe.StripeClient, product: str) -> None:
    base = {"product": product, "currency": "usd", "interval": "month"}
    create(client, product, id="dup")
    assert_stripe_error(
        refused(client, **base, amount=1, id="dup"),
        status=400,
        code="resource_already_exists",
        message="Plan already exists.",
    )
    assert_stripe_error(
        refused(client, **base, amount=1, amount_decimal="1"),
        status=400,
        param="amount",
        message="You may only specify one of these parameters: amount, amount_decimal.",
    )
    assert_stripe_error(
        refused(client, **base),
        status=400,
        code="parameter_missing",
        param="amount",
        message="Missing required param: amount.",
    )
    assert_stripe_error(
        refused(client, currency="usd", interval="month", amount=1),
        status=400,
        code="parameter_missing",
        param="product",
    )
    assert_stripe_error(
        refused(client, **{**base, "product": "prod_nope"}, amount=1),
        status=400,
        code="resource_missing",
        param="product",
        message="No such product: 'prod_nope'",
    )
    assert_stripe_error(
        refused(client, **{**base, "interval": "daily"}, amount=1),
        status=400,
        param="interval",
        message="Invalid interval: must be one of day, month, week, or year",
    )
    assert_stripe_error(
        refused(client, **base, amount=1, interval_count=0),
        status=400,
        param="interval_count",
        message="Invalid positive integer",
    )
    assert_stripe_error(
        refused(client, **base, amount=1, interval_count=37), status=400, param="interval_count"
    )
    assert_stripe_error(
        refused(client, **base, amount=1, usage_type="metered"),
        status=400,
        message=(
            "Starting with Stripe version `2025-03-31.basil`, metered prices must be backed "
            "by meters."
        ),
    )
    assert_stripe_error(
        refused(client, **base, amount=1, trial_period_days=731),
        status=400,
        param="trial_period_days",
    )
    assert_stripe_error(
        refused(client, **base, amount=-5),
        status=400,
        param="amount",
        message="Invalid non-negative integer",
    )
    assert_stripe_error(
        refused(client, **{**base, "currency": "u$d"}, amount=1), status=400, param="currency"
    )


def test_tiered_plans(client: stripe.StripeClient, product: str) -> None:
    tiers = [{"up_to": 10, "unit_amount": 100}, {"up_to": "inf", "flat_amount": 900}]
    plan = create(client, product, billing_scheme="tiered", tiers_mode="volume", tiers=tiers)
    assert (plan.billing_scheme, plan.tiers_mode, plan.amount) == ("tiered", "volume", None)
    assert "tiers" not in plan.to_dict()
    base = {"product": product, "currency": "usd", "interval": "month", "billing_scheme": "tiered"}
    assert_stripe_error(
        refused(client, **base, tiers_mode="volume"),
        status=400,
        code="parameter_missing",
        param="tiers",
        message="Missing required param: tiers.",
    )
    assert_stripe_error(
        refused(client, **base, tiers=tiers),
        status=400,
        code="parameter_missing",
        param="tiers_mode",
    )
    assert_stripe_error(
        refused(client, **base, tiers=tiers, tiers_mode="volume", amount=5),
        status=400,
        param="amount",
    )
    assert_stripe_error(
        refused(
            client,
            **base,
            tiers=tiers,
            tiers_mode="volume",
            transform_usage={"divide_by": 2, "round": "up"},
        ),
        status=400,
        param="tiers",
    )
    assert_stripe_error(
        refused(client, **base, tiers_mode="volume", tiers=[{"up_to": "inf"}]),
        status=400,
        param="amount",
        message="An entry in the tiers array is missing an amount.",
    )


def test_transform_usage_and_metered_with_meter(client: stripe.StripeClient, product: str) -> None:
    plan = create(
        client,
        product,
        usage_type="metered",
        meter="mtr_1",
        transform_usage={"divide_by": 100, "round": "down"},
    )
    assert (plan.usage_type, plan.meter) == ("metered", "mtr_1")
    assert plan.transform_usage.to_dict() == {"divide_by": 100, "round": "down"}
    price = client.v1.prices.retrieve(plan.id)
    assert price.transform_quantity.to_dict() == {"divide_by": 100, "round": "down"}


def test_recurring_prices_are_plans_one_time_ones_are_not(
    client: stripe.StripeClient, product: str
) -> None:
    recurring = client.v1.prices.create(
        params={
            "product": product,
            "currency": "usd",
            "unit_amount": 700,
            "recurring": {"interval": "week", "interval_count": 2},
        }
    )
    one_time = client.v1.prices.create(
        params={"product": product, "currency": "usd", "unit_amount": 700}
    )
    plan = client.v1.plans.retrieve(recurring.id)
    assert (plan.amount, plan.interval, plan.interval_count) == (700, "week", 2)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.retrieve(one_time.id)
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="plan",
        message=f"No such plan: '{one_time.id}'",
    )
    assert [p.id for p in client.v1.plans.list().data] == [recurring.id]


def test_update_fields_and_both_events(client: stripe.StripeClient, product: str) -> None:
    other = client.v1.products.create(params={"name": "Other"}).id
    plan = create(client, product, nickname="old", metadata={"k": "v"})
    updated = client.v1.plans.update(
        plan.id,
        params={
            "nickname": "new",
            "metadata": {"k": "", "x": "y"},
            "trial_period_days": 7,
            "product": other,
        },
    )
    assert (updated.nickname, updated.trial_period_days, updated.product) == ("new", 7, other)
    assert updated.metadata.to_dict() == {"x": "y"}
    price = client.v1.prices.retrieve(plan.id)
    assert (price.product, price.nickname, price.recurring.trial_period_days) == (other, "new", 7)
    events = client.v1.events.list(params={"types": ["plan.updated", "price.updated"]}).data
    assert [e.type for e in events] == ["price.updated", "plan.updated"]
    assert events[1].data.previous_attributes.to_dict() == {
        "nickname": "old",
        "metadata": {"k": "v", "x": None},
        "product": product,
        "trial_period_days": None,
    }
    assert events[0].data.previous_attributes.to_dict() == {
        "nickname": "old",
        "metadata": {"k": "v", "x": None},
        "product": product,
        "recurring": {"trial_period_days": None},
    }
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.update(plan.id, params={"product": "prod_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="product")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.update("nope", params={"nickname": "x"})
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="plan",
        message="No such plan: 'nope'",
    )
    archived = client.v1.plans.update(plan.id, params={"active": False})
    assert archived.active is False and client.v1.prices.retrieve(plan.id).active is False


def test_archiving_a_default_price_plan_is_refused(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": "D",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 5,
                "recurring": {"interval": "month"},
            },
        }
    )
    assert isinstance(product.default_price, str)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.update(product.default_price, params={"active": False})
    assert_stripe_error(
        exc.value,
        status=400,
        message="This price cannot be archived because it is the default price of its product.",
    )


def test_delete_removes_both_faces(client: stripe.StripeClient, product: str) -> None:
    plan = create(client, product, id="to-delete")
    deleted = client.v1.plans.delete(plan.id)
    assert deleted.to_dict() == {"id": "to-delete", "object": "plan", "deleted": True}
    for call, noun, param in (
        (lambda: client.v1.plans.retrieve("to-delete"), "plan", "plan"),
        (lambda: client.v1.prices.retrieve("to-delete"), "price", "price"),
        (lambda: client.v1.plans.delete("to-delete"), "plan", "plan"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(
            exc.value,
            status=404,
            code="resource_missing",
            param=param,
            message=f"No such {noun}: 'to-delete'",
        )
    assert client.v1.plans.list().data == []
    types = [e.type for e in client.v1.events.list(params={"type": "p*"}).data]
    assert types[:2] == ["price.deleted", "plan.deleted"]
    # With its only price gone the product can be deleted, and the id reused.
    again = create(client, product, id="to-delete", amount=1)
    assert again.amount == 1
    client.v1.plans.delete("to-delete")
    assert client.v1.products.delete(product).deleted is True


def test_deleting_the_default_price_plan_clears_it(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": "D",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 5,
                "recurring": {"interval": "month"},
            },
        }
    )
    assert isinstance(product.default_price, str)
    client.v1.plans.delete(product.default_price)
    assert client.v1.products.retrieve(product.id).default_price is None


def test_list_filters_and_expand(sk: Harness, client: stripe.StripeClient, product: str) -> None:
    other = client.v1.products.create(params={"name": "Other"}).id
    first = create(client, product)
    sk.sandbox.advance_clock(10)
    second = create(client, other, active=False)

    def ids(**params: Any) -> list[str]:
        return [p.id for p in client.v1.plans.list(params=params).data]  # type: ignore[arg-type]

    assert ids() == [second.id, first.id]
    assert ids(active=True) == [first.id]
    assert ids(active=False) == [second.id]
    assert ids(product=other) == [second.id]
    assert ids(created={"gt": first.created}) == [second.id]
    assert ids(limit=1, starting_after=second.id) == [first.id]
    page = client.v1.plans.list(params={"expand": ["data.product"]})
    assert page.url == "/v1/plans" and page.data[0].product.name == "Other"
    one = client.v1.plans.retrieve(first.id, params={"expand": ["product"]})
    assert isinstance(one.product, stripe.Product) and one.product.id == product
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.list(params={"starting_after": "plan_nope"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="starting_after",
        message="No such plan: 'plan_nope'",
    )


def test_expand_plan_tiers(client: stripe.StripeClient, product: str) -> None:
    tiers = [{"up_to": 10, "unit_amount": 100}, {"up_to": "inf", "flat_amount": 900}]
    plan = create(client, product, billing_scheme="tiered", tiers_mode="graduated", tiers=tiers)
    fetched = client.v1.plans.retrieve(plan.id, params={"expand": ["tiers"]})
    assert [t.up_to for t in fetched.tiers] == [10, None]


def test_update_refusals_and_tiers_in_lists(client: stripe.StripeClient, product: str) -> None:
    tiers = [{"up_to": 3, "unit_amount": 100}, {"up_to": "inf", "unit_amount": 50}]
    plan = create(client, product, billing_scheme="tiered", tiers_mode="graduated", tiers=tiers)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.update(plan.id, params={"product": ""})
    assert_stripe_error(exc.value, status=400, code="parameter_invalid_empty", param="product")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.plans.update(plan.id, params={"trial_period_days": -1})
    assert_stripe_error(exc.value, status=400, param="trial_period_days")
    assert "tiers" not in client.v1.plans.list().data[0].to_dict()
    listed = client.v1.plans.list(params={"expand": ["data.tiers"]}).data[0]
    assert [t.unit_amount for t in listed.tiers] == [100, 50]
    price = client.v1.prices.retrieve(plan.id, params={"expand": ["tiers"]})
    assert [t.up_to for t in price.tiers] == [3, None]
    event = client.v1.events.list(params={"type": "plan.created"}).data[0]
    assert "tiers" not in event.data.object.to_dict()


def test_nothing_is_a_500(sk: Harness, product: str) -> None:
    base = f"product={product}&currency=usd&interval=month"
    for body in (
        "currency=usd&interval=month&amount=1",
        f"{base}&amount=1&product[name]=",
        f"{base}&amount=1.5",
        f"{base}&amount_decimal=abc",
        f"{base}&amount=1&interval_count=x",
        f"{base}&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=0&tiers[0][unit_amount]=1",
        f"{base}&amount=1&transform_usage[divide_by]=0&transform_usage[round]=up",
        f"{base}&amount=1&meter=mtr_1",
    ):
        response = sk.raw("POST", "/v1/plans", body=body)
        assert response.status == 400, (body, response.body)
