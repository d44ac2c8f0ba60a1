"""Generate ``src/stripekit/sandbox/framework/spec_tables.json`` from Stripe's OpenAPI spec.

Usage (from the repository root)::

    .venv/bin/python tools/gen_spec_tables.py [path/to/spec3.json]

The default spec path is ``../shared/stripe-openapi/spec3.json`` relative to the repository
root. The spec itself is never copied into the project: this script keeps only facts
(operation keys, parameter names, types, enums, length limits, required lists and expandable
fields) and drops every description.

Output (compact JSON, sorted keys) has three tables:

``operations``
    ``"METHOD /v1/path/{param}"`` -> a parameter node describing every parameter the
    operation accepts, merged: query parameters (``in: query``, deepObject ones such as
    ``created`` and array ones such as ``expand`` included) and the form body
    (``application/x-www-form-urlencoded`` or ``multipart/form-data`` schema properties).
    Path parameters are left out: the router binds those.

``expandable``
    ``resource id`` -> ``{dotted field path: [resource ids it can expand to]}``. Direct
    fields are plain names (``"product"``); fields reached through embedded sub-objects,
    lists and arrays are dotted the way Stripe's ``expand[]`` parameter spells them
    (``"invoice_settings.default_payment_method"``, ``"items.data.price"``). Only fields
    carrying ``x-expansionResources`` count: ``x-expandableFields`` also lists embedded
    sub-objects that are never ids.

``objects``
    schema name -> ``x-resourceId`` where the two differ (empty for current specs; kept
    so the engine need not special-case its absence).

Parameter node format (every key optional except as noted)::

    {"t": TYPE, ...}     TYPE is one of
                         "object"  "p": {name: node} known keys,
                                   "r": [names] required keys,
                                   "a": node for any other key (free-form hashes such as
                                        metadata); without "a" unknown keys are rejected
                         "array"   "i": node for each item
                         "string"  "m": maxLength, "e": [allowed values]
                         "decimal" a string holding a decimal number (format: decimal)
                         "integer" / "number" / "boolean"
                         "any"     no constraint (e.g. a multipart file)
    {"o": [node, ...]}   anyOf/oneOf: the value must match one of the alternatives
    "u": 1               on any node: the empty string is accepted and means "unset"
                         (the spec's ``anyOf: [..., {"type": "string", "enum": [""]}]``,
                         folded into a flag to keep the table small and the check fast)
    "s": 1               on an operation's top node only (GET and DELETE): strict empties,
                         an optional plain string without "u" rejects "" as well, since a
                         read or a delete has nothing to unset
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "stripe-openapi" / "spec3.json"
OUTPUT = REPO_ROOT / "src" / "stripekit" / "sandbox" / "framework" / "spec_tables.json"

# Used only if the table of ALL operations would grow past SIZE_LIMIT: then the table keeps
# the operations under these prefixes (the resources the sandbox implements).
PREFIXES: tuple[str, ...] = (
    "/v1/customers",
    "/v1/products",
    "/v1/prices",
    "/v1/plans",
    "/v1/coupons",
    "/v1/events",
    "/v1/payment_intents",
    "/v1/payment_methods",
    "/v1/setup_intents",
    "/v1/charges",
    "/v1/refunds",
    "/v1/invoices",
    "/v1/invoiceitems",
    "/v1/subscriptions",
    "/v1/subscription_items",
    "/v1/checkout",
    "/v1/webhook_endpoints",
    "/v1/test_helpers",
    "/v1/tokens",
    "/v1/balance",
    "/v1/payouts",
    "/v1/disputes",
    "/v1/payment_links",
    "/v1/billing_portal",
    "/v1/promotion_codes",
    "/v1/tax_rates",
)
SIZE_LIMIT = 1_500_000

HTTP_METHODS = ("get", "post", "delete", "put", "patch")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# How deep to follow embedded sub-objects when listing dotted expandable paths; Stripe
# itself caps expansion at four levels.
MAX_EXPAND_DEPTH = 4


def _is_empty_marker(schema: dict[str, Any]) -> bool:
    """True for the ``{"type": "string", "enum": [""]}`` alternative meaning "unset"."""
    return schema.get("type") == "string" and schema.get("enum") == [""]


def convert(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Turn one parameter schema into a compact node (see the module docstring)."""
    if "$ref" in schema:
        schema = resolve(schema["$ref"], spec)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        unset = any(_is_empty_marker(alt) for alt in alternatives)
        nodes: list[dict[str, Any]] = []
        for alt in alternatives:
            if _is_empty_marker(alt):
                continue
            node = convert(alt, spec)
            if node.pop("u", None):
                unset = True
            # Nested alternatives flatten: anyOf is associative.
            nodes.extend(node.get("o", [node]))
        out: dict[str, Any] = nodes[0] if len(nodes) == 1 else {"o": nodes}
        if unset:
            out["u"] = 1
        return out

    kind = schema.get("type")
    node: dict[str, Any]
    if kind == "object":
        node = {"t": "object"}
        props = schema.get("properties") or {}
        if props:
            node["p"] = {name: convert(sub, spec) for name, sub in props.items()}
        if schema.get("required"):
            node["r"] = sorted(schema["required"])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            node["a"] = convert(extra, spec)
        elif extra is True:
            node["a"] = {"t": "any"}
    elif kind == "array":
        node = {"t": "array", "i": convert(schema.get("items") or {}, spec)}
    elif kind == "string":
        fmt = schema.get("format")
        if fmt == "decimal":
            node = {"t": "decimal"}
        elif fmt == "binary":
            node = {"t": "any"}
        else:
            node = {"t": "string"}
            if "maxLength" in schema:
                node["m"] = schema["maxLength"]
        enum = schema.get("enum")
        if enum is not None:
            node["e"] = list(enum)
            if "" in enum:
                # An enum that lists "" already says "empty means unset".
                node["u"] = 1
    elif kind in ("integer", "number", "boolean"):
        node = {"t": kind}
        if "enum" in schema:
            node["e"] = list(schema["enum"])
    else:
        node = {"t": "any"}
    return node


def resolve(ref: str, spec: dict[str, Any]) -> dict[str, Any]:
    target: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def operation_node(method: str, op: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Merge query parameters and the form body of one operation into an object node."""
    props: dict[str, Any] = {}
    required: set[str] = set()
    for param in op.get("parameters", []):
        if param.get("in") != "query":
            continue
        props[param["name"]] = convert(param.get("schema") or {}, spec)
        if param.get("required"):
            required.add(param["name"])
    content = (op.get("requestBody") or {}).get("content") or {}
    for ctype in FORM_TYPES:
        if ctype not in content:
            continue
        body = content[ctype].get("schema") or {}
        if "$ref" in body:
            body = resolve(body["$ref"], spec)
        for name, sub in (body.get("properties") or {}).items():
            props[name] = convert(sub, spec)
        required.update(body.get("required") or ())
    node: dict[str, Any] = {"t": "object", "p": props}
    if required:
        node["r"] = sorted(required)
    if method in ("get", "delete"):
        # Reads and deletes have nothing to clear, so "" is never "unset" there.
        node["s"] = 1
    return node


def build_operations(spec: dict[str, Any], prefixes: tuple[str, ...] | None) -> dict[str, Any]:
    ops: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        if prefixes is not None and not path.startswith(prefixes):
            continue
        for method in HTTP_METHODS:
            if method in item:
                ops[f"{method.upper()} {path}"] = operation_node(method, item[method], spec)
    return ops


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resource_of(name: str, schemas: dict[str, Any]) -> str:
    return schemas.get(name, {}).get("x-resourceId") or name


def _expansion_targets(prop: dict[str, Any], schemas: dict[str, Any]) -> list[str] | None:
    """Resource ids an expandable property (or array of them) can expand to."""
    if prop.get("type") == "array":
        prop = prop.get("items") or {}
    expansion = prop.get("x-expansionResources")
    if not expansion:
        return None
    refs = expansion.get("oneOf") or expansion.get("anyOf") or []
    return [_resource_of(_ref_name(r["$ref"]), schemas) for r in refs if "$ref" in r]


def _embedded_schema(prop: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema a non-expandable property embeds, through arrays and nullables."""
    if prop.get("type") == "array":
        prop = prop.get("items") or {}
    alternatives = prop.get("anyOf") or prop.get("oneOf") or prop.get("allOf")
    if alternatives and len(alternatives) == 1:
        prop = alternatives[0]
    if "$ref" in prop:
        return schemas.get(_ref_name(prop["$ref"]))
    if prop.get("type") == "object" and prop.get("properties"):
        return prop
    return None


def _collect_expandable(
    schema: dict[str, Any],
    schemas: dict[str, Any],
    prefix: str,
    depth: int,
    out: dict[str, list[str]],
    stack: tuple[int, ...],
) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        targets = _expansion_targets(prop, schemas)
        if targets is not None:
            out[prefix + name] = targets
            continue
        if depth >= MAX_EXPAND_DEPTH:
            continue
        sub = _embedded_schema(prop, schemas)
        if sub is None or id(sub) in stack:
            continue
        _collect_expandable(sub, schemas, f"{prefix}{name}.", depth + 1, out, (*stack, id(sub)))


def build_expandable(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    table: dict[str, Any] = {}
    for schema in schemas.values():
        resource = schema.get("x-resourceId")
        if not resource:
            continue
        fields: dict[str, list[str]] = {}
        _collect_expandable(schema, schemas, "", 1, fields, (id(schema),))
        # Top-level expandable fields that hold no id themselves (embedded hashes such as
        # `address`, includable fields such as a coupon's `applies_to` or a charge's
        # `refunds`, shown only on request): Stripe accepts them bare in expand[], so they
        # are listed with no target (their id-valued insides keep their own entries).
        for name in schema.get("x-expandableFields") or ():
            fields.setdefault(name, [])
        if fields:
            table[resource] = fields
    return table


def build_objects(spec: dict[str, Any]) -> dict[str, str]:
    return {
        name: schema["x-resourceId"]
        for name, schema in spec["components"]["schemas"].items()
        if schema.get("x-resourceId") and schema["x-resourceId"] != name
    }


def dump(tables: dict[str, Any]) -> str:
    return json.dumps(tables, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    expandable = build_expandable(spec)
    objects = build_objects(spec)
    tables = {"operations": build_operations(spec, None), "expandable": expandable}
    tables["objects"] = objects
    text = dump(tables)
    if len(text.encode()) > SIZE_LIMIT:
        tables["operations"] = build_operations(spec, PREFIXES)
        text = dump(tables)
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    print(
        f"wrote {OUTPUT.relative_to(REPO_ROOT)}: {len(tables['operations'])} operations, "
        f"{len(expandable)} expandable resources, {len(text.encode()):,} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
