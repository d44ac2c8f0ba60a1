"""The actions as tool definitions, in the shapes agent frameworks take:

- `anthropic`: `{name, description, input_schema}` (Anthropic's Messages API `tools`);
- `openai`: `{type: "function", function: {name, description, parameters}}` (OpenAI's Chat
  Completions `tools`; the Responses API takes the inner object's fields flattened, which
  `openai-responses` gives);
- `mcp`: `{name, description, inputSchema}` (an MCP server's `tools/list`).

The input schema is the action's own (its pydantic model, built from Stripe's parameter
tables), the same in every shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from ..tools import catalog
from ..tools.action import Action

Format = Literal["anthropic", "openai", "openai-responses", "mcp"]
FORMATS: tuple[Format, ...] = ("anthropic", "openai", "openai-responses", "mcp")


def tool_definition(action: Action, format: Format = "anthropic") -> dict[str, Any]:
    schema = action.tool_schema()
    name, description, parameters = schema["name"], schema["description"], schema["input_schema"]
    if format == "anthropic":
        return {"name": name, "description": description, "input_schema": parameters}
    if format == "openai":
        return {
            "type": "function",
            "function": {"name": name, "description": description, "parameters": parameters},
        }
    if format == "openai-responses":
        return {
            "type": "function",
            "name": name,
            "description": description,
            "parameters": parameters,
        }
    if format == "mcp":
        return {
            "name": name,
            "description": description,
            "inputSchema": parameters,
            "annotations": {"readOnlyHint": action.method == "GET"},
        }
    raise ValueError(f"unknown tool format {format!r} (one of {', '.join(FORMATS)})")


def tool_definitions(
    format: Format = "anthropic", actions: Iterable[Action] | None = None
) -> list[dict[str, Any]]:
    """Every action (or the ones given) as tool definitions in `format`."""
    chosen = catalog.ACTIONS.values() if actions is None else actions
    return [tool_definition(action, format) for action in chosen]
