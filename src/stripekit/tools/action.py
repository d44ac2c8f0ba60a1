"""An action: one named Stripe operation, declared once.

A declaration says what the action is called, what it does in one line, which Stripe
operation it calls, which convenience inputs it accepts beyond Stripe's own and how they
map, and how its result is shaped. The input model, the Python call, the CLI command, the
JSON schema and the reference docs are all derived from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, Field

from . import inputs

ResultKind = Literal["object", "list", "search"]
Params = dict[str, Any]

# Inputs every action understands besides Stripe's parameters; they steer the call and are
# never sent as parameters.
OPTION_FIELDS: dict[str, tuple[Any, Any]] = {
    "raw": (bool, Field(False, description="return Stripe's own response shape")),
}
WRITE_OPTION_FIELDS: dict[str, tuple[Any, Any]] = {
    "idempotency_key": (
        str | None,
        Field(None, description="replays the first result if sent again (the SDK makes one)"),
    ),
}
LIST_OPTION_FIELDS: dict[str, tuple[Any, Any]] = {
    "all": (bool, Field(False, description="walk every page")),
    "max_items": (int | None, Field(None, ge=1, description="stop after this many objects")),
}
OPTION_NAMES = (
    frozenset(OPTION_FIELDS) | frozenset(WRITE_OPTION_FIELDS) | frozenset(LIST_OPTION_FIELDS)
)


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    method: str
    path: str  # path parameters named as the action's inputs: /v1/customers/{id}
    result: ResultKind = "object"
    plural: str | None = None  # the key a list result uses: {customers: [...]}
    aliases: tuple[str, ...] = ()
    # Inputs beyond Stripe's own: {name: (type, default)}; `prepare` turns them into
    # Stripe parameters (and may check combinations, raising InputError).
    convenience: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    prepare: Callable[[Params], Params] | None = None
    # Stripe parameters the convenience inputs can stand in for, so not required here.
    relaxed: frozenset[str] = frozenset()
    fixed: Params = field(default_factory=dict)  # always sent (deactivate_price: active=false)
    shape: Callable[[Params], Params] | None = None  # applied to each returned object
    example: Params | None = None  # executed by the test suite; shown in the docs
    group: str = ""  # set by the catalog: the module that declares it
    base: str = "api"  # the SDK's base address ("files" for uploads)
    content_type: str | None = None
    # Operations Stripe removed sent with the last API version that has them, so they work
    # on accounts that still use them.
    api_version: str | None = None
    # An action that is not one fixed operation (`request`) brings its own call:
    # (client, validated params, options) -> result.
    custom: Callable[[Any, Params, Params], Any] | None = None

    @property
    def path_params(self) -> list[str]:
        return inputs.path_params(self.path)

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    @cached_property
    def spec_node(self) -> dict[str, Any] | None:
        node = inputs.operation_node(self.method, self.path)
        if node is None and self.custom is not None:
            return {"t": "object", "p": {}}  # `request`: its inputs are its convenience fields
        return node

    @cached_property
    def model(self) -> type[BaseModel]:
        """The input model: path parameters, Stripe's parameters minus `fixed`, the
        convenience fields and the options."""
        node = dict(self.spec_node or {"t": "object", "p": {}})
        node["p"] = {k: v for k, v in (node.get("p") or {}).items() if k not in self.fixed}
        extra: dict[str, tuple[Any, Any]] = {name: (str, ...) for name in self.path_params}
        extra.update(self.convenience)
        extra.update(OPTION_FIELDS)
        if self.is_write:
            extra.update(WRITE_OPTION_FIELDS)
        if self.result != "object":
            extra.update(LIST_OPTION_FIELDS)
        name = "".join(part.capitalize() for part in self.name.split("_")) + "Input"
        # An operation missing from the pinned spec (an older endpoint) takes any parameter.
        base = inputs.Strict if self.spec_node is not None else inputs.Open
        return inputs.model_for(node, name, base=base, extra=extra, optional=self.relaxed)

    def tool_schema(self) -> dict[str, Any]:
        """The action as an agent tool: name, description and a JSON Schema of its input
        (the shape OpenAI's and Anthropic's tool lists and MCP take)."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.model.model_json_schema(by_alias=True),
        }
