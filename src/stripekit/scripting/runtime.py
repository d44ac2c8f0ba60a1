"""Lua scripts over the actions: `app.integrations.stripe.<action>({ ... })`, as source 000
documents it, on the default account or a named one (`app.integrations.stripe.work.…`).

    run_lua('return app.integrations.stripe.get_balance({})')

A script reaches Stripe through the actions and nothing else: no files, no processes, no
loading of other code, no Python objects (Lua 5.4 through `lupa`, with `io`, `os` but its
clock, `debug`, `package`, `require`, `load*` and `dofile` removed). A time limit and a
memory cap stop a runaway script, including one that catches errors in a loop.

Values cross as JSON does: Python dicts become Lua tables, lists become sequences (from 1),
None becomes nil; a Lua table of 1..n keys becomes a list, any other a dict. A failed action
raises a Lua error whose value is a table (`status`, `type`, `code`, `decline_code`,
`param`, `message`, `request_id`; `tostring(err)` is one readable sentence), so `pcall`
catches it as data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from importlib.resources import files
from typing import Any, NoReturn

# The lua54 module's own helpers: lupa's top-level ones know only its default runtime.
from lupa.lua54 import LuaError, LuaMemoryError, LuaRuntime, lua_type

from ..facade import AccountActions, StripeIntegration
from ..tools import catalog
from ..tools.errors import ActionError

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_MEMORY = 256 * 1024 * 1024
# How many Lua instructions run between two looks at the clock: about a millisecond.
CHECK_EVERY = 100_000
MAX_DEPTH = 64
_PRELUDE = files(__package__).joinpath("prelude.lua").read_text(encoding="utf-8")


class ScriptError(Exception):
    """A script stopped on an error it did not catch. `action_error` is the action's
    `ActionError` when that is what it was; `timed_out` when the time limit ended it."""

    def __init__(
        self, message: str, *, action_error: ActionError | None = None, timed_out: bool = False
    ) -> None:
        super().__init__(message)
        self.action_error = action_error
        self.timed_out = timed_out


def _deny_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    # A script never reaches into the host's objects (`call.__globals__` and the like).
    raise AttributeError("Python attributes are not available to scripts")


class LuaScripts:
    """A Lua runtime bound to an integration's accounts. Each `run` is a fresh state, so
    scripts never see each other's globals."""

    def __init__(
        self,
        integration: StripeIntegration | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_memory: int | None = DEFAULT_MAX_MEMORY,
        output: Callable[[str], Any] | None = None,
        actions: Iterable[str] | None = None,
    ) -> None:
        """`actions` limits what scripts may call (canonical names; all by default): an
        agent's script gets no more than the agent's own tools."""
        if integration is None:
            from .. import integrations

            integration = integrations.stripe
        self.integration = integration
        self.timeout = timeout
        self.max_memory = max_memory
        self.output = output if output is not None else _stdout
        self.actions = list(catalog.ACTIONS) if actions is None else list(actions)
        unknown = [name for name in self.actions if name not in catalog.ACTIONS]
        if unknown:
            raise ValueError(f"no actions named {', '.join(unknown)}")

    def run(self, source: str, *, name: str = "script") -> Any:
        """Run one script; its return value comes back as Python (several values as a
        list, none as None). Raises ScriptError if it fails."""
        lua = LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_deny_attributes,
            max_memory=self.max_memory,
        )
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        accounts = self.integration.accounts
        names = ["default", *(a for a in accounts if a != "default")]

        def over() -> bool:
            return deadline is not None and time.monotonic() > deadline

        def call(account: str, action: str, args: Any) -> tuple[bool, Any]:
            return _call(lua, self.integration, account, action, args)

        try:
            runner = lua.execute(
                _PRELUDE,
                call,
                lua.table_from(self.actions),
                lua.table_from(names),
                over,
                self.output,
                CHECK_EVERY,
            )
            outcome = runner(source, name)
        except LuaMemoryError as exc:
            raise ScriptError(f"{name}: the script ran out of memory ({exc})") from None
        except LuaError as exc:  # the prelude or the host failed, not the script
            raise ScriptError(f"{name}: {exc}") from None
        if outcome["ok"]:
            returned = outcome["values"]
            values = [_from_lua(returned[i], 0) for i in range(1, outcome["count"] + 1)]
            return None if not values else values[0] if len(values) == 1 else values
        _fail(name, outcome, self.timeout)


def _fail(name: str, outcome: Any, timeout: float | None) -> NoReturn:
    if outcome["timeout"]:
        message = f"{name}: the script ran past its time limit ({timeout} s)"
        raise ScriptError(message, timed_out=True)
    if outcome["stripe"] is not None:
        fields = _from_lua(outcome["stripe"], 0)
        error = ActionError(
            fields.get("message") or "",
            status=fields.get("status"),
            type=fields.get("type"),
            code=fields.get("code"),
            decline_code=fields.get("decline_code"),
            param=fields.get("param"),
            request_id=fields.get("request_id"),
            action=fields.get("action"),
        )
        where = f"{name}:{fields['line']}" if fields.get("line") else name
        raise ScriptError(f"{where}: {error}", action_error=error)
    text = outcome["text"]
    # The script's own frames only: the prelude's and the host's say nothing to its author.
    frames = [line for line in (outcome["traceback"] or "").splitlines()[1:] if name in line]
    if frames:
        text += "\nstack traceback:\n" + "\n".join(frames)
    raise ScriptError(text if text.startswith(f"{name}:") else f"{name}: {text}")


def _stdout(text: str) -> None:
    print(text, end="", flush=True)


def _call(
    lua: Any, integration: StripeIntegration, account: str, action: str, args: Any
) -> tuple[bool, Any]:
    """One action for a script: (True, result) or (False, error table); never raises into
    Lua, so the prelude raises the error where the script called."""
    try:
        arguments = {} if args is None else _from_lua(args, 0)
        if not isinstance(arguments, dict):
            raise ActionError(
                f'{action} takes one table of named arguments, like {action}({{ id = "..." }})',
                type="invalid_input",
                action=action,
            )
        actions: AccountActions = (
            integration.default if account == "default" else getattr(integration, account)
        )
        result = actions.action(action)(arguments)
    except ActionError as exc:
        fields = {**exc.to_dict()["error"], "action": exc.action or action, "text": str(exc)}
        return False, _to_lua(lua, fields)
    return True, _to_lua(lua, result)


def _to_lua(lua: Any, value: Any) -> Any:
    if isinstance(value, Mapping):
        table = lua.table()
        for key, item in value.items():
            if item is not None:
                table[key] = _to_lua(lua, item)
        return table
    if isinstance(value, list | tuple):
        return lua.table_from([_to_lua(lua, item) for item in value])
    return value


def _from_lua(value: Any, depth: int) -> Any:
    if lua_type(value) != "table":
        if lua_type(value) in ("function", "userdata", "thread"):
            raise ActionError(f"a {lua_type(value)} cannot be sent to Stripe", type="invalid_input")
        return value
    if depth > MAX_DEPTH:
        raise ActionError(
            "the arguments nest too deep (or a table contains itself)", type="invalid_input"
        )
    items = list(value.items())
    keys = [k for k, _ in items]
    if (
        items
        and all(isinstance(k, int) for k in keys)
        and sorted(keys) == list(range(1, len(keys) + 1))
    ):
        return [_from_lua(v, depth + 1) for _, v in sorted(items, key=lambda kv: kv[0])]
    return {str(k): _from_lua(v, depth + 1) for k, v in items}
