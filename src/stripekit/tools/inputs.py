"""Input models for actions, built from the spec's parameter tables.

Each action's model has every parameter Stripe's operation accepts, under Stripe's own name
and type (the tables `tools/gen_spec_tables.py` distils from the OpenAPI spec, which the
sandbox validates requests with too), plus the path parameters (`id` for the object, as
source 000 names it), the action's convenience fields and the options every action takes.
Nothing here is written per operation, so the models cannot drift from the API.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..sandbox.framework.params import load_tables

_PATH_PARAM = re.compile(r"\{([^}]+)\}")


class Strict(BaseModel):
    """Unknown fields are errors, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Open(BaseModel):
    """An object with known keys that also accepts any other (Stripe's free-form hashes)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def path_params(path: str) -> list[str]:
    return _PATH_PARAM.findall(path)


@cache
def _operations_by_shape() -> dict[str, dict[str, Any]]:
    """The spec's operations keyed by `METHOD /path/{}/shape`, so a declaration may name
    its path parameters as the action does (`{id}`) rather than as the spec does."""
    return {_PATH_PARAM.sub("{}", key): node for key, node in load_tables()["operations"].items()}


def operation_node(method: str, path: str) -> dict[str, Any] | None:
    return _operations_by_shape().get(_PATH_PARAM.sub("{}", f"{method.upper()} {path}"))


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def annotation(node: dict[str, Any], name: str) -> Any:
    """The Python type for one parameter node (see gen_spec_tables.py for the format)."""
    if "o" in node:
        options = tuple(annotation(option, name) for option in node["o"])
        kind: Any = Union[options]  # noqa: UP007 - a runtime-built union
    else:
        kind = _plain(node, name)
    if node.get("u"):
        kind = Union[kind, Literal[""]]  # noqa: UP007 - "" unsets the field
    return kind


def _plain(node: dict[str, Any], name: str) -> Any:
    match node.get("t"):
        case "string":
            if node.get("e"):
                return Literal[tuple(value for value in node["e"] if value != "")]
            if "m" in node:
                return Annotated[str, Field(max_length=node["m"])]
            return str
        case "integer":
            return int
        case "number":
            return float
        case "decimal":
            return Union[float, str]  # noqa: UP007
        case "boolean":
            return bool
        case "array":
            return list[annotation(node.get("i", {}), name)]  # type: ignore[misc]
        case "object":
            return _object(node, name)
        case _:
            return Any


def _object(node: dict[str, Any], name: str) -> Any:
    known = node.get("p") or {}
    other = node.get("a")
    if not known:
        return dict[str, annotation(other, name) if other else Any]  # type: ignore[misc]
    return model_for(node, _camel(name), base=Open if other else Strict)


def model_for(
    node: dict[str, Any],
    name: str,
    *,
    base: type[BaseModel] = Strict,
    extra: dict[str, Any] | None = None,
    optional: frozenset[str] = frozenset(),
) -> type[BaseModel]:
    """A pydantic model for an object node. `extra` adds fields (`{name: (type, default)}`);
    `optional` relaxes fields the spec requires (a convenience field can stand in)."""
    required = set(node.get("r") or ()) - optional
    fields: dict[str, Any] = {}
    for key, child in (node.get("p") or {}).items():
        kind = annotation(child, key)
        fields[_field_name(key)] = (
            (kind, Field(..., alias=key) if key != _field_name(key) else ...)
            if key in required
            else (kind | None, Field(None, alias=key) if key != _field_name(key) else None)
        )
    fields.update(extra or {})
    return create_model(name, __base__=base, **fields)  # type: ignore[call-overload, no-any-return]


def _field_name(key: str) -> str:
    # A handful of Stripe parameters are not Python identifiers (or shadow BaseModel
    # attributes); they keep their Stripe spelling as the alias.
    if not key.isidentifier() or key in _RESERVED:
        return f"{key}_"
    return key


_RESERVED = frozenset(dir(BaseModel)) | {"json", "copy", "schema", "validate"}
