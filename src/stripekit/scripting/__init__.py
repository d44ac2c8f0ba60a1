"""Lua scripts over the Stripe actions (`app.integrations.stripe.<action>({ ... })`)."""

from .runtime import LuaScripts, ScriptError


def run_lua(source: str, *, name: str = "script", **options: object) -> object:
    """Run one Lua script on the configured accounts (see `LuaScripts` for the options)."""
    return LuaScripts(**options).run(source, name=name)  # type: ignore[arg-type]


__all__ = ["LuaScripts", "ScriptError", "run_lua"]
