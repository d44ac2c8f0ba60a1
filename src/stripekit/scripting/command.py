"""`stripekit lua FILE`: run a Lua script over the actions, on the configured accounts."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..accounts import AccountError
from .runtime import DEFAULT_TIMEOUT, LuaScripts, ScriptError


def add_parser(commands: Any) -> None:
    lua = commands.add_parser(
        "lua",
        help="run a Lua script over the actions (app.integrations.stripe.*)",
        description="Run a Lua script: app.integrations.stripe.create_customer({ name = "
        '"Acme" }), app.integrations.stripe.work.list_invoices({ ... }) for a named '
        "account. What it prints goes to stdout; a value it returns is printed as JSON.",
    )
    lua.add_argument("script", help="the script file, or - to read it from stdin")
    lua.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds the script may run (default {DEFAULT_TIMEOUT:g}; 0: no limit)",
    )
    lua.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from .. import integrations

    try:
        if args.script == "-":
            source, name = sys.stdin.read(), "stdin"
        else:
            with open(args.script, encoding="utf-8") as handle:
                source = handle.read()
            name = args.script
    except OSError as exc:
        print(f"stripekit lua: {exc}", file=sys.stderr)
        return 2
    scripts = LuaScripts(integrations.stripe, timeout=args.timeout or None)
    try:
        result = scripts.run(source, name=name)
    except ScriptError as exc:
        if exc.action_error is not None:
            print(json.dumps(exc.action_error.to_dict(), indent=2))
        print(f"stripekit lua: {exc}", file=sys.stderr)
        return 1
    except AccountError as exc:
        print(f"stripekit lua: {exc}", file=sys.stderr)
        return 2
    finally:
        integrations.stripe.close()
    if result is not None:
        print(json.dumps(result, indent=2, default=str))
    return 0
