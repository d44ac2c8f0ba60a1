"""`stripekit actions`, `stripekit call <action> --param value ...`, `stripekit mcp` and
`stripekit docs`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .accounts import AccountError
from .agents.schemas import FORMATS, tool_definitions
from .tools import catalog
from .tools.errors import ActionError


def add_commands(commands: Any) -> None:
    listing = commands.add_parser("actions", help="list the Stripe actions and what they do")
    listing.add_argument("--group", help="only one resource group (customers, billing, ...)")
    listing.add_argument(
        "--schemas", action="store_true", help="print JSON tool definitions (for agents)"
    )
    listing.add_argument(
        "--format",
        choices=FORMATS,
        default="anthropic",
        help="the tool definitions' shape (with --schemas; default anthropic)",
    )
    listing.set_defaults(func=_actions)

    call = commands.add_parser(
        "call",
        help="run one action and print its result as JSON",
        description="Run an action: stripekit call create_customer --name Acme "
        "--email a@acme.test. Nested values: --metadata.tier gold or a JSON value "
        '(--items \'[{"price": "price_123"}]\'); a repeated flag makes a list.',
    )
    call.add_argument("action", help="action name or alias (see `stripekit actions`)")
    call.add_argument("--account", default="default", help="named account (stripekit.toml)")
    call.add_argument("--json", dest="json_input", help="all inputs as one JSON object")
    call.set_defaults(func=_call)

    mcp = commands.add_parser(
        "mcp",
        help="serve the actions to an AI agent (MCP over stdio)",
        description="A Model Context Protocol server on stdin/stdout whose tools are the "
        "actions, on one account.",
    )
    mcp.add_argument("--account", default="default", help="named account (stripekit.toml)")
    mcp.add_argument("--read-only", action="store_true", help="only actions that change nothing")
    mcp.add_argument("--allow", default=None, help="comma-separated actions to offer (all)")
    mcp.add_argument(
        "--lua", action="store_true", help="also offer run_lua_script (scripts over the tools)"
    )
    mcp.set_defaults(func=_mcp)

    docs = commands.add_parser("docs", help="write the action reference (Markdown)")
    docs.add_argument("--out", default="-", help="file to write (default: stdout)")
    docs.set_defaults(func=_docs)


def _actions(args: argparse.Namespace) -> int:
    chosen = [a for a in catalog.ACTIONS.values() if not args.group or a.group == args.group]
    if args.schemas:
        print(json.dumps(tool_definitions(args.format, chosen), indent=2))
        return 0
    for action in chosen:
        print(f"{action.name:<40} {action.description}")
    return 0


def parse_inputs(tokens: list[str]) -> dict[str, Any]:
    """`--name Acme --metadata.tier gold --expand a --expand b` as a dict; values that are
    JSON objects or arrays are decoded, everything else stays text for the model to
    convert (`"5"` -> 5 where the field is an integer)."""
    inputs: dict[str, Any] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith("--") or len(token) == 2:
            raise ValueError(f"expected --name value, got {token!r}")
        name, eq, value = token[2:].partition("=")
        if not eq:
            if index + 1 < len(tokens) and not tokens[index + 1].startswith("--"):
                value = tokens[index + 1]
                index += 1
            else:
                value = "true"  # a bare flag: --raw, --all
        index += 1
        _put(inputs, name.replace("-", "_").split("."), _decoded(value))
    return inputs


def _decoded(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _put(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    last = path[-1]
    if last in target:
        existing = target[last]
        target[last] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        target[last] = value


def _call(args: argparse.Namespace) -> int:
    from . import integrations

    try:
        action = catalog.find(args.action)
    except KeyError:
        print(
            f"stripekit: no action named {args.action!r} (see `stripekit actions`)", file=sys.stderr
        )
        return 2
    try:
        inputs = json.loads(args.json_input) if args.json_input else {}
        inputs.update(parse_inputs(args.extra))
    except (ValueError, json.JSONDecodeError) as exc:
        print(f"stripekit: {exc}", file=sys.stderr)
        return 2
    try:
        actions = (
            getattr(integrations.stripe, args.account)
            if args.account != "default"
            else (integrations.stripe.default)
        )
        result = actions.action(action.name)(inputs)
    except ActionError as exc:
        print(json.dumps(exc.to_dict(), indent=2))
        print(f"stripekit: {exc}", file=sys.stderr)
        return 1
    except (AccountError, AttributeError) as exc:
        print(f"stripekit: {exc}", file=sys.stderr)
        return 2
    finally:
        integrations.stripe.close()
    print(json.dumps(result, indent=2, default=str))
    return 0


def _mcp(args: argparse.Namespace) -> int:
    from . import integrations
    from .agents.mcp import Server, chosen_tools, serve

    allow = [name.strip() for name in args.allow.split(",")] if args.allow else None
    try:
        tools = chosen_tools(read_only=args.read_only, allow=allow)
        actions = getattr(integrations.stripe, args.account)
    except (ValueError, AccountError, AttributeError) as exc:
        print(f"stripekit mcp: {exc}", file=sys.stderr)
        return 2
    try:
        serve(Server(actions, tools, read_only=args.read_only, lua=args.lua))
    finally:
        integrations.stripe.close()
    return 0


def _docs(args: argparse.Namespace) -> int:
    from .tools.docs import render

    text = render()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)
        print(f"wrote {args.out} ({len(catalog.ACTIONS)} actions)")
    return 0
