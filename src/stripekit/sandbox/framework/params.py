"""Request parameter validation against the spec tables, with Stripe's error messages.

The engine decodes the form body or query string into nested dicts/lists of strings using
Stripe's bracket rules, then calls :func:`validate` with the operation's node from
``spec_tables.json`` (see ``tools/gen_spec_tables.py`` for the node format). The result is a
new dict with values coerced to their schema types: integers to ``int``, booleans to
``bool``, numbers to ``float``, decimals kept as ``str``, integer-keyed hashes to lists.

Each node is compiled once into a tree of closures (cached per node object), so a request
costs one Python call per parameter and no schema interpretation.

The empty string is Stripe's "unset" marker. A node that allows it (flag ``u``) passes
``""`` through for the handler to interpret. A node that does not allow it answers
``parameter_invalid_empty``, except an optional plain string (no enum) of a POST body
outside any array: the spec does not say which of those may be cleared (``description=``
clears a customer's description, ``email=`` on create is refused), so ``""`` is passed
through and the handler decides, raising :func:`empty_string_error` where Stripe refuses
it. GET and DELETE operations (flag ``s``) and array elements have nothing to clear and
refuse it. Integers, numbers and booleans keep Stripe's type error (``Invalid integer: ``)
as live responses show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from stripekit.sandbox.framework.errors import InvalidRequestError

__all__ = [
    "empty_string_error",
    "expandable_fields",
    "load_tables",
    "operation_schema",
    "validate",
]

# A compiled node: (value, parent's full bracketed name or None at top level, own key).
# Names are built only when an error needs one or an object is descended into, so the
# common path allocates nothing but the output containers.
Check = Callable[[Any, "str | None", Any], Any]

# Stripe's decimal strings (``unit_amount_decimal``) and numbers (``percent_off``).
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)").fullmatch

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))


# --- tables ------------------------------------------------------------------


@cache
def load_tables() -> dict[str, Any]:
    """The generated spec tables (``operations``, ``expandable``, ``objects``), loaded once."""
    text = (
        resources.files("stripekit.sandbox.framework")
        .joinpath("spec_tables.json")
        .read_text(encoding="utf-8")
    )
    tables: dict[str, Any] = json.loads(text)
    return tables


def operation_schema(method: str, path_template: str) -> dict[str, Any] | None:
    """The parameter node of ``METHOD /v1/path/{param}``, or None if the spec has no such."""
    node: dict[str, Any] | None = load_tables()["operations"].get(
        f"{method.upper()} {path_template}"
    )
    return node


def expandable_fields(object_type: str) -> dict[str, list[str]]:
    """Dotted expandable paths of an object type -> the object types each can become."""
    fields: dict[str, list[str]] = load_tables()["expandable"].get(object_type, {})
    return fields


# --- errors: Stripe's wording, from recorded live bodies where one was found ----------


def _full(parent: str | None, key: Any) -> str:
    if parent is None:
        return key if key.__class__ is str else str(key)
    return f"{parent}[{key}]"


def _unknown(name: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
    )


def _missing(name: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required param: {name}.", param=name, code="parameter_missing"
    )


def empty_string_error(name: str) -> InvalidRequestError:
    """Stripe's refusal of ``name=`` for a parameter that cannot be unset."""
    return InvalidRequestError(
        f"You passed an empty string for '{name}'. We assume empty values are an attempt to "
        f"unset a parameter; however '{name}' cannot be unset. You should remove '{name}' "
        "from your request or supply a non-empty value.",
        param=name,
        code="parameter_invalid_empty",
    )


def _invalid_integer(value: Any, name: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid integer: {value}", param=name, code="parameter_invalid_integer"
    )


def _invalid_value(kind: str, value: Any, name: str) -> InvalidRequestError:
    # Live bodies for booleans carry no code; floats and decimals are assumed to match.
    return InvalidRequestError(f"Invalid {kind}: {value}", param=name)


def _invalid_shape(kind: str, name: str) -> InvalidRequestError:
    """A hash or list where a scalar is expected, or a scalar where a hash/list is."""
    code = "parameter_invalid_integer" if kind == "integer" else None
    return InvalidRequestError(f"Invalid {kind}", param=name, code=code)


def _join_or(values: Sequence[Any]) -> str:
    shown = [str(v) for v in values]
    if len(shown) <= 2:
        return " or ".join(shown)
    return f"{', '.join(shown[:-1])}, or {shown[-1]}"


def _too_long(value: str, limit: int, name: str) -> InvalidRequestError:
    # Stripe quotes the first and last ten characters of an over-long string.
    shown = value if len(value) <= 20 else f"{value[:10]}...{value[-10:]}"
    return InvalidRequestError(
        f"Invalid string: {shown}; must be at most {limit} characters", param=name
    )


# --- compilation -------------------------------------------------------------

_COMPILED: dict[int, tuple[dict[str, Any], Check]] = {}


def validate(schema_node: dict[str, Any], params: dict[str, Any] | None) -> dict[str, Any]:
    """Check decoded ``params`` against an operation node; return them coerced.

    Raises :class:`InvalidRequestError` with Stripe's message, ``param`` (bracketed, e.g.
    ``items[0][price]``) and ``code`` for the first problem found.
    """
    entry = _COMPILED.get(id(schema_node))
    # The cached entry holds the node itself, so its id cannot be reused while cached.
    if entry is None or entry[0] is not schema_node:
        strict = bool(schema_node.get("s"))
        entry = (schema_node, _compile(schema_node, required=False, strict=strict))
        _COMPILED[id(schema_node)] = entry
    result: dict[str, Any] = entry[1](params if params is not None else {}, None, None)
    return result


def _compile(node: dict[str, Any], *, required: bool, strict: bool) -> Check:
    if "o" in node:
        return _compile_any_of(node, required=required, strict=strict)
    kind = node.get("t")
    if kind == "object":
        return _compile_object(node, strict=strict)
    if kind == "array":
        return _compile_array(node, strict=strict)
    if kind == "string":
        return _compile_string(node, required=required, strict=strict)
    if kind == "integer":
        return _compile_integer(node)
    if kind == "boolean":
        return _compile_boolean(node)
    if kind in ("number", "decimal"):
        return _compile_number(node, as_float=kind == "number")
    return _pass_through


def _pass_through(value: Any, parent: str | None, key: Any) -> Any:
    return value


def _compile_object(node: dict[str, Any], *, strict: bool) -> Check:
    required = tuple(node.get("r") or ())
    props: dict[str, Check] = {
        name: _compile(sub, required=name in required, strict=strict)
        for name, sub in (node.get("p") or {}).items()
    }
    # Values of free-form hashes are optional by nature: ``metadata[key]=`` deletes a key.
    extra = _compile(node["a"], required=False, strict=False) if "a" in node else None
    unset = bool(node.get("u"))
    get = props.get

    def check_object(value: Any, parent: str | None, key: Any) -> Any:
        if value.__class__ is not dict:
            if value == "":
                if unset:
                    return value
                raise empty_string_error(_full(parent, key))
            raise _invalid_shape("object", _full(parent, key))
        name = None if key is None else _full(parent, key)
        out: dict[str, Any] = {}
        for k, v in value.items():
            fn = get(k)
            if fn is None:
                if extra is None:
                    raise _unknown(_full(name, k))
                fn = extra
            out[k] = fn(v, name, k)
        for r in required:
            if r not in out:
                raise _missing(_full(name, r))
        return out

    return check_object


def _compile_array(node: dict[str, Any], *, strict: bool) -> Check:
    # An array element is a new entry, never a stored value to clear, so inside it "" is
    # refused everywhere the spec does not allow it (Stripe: line_items[0][price]=).
    item = _compile(node.get("i") or {}, required=True, strict=True)
    unset = bool(node.get("u"))

    def check_array(value: Any, parent: str | None, key: Any) -> Any:
        cls = value.__class__
        if cls is list or cls is tuple:
            name = _full(parent, key)
            return [item(v, name, i) for i, v in enumerate(value)]
        if cls is dict:
            # The form encoding sends arrays as integer-keyed hashes: items[0][price]=...
            name = _full(parent, key)
            entries: list[tuple[int, str, Any]] = []
            for k, v in value.items():
                text = k if k.__class__ is str else str(k)
                if not (text.isdigit() and text.isascii()):
                    raise _invalid_shape("array", name)
                entries.append((int(text), text, v))
            # (index, key) pairs are unique, so the sort never compares the values.
            entries.sort()
            return [item(v, name, text) for _, text, v in entries]
        if value == "":
            if unset:
                return value
            raise empty_string_error(_full(parent, key))
        raise _invalid_shape("array", _full(parent, key))

    return check_array


def _as_text(value: Any) -> str | None:
    """A JSON-ish scalar as the string the form encoding would have sent, else None."""
    cls = value.__class__
    if cls is bool:
        return "true" if value else "false"
    if cls is int or cls is float:
        return str(value)
    return None


def _compile_string(node: dict[str, Any], *, required: bool, strict: bool) -> Check:
    limit: int | None = node.get("m")
    enum: list[str] | None = node.get("e")
    allowed = frozenset(enum) if enum is not None else None
    listing = _join_or([v for v in enum if v != ""]) if enum is not None else ""
    # "" passes if the spec says it unsets, or if nothing says otherwise (optional plain
    # string in a body: the handler knows whether that field can be cleared).
    empty_ok = bool(node.get("u")) or not (required or allowed is not None or strict)

    def check_string(value: Any, parent: str | None, key: Any) -> Any:
        if value.__class__ is not str:
            text = _as_text(value)
            if text is None:
                raise _invalid_shape("string", _full(parent, key))
            value = text
        if not value:
            if empty_ok:
                return value
            raise empty_string_error(_full(parent, key))
        if limit is not None and len(value) > limit:
            raise _too_long(value, limit, _full(parent, key))
        if allowed is not None and value not in allowed:
            name = _full(parent, key)
            raise InvalidRequestError(f"Invalid {name}: must be one of {listing}", param=name)
        return value

    return check_string


def _compile_integer(node: dict[str, Any]) -> Check:
    unset = bool(node.get("u"))
    allowed = frozenset(node["e"]) if "e" in node else None

    def check_integer(value: Any, parent: str | None, key: Any) -> Any:
        cls = value.__class__
        if cls is str:
            # isascii() because str.isdigit() accepts non-ASCII digits that int() parses.
            if value.isascii() and (value.isdigit() or (value[:1] == "-" and value[1:].isdigit())):
                number = int(value)
            elif not value and unset:
                return value
            else:
                raise _invalid_integer(value, _full(parent, key))
        elif cls is int:
            number = value
        elif cls is dict or cls is list:
            raise _invalid_shape("integer", _full(parent, key))
        else:
            # bool and float are refused like "true" and "10.0" would be on the wire.
            raise _invalid_integer(value, _full(parent, key))
        if not _INT64_MIN <= number <= _INT64_MAX:
            # Stripe's integers are 64-bit; a longer one is no integer to it (nor to storage).
            raise _invalid_integer(value, _full(parent, key))
        if allowed is not None and number not in allowed:
            name = _full(parent, key)
            raise InvalidRequestError(
                f"Invalid {name}: must be one of {_join_or(sorted(allowed))}", param=name
            )
        return number

    return check_integer


def _compile_boolean(node: dict[str, Any]) -> Check:
    unset = bool(node.get("u"))

    def check_boolean(value: Any, parent: str | None, key: Any) -> Any:
        cls = value.__class__
        if cls is bool:
            return value
        if cls is str:
            # Stripe's v1 API takes true/false in any case; "1"/"0" are refused.
            if value in _TRUE or value.lower() == "true":
                return True
            if value in _FALSE or value.lower() == "false":
                return False
            if not value and unset:
                return value
        elif cls is dict or cls is list:
            raise _invalid_shape("boolean", _full(parent, key))
        raise _invalid_value("boolean", value, _full(parent, key))

    return check_boolean


def _compile_number(node: dict[str, Any], *, as_float: bool) -> Check:
    unset = bool(node.get("u"))
    kind = "float" if as_float else "decimal"

    def check_number(value: Any, parent: str | None, key: Any) -> Any:
        cls = value.__class__
        if cls is str:
            if _DECIMAL(value):
                return float(value) if as_float else value
            if not value and unset:
                return value
        elif cls is int or cls is float:
            # Decimals stay strings so that no binary rounding creeps into amounts.
            return float(value) if as_float else _decimal_text(value)
        elif cls is dict or cls is list:
            raise _invalid_shape(kind, _full(parent, key))
        raise _invalid_value(kind, value, _full(parent, key))

    return check_number


def _decimal_text(value: int | float) -> str:
    if value.__class__ is int:
        return str(value)
    text = repr(value)
    # repr() switches to exponent form for very small/large floats; Stripe wants digits.
    return format(value, "f").rstrip("0").rstrip(".") if "e" in text else text


def _compile_any_of(node: dict[str, Any], *, required: bool, strict: bool) -> Check:
    unset = bool(node.get("u"))
    objects: list[Check] = []
    arrays: list[Check] = []
    scalars: list[Check] = []
    preferred = 0
    for alt in node["o"]:
        kind = alt.get("t")
        fn = _compile(alt, required=required, strict=strict)
        if kind == "object":
            objects.append(fn)
        elif kind == "array":
            arrays.append(fn)
        else:
            # When no scalar alternative fits, report the typed one (integer) rather than
            # an enum of keywords: "Invalid integer: x" for up_to=x, created=x, ...
            if not (kind == "string" and "e" in alt) and preferred == 0 and scalars:
                preferred = len(scalars)
            scalars.append(fn)
    composite = objects + arrays
    first_scalar_kind = next(
        (a.get("t", "string") for a in node["o"] if a.get("t") not in ("object", "array")),
        "string",
    )

    def check_any_of(value: Any, parent: str | None, key: Any) -> Any:
        cls = value.__class__
        if cls is dict:
            if objects:
                return _first_fit(objects, value, parent, key)
            if arrays:
                return arrays[0](value, parent, key)
            raise _invalid_shape(first_scalar_kind, _full(parent, key))
        if cls is list or cls is tuple:
            if arrays:
                return arrays[0](value, parent, key)
            if objects:
                return objects[0](value, parent, key)
            raise _invalid_shape(first_scalar_kind, _full(parent, key))
        if unset and value == "":
            return value
        if not scalars:
            # Only hashes/lists fit: let the first one report "Invalid object" etc.
            return composite[0](value, parent, key)
        if len(scalars) == 1:
            return scalars[0](value, parent, key)
        errors: list[InvalidRequestError] = []
        for fn in scalars:
            try:
                return fn(value, parent, key)
            except InvalidRequestError as exc:
                errors.append(exc)
        raise errors[preferred]

    return check_any_of


def _first_fit(candidates: list[Check], value: Any, parent: str | None, key: Any) -> Any:
    if len(candidates) == 1:
        return candidates[0](value, parent, key)
    first: InvalidRequestError | None = None
    for fn in candidates:
        try:
            return fn(value, parent, key)
        except InvalidRequestError as exc:
            first = first or exc
    assert first is not None
    raise first
