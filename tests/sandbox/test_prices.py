"""Prices through the official SDK, in both modes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error

NEEDS_AMOUNT = "Prices require an `unit_amount` or `unit_amount_decimal` parameter to be set."
TIERS = [{"up_to": 5, "unit_amount": 500}, {"up_to": "inf", "unit_amount": 400}]


@pytest.fixture
def product(client: stripe.StripeClient) -> str:
    return client.v1.products.create(params={"name": "P"}).id


def create(client: stripe.StripeClient, product: str, **params: Any) -> stripe.Price:
    body: dict[str, Any] = {"product": product, "currency": "usd", **params}
    if not {"unit_amount", "unit_amount_decimal", "custom_unit_amount", "billing_scheme"} & set(
        params
    ):
        body["unit_amount"] = 1000
    return client.v1.prices.create(params=body)  # type: ignore[arg-type]


def refused(client: stripe.StripeClient, **params: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.create(params=params)  # type: ignore[arg-type]
    return exc.value


def test_one_time_defaults_have_stripe_shape(client: stripe.StripeClient, product: str) -> None:
    price = create(client, product, nickname="one time")
    assert price.id.startswith("price_") and len(price.id) == 30
    assert price.to_dict() == {
        "id": price.id,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": price.created,
        "currency": "usd",
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": "one time",
        "product": product,
        "recurring": None,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": 1000,
        # The SDK turns Stripe's decimal strings into Decimals.
        "unit_amount_decimal": Decimal("1000"),
    }
    assert client.v1.prices.retrieve(price.id).to_dict() == price.to_dict()


def test_recurring_shape_and_currency_case(client: stripe.StripeClient, product: str) -> None:
    price = create(
        client, product, currency="EUR", recurring={"interval": "week", "interval_count": 2}
    )
    assert price.currency == "eur" and price.type == "recurring"
    assert price.recurring.to_dict() == {
        "interval": "week",
        "interval_count": 2,
        "meter": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
    metered = create(
        client,
        product,
        recurring={"interval": "month", "usage_type": "metered", "meter": "mtr_123"},
    )
    assert (metered.recurring.usage_type, metered.recurring.meter) == ("metered", "mtr_123")


def test_decimal_amounts_stay_consistent(
    sk: Harness, client: stripe.StripeClient, product: str
) -> None:
    fractional = create(client, product, unit_amount_decimal="123.450")
    assert (fractional.unit_amount, fractional.unit_amount_decimal) == (None, Decimal("123.45"))
    whole = create(client, product, unit_amount_decimal="1000.00")
    assert (whole.unit_amount, whole.unit_amount_decimal) == (1000, Decimal("1000"))
    tiny = create(client, product, unit_amount_decimal="0.000000000001")
    # On the wire a decimal is plain digits, never an exponent.
    wire = sk.raw("GET", f"/v1/prices/{tiny.id}").body
    assert (wire["unit_amount"], wire["unit_amount_decimal"]) == (None, "0.000000000001")
    assert sk.raw("GET", f"/v1/prices/{whole.id}").body["unit_amount_decimal"] == "1000"
    free = create(client, product, unit_amount=0)
    assert (free.unit_amount, free.unit_amount_decimal) == (0, Decimal("0"))
    yen = create(client, product, currency="jpy", unit_amount=1500)
    assert (yen.currency, yen.unit_amount, yen.unit_amount_decimal) == (
        "jpy",
        1500,
        Decimal("1500"),
    )


ONLY_ONE = "You may only specify one of these parameters: "
# (params besides product and currency="usd", expected param, code, message or None)
CREATE_REFUSALS: list[tuple[dict[str, Any], str | None, str | None, str | None]] = [
    (
        {"unit_amount": 1, "unit_amount_decimal": "1"},
        "unit_amount",
        None,
        ONLY_ONE + "unit_amount, unit_amount_decimal.",
    ),
    ({}, None, None, NEEDS_AMOUNT),
    ({"recurring": {"interval": "month"}}, None, None, NEEDS_AMOUNT),
    ({"unit_amount": -1}, "unit_amount", None, "Invalid non-negative integer"),
    ({"unit_amount_decimal": "1.0000000000001"}, "unit_amount_decimal", None, None),
    ({"unit_amount_decimal": "-5"}, "unit_amount_decimal", None, None),
    ({"unit_amount": 1, "currency": "dollars"}, "currency", None, None),
    (
        {"unit_amount": 5, "recurring": {"interval": "fortnight"}},
        "recurring[interval]",
        None,
        "Invalid recurring[interval]: must be one of day, month, week, or year",
    ),
    (
        {"unit_amount": 5, "recurring": {"interval": "month", "interval_count": 0}},
        "recurring[interval_count]",
        None,
        "Invalid positive integer",
    ),
    (
        {"unit_amount": 5, "recurring": {"interval": "year", "interval_count": 4}},
        "recurring[interval_count]",
        None,
        None,
    ),
    (
        {"unit_amount": 5, "recurring": {"interval": "month", "usage_type": "metered"}},
        None,
        None,
        "Starting with Stripe version `2025-03-31.basil`, metered prices must be backed by meters.",
    ),
    (
        {"unit_amount": 5, "recurring": {"interval": "month", "meter": "mtr_1"}},
        "recurring[meter]",
        None,
        None,
    ),
]


def test_create_refusals(client: stripe.StripeClient, product: str) -> None:
    for extra, param, code, message in CREATE_REFUSALS:
        error = refused(client, **{"product": product, "currency": "usd", **extra})
        assert_stripe_error(error, status=400, param=param, code=code, message=message)
    # The longest period allowed is three years.
    assert create(client, product, recurring={"interval": "month", "interval_count": 36})


def test_tiered_prices(client: stripe.StripeClient, product: str) -> None:
    price = create(
        client,
        product,
        billing_scheme="tiered",
        tiers_mode="graduated",
        recurring={"interval": "month"},
        tiers=[
            {"up_to": 5, "unit_amount": 500, "flat_amount_decimal": "100.5"},
            {"up_to": "inf", "unit_amount_decimal": "400.25"},
        ],
    )
    assert (price.billing_scheme, price.tiers_mode) == ("tiered", "graduated")
    assert (price.unit_amount, price.unit_amount_decimal) == (None, None)
    # `tiers` is includable: absent unless expanded.
    assert "tiers" not in price.to_dict()


def _tiers(*bounds: int | str) -> list[dict[str, Any]]:
    return [{"up_to": b, "unit_amount": 1} for b in bounds]


# (extra params on a monthly tiered price, expected param, code, message or None)
TIERED_REFUSALS: list[tuple[dict[str, Any], str, str | None, str | None]] = [
    ({"tiers_mode": "volume"}, "tiers", "parameter_missing", "Missing required param: tiers."),
    ({"tiers": TIERS}, "tiers_mode", "parameter_missing", None),
    (
        {"tiers_mode": "volume", "tiers": [{"up_to": "inf"}]},
        "amount",
        None,
        "An entry in the tiers array is missing an amount.",
    ),
    ({"tiers_mode": "volume", "tiers": _tiers(5, 10)}, "tiers[1][up_to]", None, None),
    ({"tiers_mode": "volume", "tiers": _tiers(5, 5, "inf")}, "tiers[1][up_to]", None, None),
    ({"tiers_mode": "volume", "tiers": _tiers("inf", 5)}, "tiers[0][up_to]", None, None),
    ({"tiers_mode": "volume", "tiers": _tiers(0, "inf")}, "tiers[0][up_to]", None, None),
    (
        {"tiers_mode": "volume", "tiers": [{"up_to": "lots"}]},
        "tiers[0][up_to]",
        "parameter_invalid_integer",
        None,
    ),
    (
        {
            "tiers_mode": "volume",
            "tiers": [{"up_to": "inf", "unit_amount": 1, "unit_amount_decimal": "1"}],
        },
        "tiers[0][unit_amount]",
        None,
        "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
    ),
    ({"tiers_mode": "volume", "tiers": TIERS, "unit_amount": 5}, "unit_amount", None, None),
    (
        {
            "tiers_mode": "volume",
            "tiers": TIERS,
            "transform_quantity": {"divide_by": 2, "round": "up"},
        },
        "tiers",
        None,
        "You may only specify one of these parameters: tiers, transform_quantity.",
    ),
]


def test_tiered_refusals(client: stripe.StripeClient, product: str) -> None:
    base = {"product": product, "currency": "usd", "billing_scheme": "tiered"}
    one_time = refused(client, **base, tiers_mode="volume", tiers=TIERS)
    assert_stripe_error(
        one_time,
        status=400,
        param="interval",
        message="Prices with `type=one_time` are not supported with tiered billing.",
    )
    for extra, param, code, message in TIERED_REFUSALS:
        error = refused(client, **base, recurring={"interval": "month"}, **extra)
        assert_stripe_error(error, status=400, param=param, code=code, message=message)
    per_unit_tiers = refused(client, product=product, currency="usd", unit_amount=1, tiers=TIERS)
    assert_stripe_error(per_unit_tiers, status=400, param="tiers")


def test_custom_unit_amount_and_transform_quantity(
    client: stripe.StripeClient, product: str
) -> None:
    custom = create(
        client,
        product,
        custom_unit_amount={"enabled": True, "maximum": 10000, "minimum": 100, "preset": 500},
    )
    assert custom.custom_unit_amount.to_dict() == {"maximum": 10000, "minimum": 100, "preset": 500}
    assert (custom.unit_amount, custom.unit_amount_decimal) == (None, None)
    with_amount = refused(
        client,
        product=product,
        currency="usd",
        unit_amount=5,
        custom_unit_amount={"enabled": True},
    )
    assert_stripe_error(with_amount, status=400, param="unit_amount")
    recurring = refused(
        client,
        product=product,
        currency="usd",
        custom_unit_amount={"enabled": True},
        recurring={"interval": "month"},
    )
    assert_stripe_error(recurring, status=400, param="custom_unit_amount")
    inverted = refused(
        client,
        product=product,
        currency="usd",
        custom_unit_amount={"enabled": True, "minimum": 500, "maximum": 100},
    )
    assert_stripe_error(inverted, status=400, param="custom_unit_amount[minimum]")
    transformed = create(client, product, transform_quantity={"divide_by": 5, "round": "up"})
    assert transformed.transform_quantity.to_dict() == {"divide_by": 5, "round": "up"}
    zero = refused(
        client,
        product=product,
        currency="usd",
        unit_amount=1,
        transform_quantity={"divide_by": 0, "round": "up"},
    )
    assert_stripe_error(zero, status=400, param="transform_quantity[divide_by]")


def test_currency_options(client: stripe.StripeClient, product: str) -> None:
    price = create(client, product, currency_options={"EUR": {"unit_amount": 900}})
    # Includable too: not in the default body.
    assert "currency_options" not in price.to_dict()
    same = refused(
        client,
        product=product,
        currency="usd",
        unit_amount=1,
        currency_options={"usd": {"unit_amount": 2}},
    )
    assert_stripe_error(same, status=400, param="currency_options[usd]")
    empty = refused(
        client,
        product=product,
        currency="usd",
        unit_amount=1,
        currency_options={"eur": {"tax_behavior": "exclusive"}},
    )
    assert_stripe_error(empty, status=400, param="currency_options[eur]", message=NEEDS_AMOUNT)
    updated = client.v1.prices.update(
        price.id, params={"currency_options": {"gbp": {"unit_amount_decimal": "850.5"}}}
    )
    assert updated.id == price.id


def test_expand_includable_tiers_and_currency_options(
    sk: Harness, client: stripe.StripeClient, product: str
) -> None:
    price = create(
        client,
        product,
        billing_scheme="tiered",
        tiers_mode="volume",
        recurring={"interval": "month"},
        tiers=TIERS,
        tax_behavior="exclusive",
        currency_options={"eur": {"tiers": [{"up_to": "inf", "flat_amount_decimal": "9.5"}]}},
    )
    wire = sk.raw(
        "GET", f"/v1/prices/{price.id}", query="expand[]=tiers&expand[]=currency_options"
    ).body
    blank = dict.fromkeys(("flat_amount", "flat_amount_decimal"))
    assert wire["tiers"] == [
        {**blank, "unit_amount": 500, "unit_amount_decimal": "500", "up_to": 5},
        {**blank, "unit_amount": 400, "unit_amount_decimal": "400", "up_to": None},
    ]
    option = {"custom_unit_amount": None, "tax_behavior": "exclusive"}
    option |= dict.fromkeys(("unit_amount", "unit_amount_decimal"))
    eur_tier = {**blank, "flat_amount_decimal": "9.5", "unit_amount": None, "up_to": None}
    eur_tier["unit_amount_decimal"] = None
    assert wire["currency_options"] == {
        "usd": {**option, "tiers": wire["tiers"]},
        "eur": {**option, "tiers": [eur_tier]},
    }
    only_tiers = client.v1.prices.retrieve(price.id, params={"expand": ["tiers"]})
    assert [t.up_to for t in only_tiers.tiers] == [5, None]
    assert "currency_options" not in only_tiers.to_dict()
    listed = client.v1.prices.list(params={"expand": ["data.tiers"]}).data[0]
    assert len(listed.tiers) == 2 and "currency_options" not in listed.to_dict()
    # Event payloads carry the default shape.
    event = client.v1.events.list(params={"type": "price.created"}).data[0]
    assert "tiers" not in event.data.object.to_dict()
    updated = client.v1.prices.update(
        price.id,
        params={
            "currency_options": {"gbp": {"tiers": [{"up_to": "inf", "unit_amount": 3}]}},
            "expand": ["currency_options"],
        },
    )
    assert set(updated.currency_options.to_dict()) == {"usd", "eur", "gbp"}
    cleared = client.v1.prices.update(
        price.id, params={"currency_options": "", "expand": ["currency_options"]}
    )
    assert set(cleared.currency_options.to_dict()) == {"usd"}
    per_unit = create(client, product, expand=["tiers", "currency_options"])
    assert "tiers" not in per_unit.to_dict()
    assert per_unit.currency_options.usd.unit_amount == 1000


def test_lookup_key_conflict_and_transfer_on_create(
    client: stripe.StripeClient, product: str
) -> None:
    holder = create(client, product, lookup_key="k1")
    client.v1.prices.update(holder.id, params={"active": False})
    conflict = refused(client, product=product, currency="usd", unit_amount=5, lookup_key="k1")
    # Archived holders keep their key.
    assert_stripe_error(
        conflict,
        status=400,
        param="lookup_key",
        message=f"A price (`{holder.id}`) already uses that lookup key.",
    )
    taker = create(client, product, unit_amount=555, lookup_key="k1", transfer_lookup_key=True)
    assert taker.lookup_key == "k1"
    old = client.v1.prices.retrieve(holder.id)
    assert (old.lookup_key, old.active) == (None, False)
    events = client.v1.events.list(params={"types": ["price.updated", "price.created"]}).data
    assert [(e.type, e.data.object.id) for e in events[:2]] == [
        ("price.created", taker.id),
        ("price.updated", holder.id),
    ]
    assert events[1].data.previous_attributes.to_dict() == {"lookup_key": "k1"}


def test_lookup_key_on_update(client: stripe.StripeClient, product: str) -> None:
    one = create(client, product, lookup_key="update-key")
    two = create(client, product, unit_amount=222)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.update(two.id, params={"lookup_key": "update-key"})
    assert_stripe_error(exc.value, status=400, param="lookup_key")
    moved = client.v1.prices.update(
        two.id, params={"lookup_key": "update-key", "transfer_lookup_key": True}
    )
    assert moved.lookup_key == "update-key"
    assert client.v1.prices.retrieve(one.id).lookup_key is None
    events = client.v1.events.list(params={"type": "price.updated"}).data
    # The holder's update is recorded first, then the taker's.
    assert [e.data.object.id for e in events] == [two.id, one.id]
    again = client.v1.prices.update(two.id, params={"lookup_key": "update-key"})
    assert again.lookup_key == "update-key"
    cleared = client.v1.prices.update(two.id, params={"lookup_key": ""})
    assert cleared.lookup_key is None
    assert create(client, product, lookup_key="update-key").lookup_key == "update-key"


def test_update_fields_and_events(client: stripe.StripeClient, product: str) -> None:
    price = create(client, product, nickname="n", metadata={"a": "1"})
    updated = client.v1.prices.update(
        price.id, params={"nickname": "", "metadata": {"a": "", "b": "2"}, "active": False}
    )
    assert (updated.nickname, updated.active) == (None, False)
    assert updated.metadata.to_dict() == {"b": "2"}
    assert updated.unit_amount == 1000
    event = client.v1.events.list(params={"type": "price.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {
        "nickname": "n",
        "metadata": {"a": "1", "b": None},
        "active": True,
    }
    client.v1.prices.update(price.id, params={"nickname": None or "", "active": False})
    assert len(client.v1.events.list(params={"type": "price.updated"}).data) == 1


def test_tax_behavior_is_set_once(client: stripe.StripeClient, product: str) -> None:
    price = create(client, product)
    assert price.tax_behavior == "unspecified"
    price = client.v1.prices.update(price.id, params={"tax_behavior": "exclusive"})
    assert price.tax_behavior == "exclusive"
    assert client.v1.prices.update(price.id, params={"tax_behavior": "exclusive"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.update(price.id, params={"tax_behavior": "inclusive"})
    assert_stripe_error(exc.value, status=400, param="tax_behavior")
    inclusive = create(client, product, tax_behavior="inclusive")
    assert inclusive.tax_behavior == "inclusive"


def test_missing_price_and_no_delete_route(sk: Harness, client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.prices.retrieve("price_nope"),
        lambda: client.v1.prices.update("price_nope", params={"nickname": "x"}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(
            exc.value,
            status=404,
            code="resource_missing",
            param="price",
            message="No such price: 'price_nope'",
        )
    product = client.v1.products.create(params={"name": "p"}).id
    price = create(client, product)
    gone = sk.raw("DELETE", f"/v1/prices/{price.id}")
    assert gone.status == 404
    assert gone.body["error"]["message"].startswith(
        f"Unrecognized request URL (DELETE: /v1/prices/{price.id})."
    )


def test_list_filters(sk: Harness, client: stripe.StripeClient, product: str) -> None:
    other = client.v1.products.create(params={"name": "O"}).id
    one_time = create(client, product, lookup_key="lk-1")
    sk.sandbox.advance_clock(10)
    monthly = create(client, product, recurring={"interval": "month"}, currency="EUR")
    metered = create(
        client,
        other,
        recurring={"interval": "year", "usage_type": "metered", "meter": "mtr_9"},
    )
    archived = create(client, other, active=False)

    def ids(**params: Any) -> list[str]:
        return [p.id for p in client.v1.prices.list(params=params).data]  # type: ignore[arg-type]

    # Stripe lists active prices unless told otherwise.
    assert ids() == [metered.id, monthly.id, one_time.id]
    assert ids(active=False) == [archived.id]
    assert ids(product=product) == [monthly.id, one_time.id]
    assert ids(currency="EUR") == [monthly.id]
    assert ids(type="one_time") == [one_time.id]
    assert ids(recurring={"interval": "month"}) == [monthly.id]
    assert ids(recurring={"usage_type": "metered"}) == [metered.id]
    assert ids(recurring={"meter": "mtr_9"}) == [metered.id]
    assert ids(lookup_keys=["lk-1", "nope"]) == [one_time.id]
    assert ids(created={"lte": one_time.created}) == [one_time.id]
    assert ids(limit=1, starting_after=metered.id) == [monthly.id]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.list(params={"product": "prod_nope"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="product",
        message="No such product: 'prod_nope'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.list(params={"starting_after": "price_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")


def test_search(sk: Harness, client: stripe.StripeClient, product: str) -> None:
    usd = create(client, product, lookup_key="basic-monthly", metadata={"tier": "basic"})
    sk.sandbox.advance_clock(5)
    eur = create(client, product, currency="eur", recurring={"interval": "month"}, active=False)

    def found(query: str) -> list[str]:
        return [p.id for p in client.v1.prices.search(params={"query": query}).data]

    assert found("currency:'usd'") == [usd.id]
    assert found(f"product:'{product}'") == [eur.id, usd.id]
    assert found("type:'recurring'") == [eur.id]
    assert found("active:'false'") == [eur.id]
    assert found('lookup_key:"basic-monthly"') == [usd.id]
    assert found('metadata["tier"]:"basic"') == [usd.id]
    page = client.v1.prices.search(params={"query": f"product:'{product}'", "limit": 1})
    assert page.has_more is True and page.url == "/v1/prices/search"
    rest = client.v1.prices.search(params={"query": f"product:'{product}'", "page": page.next_page})
    assert [p.id for p in rest.data] == [usd.id]


def test_recurring_prices_are_announced_as_plans_too(
    client: stripe.StripeClient, product: str
) -> None:
    price = create(client, product, recurring={"interval": "month"}, lookup_key="m")
    client.v1.prices.update(price.id, params={"nickname": "monthly"})
    client.v1.prices.update(price.id, params={"lookup_key": "m2"})  # nothing a plan shows
    create(client, product)
    events = client.v1.events.list(params={"type": "p*"}).data
    assert [e.type for e in events] == [
        "price.created",
        "price.updated",
        "plan.updated",
        "price.updated",
        "plan.created",
        "price.created",
        "product.created",
    ]
    plan_event = events[2]
    assert plan_event.data.object.object == "plan"
    assert plan_event.data.object.amount == 1000
    assert plan_event.data.previous_attributes.to_dict() == {"nickname": None}


def test_nothing_is_a_500(sk: Harness, product: str) -> None:
    bodies = [
        "currency=usd",
        f"product={product}&currency=usd&unit_amount=abc",
        f"product={product}&currency=usd&unit_amount=1&recurring=month",
        f"product={product}&currency=usd&unit_amount_decimal=1e5",
        f"product={product}&currency=usd&unit_amount_decimal=NaN",
        f"product={product}&currency=usd&billing_scheme=tiered&recurring[interval]=month"
        "&tiers_mode=volume&tiers[0][up_to]=inf&tiers[0][flat_amount]=-1",
        f"product={product}&currency=usd&unit_amount=1&currency_options[x1]=",
        f"product={product}&currency=&unit_amount=1",
    ]
    for body in bodies:
        response = sk.raw("POST", "/v1/prices", body=body)
        assert response.status == 400, (body, response.body)
