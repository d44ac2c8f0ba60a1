"""Stripe's Search Query Language: parse a `query` once, then test stored objects cheaply.

Used by the `/v1/<resource>/search` endpoints (customers, products, prices, charges,
payment_intents, invoices, subscriptions). `parse()` turns the query into a `Query`
whose `matches()` is a chain of pre-built closures, so a search over thousands of
stored objects costs one dict walk per clause and no re-parsing.

Grammar accepted (keywords are case-insensitive, no parentheses exist):

    query    := WS* clause (SEP clause)* WS*          at most MAX_CLAUSES clauses
    SEP      := WS+ | WS+ ("AND" | "OR") WS+           whitespace alone means AND;
                                                       AND and OR never mix in one query
    clause   := ["-"] field op value                   "-" negates the clause
    field    := name ("." name)* | "metadata[" quoted "]"
    op       := ":" | "~" | ">" | "<" | ">=" | "<=" | "="
    value    := quoted | number | "null" | "true" | "false"
    quoted   := '"' ... '"' | "'" ... "'"              a backslash escapes the next char
    number   := ["-"] digits ["." digits]

Semantics chosen here (see the report for which are documented and which are guesses):

- `:` is an exact match on the whole value and ignores case, for every text-like kind.
- `~` is a case-insensitive substring match, only on "string" fields, and the needle
  must have at least MIN_SUBSTRING_LENGTH characters.
- `>`, `<`, `>=`, `<=`, `=` only on numeric fields; `:` on a numeric field means `=`.
- `field:null` matches when the field is absent, null or empty; `-field:null` when it
  has a value. `null` only goes with `:`.
- Quotes are required for text; bare words are limited to numbers, null, true and false.
- A negated clause matches whatever the clause does not, including objects where the
  field is null (so `-currency:"usd"` keeps objects with no currency).
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from .errors import InvalidRequestError

__all__ = [
    "MAX_CLAUSES",
    "MIN_SUBSTRING_LENGTH",
    "SEARCH_FIELDS",
    "Clause",
    "Query",
    "parse",
]

MAX_CLAUSES: Final = 10
MIN_SUBSTRING_LENGTH: Final = 3

Predicate = Callable[[dict[str, Any]], bool]

# Charges can be searched on a few card attributes under the payment method type that
# carried the card: `card` online, `card_present` / `interac_present` on Terminal.
_CHARGE_CARD_SOURCES: Final = ("card", "card_present", "interac_present")
_CHARGE_CARD_ATTRIBUTES: Final = (
    "last4",
    "exp_month",
    "exp_year",
    "brand",
    "fingerprint",
    "reader",
    "location",
)

# Queryable fields per object type, from the "Query fields for ..." tables of
# docs.stripe.com/search. Stripe labels fields token / string / numeric; we split
# "numeric" into number and timestamp and "token" true/false fields into boolean so the
# engine can tell them apart. Kinds decide the allowed operators:
#   string     `:` and `~`            token, boolean, metadata   `:` only
#   number / timestamp   `:`, `=`, `>`, `<`, `>=`, `<=`
# Products and prices have no `created` here because Stripe does not list one for them.
SEARCH_FIELDS: Final[dict[str, dict[str, str]]] = {
    "customer": {
        "created": "timestamp",
        "email": "string",
        "metadata": "metadata",
        "name": "string",
        "phone": "string",
    },
    "product": {
        "active": "boolean",
        "description": "string",
        "metadata": "metadata",
        "name": "string",
        "shippable": "boolean",
        "url": "string",
    },
    "price": {
        "active": "boolean",
        "currency": "token",
        "lookup_key": "string",
        "metadata": "metadata",
        "product": "string",
        "type": "token",
    },
    "charge": {
        "amount": "number",
        "billing_details.address.postal_code": "token",
        "created": "timestamp",
        "currency": "token",
        "customer": "token",
        "disputed": "boolean",
        "metadata": "metadata",
        **{
            f"payment_method_details.{source}.{attribute}": "token"
            for source in _CHARGE_CARD_SOURCES
            for attribute in _CHARGE_CARD_ATTRIBUTES
        },
        "refunded": "boolean",
        "status": "token",
    },
    "payment_intent": {
        "amount": "number",
        "created": "timestamp",
        "currency": "token",
        "customer": "token",
        "metadata": "metadata",
        "status": "token",
    },
    "invoice": {
        "created": "timestamp",
        "currency": "token",
        "customer": "token",
        "last_finalization_error_code": "token",
        "last_finalization_error_type": "token",
        "metadata": "metadata",
        "number": "string",
        "receipt_number": "string",
        "status": "string",
        "subscription": "string",
        "total": "number",
    },
    "subscription": {
        "canceled_at": "timestamp",
        "created": "timestamp",
        "metadata": "metadata",
        "status": "token",
    },
}

# Where a field lives in the JSON when that is not simply its dotted name. Several
# paths are tried in order: newer API versions moved `invoice.subscription` under
# `parent.subscription_details`, and the object we get follows the sandbox's version.
_FIELD_PATHS: Final[dict[str, dict[str, tuple[tuple[str, ...], ...]]]] = {
    "invoice": {
        "last_finalization_error_code": (("last_finalization_error", "code"),),
        "last_finalization_error_type": (("last_finalization_error", "type"),),
        "subscription": (("subscription",), ("parent", "subscription_details", "subscription")),
    },
}

# Error messages name the resource as it appears in the URL and the docs anchors.
_RESOURCE_NAMES: Final[dict[str, str]] = {
    "customer": "customers",
    "product": "products",
    "price": "prices",
    "charge": "charges",
    "payment_intent": "payment_intents",
    "invoice": "invoices",
    "subscription": "subscriptions",
}

_OPERATORS_BY_KIND: Final[dict[str, frozenset[str]]] = {
    "string": frozenset({":", "~"}),
    "token": frozenset({":"}),
    "boolean": frozenset({":"}),
    "metadata": frozenset({":"}),
    "number": frozenset({":", "=", ">", "<", ">=", "<="}),
    "timestamp": frozenset({":", "=", ">", "<", ">=", "<="}),
}

_COMPARATORS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    ":": operator.eq,
    "=": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


# --- errors -------------------------------------------------------------------------
# Stripe's wording where a source records it; our own wording otherwise (the report
# lists which is which). All are 400 invalid_request_error on param `query`.

# Recorded by stripe-ruby-mock, whose search specs are written to also run live.
_PARSE_ERROR: Final = (
    "We were unable to parse your search query. Try using the format "
    '`metadata["key"]:"value"` to query for metadata or key:"value" to query for '
    "other fields."
)


def _docs_url(object_type: str) -> str:
    anchor = _RESOURCE_NAMES[object_type].replace("_", "-")
    return f"http://stripe.com/docs/search#query-fields-for-{anchor}"


def _error(message: str, code: str | None = None) -> InvalidRequestError:
    return InvalidRequestError(message, param="query", code=code)


def _parse_error() -> InvalidRequestError:
    return _error(_PARSE_ERROR)


def _empty_error() -> InvalidRequestError:
    # Stripe's generic answer to an empty string for any parameter.
    return _error(
        "You passed an empty string for 'query'. We assume empty values are an attempt to "
        "unset a parameter; however 'query' cannot be unset. You should remove 'query' "
        "from your request or supply a non-empty value.",
        code="parameter_invalid_empty",
    )


def _unsupported_field_error(name: str, object_type: str) -> InvalidRequestError:
    # Recorded by stripe-ruby-mock, as for _PARSE_ERROR.
    return _error(
        f"Field `{name}` is an unsupported search field for resource "
        f"`{_RESOURCE_NAMES[object_type]}`. See {_docs_url(object_type)} for a list of "
        "supported fields."
    )


def _mixed_combinators_error() -> InvalidRequestError:
    return _error(
        "Your search query combines AND and OR, which is not supported. "
        "Join all clauses with AND or all clauses with OR."
    )


def _too_many_clauses_error(count: int) -> InvalidRequestError:
    return _error(
        f"Your search query has {count} clauses, but a query can have at most "
        f"{MAX_CLAUSES} clauses."
    )


def _operator_error(name: str, op: str, object_type: str) -> InvalidRequestError:
    return _error(
        f"Field `{name}` does not support the `{op}` operator. See "
        f"{_docs_url(object_type)} for the operators each field supports."
    )


def _null_operator_error(name: str, op: str) -> InvalidRequestError:
    return _error(
        f"`null` can only be used with the `:` operator (`{name}:null`), not with `{op}`."
    )


def _substring_too_short_error(name: str) -> InvalidRequestError:
    return _error(
        f"Substring matching (`~`) on field `{name}` requires a value of at least "
        f"{MIN_SUBSTRING_LENGTH} characters."
    )


def _not_a_number_error(name: str, value: str) -> InvalidRequestError:
    return _error(f"Field `{name}` is numeric, but `{value}` is not a number.")


# --- syntax ---------------------------------------------------------------------------

_WHITESPACE: Final = frozenset(" \t\r\n")
_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_METADATA_OPEN: Final = "metadata["


@dataclass(frozen=True, slots=True)
class _RawClause:
    """A clause as written, before we know whether its field and value make sense."""

    negated: bool
    name: str
    key: str | None  # metadata key, for `metadata["key"]`
    op: str
    value: str | None  # None is the bare word `null`


def _skip_whitespace(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WHITESPACE:
        i += 1
    return i


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """Read a quoted string starting at its opening quote; return (value, index after)."""
    quote = text[i]
    n = len(text)
    i += 1
    chunks: list[str] = []
    start = i
    while i < n:
        char = text[i]
        if char == "\\":
            if i + 1 >= n:
                raise _parse_error()
            # The escaped character is kept as is: \" gives ", \\ gives \, \x gives x.
            chunks.append(text[start:i])
            chunks.append(text[i + 1])
            i += 2
            start = i
        elif char == quote:
            chunks.append(text[start:i])
            return "".join(chunks), i + 1
        else:
            i += 1
    raise _parse_error()


def _read_clause(text: str, i: int) -> tuple[_RawClause, int]:
    n = len(text)
    negated = text[i] == "-"
    if negated:
        i += 1

    key: str | None = None
    if text.startswith(_METADATA_OPEN, i):
        i += len(_METADATA_OPEN)
        if i >= n or text[i] not in "\"'":
            raise _parse_error()
        key, i = _read_quoted(text, i)
        if i >= n or text[i] != "]":
            raise _parse_error()
        i += 1
        name = "metadata"
    else:
        start = i
        while i < n and text[i] in _NAME_CHARS:
            i += 1
        name = text[start:i]
        if not name or "" in name.split("."):
            raise _parse_error()

    # Two-character operators first so `>=` is not read as `>` then a value `=...`.
    if text.startswith((">=", "<="), i):
        op = text[i : i + 2]
    elif i < n and text[i] in ":~<>=":
        op = text[i]
    else:
        raise _parse_error()
    i += len(op)

    value: str | None
    if i < n and text[i] in "\"'":
        value, i = _read_quoted(text, i)
    else:
        start = i
        while i < n and text[i] not in _WHITESPACE:
            i += 1
        bare = text[start:i]
        lowered = bare.lower()
        if lowered == "null":
            value = None
        elif lowered in ("true", "false"):
            value = lowered
        elif _NUMBER.fullmatch(bare):
            value = bare
        else:
            # Empty values and unquoted text both land here: Stripe wants text quoted.
            raise _parse_error()
    return _RawClause(negated, name, key, op, value), i


def _read_query(text: str) -> tuple[list[_RawClause], str]:
    """Split the query into clauses and the one combinator joining them."""
    n = len(text)
    clauses: list[_RawClause] = []
    combinators: set[str] = set()
    i = _skip_whitespace(text, 0)
    if i == n:
        raise _parse_error()
    while True:
        clause, i = _read_clause(text, i)
        clauses.append(clause)
        j = _skip_whitespace(text, i)
        if j == n:
            break
        if j == i:
            # Something glued to the end of a clause, e.g. `a:"x"b:"y"` or `a:"x")`.
            raise _parse_error()
        word_end = j
        while word_end < n and text[word_end] not in _WHITESPACE:
            word_end += 1
        word = text[j:word_end].upper()
        if word in ("AND", "OR"):
            i = _skip_whitespace(text, word_end)
            if i == n:
                raise _parse_error()  # a dangling AND / OR
            combinators.add(word)
        else:
            i = j
            combinators.add("AND")
    if len(combinators) > 1:
        raise _mixed_combinators_error()
    if len(clauses) > MAX_CLAUSES:
        raise _too_many_clauses_error(len(clauses))
    return clauses, (combinators.pop() if combinators else "AND")


# --- evaluation -----------------------------------------------------------------------


def _getter(paths: tuple[tuple[str, ...], ...]) -> Callable[[dict[str, Any]], Any]:
    """Build a function returning the first non-null value found along `paths`."""
    if len(paths) == 1 and len(paths[0]) == 1:
        key = paths[0][0]
        return lambda obj: obj.get(key)

    def get(obj: dict[str, Any]) -> Any:
        for path in paths:
            value: Any = obj
            for part in path:
                if not isinstance(value, dict):
                    value = None
                    break
                value = value.get(part)
            if value is not None:
                return value
        return None

    return get


def _metadata_getter(key: str) -> Callable[[dict[str, Any]], Any]:
    def get(obj: dict[str, Any]) -> Any:
        metadata = obj.get("metadata")
        return metadata.get(key) if isinstance(metadata, dict) else None

    return get


def _folded_text(value: Any) -> str | None:
    """The case-folded text a stored value is compared as, or None if it has none."""
    if value is None:
        return None
    if type(value) is str:
        return value.casefold()
    if type(value) is bool:
        return "true" if value else "false"
    if isinstance(value, dict):
        # An expanded reference (`customer`, `product`, ...) is searched by its id.
        value = value.get("id")
        return value.casefold() if isinstance(value, str) else None
    return str(value).casefold()


def _as_number(value: str) -> int | float | None:
    if not _NUMBER.fullmatch(value):
        return None
    return float(value) if "." in value else int(value)


def _compile_clause(raw: _RawClause, object_type: str, fields: dict[str, str]) -> Clause:
    kind = fields.get(raw.name)
    if kind is None:
        raise _unsupported_field_error(raw.name, object_type)
    if kind == "metadata" and raw.key is None:
        raise _parse_error()  # bare `metadata:` names no key

    if raw.op not in _OPERATORS_BY_KIND[kind]:
        raise _operator_error(raw.name, raw.op, object_type)

    get = (
        _metadata_getter(raw.key)
        if raw.key is not None
        else _getter(_FIELD_PATHS.get(object_type, {}).get(raw.name, (tuple(raw.name.split(".")),)))
    )

    value: str | int | float | None
    predicate: Predicate
    if raw.value is None:
        if raw.op != ":":
            raise _null_operator_error(raw.name, raw.op)
        value = None

        def predicate(obj: dict[str, Any]) -> bool:
            found = get(obj)
            return found is None or found == ""

    elif kind in ("number", "timestamp"):
        number = _as_number(raw.value)
        if number is None:
            raise _not_a_number_error(raw.name, raw.value)
        value = number
        compare = _COMPARATORS[raw.op]

        def predicate(obj: dict[str, Any]) -> bool:
            found = get(obj)
            # bool is an int subclass; a stored True must not compare equal to 1.
            return type(found) in (int, float) and compare(found, number)

    elif raw.op == "~":
        if len(raw.value) < MIN_SUBSTRING_LENGTH:
            raise _substring_too_short_error(raw.name)
        value = raw.value
        needle = raw.value.casefold()

        def predicate(obj: dict[str, Any]) -> bool:
            found = _folded_text(get(obj))
            return found is not None and needle in found

    else:
        value = raw.value
        wanted = raw.value.casefold()

        def predicate(obj: dict[str, Any]) -> bool:
            return _folded_text(get(obj)) == wanted

    if raw.negated:
        positive = predicate

        def predicate(obj: dict[str, Any]) -> bool:
            return not positive(obj)

    return Clause(raw.name, raw.key, raw.op, value, raw.negated, predicate)


def _combine(predicates: tuple[Predicate, ...], combinator: str) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    # Plain loops rather than all()/any() over a generator: this runs once per stored
    # object and the loop is about 30% faster than building a generator each call.
    if combinator == "AND":

        def all_match(obj: dict[str, Any]) -> bool:
            for predicate in predicates:  # noqa: SIM110
                if not predicate(obj):
                    return False
            return True

        return all_match

    def any_match(obj: dict[str, Any]) -> bool:
        for predicate in predicates:  # noqa: SIM110
            if predicate(obj):
                return True
        return False

    return any_match


# --- public ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clause:
    """One parsed clause. `value` is None for `null`, a number on numeric fields."""

    field: str
    key: str | None
    op: str
    value: str | int | float | None
    negated: bool
    predicate: Predicate = dataclasses.field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed, validated query for one object type; equal queries hash equal."""

    object_type: str
    clauses: tuple[Clause, ...]
    combinator: Literal["AND", "OR"]
    _predicate: Predicate = dataclasses.field(compare=False, repr=False)

    def matches(self, obj: dict[str, Any]) -> bool:
        return self._predicate(obj)


def parse(query: str, object_type: str) -> Query:
    """Parse `query` for objects of `object_type`, raising Stripe's errors on bad input."""
    if object_type not in SEARCH_FIELDS:
        # A bug in the caller, not in the request: no Stripe error for it.
        raise ValueError(f"no search fields for object type {object_type!r}")
    if not isinstance(query, str):
        raise _parse_error()
    if query == "":
        raise _empty_error()
    return _parse_cached(query, object_type)


@lru_cache(maxsize=256)
def _parse_cached(query: str, object_type: str) -> Query:
    # Queries are immutable, so a client paging through results (same query, new
    # `page`) reuses the compiled closures instead of parsing again.
    raw_clauses, combinator = _read_query(query)
    fields = SEARCH_FIELDS[object_type]
    clauses = tuple(_compile_clause(raw, object_type, fields) for raw in raw_clauses)
    predicate = _combine(tuple(clause.predicate for clause in clauses), combinator)
    return Query(object_type, clauses, "OR" if combinator == "OR" else "AND", predicate)
