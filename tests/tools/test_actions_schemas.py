"""Tool definitions for agent frameworks: every action in Anthropic's, OpenAI's (both APIs)
and MCP's shapes, each input schema a valid JSON Schema that accepts the action's own
example input and refuses what the action refuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest

from stripekit.agents.schemas import FORMATS, tool_definition, tool_definitions
from stripekit.tools import ACTIONS, catalog

# OpenAI's rule for function names (Anthropic's is the same set of characters).
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@pytest.mark.parametrize("format", FORMATS)
def test_every_action_in_every_shape(format: str) -> None:
    tools = tool_definitions(format)  # type: ignore[arg-type]
    assert len(tools) == len(ACTIONS)
    for tool, action in zip(tools, ACTIONS.values(), strict=True):
        if format == "anthropic":
            assert set(tool) == {"name", "description", "input_schema"}
            name, schema = tool["name"], tool["input_schema"]
        elif format == "openai":
            assert tool["type"] == "function" and set(tool["function"]) == {
                "name",
                "description",
                "parameters",
            }
            name, schema = tool["function"]["name"], tool["function"]["parameters"]
        elif format == "openai-responses":
            assert set(tool) == {"type", "name", "description", "parameters"}
            name, schema = tool["name"], tool["parameters"]
        else:
            assert tool["annotations"] == {"readOnlyHint": action.method == "GET"}
            name, schema = tool["name"], tool["inputSchema"]
        assert name == action.name and _NAME.match(name)
        assert schema["type"] == "object"
        jsonschema_rs.validator_for(schema)  # a schema a validator accepts


def test_the_schema_accepts_good_input_and_refuses_bad() -> None:
    schema = tool_definition(catalog.find("create_price"))["input_schema"]
    validator = jsonschema_rs.validator_for(schema)
    good = {
        "product": "prod_1",
        "unit_amount": 2999,
        "currency": "usd",
        "recurring_interval": "month",
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "unit_amount": "lots"})
    get = jsonschema_rs.validator_for(tool_definition(catalog.find("get_customer"))["input_schema"])
    assert get.is_valid({"id": "cus_1"}) and not get.is_valid({})


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tool format 'gemini'"):
        tool_definition(catalog.find("get_balance"), "gemini")  # type: ignore[arg-type]


def test_the_command_prints_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "XDG_CONFIG"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-user-config")
    done = subprocess.run(
        [sys.executable, "-m", "stripekit.cli", "actions", "--schemas", "--format", "openai",
         "--group", "customers"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tools = json.loads(done.stdout)
    names = [t["function"]["name"] for t in tools]
    assert "create_customer" in names and "list_invoices" not in names
    assert all(t["type"] == "function" for t in tools)
