"""Stripe's search query language: parse() and Query.matches() on plain dicts."""

from __future__ import annotations

from typing import Any

import pytest

from stripekit.sandbox.framework.errors import InvalidRequestError
from stripekit.sandbox.framework.search import (
    MAX_CLAUSES,
    SEARCH_FIELDS,
    Query,
    parse,
)

PARSE_ERROR = (
    "We were unable to parse your search query. Try using the format "
    '`metadata["key"]:"value"` to query for metadata or key:"value" to query for '
    "other fields."
)


def customer(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "cus_1",
        "object": "customer",
        "created": 1_700_000_000,
        "email": "Amy@RocketRides.io",
        "name": "Amy Rides",
        "phone": "+15555550100",
        "metadata": {"plan": "Gold", "team": "core"},
    }
    base.update(fields)
    return base


def ids(query: Query, objects: list[dict[str, Any]]) -> list[str]:
    return [obj["id"] for obj in objects if query.matches(obj)]


def error_for(query: str, object_type: str = "customer") -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as info:
        parse(query, object_type)
    error = info.value
    assert error.status == 400
    assert error.type == "invalid_request_error"
    assert error.param == "query"
    return error


# --- field table ------------------------------------------------------------------------


def test_field_table_covers_every_searchable_resource() -> None:
    assert set(SEARCH_FIELDS) == {
        "customer",
        "product",
        "price",
        "charge",
        "payment_intent",
        "invoice",
        "subscription",
    }
    assert SEARCH_FIELDS["customer"] == {
        "created": "timestamp",
        "email": "string",
        "metadata": "metadata",
        "name": "string",
        "phone": "string",
    }
    assert set(SEARCH_FIELDS["product"]) == {
        "active",
        "description",
        "metadata",
        "name",
        "shippable",
        "url",
    }
    assert set(SEARCH_FIELDS["price"]) == {
        "active",
        "currency",
        "lookup_key",
        "metadata",
        "product",
        "type",
    }
    assert SEARCH_FIELDS["charge"]["payment_method_details.card.last4"] == "token"
    assert SEARCH_FIELDS["invoice"]["total"] == "number"
    assert SEARCH_FIELDS["subscription"]["canceled_at"] == "timestamp"
    kinds = {kind for fields in SEARCH_FIELDS.values() for kind in fields.values()}
    assert kinds == {"string", "token", "number", "timestamp", "boolean", "metadata"}


# --- exact match ------------------------------------------------------------------------


def test_exact_match_ignores_case_and_needs_the_whole_value() -> None:
    query = parse('email:"amy@rocketrides.io"', "customer")
    assert query.matches(customer())
    assert not query.matches(customer(email="amy@rocketrides.io.evil"))
    assert not query.matches(customer(email=None))
    assert not query.matches({"id": "cus_2"})  # field missing entirely


def test_single_quotes_work_like_double_quotes() -> None:
    query = parse("name:'Amy Rides' AND metadata['plan']:'gold'", "customer")
    assert query.matches(customer())


def test_unquoted_number_matches_a_text_field() -> None:
    charge = {
        "id": "ch_1",
        "payment_method_details": {"type": "card", "card": {"last4": "4242", "exp_month": 12}},
    }
    assert parse("payment_method_details.card.last4:4242", "charge").matches(charge)
    assert parse("payment_method_details.card.exp_month:12", "charge").matches(charge)
    assert not parse("payment_method_details.card.last4:1111", "charge").matches(charge)
    assert not parse("payment_method_details.card_present.last4:4242", "charge").matches(charge)


def test_nested_field_and_expanded_reference() -> None:
    charge = {
        "id": "ch_1",
        "customer": {"id": "cus_9", "object": "customer"},
        "billing_details": {"address": {"postal_code": "94107"}},
    }
    assert parse('customer:"cus_9"', "charge").matches(charge)
    assert parse('billing_details.address.postal_code:"94107"', "charge").matches(charge)
    assert not parse('billing_details.address.postal_code:"10001"', "charge").matches(
        {"id": "ch_2", "billing_details": {"address": None}}
    )


def test_price_product_is_matched_by_id() -> None:
    prices = [
        {"id": "price_1", "product": "prod_A", "type": "one_time"},
        {"id": "price_2", "product": "prod_B", "type": "recurring"},
    ]
    assert ids(parse('product:"prod_A"', "price"), prices) == ["price_1"]
    assert ids(parse('type:"recurring"', "price"), prices) == ["price_2"]


def test_invoice_fields_read_from_their_json_location() -> None:
    old_shape = {"id": "in_1", "subscription": "sub_1", "last_finalization_error": None}
    new_shape = {
        "id": "in_2",
        "parent": {"subscription_details": {"subscription": "sub_1"}},
        "last_finalization_error": {"code": "customer_tax_location_invalid", "type": "x"},
    }
    invoices = [old_shape, new_shape]
    assert ids(parse('subscription:"sub_1"', "invoice"), invoices) == ["in_1", "in_2"]
    query = parse("last_finalization_error_code:'customer_tax_location_invalid'", "invoice")
    assert ids(query, invoices) == ["in_2"]
    assert ids(parse("last_finalization_error_code:null", "invoice"), invoices) == ["in_1"]


# --- booleans ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['active:"true"', "active:'TRUE'", "active:true"])
def test_boolean_fields_match_true(text: str) -> None:
    query = parse(text, "product")
    assert query.matches({"id": "prod_1", "active": True})
    assert not query.matches({"id": "prod_2", "active": False})


def test_boolean_false_and_null() -> None:
    products = [
        {"id": "prod_1", "shippable": True},
        {"id": "prod_2", "shippable": False},
        {"id": "prod_3", "shippable": None},
    ]
    assert ids(parse("shippable:false", "product"), products) == ["prod_2"]
    assert ids(parse("shippable:null", "product"), products) == ["prod_3"]
    assert ids(parse("-shippable:null", "product"), products) == ["prod_1", "prod_2"]


def test_stored_bool_is_not_the_number_one() -> None:
    # `refunded:1` must not match True just because bool subclasses int.
    assert not parse("refunded:1", "charge").matches({"id": "ch_1", "refunded": True})


# --- substring --------------------------------------------------------------------------


def test_substring_is_case_insensitive_and_anywhere() -> None:
    people = [
        customer(id="cus_1", email="amy@rocketrides.io"),
        customer(id="cus_2", email="XAMY@example.com"),
        customer(id="cus_3", email="bob@example.com"),
        customer(id="cus_4", email=None),
    ]
    assert ids(parse('email~"amy"', "customer"), people) == ["cus_1", "cus_2"]
    assert ids(parse('name~"RIDE"', "customer"), [customer()]) == ["cus_1"]


def test_substring_exactly_three_characters_is_enough() -> None:
    assert parse('phone~"555"', "customer").matches(customer())
    assert parse("phone~555", "customer").matches(customer())


# --- metadata ---------------------------------------------------------------------------


def test_metadata_exact_match() -> None:
    people = [
        customer(id="cus_1", metadata={"plan": "gold"}),
        customer(id="cus_2", metadata={"plan": "silver"}),
        customer(id="cus_3", metadata={}),
        customer(id="cus_4", metadata=None),
    ]
    assert ids(parse('metadata["plan"]:"GOLD"', "customer"), people) == ["cus_1"]
    assert ids(parse('-metadata["plan"]:"gold"', "customer"), people) == [
        "cus_2",
        "cus_3",
        "cus_4",
    ]


def test_metadata_key_is_case_sensitive_and_may_hold_odd_characters() -> None:
    obj = customer(metadata={"Order-ID": "A1", 'say "hi"': "yes"})
    assert parse('metadata["Order-ID"]:"a1"', "customer").matches(obj)
    assert not parse('metadata["order-id"]:"a1"', "customer").matches(obj)
    assert parse(r'metadata["say \"hi\""]:"yes"', "customer").matches(obj)


def test_metadata_null_and_presence() -> None:
    people = [customer(id="cus_1", metadata={"plan": "gold"}), customer(id="cus_2", metadata={})]
    assert ids(parse('metadata["plan"]:null', "customer"), people) == ["cus_2"]
    assert ids(parse('-metadata["plan"]:null', "customer"), people) == ["cus_1"]


# --- null -------------------------------------------------------------------------------


def test_null_matches_absent_null_and_empty_values() -> None:
    products = [
        {"id": "prod_1", "url": "https://example.com"},
        {"id": "prod_2", "url": None},
        {"id": "prod_3"},
        {"id": "prod_4", "url": ""},
    ]
    assert ids(parse("url:null", "product"), products) == ["prod_2", "prod_3", "prod_4"]
    assert ids(parse("url:NULL", "product"), products) == ["prod_2", "prod_3", "prod_4"]
    assert ids(parse("-url:null", "product"), products) == ["prod_1"]


def test_quoted_null_is_the_word_null() -> None:
    products = [{"id": "prod_1", "url": None}, {"id": "prod_2", "url": "null"}]
    assert ids(parse('url:"null"', "product"), products) == ["prod_2"]


# --- numbers and timestamps ---------------------------------------------------------------

CREATED = [
    customer(id="cus_a", created=100),
    customer(id="cus_b", created=200),
    customer(id="cus_c", created=300),
    customer(id="cus_d", created=None),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("created>200", ["cus_c"]),
        ("created>=200", ["cus_b", "cus_c"]),
        ("created<200", ["cus_a"]),
        ("created<=200", ["cus_b", "cus_a"]),
        ("created:200", ["cus_b"]),
        ("created=200", ["cus_b"]),
        ('created>="200"', ["cus_b", "cus_c"]),
        ("created:null", ["cus_d"]),
        ("-created>200", ["cus_a", "cus_b", "cus_d"]),
    ],
)
def test_numeric_comparisons_on_created(text: str, expected: list[str]) -> None:
    assert sorted(ids(parse(text, "customer"), CREATED)) == sorted(expected)


def test_range_with_two_clauses() -> None:
    query = parse("created>100 AND created<300", "customer")
    assert ids(query, CREATED) == ["cus_b"]


def test_amount_negative_and_decimal_literals() -> None:
    intents = [{"id": "pi_1", "amount": 1000}, {"id": "pi_2", "amount": 50}]
    assert ids(parse("amount>-1", "payment_intent"), intents) == ["pi_1", "pi_2"]
    assert ids(parse("amount>99.5", "payment_intent"), intents) == ["pi_1"]
    assert ids(parse("amount:1000", "payment_intent"), intents) == ["pi_1"]


def test_numeric_field_ignores_non_numbers_in_the_object() -> None:
    assert not parse("total>0", "invoice").matches({"id": "in_1", "total": "1000"})
    assert not parse("total>0", "invoice").matches({"id": "in_1", "total": True})


# --- negation, AND, OR ------------------------------------------------------------------


def test_negation_excludes_matches_and_keeps_nulls() -> None:
    intents = [
        {"id": "pi_1", "currency": "usd"},
        {"id": "pi_2", "currency": "jpy"},
        {"id": "pi_3", "currency": None},
    ]
    assert ids(parse("-currency:'usd'", "payment_intent"), intents) == ["pi_2", "pi_3"]


@pytest.mark.parametrize(
    "text",
    [
        'email:"amy@rocketrides.io" metadata["plan"]:"gold"',
        'email:"amy@rocketrides.io" AND metadata["plan"]:"gold"',
        'email:"amy@rocketrides.io" and metadata["plan"]:"gold"',
        '  email:"amy@rocketrides.io"\tAnd\n metadata["plan"]:"gold"  ',
    ],
)
def test_and_is_implicit_and_case_insensitive(text: str) -> None:
    query = parse(text, "customer")
    assert query.combinator == "AND"
    assert query.matches(customer())
    assert not query.matches(customer(metadata={"plan": "silver"}))


@pytest.mark.parametrize("keyword", ["OR", "or", "Or"])
def test_or(keyword: str) -> None:
    query = parse(f"currency:'usd' {keyword} currency:'eur'", "payment_intent")
    assert query.combinator == "OR"
    intents = [
        {"id": "pi_1", "currency": "usd"},
        {"id": "pi_2", "currency": "eur"},
        {"id": "pi_3", "currency": "gbp"},
    ]
    assert ids(query, intents) == ["pi_1", "pi_2"]


def test_or_with_negation() -> None:
    query = parse("-status:'active' OR metadata['vip']:'yes'", "subscription")
    subscriptions = [
        {"id": "sub_1", "status": "active", "metadata": {}},
        {"id": "sub_2", "status": "canceled", "metadata": {}},
        {"id": "sub_3", "status": "active", "metadata": {"vip": "yes"}},
    ]
    assert ids(query, subscriptions) == ["sub_2", "sub_3"]


def test_max_clauses_is_accepted() -> None:
    text = " AND ".join(["created>0"] * MAX_CLAUSES)
    assert len(parse(text, "customer").clauses) == MAX_CLAUSES


# --- quoting and escapes ------------------------------------------------------------------


def test_escaped_quotes_inside_values() -> None:
    description = 'the story called "The Sky and the Sea."'
    product = {"id": "prod_1", "description": description}
    assert parse(r'description:"the story called \"The Sky and the Sea.\""', "product").matches(
        product
    )
    assert parse(r"description~'called \"The'", "product").matches(product)
    assert parse(r"name:'Amy\'s'", "product").matches({"id": "prod_2", "name": "Amy's"})
    assert parse(r'name:"back\\slash"', "product").matches({"id": "p", "name": "back\\slash"})


def test_quoted_values_keep_spaces_keywords_and_operators() -> None:
    product = {"id": "prod_1", "name": "Salt AND Pepper: 2 > 1"}
    query = parse('name:"Salt AND Pepper: 2 > 1"', "product")
    assert len(query.clauses) == 1
    assert query.matches(product)


# --- the Query object ---------------------------------------------------------------------


def test_query_is_immutable_hashable_and_compares_by_content() -> None:
    first = parse('email:"a@b.co" created>5', "customer")
    second = parse('email:"a@b.co"   created>5', "customer")
    assert first == second
    assert hash(first) == hash(second)
    assert first != parse('email:"a@b.co" created>6', "customer")
    with pytest.raises(AttributeError):
        first.combinator = "OR"  # type: ignore[misc]
    clause = first.clauses[1]
    assert (clause.field, clause.op, clause.value, clause.negated) == ("created", ">", 5, False)


def test_parsed_values_are_typed() -> None:
    query = parse('-metadata["k"]:"V" amount>="10" currency:null', "payment_intent")
    assert [(c.field, c.key, c.op, c.value, c.negated) for c in query.clauses] == [
        ("metadata", "k", ":", "V", True),
        ("amount", None, ">=", 10, False),
        ("currency", None, ":", None, False),
    ]


def test_unknown_object_type_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="credit_note"):
        parse('email:"x"', "credit_note")


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "asdf",
        "   ",
        "email:x@y.co",  # text must be quoted
        "email:",  # no value
        'email: "x"',  # space after the operator
        'email :"x"',  # space before the operator
        'email:"x',  # unterminated quote
        'email:"x\\',  # dangling escape
        'email:"x"name:"y"',  # clauses must be separated
        '(email:"x")',  # no parentheses
        'email:"x" AND',  # dangling keyword
        'AND email:"x"',
        'email:"x" AND AND name:"y"',
        '--email:"x"',
        "-",
        'metadata:"x"',  # metadata needs a key
        "metadata[plan]:'x'",  # the key must be quoted
        "metadata['plan':'x'",
        'email=="x"',
        "amount>10)",
        ".email:'x'",
        "email..x:'x'",
    ],
)
def test_malformed_queries(text: str) -> None:
    error = error_for(text)
    assert error.message == PARSE_ERROR
    assert error.code is None


def test_empty_query() -> None:
    error = error_for("")
    assert error.code == "parameter_invalid_empty"
    assert error.message == (
        "You passed an empty string for 'query'. We assume empty values are an attempt to "
        "unset a parameter; however 'query' cannot be unset. You should remove 'query' "
        "from your request or supply a non-empty value."
    )


PMD_CVC = "payment_method_details.card.cvc"


@pytest.mark.parametrize(
    ("text", "object_type", "field", "resource", "anchor"),
    [
        ('foo:"bar"', "price", "foo", "prices", "prices"),
        ('foo:"bar"', "product", "foo", "products", "products"),
        ("created>1", "price", "created", "prices", "prices"),
        ("amount>1", "customer", "amount", "customers", "customers"),
        ('email:"x"', "payment_intent", "email", "payment_intents", "payment-intents"),
        ("payment_method_details.card.cvc:1", "charge", PMD_CVC, "charges", "charges"),
        ('-EMAIL:"x"', "customer", "EMAIL", "customers", "customers"),
    ],
)
def test_unsupported_field(
    text: str, object_type: str, field: str, resource: str, anchor: str
) -> None:
    error = error_for(text, object_type)
    assert error.code is None
    assert error.message == (
        f"Field `{field}` is an unsupported search field for resource `{resource}`. See "
        f"http://stripe.com/docs/search#query-fields-for-{anchor} for a list of "
        "supported fields."
    )


@pytest.mark.parametrize("text", ['email~"am"', 'email~""', "name~'a'", 'phone~"\\"a"'])
def test_substring_too_short(text: str) -> None:
    error = error_for(text)
    field = text.split("~")[0]
    assert error.code is None
    assert error.message == (
        f"Substring matching (`~`) on field `{field}` requires a value of at least 3 characters."
    )


@pytest.mark.parametrize(
    "text",
    [
        'email:"a" OR name:"b" AND phone:"c"',
        'email:"a" OR name:"b" phone:"c"',  # whitespace is an AND too
    ],
)
def test_and_and_or_cannot_be_mixed(text: str) -> None:
    error = error_for(text)
    assert error.code is None
    assert error.message == (
        "Your search query combines AND and OR, which is not supported. "
        "Join all clauses with AND or all clauses with OR."
    )


def test_too_many_clauses() -> None:
    error = error_for(" ".join(["created>0"] * (MAX_CLAUSES + 1)))
    assert error.code is None
    assert error.message == (
        "Your search query has 11 clauses, but a query can have at most 10 clauses."
    )


@pytest.mark.parametrize(
    ("text", "object_type", "field", "op", "anchor"),
    [
        ('email>"a"', "customer", "email", ">", "customers"),
        ("email=1", "customer", "email", "=", "customers"),
        ('currency~"usd"', "price", "currency", "~", "prices"),  # token: exact only
        ("active~'true'", "product", "active", "~", "products"),
        ('metadata["plan"]~"gold"', "customer", "metadata", "~", "customers"),
        ("created~'170'", "customer", "created", "~", "customers"),
        ("status>'a'", "subscription", "status", ">", "subscriptions"),
    ],
)
def test_operator_not_supported_by_field(
    text: str, object_type: str, field: str, op: str, anchor: str
) -> None:
    error = error_for(text, object_type)
    assert error.code is None
    assert error.message == (
        f"Field `{field}` does not support the `{op}` operator. See "
        f"http://stripe.com/docs/search#query-fields-for-{anchor} for the operators each "
        "field supports."
    )


def test_null_only_with_colon() -> None:
    error = error_for("created>null")
    assert error.code is None
    assert error.message == (
        "`null` can only be used with the `:` operator (`created:null`), not with `>`."
    )


@pytest.mark.parametrize(("text", "value"), [('created>"soon"', "soon"), ("created:true", "true")])
def test_numeric_field_needs_a_number(text: str, value: str) -> None:
    error = error_for(text)
    assert error.code is None
    assert error.message == f"Field `created` is numeric, but `{value}` is not a number."


def test_syntax_errors_win_over_field_errors() -> None:
    # The whole query is read before any field is checked, like a parser then a validator.
    assert error_for('foo:"bar" AND').message == PARSE_ERROR
    assert error_for('foo:"bar" OR email:"a" name:"b"').message.startswith(
        "Your search query combines AND and OR"
    )


def test_errors_render_as_stripe_bodies() -> None:
    body = error_for('foo:"bar"', "price").body()
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["param"] == "query"
    assert "code" not in body["error"]
