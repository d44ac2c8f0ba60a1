"""No input gets a 500: every route, fed malformed and hostile parameters, answers with a
Stripe error (or succeeds), and the engine never raises."""

from __future__ import annotations

import random
import re
import zlib
from typing import Any

import pytest

from stripekit.sandbox import Sandbox, resources
from stripekit.sandbox.framework import params
from stripekit.sandbox.framework.routing import Route

GARBAGE_VALUES = [
    "",
    "0",
    "-1",
    "1e309",
    "99999999999999999999999",
    "true",
    "null",
    "[]",
    "{}",
    "x" * 6000,
    "%00",
    "\u2603",
    "cus_",
    "price_missing",
    "usd",
    "month",
    "inf",
    "1.5",
]
GARBAGE_KEYS = [
    "id",
    "amount",
    "currency",
    "metadata[a]",
    "metadata",
    "items[0][price]",
    "expand[]",
    "expand[0]",
    "limit",
    "starting_after",
    "ending_before",
    "created[gt]",
    "created",
    "query",
    "page",
    "recurring[interval]",
    "product",
    "product_data[name]",
    "tiers[0][up_to]",
    "unit_amount",
    "percent_off",
    "duration",
    "email",
    "name",
    "active",
    "type",
    "a[b][c]",
    "lookup_keys[]",
    "ids[]",
    "default_price_data[currency]",
    "address[line1]",
    "tiers_mode",
]


def _param_names(node: dict[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    """The operation's own parameter names, bracketed, two levels deep (arrays as [0])."""
    names: list[str] = []
    for name, sub in (node.get("p") or {}).items():
        full = f"{prefix}[{name}]" if prefix else name
        names.append(full)
        for alt in sub.get("o", [sub]):
            if depth < 2 and alt.get("t") == "object":
                names += _param_names(alt, full, depth + 1)
            elif depth < 2 and alt.get("t") == "array":
                names.append(f"{full}[0]")
                item = alt.get("i") or {}
                if item.get("t") == "object":
                    names += _param_names(item, f"{full}[0]", depth + 1)
    return names


def _bodies(route: Route, count: int) -> list[str]:
    """Mostly the route's real parameter names (so handlers run) with hostile values."""
    rng = random.Random(zlib.crc32(f"{route.method} {route.template}".encode()))
    schema = params.operation_schema(route.method, route.template) or {}
    own = _param_names(schema) or GARBAGE_KEYS
    bodies = []
    for _ in range(count):
        pairs = [
            f"{rng.choice(own if rng.random() < 0.9 else GARBAGE_KEYS)}="
            f"{rng.choice(GARBAGE_VALUES)}"
            for _ in range(rng.randint(1, 5))
        ]
        bodies.append("&".join(pairs))
    return bodies


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=1)


@pytest.mark.parametrize("route", resources.ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_route_never_500(sandbox: Sandbox, route: Route) -> None:
    client = sandbox.client()
    product = client.v1.products.create(params={"name": "fuzz"})
    customer = client.v1.customers.create()
    real_ids = {
        "customer": customer.id,
        "product": product.id,
        "id": product.id,
        "account": "acct_fuzz",
    }
    path = re.sub(
        r"\{(\w+)\}", lambda m: real_ids.get(m.group(1), "missing_" + m.group(1)), route.template
    )
    headers = {"authorization": f"Bearer {sandbox.api_key}"}
    for body in _bodies(route, 300):
        query, payload = (body, b"") if route.method == "GET" else ("", body.encode())
        response = sandbox.engine.handle(route.method, path, query, headers, payload)
        assert response.status < 500, (route.method, path, body, response.body)
        if response.status >= 400 and not route.public:  # pages answer in HTML
            error = response.json()["error"]
            assert error["type"] and error["message"]
