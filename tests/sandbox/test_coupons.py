"""Coupons through the official SDK, in both modes."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error, invalid_currency
from stripekit.sandbox.resources.coupons import is_valid

DAY = 86400


def _error(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        call()
    return exc.value


def _edit_stored(sk: Harness, coupon_id: str, **fields: Any) -> None:
    """Change a stored coupon behind the API, standing in for the redemptions that
    discounts will record once they exist."""
    with sk.sandbox.engine.store.transaction(write=True) as tx:
        record = tx.key_get(sk.api_key)
        assert record is not None
        obj = tx.get(record.account, "coupon", coupon_id)
        assert obj is not None
        tx.replace(record.account, "coupon", {**obj, **fields})


def _product_id(sk: Harness) -> str:
    """A product of this account: through the API once products are routed, else stored
    directly (the coupon only checks that the id exists)."""
    try:
        return sk.client.v1.products.create(params={"name": "Hat"}).id
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
    with sk.sandbox.engine.store.transaction(write=True) as tx:
        record = tx.key_get(sk.api_key)
        assert record is not None
        product = {"id": "prod_CouponTest01", "object": "product", "created": sk.sandbox.now()}
        tx.insert(record.account, "product", product)
    return product["id"]


# -- create ------------------------------------------------------------------------------------


def test_percent_coupon_has_stripe_shape(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 25.5})
    assert len(coupon.id) == 8 and coupon.id.isalnum() and coupon.id.isascii()
    assert coupon.object == "coupon"
    assert coupon.percent_off == 25.5
    assert coupon.amount_off is None and coupon.currency is None
    assert coupon.duration == "once" and coupon.duration_in_months is None
    assert coupon.max_redemptions is None and coupon.redeem_by is None
    assert coupon.name is None and coupon.metadata.to_dict() == {}
    assert coupon.times_redeemed == 0 and coupon.valid is True
    assert coupon.livemode is False
    # Only shown when expanded, and never set here anyway.
    assert "applies_to" not in coupon and "currency_options" not in coupon
    assert client.v1.coupons.retrieve(coupon.id).to_dict() == coupon.to_dict()


def test_amount_coupon_with_every_option(sk: Harness, client: stripe.StripeClient) -> None:
    redeem_by = sk.sandbox.now() + 30 * DAY
    coupon = client.v1.coupons.create(
        params={
            "id": "SUMMER-25",
            "amount_off": 500,
            "currency": "USD",
            "duration": "repeating",
            "duration_in_months": 3,
            "max_redemptions": 10,
            "redeem_by": redeem_by,
            "name": "Five off for summer",
            "metadata": {"campaign": "summer"},
        }
    )
    assert coupon.id == "SUMMER-25"
    assert coupon.amount_off == 500 and coupon.currency == "usd"
    assert coupon.percent_off is None
    assert coupon.duration == "repeating" and coupon.duration_in_months == 3
    assert coupon.max_redemptions == 10 and coupon.redeem_by == redeem_by
    assert coupon.name == "Five off for summer"
    assert coupon.metadata.to_dict() == {"campaign": "summer"}
    assert coupon.valid is True
    assert client.v1.coupons.retrieve("SUMMER-25").to_dict() == coupon.to_dict()


def test_whole_and_decimal_percentages_and_bounds(client: stripe.StripeClient) -> None:
    assert client.v1.coupons.create(params={"percent_off": 100}).percent_off == 100
    assert client.v1.coupons.create(params={"percent_off": 0.01}).percent_off == 0.01
    forever = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    assert forever.duration == "forever" and forever.duration_in_months is None


def test_currency_is_ignored_on_a_percent_coupon(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10, "currency": "eur"})
    assert coupon.currency is None


def test_generated_ids_differ(client: stripe.StripeClient) -> None:
    ids = {client.v1.coupons.create(params={"percent_off": 5}).id for _ in range(5)}
    assert len(ids) == 5


def test_create_records_event(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        params={
            "amount_off": 100,
            "currency": "usd",
            "currency_options": {"eur": {"amount_off": 90}},
        }
    )
    event = client.v1.events.list(params={"type": "coupon.created"}).data[0]
    assert event.data.object.id == coupon.id and event.data.object.valid is True
    assert "currency_options" not in event.data.object


# -- create: refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message", "param", "code"),
    [
        (
            {"duration": "once"},
            "Must provide percent_off or amount_off.",
            None,
            "parameter_missing",
        ),
        (
            {"percent_off": 10, "amount_off": 500, "currency": "usd"},
            "Received both percent_off and amount_off parameters. Please pass in only one.",
            None,
            None,
        ),
        ({"amount_off": 500}, "You must pass currency when passing amount_off", "currency", None),
        (
            {"percent_off": 0},
            "This value must be greater than or equal to 0.01 (it currently is '0.0').",
            "percent_off",
            None,
        ),
        (
            {"percent_off": -5},
            "This value must be greater than or equal to 0.01 (it currently is '-5.0').",
            "percent_off",
            None,
        ),
        (
            {"percent_off": 101},
            "This value must be less than or equal to 100 (it currently is '101.0').",
            "percent_off",
            None,
        ),
        (
            {"percent_off": 100.5},
            "This value must be less than or equal to 100 (it currently is '100.5').",
            "percent_off",
            None,
        ),
        ({"amount_off": 0, "currency": "usd"}, "Invalid positive integer", "amount_off", None),
        ({"amount_off": -1, "currency": "usd"}, "Invalid positive integer", "amount_off", None),
        (
            {"amount_off": 100, "currency": "dollars"},
            invalid_currency("dollars"),
            "currency",
            None,
        ),
    ],
)
def test_amount_rules(
    client: stripe.StripeClient,
    params: dict[str, Any],
    message: str,
    param: str | None,
    code: str | None,
) -> None:
    exc = _error(lambda: client.v1.coupons.create(params=params))
    assert_stripe_error(exc, status=400, code=code, param=param, message=message)
    assert client.v1.coupons.list().data == []


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [
        (
            {"percent_off": 10, "duration": "repeating"},
            "The duration_in_months param must be set when creating a coupon with a repeating "
            "duration",
            "duration",
        ),
        (
            {"percent_off": 10, "duration": "repeating", "duration_in_months": 0},
            "Invalid positive integer",
            "duration_in_months",
        ),
        (
            {"percent_off": 10, "duration": "once", "duration_in_months": 3},
            "The duration_in_months param can only be set when creating a coupon with a "
            "repeating duration",
            "duration_in_months",
        ),
        (
            {"percent_off": 10, "duration_in_months": 3},
            "The duration_in_months param can only be set when creating a coupon with a "
            "repeating duration",
            "duration_in_months",
        ),
        ({"percent_off": 10, "max_redemptions": 0}, "Invalid positive integer", "max_redemptions"),
    ],
)
def test_duration_and_redemption_rules(
    client: stripe.StripeClient, params: dict[str, Any], message: str, param: str
) -> None:
    exc = _error(lambda: client.v1.coupons.create(params=params))
    assert_stripe_error(exc, status=400, param=param, message=message)


def test_redeem_by_must_be_in_the_future(sk: Harness, client: stripe.StripeClient) -> None:
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": 10, "redeem_by": 1000}))
    assert_stripe_error(
        exc,
        status=400,
        param="redeem_by",
        message="The parameter `redeem_by` expects a unix timestamp representing a date and "
        "time in the future. You specified the value `1000` which is in the past.",
    )
    now = sk.sandbox.now()
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": 10, "redeem_by": now}))
    assert_stripe_error(exc, status=400, param="redeem_by")
    too_far = now + 6 * 366 * DAY
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": 10, "redeem_by": too_far}))
    assert_stripe_error(exc, status=400, param="redeem_by")
    # The sandbox clock decides, not the wall clock: a moved clock moves "the past".
    later = now + 10 * DAY
    sk.sandbox.advance_clock(20 * DAY)
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": 10, "redeem_by": later}))
    assert_stripe_error(exc, status=400, param="redeem_by")


def test_duplicate_id_is_refused(client: stripe.StripeClient) -> None:
    client.v1.coupons.create(params={"id": "TENOFF", "percent_off": 10})
    exc = _error(lambda: client.v1.coupons.create(params={"id": "TENOFF", "percent_off": 5}))
    assert_stripe_error(
        exc, status=400, code="resource_already_exists", message="Coupon already exists."
    )
    assert client.v1.coupons.retrieve("TENOFF").percent_off == 10
    assert [e.type for e in client.v1.events.list().data] == ["coupon.created"]


def test_spec_validation_refusals(client: stripe.StripeClient) -> None:
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": 10, "name": "x" * 41}))
    assert_stripe_error(exc, status=400, param="name")
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": 10, "duration": "weekly"}))
    assert_stripe_error(exc, status=400, param="duration")
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": "lots"}))
    assert_stripe_error(exc, status=400, param="percent_off")
    exc = _error(lambda: client.v1.coupons.create(params={"amount_off": "1.5", "currency": "usd"}))
    assert_stripe_error(exc, status=400, param="amount_off", code="parameter_invalid_integer")
    exc = _error(lambda: client.v1.coupons.create(params={"percent_off": 10, "valid": "false"}))
    assert_stripe_error(exc, status=400, param="valid", code="parameter_unknown")


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [
        (
            {"percent_off": 10, "currency_options": {"eur": {"amount_off": 4}}},
            "You may only specify one of these parameters: currency_options, percent_off.",
            "currency_options",
        ),
        (
            {"amount_off": 500, "currency": "usd", "currency_options": {"EUR": {"amount_off": 4}}},
            "Currencies must be lowercase when used as keys in a map. Use `eur` instead of `EUR`.",
            "currency_options",
        ),
        (
            {"amount_off": 500, "currency": "usd", "currency_options": {"eur": {"amount_off": 0}}},
            "Invalid positive integer",
            "currency_options[eur][amount_off]",
        ),
        (
            {"amount_off": 500, "currency": "usd", "currency_options": {"euro": {"amount_off": 4}}},
            invalid_currency("euro"),
            "currency_options",
        ),
    ],
)
def test_currency_options_refusals(
    client: stripe.StripeClient, params: dict[str, Any], message: str, param: str
) -> None:
    exc = _error(lambda: client.v1.coupons.create(params=params))
    assert_stripe_error(exc, status=400, param=param, message=message)


def test_currency_options_without_amount_is_refused(sk: Harness) -> None:
    response = sk.raw(
        "POST",
        "/v1/coupons",
        body="amount_off=500&currency=usd&currency_options[eur][name]=x",
    )
    assert response.status == 400
    assert response.body["error"]["param"] == "currency_options[eur][name]"


def test_applies_to_checks_products(sk: Harness, client: stripe.StripeClient) -> None:
    exc = _error(
        lambda: client.v1.coupons.create(
            params={"percent_off": 10, "applies_to": {"products": ["prod_nope"]}}
        )
    )
    assert_stripe_error(
        exc,
        status=400,
        code="resource_missing",
        param="applies_to[products][0]",
        message="No such product: 'prod_nope'",
    )
    product = _product_id(sk)
    coupon = client.v1.coupons.create(
        params={"percent_off": 10, "applies_to": {"products": [product]}}
    )
    assert "applies_to" not in coupon


def test_expand_shows_includable_fields(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        params={
            "amount_off": 500,
            "currency": "usd",
            "currency_options": {"eur": {"amount_off": 450}},
        }
    )
    shown = client.v1.coupons.retrieve(coupon.id, params={"expand": ["currency_options"]})
    assert shown.currency_options["eur"].amount_off == 450


# -- retrieve, update, delete ----------------------------------------------------------------


@pytest.mark.parametrize("method", ["retrieve", "update", "delete"])
def test_missing_coupon_is_404_naming_coupon(client: stripe.StripeClient, method: str) -> None:
    call = getattr(client.v1.coupons, method)
    exc = _error(lambda: call("NOPE123"))
    assert_stripe_error(
        exc,
        status=404,
        code="resource_missing",
        param="coupon",
        message="No such coupon: 'NOPE123'",
    )


def test_update_name_and_metadata_with_event(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10, "metadata": {"a": "1"}})
    updated = client.v1.coupons.update(
        coupon.id, params={"name": "Ten off", "metadata": {"a": "", "k": "v"}}
    )
    assert updated.name == "Ten off" and updated.metadata.to_dict() == {"k": "v"}
    assert updated.percent_off == 10 and updated.valid is True
    event = client.v1.events.list(params={"type": "coupon.updated"}).data[0]
    assert event.data.object.name == "Ten off"
    assert event.data.previous_attributes.to_dict() == {
        "name": None,
        "metadata": {"a": "1", "k": None},
    }
    cleared = client.v1.coupons.update(coupon.id, params={"name": "", "metadata": ""})
    assert cleared.name is None and cleared.metadata.to_dict() == {}
    assert client.v1.coupons.retrieve(coupon.id).to_dict() == cleared.to_dict()


def test_no_op_update_records_no_event(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10, "name": "same"})
    assert client.v1.coupons.update(coupon.id, params={"name": "same"}).name == "same"
    assert client.v1.coupons.update(coupon.id).to_dict() == coupon.to_dict()
    assert [e.type for e in client.v1.events.list().data] == ["coupon.created"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("percent_off", 20),
        ("amount_off", 100),
        ("currency", "usd"),
        ("duration", "forever"),
        ("duration_in_months", 2),
        ("max_redemptions", 5),
        ("redeem_by", 4_000_000_000),
        ("id", "OTHER"),
        ("applies_to", {"products": ["prod_x"]}),
        ("valid", "false"),
    ],
)
def test_update_refuses_fields_fixed_at_creation(
    client: stripe.StripeClient, field: str, value: Any
) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    exc = _error(lambda: client.v1.coupons.update(coupon.id, params={field: value}))
    assert_stripe_error(
        exc,
        status=400,
        code="parameter_unknown",
        param=field,
        message=f"Received unknown parameter: {field}",
    )
    assert client.v1.coupons.retrieve(coupon.id).to_dict() == coupon.to_dict()


def test_update_currency_options(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd"})
    updated = client.v1.coupons.update(
        coupon.id, params={"currency_options": {"gbp": {"amount_off": 300}}}
    )
    assert "currency_options" not in updated
    event = client.v1.events.list(params={"type": "coupon.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {}
    percent = client.v1.coupons.create(params={"percent_off": 10})
    exc = _error(
        lambda: client.v1.coupons.update(
            percent.id, params={"currency_options": {"gbp": {"amount_off": 300}}}
        )
    )
    assert_stripe_error(
        exc,
        status=400,
        param="currency_options",
        message="You may only specify one of these parameters: currency_options, percent_off.",
    )
    exc = _error(
        lambda: client.v1.coupons.update(
            coupon.id, params={"currency_options": {"GBP": {"amount_off": 300}}}
        )
    )
    assert_stripe_error(exc, status=400, param="currency_options")


def test_delete_forgets_the_coupon(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"id": "GONE", "percent_off": 10})
    deleted = client.v1.coupons.delete("GONE")
    assert deleted.to_dict() == {"id": "GONE", "object": "coupon", "deleted": True}
    for call in (
        client.v1.coupons.retrieve,
        client.v1.coupons.delete,
        lambda c: client.v1.coupons.update(c, params={"name": "x"}),
    ):
        exc = _error(lambda call=call: call("GONE"))
        assert_stripe_error(
            exc,
            status=404,
            code="resource_missing",
            param="coupon",
            message="No such coupon: 'GONE'",
        )
    assert client.v1.coupons.list().data == []
    events = client.v1.events.list().data
    assert [e.type for e in events] == ["coupon.deleted", "coupon.created"]
    assert events[0].data.object.id == coupon.id and events[0].data.object.valid is False
    # The id is free again.
    again = client.v1.coupons.create(params={"id": "GONE", "amount_off": 1, "currency": "usd"})
    assert again.amount_off == 1


@pytest.mark.parametrize(
    "coupon_id",
    [
        "SUMMER-25",
        "SUMMER 25",
        "50%OFF",
        "x%41y",
        "A+B",
        "ÉTÉ-10",
        "$5 off",
        "a.b_c~d",
        "q?r#s&t=u",
    ],
)
def test_ids_that_need_url_encoding(
    sk: Harness, client: stripe.StripeClient, coupon_id: str
) -> None:
    client.v1.coupons.create(params={"id": coupon_id, "percent_off": 10})
    assert client.v1.coupons.retrieve(coupon_id).id == coupon_id
    assert client.v1.coupons.update(coupon_id, params={"name": "n"}).name == "n"
    assert client.v1.coupons.delete(coupon_id).id == coupon_id
    exc = _error(lambda: client.v1.coupons.retrieve(coupon_id))
    # Over HTTP the server hands over `+` and `%41` already ambiguous (a literal `+` or a
    # space; a literal `%41` or `A`), so the 404 may name the other reading, until the
    # engine decodes raw path segments itself (see the coupons report).
    ambiguous = sk.mode == "http" and coupon_id in ("x%41y", "A+B")
    shown = None if ambiguous else f"No such coupon: '{coupon_id}'"
    assert_stripe_error(exc, status=404, code="resource_missing", param="coupon", message=shown)


def test_encoded_and_plain_ids_stay_apart(client: stripe.StripeClient) -> None:
    client.v1.coupons.create(params={"id": "A B", "percent_off": 10})
    client.v1.coupons.create(params={"id": "A%20B", "percent_off": 20})
    assert client.v1.coupons.retrieve("A B").percent_off == 10
    assert client.v1.coupons.retrieve("A%20B").percent_off == 20


# -- valid ------------------------------------------------------------------------------------


def test_valid_ends_when_redeem_by_passes(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        params={"percent_off": 10, "redeem_by": sk.sandbox.now() + DAY}
    )
    assert coupon.valid is True
    sk.sandbox.advance_clock(2 * DAY)
    assert client.v1.coupons.retrieve(coupon.id).valid is False
    assert [c.valid for c in client.v1.coupons.list().data] == [False]
    # Events keep the coupon as it was then.
    assert client.v1.events.list().data[0].data.object.valid is True
    # Still updatable: only redemption is over.
    assert client.v1.coupons.update(coupon.id, params={"name": "late"}).valid is False


def test_valid_ends_when_redemptions_run_out(sk: Harness, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 10, "max_redemptions": 2})
    _edit_stored(sk, coupon.id, times_redeemed=1)
    assert client.v1.coupons.retrieve(coupon.id).valid is True
    _edit_stored(sk, coupon.id, times_redeemed=2)
    shown = client.v1.coupons.retrieve(coupon.id)
    assert shown.times_redeemed == 2 and shown.valid is False


def test_is_valid_rules() -> None:
    base = {"redeem_by": None, "max_redemptions": None, "times_redeemed": 0}
    assert is_valid(base, 100)
    assert is_valid({**base, "redeem_by": 101}, 100)
    assert not is_valid({**base, "redeem_by": 100}, 100)
    assert is_valid({**base, "max_redemptions": 1}, 100)
    assert not is_valid({**base, "max_redemptions": 1, "times_redeemed": 1}, 100)


# -- list -------------------------------------------------------------------------------------


def test_list_pages_and_filters_by_created(sk: Harness, client: stripe.StripeClient) -> None:
    first = client.v1.coupons.create(params={"percent_off": 1})
    sk.sandbox.advance_clock(100)
    second = client.v1.coupons.create(params={"percent_off": 2})
    third = client.v1.coupons.create(params={"percent_off": 3})
    page = client.v1.coupons.list(params={"limit": 2})
    assert [c.id for c in page.data] == [third.id, second.id] and page.has_more is True
    assert page.url == "/v1/coupons"
    rest = client.v1.coupons.list(params={"limit": 2, "starting_after": second.id})
    assert [c.id for c in rest.data] == [first.id] and rest.has_more is False
    later = client.v1.coupons.list(params={"created": {"gt": first.created}})
    assert {c.id for c in later.data} == {second.id, third.id}
    assert [c.id for c in client.v1.coupons.list(params={"created": first.created}).data] == [
        first.id
    ]
    assert [c.id for c in client.v1.coupons.list().auto_paging_iter()] == [
        third.id,
        second.id,
        first.id,
    ]


def test_list_refusals(client: stripe.StripeClient) -> None:
    exc = _error(lambda: client.v1.coupons.list(params={"starting_after": "NOPE"}))
    assert_stripe_error(
        exc,
        status=400,
        code="resource_missing",
        param="starting_after",
        message="No such coupon: 'NOPE'",
    )
    exc = _error(lambda: client.v1.coupons.list(params={"percent_off": 10}))
    assert_stripe_error(exc, status=400, code="parameter_unknown", param="percent_off")


def test_accounts_are_isolated(sk: Harness, client: stripe.StripeClient) -> None:
    client.v1.coupons.create(params={"id": "MINE", "percent_off": 10})
    other = sk.make_client(sk.new_key())
    exc = _error(lambda: other.v1.coupons.retrieve("MINE"))
    assert_stripe_error(exc, status=404, code="resource_missing", param="coupon")
    assert other.v1.coupons.list().data == []
    # Ids are unique per account, so the other account may take the same code.
    assert other.v1.coupons.create(params={"id": "MINE", "percent_off": 50}).percent_off == 50
    assert client.v1.coupons.retrieve("MINE").percent_off == 10
