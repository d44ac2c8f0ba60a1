"""The catalog itself: names, aliases, coverage of the sources, and every declared
example run against the sandbox with its result checked."""

from __future__ import annotations

import re

import pytest

from stripekit.facade import AccountActions
from stripekit.sandbox.resources import ROUTES
from stripekit.tools import catalog
from stripekit.tools.examples import run_example

SOURCE_000_TOOLS = [
    "create_customer",
    "get_customer",
    "update_customer",
    "list_customers",
    "delete_customer",
    "create_product",
    "get_product",
    "list_products",
    "create_price",
    "list_prices",
    "create_payment_intent",
    "get_payment_intent",
    "update_payment_intent",
    "confirm_payment_intent",
    "cancel_payment_intent",
    "capture_payment_intent",
    "create_invoice",
    "get_invoice",
    "list_invoices",
    "pay_invoice",
    "void_invoice",
    "create_subscription",
    "get_subscription",
    "cancel_subscription",
    "get_balance",
]

# Operations the sources name that no action offers, and why.
NOT_OFFERED = {
    # Stripe removed Recipients in 2017; no API version serves these any more.
    "POST /v1/recipients/{}/cards",
    "GET /v1/recipients/{}/cards",
    "GET /v1/recipients/{}/cards/{}",
    "POST /v1/recipients/{}/cards/{}",
    "DELETE /v1/recipients/{}/cards/{}",
    # Served by get_upcoming_invoice through create_preview, its replacement.
    "GET /v1/invoices/upcoming",
}


def _shape(method: str, path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", f"{method} {path}")


def test_source_000_tools_all_exist_under_their_names() -> None:
    assert set(SOURCE_000_TOOLS) <= set(catalog.ACTIONS)
    assert len(SOURCE_000_TOOLS) == 25


def test_every_source_operation_is_an_action_or_said_why_not() -> None:
    offered = {_shape(a.method, a.path) for a in catalog.ACTIONS.values() if a.name != "request"}
    source_ops = open_catalog_lines()
    missing = [op for op in source_ops if op not in offered and op not in NOT_OFFERED]
    assert not missing
    assert len(source_ops) == 116


def open_catalog_lines() -> list[str]:
    from schema_check import SPEC_PATH

    reference = SPEC_PATH.parent.parent / "reference" / "catalog.md"
    if not reference.exists():
        pytest.skip(f"no {reference}")
    text = reference.read_text()
    table = text[text.index("| # | Resource | Operation") : text.index("### Counts")]
    ops = re.findall(r"\| (GET|POST|DELETE) (/v1/[^ |]+)", table)
    return [_shape(method, path) for method, path in ops]


def test_names_follow_verb_resource_and_aliases_resolve() -> None:
    for name, action in catalog.ACTIONS.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", name), name
        for alias in action.aliases:
            assert catalog.find(alias) is action, alias
    assert catalog.find("Retrieve Product").name == "get_product"
    assert catalog.find("Get charges").name == "list_charges"
    assert catalog.find("Upload invoice").name == "update_invoice"
    assert catalog.find("Generic HTTP Request").name == "request"
    assert catalog.find("setup_intents.confirm").name == "confirm_setup_intent"
    with pytest.raises(KeyError):
        catalog.find("launch_rocket")


def test_every_action_calls_an_operation_of_the_spec_that_the_sandbox_serves() -> None:
    served = {_shape(route.method, route.template) for route in ROUTES}
    for action in catalog.ACTIONS.values():
        if action.name == "request":
            continue
        assert action.spec_node is not None or action.api_version, action.name
        assert _shape(action.method, action.path) in served, action.name


EXAMPLES = [a for a in catalog.ACTIONS.values() if a.example is not None]


@pytest.mark.parametrize("action", EXAMPLES, ids=[a.name for a in EXAMPLES])
def test_example(action: catalog.Action, actions: AccountActions) -> None:
    inputs, result = run_example(action, actions)
    assert isinstance(result, dict)
    if action.result != "object":
        objects = result[action.plural or "data"]
        assert isinstance(objects, list)
        assert isinstance(result["has_more"], bool)
        assert all(isinstance(item, dict) and "id" in item for item in objects)
        return
    if action.name == "request":
        assert result["object"] == "list"
        return
    if action.name == "get_balance":
        assert result["object"] == "balance"
        return
    if action.name == "create_account_link":  # Stripe gives an account link no id
        assert result["url"].startswith("http")
        return
    assert isinstance(result.get("id"), str) and result["id"]
    if "id" in inputs and action.path.endswith("{id}") and not action.name.startswith("create"):
        assert result["id"] == inputs["id"]
    if action.method == "DELETE" and action.name.startswith("delete_"):
        assert result.get("deleted") is True or result.get("status") == "canceled"
    for key, value in inputs.items():
        # What an example sets, the result shows (top-level scalars it sends as is).
        if key in action.path_params:
            continue
        if action.name.startswith(("create_", "update_")) and key in result:
            sent_as_is = isinstance(value, str | int | bool) and not key.endswith("_url")
            if sent_as_is and isinstance(result[key], str | int | bool):
                assert result[key] == value, key
