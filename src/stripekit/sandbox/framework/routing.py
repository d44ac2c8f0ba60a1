"""Route table: (method, path template) -> handler, matched segment by segment.

Literal segments win over `{param}` ones, so `/v1/customers/search` never reads as a
customer id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .formdecode import unquote

Handler = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    # The resource a restricted key's permission names ("customers"); from the path if None.
    permission: str | None = None
    # Sandbox control endpoints get the engine as their first argument.
    control: bool = False
    # Pages for a browser (no API key; the path names the account and answers are HTML).
    public: bool = False

    @property
    def resource(self) -> str:
        if self.permission:
            return self.permission
        parts = self.template.strip("/").split("/")
        return parts[1] if len(parts) > 1 else parts[0]


@dataclass
class _Node:
    literal: dict[str, _Node] = field(default_factory=dict)
    # One child for any id at this level: the spec names the same position differently
    # in different paths (`{subscription_exposed_id}` and `{subscription}/resume`).
    param: _Node | None = None
    # method -> (route, its parameter names in path order)
    routes: dict[str, tuple[Route, tuple[str, ...]]] = field(default_factory=dict)


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._root = _Node()
        for route in routes:
            self._add(route)

    def _add(self, route: Route) -> None:
        node = self._root
        names: list[str] = []
        for seg in route.template.strip("/").split("/"):
            if seg.startswith("{") and seg.endswith("}"):
                names.append(seg[1:-1])
                if node.param is None:
                    node.param = _Node()
                node = node.param
            else:
                node = node.literal.setdefault(seg, _Node())
        if route.method in node.routes:
            raise ValueError(f"duplicate route {route.method} {route.template}")
        node.routes[route.method] = (route, tuple(names))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """Match a raw (still percent-encoded) path. Segments are decoded after the split,
        so an id holding `/` (`%2F`) stays one segment; `+` means a space because
        stripe-python quotes ids with `quote_plus`."""
        node = self._root
        values: list[str] = []
        for seg in path.removeprefix("/").split("/"):
            nxt = node.literal.get(seg)
            if nxt is None:
                if node.param is None or seg == "":
                    return None
                values.append(unquote(seg) if "%" in seg or "+" in seg else seg)
                nxt = node.param
            node = nxt
        found = node.routes.get(method)
        if found is None:
            return None
        route, names = found
        return route, dict(zip(names, values, strict=True))
