"""`stripekit mcp`: the actions as tools of a Model Context Protocol server over stdio.

The transport is MCP's stdio one: one JSON-RPC 2.0 message per line on stdin, answers on
stdout, nothing else written there. The server answers `initialize`, `ping`,
`tools/list` and `tools/call`; a tool's result is the action's JSON result as text, and a
failed action is a tool result with `isError` (Stripe's error in it), so the agent can
read and correct it; malformed requests get JSON-RPC errors.

What an agent may do is chosen when the server starts: `--read-only` keeps the actions
that change nothing (GET operations; `request` only with GET), `--allow` names the actions
it may see at all. A restricted Stripe key (`rk_...`) on the account adds Stripe's own
check behind both. `--lua` adds one more tool, `run_lua_script`: a Lua script calling the
same tools as `app.integrations.stripe.<tool>({...})`, for several steps in one call; the
script can call only the tools the server offers (in read-only mode, not even `request`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from .. import __version__
from ..facade import AccountActions, StripeIntegration
from ..scripting import LuaScripts, ScriptError
from ..tools import catalog
from ..tools.action import Action
from ..tools.errors import ActionError
from .schemas import tool_definitions

PROTOCOL_VERSION = "2025-06-18"
LUA_TOOL = "run_lua_script"
LUA_MAX_TIMEOUT = 60.0
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


def _read_only(action: Action) -> bool:
    return action.method == "GET" or action.name == "request"


def chosen_tools(*, read_only: bool, allow: Iterable[str] | None) -> list[Action]:
    """The actions the server offers, in catalog order. Unknown names in `allow` are an
    error (a typo would otherwise silently hide a tool)."""
    allowed = None
    if allow is not None:
        allowed = set()
        for name in allow:
            try:
                allowed.add(catalog.find(name).name)
            except KeyError:
                raise ValueError(f"no action named {name!r}") from None
    return [
        action
        for action in catalog.ACTIONS.values()
        if (allowed is None or action.name in allowed) and (not read_only or _read_only(action))
    ]


class Server:
    def __init__(
        self, actions: AccountActions, tools: list[Action], *, read_only: bool, lua: bool = False
    ) -> None:
        self.actions = actions
        self.tools = {action.name: action for action in tools}
        self.read_only = read_only
        self.lua = lua

    def handle(self, message: Any) -> dict[str, Any] | None:
        """One JSON-RPC message in; the answer, or None for a notification."""
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return _error(None, INVALID_REQUEST, "not a JSON-RPC 2.0 message")
        method, ident = message.get("method"), message.get("id")
        if not isinstance(method, str):
            return _error(ident, INVALID_REQUEST, "method missing")
        if "id" not in message:
            return None  # notifications (initialized, cancelled) need no answer
        params = message.get("params") or {}
        if method == "initialize":
            return _result(ident, self._initialize())
        if method == "ping":
            return _result(ident, {})
        if method == "tools/list":
            tools = tool_definitions("mcp", self.tools.values())
            if self.lua:
                tools.append(self._describe_lua())
            return _result(ident, {"tools": tools})
        if method == "tools/call":
            return self._call(ident, params)
        return _error(ident, METHOD_NOT_FOUND, f"method not found: {method}")

    def _initialize(self) -> dict[str, Any]:
        mode = "read-only" if self.read_only else "read and write"
        return {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "stripekit", "version": __version__},
            "instructions": (
                f"Stripe actions on account {self.actions.account.name!r} ({mode}). Amounts "
                "are in cents; `id` names the object an action works on; list tools take "
                "limit/starting_after and all=true."
            ),
        }

    def _describe_lua(self) -> dict[str, Any]:
        return {
            "name": LUA_TOOL,
            "description": (
                "Run a Lua 5.4 script that calls this server's other tools as "
                "app.integrations.stripe.<tool>({ ... }) (one table of the tool's inputs; a "
                "result is a table, null fields are nil, lists are sequences from 1). A failed "
                "call raises a table with status, type, code, param and message (catch it "
                "with pcall). Returns what the script print()s and the value it returns."
            ),
            "inputSchema": {
                "type": "object",
                "properties": {
                    "script": {"type": "string", "description": "the Lua source"},
                    "timeout": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": LUA_MAX_TIMEOUT,
                        "description": f"seconds the script may run (default 30, at most "
                        f"{LUA_MAX_TIMEOUT:g})",
                    },
                },
                "required": ["script"],
                "additionalProperties": False,
            },
            "annotations": {"readOnlyHint": self.read_only},
        }

    def _run_lua(self, ident: Any, arguments: dict[str, Any]) -> dict[str, Any]:
        script, timeout = arguments.get("script"), arguments.get("timeout", 30.0)
        if not isinstance(script, str) or set(arguments) - {"script", "timeout"}:
            return _error(ident, INVALID_PARAMS, f"{LUA_TOOL} takes script (and timeout)")
        if not isinstance(timeout, int | float) or not 0 < timeout <= LUA_MAX_TIMEOUT:
            return _error(ident, INVALID_PARAMS, f"timeout must be in (0, {LUA_MAX_TIMEOUT:g}]")
        names = [n for n in self.tools if not (self.read_only and n == "request")]
        printed: list[str] = []
        scripts = LuaScripts(
            StripeIntegration({"default": self.actions.account}),
            timeout=float(timeout),
            output=printed.append,
            actions=names,
        )
        try:
            value = scripts.run(script, name="script")
        except ScriptError as exc:
            detail = exc.action_error.to_dict() if exc.action_error is not None else None
            return _result(ident, _tool_error(f"{''.join(printed)}{exc}", detail))
        text = json.dumps({"printed": "".join(printed), "result": value}, default=str)
        return _result(ident, {"content": [{"type": "text", "text": text}], "isError": False})

    def _call(self, ident: Any, params: Any) -> dict[str, Any]:
        if not isinstance(params, dict) or not isinstance(params.get("name"), str):
            return _error(ident, INVALID_PARAMS, "tools/call needs a tool name")
        if self.lua and params["name"] == LUA_TOOL:
            arguments = params.get("arguments") or {}
            if not isinstance(arguments, dict):
                return _error(ident, INVALID_PARAMS, "arguments must be an object")
            return self._run_lua(ident, arguments)
        action = self.tools.get(params["name"])
        if action is None:
            return _error(ident, INVALID_PARAMS, f"unknown tool: {params['name']}")
        arguments = params.get("arguments") or {}
        if not isinstance(arguments, dict):
            return _error(ident, INVALID_PARAMS, "arguments must be an object")
        if self.read_only and action.name == "request" and arguments.get("method") != "GET":
            return _result(ident, _tool_error("this server is read-only: only GET requests"))
        try:
            value = self.actions.action(action.name)(arguments)
        except ActionError as exc:
            return _result(ident, _tool_error(str(exc), exc.to_dict()))
        text = json.dumps(value, default=str)
        return _result(ident, {"content": [{"type": "text", "text": text}], "isError": False})


def _tool_error(sentence: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    text = sentence if detail is None else f"{sentence}\n{json.dumps(detail)}"
    return {"content": [{"type": "text", "text": text}], "isError": True}


def _result(ident: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "result": result}


def _error(ident: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": message}}


def serve(server: Server, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Answer messages until stdin closes."""
    for line in stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            answer: dict[str, Any] | None = _error(None, PARSE_ERROR, "invalid JSON")
        else:
            answer = server.handle(message)
        if answer is not None:
            stdout.write(json.dumps(answer) + "\n")
            stdout.flush()
