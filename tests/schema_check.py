"""Check sandbox responses against Stripe's OpenAPI response schemas (test support).

``validate_response(method, path, status, body)`` finds the spec operation whose path
template matches the concrete path (literal segments win over ``{param}`` ones, so
``/v1/customers/search`` is not ``/v1/customers/{customer}``), takes the response schema for
the status (``default``, Stripe's error schema, for 4xx/5xx) and validates the body with
jsonschema-rs, raising ``AssertionError`` with the failing locations.

The spec is read from ``$STRIPEKIT_OPENAPI_DIR/spec3.json`` or
``<repo>/../shared/stripe-openapi/spec3.json``. It is never copied into the project; when it
is missing, ``SPEC_AVAILABLE`` is False, a warning says so once, and validation is a no-op
so the suite still runs.

OpenAPI 3.0 is not JSON Schema: ``nullable: true`` becomes a ``null`` alternative and
``oneOf`` becomes ``anyOf`` (Stripe's alternatives can overlap, e.g. an id string and an
expanded object never do, but deleted/live variants of one object can). This conversion
runs once, when the first response is checked. Validators are compiled per
(operation, status) on first use and cached.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import jsonschema_rs

REPO_ROOT = Path(__file__).resolve().parent.parent


def _spec_path() -> Path:
    configured = os.environ.get("STRIPEKIT_OPENAPI_DIR")
    if configured:
        candidate = Path(configured)
        return candidate if candidate.suffix == ".json" else candidate / "spec3.json"
    return REPO_ROOT.parent / "shared" / "stripe-openapi" / "spec3.json"


SPEC_PATH: Path = _spec_path()
SPEC_AVAILABLE: bool = SPEC_PATH.is_file()

if not SPEC_AVAILABLE:
    warnings.warn(
        f"Stripe OpenAPI spec not found at {SPEC_PATH}: response schema checks are skipped "
        "(set STRIPEKIT_OPENAPI_DIR to the directory holding spec3.json).",
        stacklevel=1,
    )

# The converted components live in the registry under this URI, so a response schema
# compiles as {"$ref": "<URI>#/components/schemas/x"} without re-embedding the whole spec.
_SPEC_URI = "urn:stripekit:stripe-openapi"
# Response schemas whose $ref closure is at most this many components are compiled with
# that closure inlined (well under a millisecond); bigger ones go through the registry,
# which costs ~5-25 ms per validator but does not grow with the closure.
_INLINE_CLOSURE_LIMIT = 60
_MAX_REPORTED_ERRORS = 5
_MAX_MESSAGE = 400

# OpenAPI keywords and Stripe extensions that JSON Schema either ignores or misreads;
# dropping them also shrinks what jsonschema-rs has to compile.
_DROPPED = frozenset(("description", "title", "example", "deprecated", "nullable"))


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema 2020-12 (see the module docstring)."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or key.startswith("x-"):
            continue
        if key == "properties":
            # Property names are data here, not keywords: a field may be called "description".
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        elif key == "oneOf":
            out["anyOf"] = _convert(value)
        elif key in ("enum", "required"):
            out[key] = value
        else:
            out[key] = _convert(value)
    if node.get("nullable"):
        if "type" in out and not ("anyOf" in out or "allOf" in out or "$ref" in out):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


class _Route:
    """A path-segment trie node; literal children are tried before the template child."""

    __slots__ = ("literal", "methods", "param")

    def __init__(self) -> None:
        self.literal: dict[str, _Route] = {}
        self.param: _Route | None = None
        self.methods: dict[str, str] = {}  # method -> path template


class _Spec:
    def __init__(self, path: Path) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.components: dict[str, Any] = {
            name: _convert(schema) for name, schema in raw["components"]["schemas"].items()
        }
        self.registry = jsonschema_rs.Registry(
            [(_SPEC_URI, {"components": {"schemas": self.components}})]
        )
        # (template, method) -> {status key: converted JSON schema}
        self.responses: dict[tuple[str, str], dict[str, Any]] = {}
        self.root = _Route()
        for template, item in raw["paths"].items():
            for method, op in item.items():
                schemas: dict[str, Any] = {}
                for status, response in (op.get("responses") or {}).items():
                    content = (response.get("content") or {}).get("application/json")
                    if content and "schema" in content:
                        schemas[status] = _convert(content["schema"])
                self.responses[(template, method)] = schemas
                self._insert(template, method)
        self.error_schema: dict[str, Any] = {"$ref": "#/components/schemas/error"}
        self._validators: dict[tuple[str, str, str], jsonschema_rs.Validator] = {}
        self._lock = threading.Lock()

    def _insert(self, template: str, method: str) -> None:
        node = self.root
        for segment in template.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                if node.param is None:
                    node.param = _Route()
                node = node.param
            else:
                node = node.literal.setdefault(segment, _Route())
        node.methods[method] = template

    def match(self, method: str, path: str) -> str | None:
        """The template for a concrete path, preferring literal segments (backtracking)."""
        segments = path.strip("/").split("/")

        def walk(node: _Route, index: int) -> str | None:
            if index == len(segments):
                return node.methods.get(method)
            child = node.literal.get(segments[index])
            if child is not None:
                found = walk(child, index + 1)
                if found is not None:
                    return found
            if node.param is not None and segments[index]:
                return walk(node.param, index + 1)
            return None

        return walk(self.root, 0)

    def validator(self, template: str, method: str, status: str) -> jsonschema_rs.Validator:
        key = (template, method, status)
        found = self._validators.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._validators.get(key)
            if found is None:
                if template == "":
                    schema = self.error_schema
                else:
                    schema = self.responses[(template, method)][status]
                found = self._compile(schema)
                self._validators[key] = found
        return found

    def _compile(self, schema: dict[str, Any]) -> jsonschema_rs.Validator:
        closure: set[str] = set()
        pending: set[str] = set()
        _refs(schema, pending)
        while pending and len(closure) <= _INLINE_CLOSURE_LIMIT:
            name = pending.pop()
            if name in closure:
                continue
            closure.add(name)
            _refs(self.components[name], pending)
            pending -= closure
        if len(closure) <= _INLINE_CLOSURE_LIMIT and not pending:
            document = {
                **schema,
                "components": {"schemas": {name: self.components[name] for name in closure}},
            }
            return jsonschema_rs.validator_for(document, validate_formats=False)
        # Point every local "#/components/..." ref of the response schema at the registry.
        rebased = json.loads(
            json.dumps(schema).replace('"#/components/', f'"{_SPEC_URI}#/components/')
        )
        return jsonschema_rs.validator_for(rebased, registry=self.registry, validate_formats=False)


# Operations Stripe removed with API version 2025-03-31.basil that the sandbox still serves
# for clients on older versions (see resources/usage_records.py). The pinned spec has no
# schema for their answers, so a success is let through here and its shape checked by hand
# in tests/sandbox/test_usage_records.py; their errors still match the error schema.
# Exactly these two: (method, path segments, None where an id goes).
LEGACY_OPERATIONS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    ("post", ("v1", "subscription_items", None, "usage_records")),
    ("get", ("v1", "subscription_items", None, "usage_record_summaries")),
)


def _is_legacy(method: str, path: str) -> bool:
    segments = path.strip("/").split("/")
    return any(
        method == verb
        and len(segments) == len(pattern)
        and all(want is None or want == got for want, got in zip(pattern, segments, strict=True))
        for verb, pattern in LEGACY_OPERATIONS
    )


_spec: _Spec | None = None
_spec_lock = threading.Lock()


def _load() -> _Spec:
    global _spec
    if _spec is None:
        with _spec_lock:
            if _spec is None:
                _spec = _Spec(SPEC_PATH)
    return _spec


def _describe(validator: jsonschema_rs.Validator, body: Any, where: str, operation: str) -> str:
    lines = [f"{where}: response does not match the spec's schema for {operation}"]
    _explain(list(validator.iter_errors(body)), lines, "  ", depth=0)
    return "\n".join(lines)


def _depth(errors: list[Any]) -> int:
    return max((len(error.instance_path) for error in errors), default=0)


def _explain(errors: list[Any], lines: list[str], indent: str, depth: int) -> None:
    """One line per error; an anyOf failure lists its alternatives, closest match first."""
    for count, error in enumerate(errors):
        if count == _MAX_REPORTED_ERRORS:
            lines.append(f"{indent}...")
            return
        location = "/" + "/".join(str(part) for part in error.instance_path)
        kind = error.kind
        branches = getattr(kind, "context", None) if kind.__class__.__name__ == "AnyOf" else None
        if branches and depth < 2:
            lines.append(f"{indent}at {location}: matches none of {len(branches)} alternatives")
            # The alternative whose errors reach deepest is the one the body resembles
            # (a customer missing a field, rather than a deleted_customer missing "deleted").
            ranked = sorted(enumerate(branches), key=lambda b: (-_depth(b[1]), len(b[1])))
            for number, branch in ranked[:3]:
                lines.append(f"{indent}  alternative {number + 1}:")
                _explain(list(branch), lines, indent + "    ", depth + 1)
            continue
        message = error.message
        if len(message) > _MAX_MESSAGE:
            message = message[:_MAX_MESSAGE] + "..."
        lines.append(f"{indent}at {location}: {message}")


def validate_response(
    method: str, path: str, status: int, body: dict[str, Any] | list[Any]
) -> None:
    """Assert that ``body`` is what the spec allows ``METHOD path`` to answer with ``status``.

    No-op when the spec file is absent (see ``SPEC_AVAILABLE``).
    """
    if not SPEC_AVAILABLE:
        return
    spec = _load()
    verb = method.lower()
    template = spec.match(verb, path)
    where = f"{method.upper()} {path} -> {status}"
    if template is None:
        # Not a route of the spec: only an error body (e.g. "Unrecognized request URL") fits.
        if status < 400 and _is_legacy(verb, path):
            return
        if status < 400:
            raise AssertionError(f"{where}: no operation of the spec matches this request")
        validator = spec.validator("", "", "error")
        operation = "errors"
    else:
        schemas = spec.responses[(template, verb)]
        status_key = str(status)
        if status_key not in schemas:
            if status < 400 or "default" not in schemas:
                raise AssertionError(
                    f"{where}: the spec defines no {status} response for "
                    f"{method.upper()} {template} (has {sorted(schemas)})"
                )
            status_key = "default"
        validator = spec.validator(template, verb, status_key)
        operation = f"{method.upper()} {template} [{status_key}]"
    if not validator.is_valid(body):
        raise AssertionError(_describe(validator, body, where, operation))
