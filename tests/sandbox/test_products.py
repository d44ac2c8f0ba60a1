"""Products through the official SDK, in both modes."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error

HAS_PRICES = "This product cannot be deleted because it has one or more user-created prices."


def _price(client: stripe.StripeClient, product: str, **extra: object) -> stripe.Price:
    return client.v1.prices.create(
        params={"product": product, "currency": "usd", "unit_amount": 100, **extra}  # type: ignore[typeddict-item]
    )


def test_create_defaults_have_stripe_shape(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Widget"})
    assert product.id.startswith("prod_") and len(product.id) == 19
    body = product.to_dict()
    assert body == {
        "id": product.id,
        "object": "product",
        "active": True,
        "created": product.created,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": "Widget",
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "unit_label": None,
        "updated": product.created,
        "url": None,
    }
    assert client.v1.products.retrieve(product.id).to_dict() == body


def test_create_with_every_field_and_own_id(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "id": "widget-pro",
            "name": "Full",
            "active": False,
            "description": "d",
            "images": ["https://example.test/i.png"],
            "marketing_features": [{"name": "feature one"}],
            "metadata": {"k": "v"},
            "package_dimensions": {"height": 1, "length": 2.5, "weight": 3, "width": 4},
            "shippable": True,
            "statement_descriptor": "FULL DESC",
            "tax_code": "txcd_10103000",
            "unit_label": "widget",
            "url": "https://example.test/full",
        }
    )
    assert product.id == "widget-pro" and product.active is False
    assert product.images == ["https://example.test/i.png"]
    assert product.marketing_features[0].name == "feature one"
    assert product.package_dimensions.to_dict() == {
        "height": 1.0,
        "length": 2.5,
        "weight": 3.0,
        "width": 4.0,
    }
    assert (product.shippable, product.statement_descriptor, product.tax_code) == (
        True,
        "FULL DESC",
        "txcd_10103000",
    )
    assert (product.unit_label, product.url, product.metadata.to_dict()) == (
        "widget",
        "https://example.test/full",
        {"k": "v"},
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.create(params={"id": "widget-pro", "name": "again"})
    assert_stripe_error(
        exc.value, status=400, code="resource_already_exists", message="Product already exists."
    )


def test_create_refusals(sk: Harness, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.create(params={})  # type: ignore[typeddict-item]
    assert_stripe_error(
        exc.value,
        status=400,
        code="parameter_missing",
        param="name",
        message="Missing required param: name.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.create(params={"name": "x", "unit_label": "a" * 13})
    assert_stripe_error(exc.value, status=400, param="unit_label")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.create(params={"name": "x", "images": [f"u{i}" for i in range(9)]})
    assert_stripe_error(exc.value, status=400, param="images")
    bad = sk.raw("POST", "/v1/products", body="name=x&package_dimensions[height]=1")
    assert bad.status == 400
    assert bad.body["error"]["param"] == "package_dimensions[length]"


def test_default_price_data_creates_the_default_price(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": "Priced",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 1500,
                "recurring": {"interval": "month"},
                "metadata": {"from": "dpd"},
            },
        }
    )
    assert isinstance(product.default_price, str)
    price = client.v1.prices.retrieve(product.default_price)
    assert (price.unit_amount, price.product, price.type) == (1500, product.id, "recurring")
    assert price.metadata.to_dict() == {"from": "dpd"}
    types = [e.type for e in client.v1.events.list().data]
    # Stripe's order: the product (already naming its default price), then the price's
    # two faces (a recurring price is also a plan).
    assert types == ["plan.created", "price.created", "product.created"]
    created = client.v1.events.list(params={"type": "product.created"}).data[0]
    assert created.data.object.default_price == price.id


def test_default_price_data_errors_name_the_nested_param(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.create(
            params={
                "name": "x",
                "default_price_data": {
                    "currency": "usd",
                    "unit_amount": 1,
                    "unit_amount_decimal": "1",
                },
            }
        )
    assert_stripe_error(
        exc.value,
        status=400,
        param="default_price_data[unit_amount]",
        message="You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
    )
    # Nothing of the failed request was kept.
    assert client.v1.products.list().data == []
    assert client.v1.events.list().data == []


def test_expand_default_price(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": "P",
            "default_price_data": {"currency": "jpy", "unit_amount": 500},
            "expand": ["default_price"],
        }
    )
    assert isinstance(product.default_price, stripe.Price)
    assert (product.default_price.currency, product.default_price.unit_amount) == ("jpy", 500)
    listed = client.v1.products.list(params={"expand": ["data.default_price"]})
    assert listed.data[0].default_price.id == product.default_price.id


def test_update_fields_updated_and_event(sk: Harness, client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Before", "description": "old"})
    sk.sandbox.advance_clock(60)
    updated = client.v1.products.update(
        product.id,
        params={
            "name": "After",
            "description": "",
            "metadata": {"a": "1"},
            "images": ["https://example.test/a.png"],
            "shippable": False,
            "url": "https://example.test",
        },
    )
    assert (updated.name, updated.description, updated.shippable) == ("After", None, False)
    assert updated.images == ["https://example.test/a.png"]
    assert updated.updated >= product.created + 60 and updated.created == product.created
    event = client.v1.events.list(params={"type": "product.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {
        "name": "Before",
        "description": "old",
        "metadata": {"a": None},
        "images": [],
        "shippable": None,
        "url": None,
    }
    cleared = client.v1.products.update(
        product.id, params={"images": "", "url": "", "package_dimensions": ""}
    )
    assert cleared.images == [] and cleared.url is None and cleared.package_dimensions is None
    # An update that changes nothing records nothing and leaves `updated` alone.
    sk.sandbox.advance_clock(60)
    same = client.v1.products.update(product.id, params={"name": "After"})
    assert same.updated == cleared.updated
    assert len(client.v1.events.list(params={"type": "product.updated"}).data) == 2


def test_update_refuses_clearing_name(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Keep"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.update(product.id, params={"name": ""})
    assert_stripe_error(exc.value, status=400, code="parameter_invalid_empty", param="name")


def test_update_default_price_rules(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "DP"})
    other = client.v1.products.create(params={"name": "Other"})
    mine = _price(client, product.id)
    theirs = _price(client, other.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.update(product.id, params={"default_price": "price_nope"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="default_price",
        message="No such price: 'price_nope'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.update(product.id, params={"default_price": theirs.id})
    assert_stripe_error(exc.value, status=400, param="default_price")
    archived = _price(client, product.id, active=False)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.update(product.id, params={"default_price": archived.id})
    assert_stripe_error(
        exc.value,
        status=400,
        param="default_price",
        message="The price specified is inactive. This field only accepts active prices.",
    )
    updated = client.v1.products.update(
        product.id, params={"default_price": mine.id, "expand": ["default_price"]}
    )
    assert updated.default_price.id == mine.id
    event = client.v1.events.list(params={"type": "product.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {"default_price": None}


def test_missing_product_is_404_with_param_id(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.products.retrieve("prod_nope"),
        lambda: client.v1.products.update("prod_nope", params={"name": "x"}),
        lambda: client.v1.products.delete("prod_nope"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(
            exc.value,
            status=404,
            code="resource_missing",
            param="id",
            message="No such product: 'prod_nope'",
        )


def test_delete_then_404(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Gone", "metadata": {"k": "v"}})
    deleted = client.v1.products.delete(product.id)
    assert deleted.to_dict() == {"id": product.id, "object": "product", "deleted": True}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.retrieve(product.id)
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message=f"No such product: '{product.id}'",
    )
    assert client.v1.products.list().data == []
    event = client.v1.events.list(params={"type": "product.deleted"}).data[0]
    # The deleted-event snapshot shows the whole product, deactivated.
    assert event.data.object.active is False and event.data.object.name == "Gone"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.delete(product.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")


def test_delete_refused_while_prices_exist(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "priced"})
    price = _price(client, product.id)
    client.v1.prices.update(price.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.delete(product.id)
    # Archived prices still count; the refusal carries no code and no param.
    assert_stripe_error(exc.value, status=400, message=HAS_PRICES)
    assert client.v1.products.retrieve(product.id).active is True


def test_list_filters(sk: Harness, client: stripe.StripeClient) -> None:
    one = client.v1.products.create(
        params={"name": "one", "shippable": True, "url": "https://example.test/one"}
    )
    sk.sandbox.advance_clock(10)
    two = client.v1.products.create(params={"name": "two", "active": False})
    three = client.v1.products.create(params={"name": "three", "shippable": False})

    def ids(**params: object) -> list[str]:
        return [p.id for p in client.v1.products.list(params=params).data]  # type: ignore[arg-type]

    assert ids() == [three.id, two.id, one.id]
    assert ids(active=True) == [three.id, one.id]
    assert ids(active=False) == [two.id]
    assert ids(shippable=True) == [one.id]
    assert ids(shippable=False) == [three.id]
    assert ids(url="https://example.test/one") == [one.id]
    assert ids(ids=[one.id, two.id, "prod_nope"]) == [two.id, one.id]
    assert ids(created={"gt": one.created}) == [three.id, two.id]
    assert ids(created=one.created) == [one.id]
    assert ids(limit=1, starting_after=three.id) == [two.id]


def test_search(sk: Harness, client: stripe.StripeClient) -> None:
    shirt = client.v1.products.create(
        params={"name": "T-shirt", "description": "Cotton tee", "metadata": {"line": "summer"}}
    )
    sk.sandbox.advance_clock(5)
    mug = client.v1.products.create(params={"name": "Mug", "active": False, "shippable": True})

    def found(query: str) -> list[str]:
        return [p.id for p in client.v1.products.search(params={"query": query}).data]

    assert found('name:"T-shirt"') == [shirt.id]
    assert found('name~"shir"') == [shirt.id]
    assert found('description~"cotton"') == [shirt.id]
    assert found('metadata["line"]:"summer"') == [shirt.id]
    assert found("active:'false'") == [mug.id]
    assert found("shippable:'true'") == [mug.id]
    assert found('-name:"Mug"') == [shirt.id]
    result = client.v1.products.search(params={"query": 'name:"Mug" OR name:"T-shirt"'})
    assert [p.id for p in result.data] == [mug.id, shirt.id]
    assert result.url == "/v1/products/search"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.search(params={"query": "email:'x@example.com'"})
    assert_stripe_error(exc.value, status=400, param="query")


def test_events_for_create_update_delete(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "E"})
    client.v1.products.update(product.id, params={"active": False})
    client.v1.products.delete(product.id)
    events = client.v1.events.list().data
    assert [e.type for e in events] == ["product.deleted", "product.updated", "product.created"]
    assert events[1].data.previous_attributes.to_dict() == {"active": True}
    assert {e.data.object.id for e in events} == {product.id}


def test_accounts_are_isolated(sk: Harness, client: stripe.StripeClient) -> None:
    mine = client.v1.products.create(params={"name": "mine"})
    other = sk.make_client(sk.new_key())
    with pytest.raises(stripe.InvalidRequestError) as exc:
        other.v1.products.retrieve(mine.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="id")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        other.v1.prices.create(params={"product": mine.id, "currency": "usd", "unit_amount": 1})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="product")
    assert other.v1.products.list().data == []


def test_nothing_is_a_500(sk: Harness, client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "x"}).id
    for method, path, body in (
        ("POST", "/v1/products", "name=x&package_dimensions=12"),
        ("POST", "/v1/products", "name=x&marketing_features[0][name]="),
        ("POST", "/v1/products", "name=x&default_price_data[currency]=usd"),
        ("POST", "/v1/products", "name=x&default_price_data[unit_amount]=1"),
        ("POST", f"/v1/products/{product}", "default_price="),
        ("POST", f"/v1/products/{product}", "statement_descriptor="),
        ("POST", f"/v1/products/{product}", "shippable=maybe"),
        ("GET", "/v1/products/search", ""),
    ):
        response = sk.raw(method, path, body=body)
        assert response.status == 400, (method, path, body, response.body)


def test_inline_prices_stay_out_of_the_catalog() -> None:
    """`create_price(inline=True)` is what `price_data` on other objects will use: the
    price is retrievable but archived, unlisted, unannounced and does not pin its product.
    It drives the engine's store directly, so it runs on an in-process sandbox only."""
    from stripekit.sandbox import Sandbox
    from stripekit.sandbox.resources import prices

    sandbox = Sandbox()
    client = sandbox.client()
    product = client.v1.products.create(params={"name": "inline"})
    engine = sandbox.engine
    with engine.context_for(sandbox.api_key) as ctx:
        made = prices.create_price(
            ctx, {"currency": "usd", "unit_amount": 250}, product.id, inline=True
        )
    fetched = client.v1.prices.retrieve(made["id"])
    assert (fetched.active, fetched.unit_amount, fetched.product) == (False, 250, product.id)
    assert client.v1.prices.list(params={"active": False}).data == []
    assert [e.type for e in client.v1.events.list().data] == ["product.created"]
    assert client.v1.products.delete(product.id).deleted is True


def test_expanded_default_price_hides_includable_fields(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": "P",
            "default_price_data": {"currency": "usd", "unit_amount": 5},
            "expand": ["default_price"],
        }
    )
    assert "currency_options" not in product.default_price.to_dict()


# -- products and their prices ----------------------------------------------------------


def _refused_price(client: stripe.StripeClient, **params: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.create(params=params)  # type: ignore[arg-type]
    return exc.value


def test_price_product_refusals(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "P"}).id
    neither = _refused_price(client, currency="usd", unit_amount=1000)
    assert_stripe_error(
        neither,
        status=400,
        message="You must specify either `product` or `product_data` when creating a price.",
    )
    both = _refused_price(
        client, currency="usd", unit_amount=1, product=product, product_data={"name": "x"}
    )
    assert_stripe_error(
        both,
        status=400,
        param="product",
        message="You may only specify one of these parameters: product, product_data.",
    )
    unknown = _refused_price(client, currency="usd", unit_amount=1, product="prod_nope")
    assert_stripe_error(
        unknown,
        status=400,
        code="resource_missing",
        param="product",
        message="No such product: 'prod_nope'",
    )
    gone = client.v1.products.create(params={"name": "gone"}).id
    client.v1.products.delete(gone)
    deleted = _refused_price(client, currency="usd", unit_amount=1, product=gone)
    assert_stripe_error(deleted, status=400, code="resource_missing", param="product")


def test_product_data_creates_the_product(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1000,
            "product_data": {"name": "inline prod", "id": "inline-1", "metadata": {"a": "b"}},
        }
    )
    assert price.product == "inline-1"
    made = client.v1.products.retrieve("inline-1")
    assert (made.name, made.metadata.to_dict(), made.default_price) == (
        "inline prod",
        {"a": "b"},
        None,
    )
    assert [e.type for e in client.v1.events.list().data] == ["price.created", "product.created"]


def test_archiving_the_default_price_is_refused(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={"name": "D", "default_price_data": {"currency": "usd", "unit_amount": 5}}
    )
    assert isinstance(product.default_price, str)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.update(product.default_price, params={"active": False})
    assert_stripe_error(
        exc.value,
        status=400,
        message="This price cannot be archived because it is the default price of its product.",
    )
    assert client.v1.prices.retrieve(product.default_price).active is True
    # Changing a default price's other fields is fine.
    assert client.v1.prices.update(product.default_price, params={"nickname": "x"}).nickname


def test_expand_product_and_nested_default_price(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={"name": "X", "default_price_data": {"currency": "usd", "unit_amount": 7}}
    )
    assert isinstance(product.default_price, str)
    price = client.v1.prices.retrieve(
        product.default_price, params={"expand": ["product.default_price"]}
    )
    assert isinstance(price.product, stripe.Product) and price.product.name == "X"
    assert price.product.default_price.unit_amount == 7
    listed = client.v1.prices.list(params={"expand": ["data.product"]})
    assert listed.data[0].product.id == product.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.list(params={"expand": ["product"]})
    assert_stripe_error(
        exc.value,
        status=400,
        message=(
            "This property cannot be expanded (product). You may want to try expanding "
            "'data.product' instead."
        ),
    )
