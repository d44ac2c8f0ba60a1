"""Unit tests of the request validator against the real generated spec tables."""

from __future__ import annotations

from typing import Any

import pytest

from stripekit.sandbox.framework.errors import InvalidRequestError
from stripekit.sandbox.framework.params import (
    empty_string_error,
    expandable_fields,
    load_tables,
    operation_schema,
    validate,
)


def check(method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
    node = operation_schema(method, path)
    assert node is not None, f"{method} {path} missing from spec_tables.json"
    return validate(node, params)


def refused(method: str, path: str, params: dict[str, Any]) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as info:
        check(method, path, params)
    return info.value


# --- tables ---------------------------------------------------------------------------


def test_tables_cover_core_operations() -> None:
    ops = load_tables()["operations"]
    for key in (
        "POST /v1/customers",
        "GET /v1/customers",
        "GET /v1/customers/{customer}",
        "DELETE /v1/customers/{customer}",
        "POST /v1/prices",
        "GET /v1/events",
        "POST /v1/payment_intents/{intent}/confirm",
        "POST /v1/test_helpers/test_clocks/{test_clock}/advance",
    ):
        assert key in ops
    assert operation_schema("get", "/v1/customers") is ops["GET /v1/customers"]
    assert operation_schema("GET", "/v1/nope") is None


def test_path_params_are_not_parameters() -> None:
    node = operation_schema("GET", "/v1/customers/{customer}")
    assert node is not None
    assert "customer" not in node["p"]
    assert "expand" in node["p"]


def test_expandable_table() -> None:
    assert expandable_fields("price")["product"] == ["product", "deleted_product"]
    customer = expandable_fields("customer")
    assert customer["invoice_settings.default_payment_method"] == ["payment_method"]
    assert "default_source" in customer
    # Embedded hashes and includable fields are accepted by expand[] but name no object.
    assert expandable_fields("price")["recurring"] == []
    assert expandable_fields("price")["tiers"] == []
    assert expandable_fields("subscription")["items.data.price.product"] == [
        "product",
        "deleted_product",
    ]
    assert expandable_fields("no_such_object") == {}


# --- coercion -------------------------------------------------------------------------


def test_customer_create_coerces_and_copies() -> None:
    params = {
        "email": "jenny@example.com",
        "balance": "-500",
        "metadata": {"order": "6735"},
        "address": {"city": "Paris", "country": "FR"},
        "preferred_locales": {"0": "fr", "1": "en"},
        "expand": ["default_source"],
    }
    out = check("POST", "/v1/customers", params)
    assert out == {
        "email": "jenny@example.com",
        "balance": -500,
        "metadata": {"order": "6735"},
        "address": {"city": "Paris", "country": "FR"},
        "preferred_locales": ["fr", "en"],
        "expand": ["default_source"],
    }
    assert out is not params
    assert out["metadata"] is not params["metadata"]


def test_list_customers_query() -> None:
    out = check(
        "GET",
        "/v1/customers",
        {"created": {"gte": "1700000000", "lt": "1800000000"}, "limit": "3", "expand": ["data"]},
    )
    assert out == {
        "created": {"gte": 1700000000, "lt": 1800000000},
        "limit": 3,
        "expand": ["data"],
    }
    # created also takes a bare timestamp.
    assert check("GET", "/v1/customers", {"created": "1700000000"}) == {"created": 1700000000}


def test_integer_keyed_hash_becomes_ordered_list() -> None:
    out = check(
        "POST",
        "/v1/subscriptions",
        {
            "customer": "cus_1",
            "items": {"10": {"price": "p10"}, "2": {"price": "p2", "quantity": "3"}},
            "cancel_at_period_end": "true",
        },
    )
    assert out["items"] == [{"price": "p2", "quantity": 3}, {"price": "p10"}]
    assert out["cancel_at_period_end"] is True


def test_price_with_recurring_and_decimal() -> None:
    out = check(
        "POST",
        "/v1/prices",
        {
            "currency": "usd",
            "unit_amount_decimal": "12.5",
            "recurring": {"interval": "month", "interval_count": "3"},
            "product": "prod_1",
        },
    )
    assert out["recurring"] == {"interval": "month", "interval_count": 3}
    assert out["unit_amount_decimal"] == "12.5"


def test_any_of_integer_or_keyword() -> None:
    tiers = {"0": {"up_to": "5", "unit_amount": "100"}, "1": {"up_to": "inf"}}
    out = check("POST", "/v1/prices", {"currency": "usd", "tiers": tiers})
    assert out["tiers"] == [{"up_to": 5, "unit_amount": 100}, {"up_to": "inf"}]


def test_number_becomes_float() -> None:
    out = check("POST", "/v1/coupons", {"percent_off": "12.5", "duration": "once"})
    assert out == {"percent_off": 12.5, "duration": "once"}


def test_json_ish_values_are_accepted() -> None:
    out = check(
        "POST",
        "/v1/customers",
        {"balance": 5, "tax_exempt": "none", "invoice_prefix": 123, "expand": ("a", "b")},
    )
    assert out == {
        "balance": 5,
        "tax_exempt": "none",
        "invoice_prefix": "123",
        "expand": ["a", "b"],
    }
    out = check("POST", "/v1/subscriptions", {"customer": "c", "cancel_at_period_end": False})
    assert out["cancel_at_period_end"] is False


def test_booleans_take_any_case_but_not_digits() -> None:
    node = operation_schema("POST", "/v1/products")
    assert node is not None
    assert validate(node, {"name": "n", "active": "False"})["active"] is False
    error = refused("POST", "/v1/products", {"name": "n", "active": "1"})
    assert error.message == "Invalid boolean: 1"
    assert error.param == "active"


# --- empty strings --------------------------------------------------------------------


def test_empty_string_unsets_where_the_spec_allows_it() -> None:
    out = check("POST", "/v1/customers/{customer}", {"metadata": "", "address": ""})
    assert out == {"metadata": "", "address": ""}
    # An enum listing "" takes it too.
    assert check("POST", "/v1/customers", {"tax_exempt": ""}) == {"tax_exempt": ""}
    # A metadata value of "" deletes that key: passed through.
    assert check("POST", "/v1/customers", {"metadata": {"a": ""}}) == {"metadata": {"a": ""}}


def test_optional_plain_string_in_body_is_left_to_the_handler() -> None:
    assert check("POST", "/v1/customers/{customer}", {"description": ""}) == {"description": ""}


def test_empty_string_refused_where_it_cannot_unset() -> None:
    error = refused("POST", "/v1/prices", {"currency": ""})
    assert error.code == "parameter_invalid_empty"
    assert error.param == "currency"
    assert error.message == (
        "You passed an empty string for 'currency'. We assume empty values are an attempt to "
        "unset a parameter; however 'currency' cannot be unset. You should remove 'currency' "
        "from your request or supply a non-empty value."
    )
    # Inside array elements and in reads, nothing can be unset.
    error = refused("POST", "/v1/checkout/sessions", {"line_items": {"0": {"price": ""}}})
    assert (error.code, error.param) == ("parameter_invalid_empty", "line_items[0][price]")
    error = refused("GET", "/v1/customers", {"ending_before": ""})
    assert (error.code, error.param) == ("parameter_invalid_empty", "ending_before")
    # An enum without "" refuses it as well.
    error = refused("POST", "/v1/prices", {"currency": "usd", "recurring": {"interval": ""}})
    assert (error.code, error.param) == ("parameter_invalid_empty", "recurring[interval]")


def test_empty_integer_is_an_invalid_integer() -> None:
    error = refused("POST", "/v1/customers", {"balance": ""})
    assert error.message == "Invalid integer: "
    assert error.code == "parameter_invalid_integer"


def test_empty_string_error_helper() -> None:
    error = empty_string_error("email")
    assert error.code == "parameter_invalid_empty"
    assert error.param == "email"


# --- refusals -------------------------------------------------------------------------


def test_unknown_top_level_parameter() -> None:
    error = refused("GET", "/v1/customers", {"wat": "x"})
    assert error.message == "Received unknown parameter: wat"
    assert error.param == "wat"
    assert error.code == "parameter_unknown"
    assert error.status == 400


def test_unknown_nested_parameter_uses_brackets() -> None:
    error = refused("POST", "/v1/customers", {"address": {"foo": "x"}})
    assert error.message == "Received unknown parameter: address[foo]"
    assert error.param == "address[foo]"
    error = refused("POST", "/v1/subscriptions", {"customer": "c", "items": {"0": {"foo": "x"}}})
    assert error.message == "Received unknown parameter: items[0][foo]"
    assert error.param == "items[0][foo]"
    error = refused(
        "POST", "/v1/subscriptions", {"customer": "c", "items": [{"price": "p"}, {"x": 1}]}
    )
    assert error.param == "items[1][x]"


def test_missing_required() -> None:
    error = refused("POST", "/v1/prices", {"recurring": {"interval": "month"}})
    assert error.message == "Missing required param: currency."
    assert error.code == "parameter_missing"
    error = refused("POST", "/v1/prices", {"currency": "usd", "recurring": {"interval_count": "2"}})
    assert error.message == "Missing required param: recurring[interval]."
    assert error.param == "recurring[interval]"


def test_invalid_integer() -> None:
    error = refused("GET", "/v1/customers", {"limit": "abc"})
    assert (error.message, error.param, error.code) == (
        "Invalid integer: abc",
        "limit",
        "parameter_invalid_integer",
    )
    for bad in ("10.0", "1e3", "+5", " 5", "1_000", "٣", "9" * 20, str(-(2**63) - 1)):
        assert refused("GET", "/v1/customers", {"limit": bad}).message == f"Invalid integer: {bad}"
    error = refused("GET", "/v1/customers", {"created": {"gte": "soon"}})
    assert error.param == "created[gte]"
    assert refused("POST", "/v1/customers", {"balance": True}).code == "parameter_invalid_integer"
    assert check("GET", "/v1/customers", {"limit": str(2**63 - 1)}) == {"limit": 2**63 - 1}


def test_invalid_enum_lists_values_with_or() -> None:
    error = refused(
        "POST", "/v1/prices", {"currency": "usd", "recurring": {"interval": "fortnight"}}
    )
    assert error.message == "Invalid recurring[interval]: must be one of day, month, week, or year"
    assert error.param == "recurring[interval]"
    assert error.code is None
    error = refused("POST", "/v1/customers", {"tax_exempt": "sometimes"})
    # "" is accepted (it unsets) but is not listed as a value.
    assert error.message == "Invalid tax_exempt: must be one of exempt, none, or reverse"


def test_string_too_long() -> None:
    error = refused("POST", "/v1/customers", {"phone": "0123456789" * 3})
    assert error.message == "Invalid string: 0123456789...0123456789; must be at most 20 characters"
    assert error.param == "phone"


def test_shape_errors() -> None:
    error = refused("POST", "/v1/customers", {"metadata": "x"})
    assert (error.message, error.param) == ("Invalid object", "metadata")
    error = refused("GET", "/v1/customers", {"expand": "data"})
    assert (error.message, error.param) == ("Invalid array", "expand")
    error = refused("POST", "/v1/subscriptions", {"customer": "c", "items": {"a": {"price": "p"}}})
    assert (error.message, error.param) == ("Invalid array", "items")
    error = refused("POST", "/v1/customers", {"email": {"a": "b"}})
    assert (error.message, error.param) == ("Invalid string", "email")
    error = refused("POST", "/v1/customers", {"metadata": {"k": {"nested": "x"}}})
    assert error.param == "metadata[k]"


def test_bad_number_and_decimal() -> None:
    assert refused("POST", "/v1/coupons", {"percent_off": "x"}).message == "Invalid float: x"
    error = refused("POST", "/v1/prices", {"currency": "usd", "unit_amount_decimal": "1.2.3"})
    assert (error.message, error.param) == ("Invalid decimal: 1.2.3", "unit_amount_decimal")


def test_any_of_reports_the_typed_alternative() -> None:
    error = refused("POST", "/v1/prices", {"currency": "usd", "tiers": {"0": {"up_to": "many"}}})
    assert (error.message, error.param) == ("Invalid integer: many", "tiers[0][up_to]")


def test_every_operation_compiles_and_accepts_nothing_extra() -> None:
    for key, node in load_tables()["operations"].items():
        with pytest.raises(InvalidRequestError) as info:
            validate(node, {"definitely_not_a_param": "1"})
        assert info.value.code == "parameter_unknown", key
