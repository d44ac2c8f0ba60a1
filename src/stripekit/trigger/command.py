"""The `stripekit trigger` command: its client, its parser, and running one recipe."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Any, TextIO

import stripe

from ..accounts import AccountError, load_accounts
from ..sandbox import Sandbox
from ..sandbox.embedded import IN_PROCESS_BASE
from .recipes import RECIPES, sandbox_now
from .run import NotAvailable, PrintingHTTPClient, Run, parse_overrides

DEFAULT_API_BASE = "http://127.0.0.1:12111"
STRIPE_API_BASE = "https://api.stripe.com"


def build_client(
    api_key: str | None = None,
    api_base: str | None = None,
    http_client: stripe.HTTPClient | None = None,
) -> stripe.StripeClient:
    """The client a trigger runs with: `--api-key`/`STRIPE_API_KEY`, and `--api-base`/
    `STRIPEKIT_API_BASE` (the sandbox's default address) for both the api and files hosts."""
    key = api_key or os.environ.get("STRIPE_API_KEY")
    if not key:
        raise SystemExit(
            "stripekit trigger: no API key (pass --api-key or set STRIPE_API_KEY; "
            "`stripekit sandbox serve` prints the sandbox's key)"
        )
    base = (api_base or os.environ.get("STRIPEKIT_API_BASE") or DEFAULT_API_BASE).rstrip("/")
    options: dict[str, Any] = {"max_network_retries": 0}
    if http_client is not None:
        options["http_client"] = http_client
    return stripe.StripeClient(key, base_addresses={"api": base, "files": base}, **options)


def account_target(name: str) -> tuple[str, str, Sandbox | None]:
    """Key, base address and (for an embedded sandbox account) the sandbox itself."""
    account = load_accounts().get(name)
    if account is None:
        raise AccountError(f"no account named {name!r}")
    if account.is_sandbox:
        sandbox = account.open_sandbox()
        return sandbox.account_key(name), IN_PROCESS_BASE, sandbox
    return str(account.api_key), account.base_url or STRIPE_API_BASE, None


# -- the command ------------------------------------------------------------------------


@dataclass
class Outcome:
    event: str
    status: str  # "ok", "missing" (ran, but no such event), "unavailable"
    events: list[tuple[str, str]]  # (id, type) produced, oldest first
    message: str = ""


def _events_from(client: stripe.StripeClient, start: int) -> list[tuple[str, str]]:
    """Events created at or after `start`, oldest first."""
    params: dict[str, Any] = {"limit": 100, "created": {"gte": start}}
    listed = client.v1.events.list(params=params)  # type: ignore[arg-type]
    return [(event.id, event.type) for event in listed.auto_paging_iter()][::-1]


def trigger(
    event: str,
    client: stripe.StripeClient,
    overrides: dict[str, dict[str, Any]] | None = None,
    out: TextIO | None = None,
) -> Outcome:
    """Run the recipe of `event` with `client` (whose transport should be a `PrintingHTTPClient`
    for the requests to be printed; `run_command` arranges that)."""
    out = out or sys.stdout
    recipe = RECIPES.get(event)
    if recipe is None:
        raise KeyError(event)
    run = Run(client, overrides or {})
    print(f"Setting up fixture for: {event} ({recipe.summary})", file=out)
    # Events are told apart by time, not by a cursor: those of objects on a test clock
    # carry the clock's (later) time. A little slack covers a client clock behind Stripe's.
    start = sandbox_now(run) - 2
    seen = {event_id for event_id, _ in _events_from(client, start)}
    try:
        recipe.steps(run)
    except NotAvailable as exc:
        print(f"Not available: {exc}", file=out)
        return Outcome(event, "unavailable", [], str(exc))
    unused = sorted(set(run.overrides) - run.used)
    if unused:
        print(f"Warning: no {', '.join(unused)} in this recipe; override ignored", file=out)
    events = [event for event in _events_from(client, start) if event[0] not in seen]
    for event_id, event_type in events:
        print(f"  event {event_id} {event_type}", file=out)
    if any(event_type == event for _, event_type in events):
        print("Trigger succeeded!", file=out)
        return Outcome(event, "ok", events)
    print(f"Trigger ran, but no {event} event appeared.", file=out)
    return Outcome(event, "missing", events)


def recipe_list() -> str:
    width = max(len(name) for name in RECIPES)
    return "\n".join(f"  {name:<{width}}  {r.summary}" for name, r in RECIPES.items())


def add_parser(commands: Any) -> None:
    """Register `trigger` on the `stripekit` command's subparsers."""
    parser = commands.add_parser(
        "trigger",
        help="make the sandbox (or Stripe test mode) emit an event",
        description="Create the objects that make the API emit EVENT, printing each request "
        "and the events produced.",
        epilog="events:\n" + recipe_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("event", nargs="?", help="event type, e.g. payment_intent.succeeded")
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="RESOURCE:PATH=VALUE",
        help="set a create parameter of the recipe's RESOURCE (customer:name=Acme, "
        "customer:metadata[plan]=gold)",
    )
    parser.add_argument(
        "--account",
        default=None,
        help="a named account of stripekit.toml instead of --api-key/--api-base "
        "(`default` with no key is the project's embedded sandbox)",
    )
    parser.add_argument("--api-base", default=None, help=f"default {DEFAULT_API_BASE}")
    parser.add_argument("--api-key", default=None, help="default $STRIPE_API_KEY")
    parser.add_argument("--list", action="store_true", help="list the supported events")
    parser.set_defaults(func=run_command)


def run_command(
    args: argparse.Namespace,
    out: TextIO | None = None,
    http_client: stripe.HTTPClient | None = None,
) -> int:
    out = out or sys.stdout
    if args.list or not args.event:
        print(recipe_list(), file=out)
        return 0 if args.list else 2
    if args.event not in RECIPES:
        print(f"Unsupported event: {args.event} (see stripekit trigger --list)", file=out)
        return 2
    try:
        overrides = parse_overrides(args.override)
    except ValueError as exc:
        print(exc, file=out)
        return 2
    inner = http_client or stripe.RequestsClient()
    sandbox = None
    if args.account:
        try:
            key, base, sandbox = account_target(args.account)
        except AccountError as exc:
            print(f"stripekit trigger: {exc}", file=out)
            return 2
        if sandbox is not None:
            inner = sandbox.http_client
    else:
        key, base = args.api_key, args.api_base
    client = build_client(key, base, PrintingHTTPClient(inner, out))
    try:
        outcome = trigger(args.event, client, overrides, out)
    except stripe.StripeError as exc:
        print(f"Trigger failed: {exc.user_message or exc}", file=out)
        return 1
    except (RuntimeError, TimeoutError) as exc:  # the API did not behave as the recipe needs
        print(f"Trigger failed: {exc}", file=out)
        return 1
    finally:
        if sandbox is not None:
            sandbox.close()
    return {"ok": 0, "missing": 1, "unavailable": 3}[outcome.status]
