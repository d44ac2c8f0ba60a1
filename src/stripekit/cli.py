"""`stripekit` command line: the sandbox server (`sandbox serve`, `sandbox deliveries`),
`listen`, `trigger`, the demo, and the actions (`actions`, `call`, `docs`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from .actions_cli import add_commands
from .listen import add_deliveries_parser, add_listen_parser


def _serve(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox
    from .sandbox.server import serve_forever

    try:
        sandbox = Sandbox(
            args.db,
            start_time=args.start_time,
            strict_keys=args.strict_keys,
            webhook_time_factor=args.webhook_time_factor,
        )
    except (ImportError, ConnectionError) as exc:  # no psycopg, or no database at the URL
        print(f"stripekit: {exc}", file=sys.stderr)
        return 2
    base = f"http://{args.host}:{args.port}"
    print(f"stripekit sandbox listening on {base}", flush=True)
    print(f"  secret key: {sandbox.api_key}", flush=True)
    storage = _redacted(args.db) if args.db else "memory (lost on exit; use --db FILE to keep it)"
    print(f"  storage:    {storage}", flush=True)
    print(f"  try: curl {base}/v1/customers -u {sandbox.api_key}:", flush=True)
    try:
        serve_forever(sandbox.engine, args.host, args.port)
    finally:
        sandbox.close()
    return 0


def _redacted(db: str) -> str:
    """A database URL as it may be printed: without its password."""
    parts = urlsplit(db)
    if parts.password is None:
        return db
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stripekit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    sandbox = commands.add_parser("sandbox", help="the offline Stripe-compatible API")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve the sandbox over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    serve.add_argument("--port", type=int, default=12111)
    serve.add_argument(
        "--db",
        default=None,
        help="where state is kept across runs: a SQLite file, or a postgresql:// URL that"
        " several sandbox processes can share (needs stripekit[postgres])",
    )
    serve.add_argument(
        "--strict-keys", action="store_true", help="accept only API keys the sandbox issued"
    )
    serve.add_argument(
        "--start-time", type=int, default=None, help="unix time the sandbox clock starts at"
    )
    serve.add_argument(
        "--webhook-time-factor",
        type=float,
        default=1.0,
        help="divide webhook retry waits by this (3600: an hour's wait takes a second)",
    )
    serve.set_defaults(func=_serve)
    add_deliveries_parser(sandbox_commands)
    add_listen_parser(commands)

    demo = commands.add_parser("demo", help="run source 000's workflows on the sandbox")
    demo.set_defaults(func=_demo)
    add_commands(commands)

    from .scripting.command import add_parser as add_lua_parser
    from .trigger import add_parser as add_trigger_parser

    add_trigger_parser(commands)
    add_lua_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    if extra and args.command != "call":
        build_parser().parse_args(argv)  # reports the unknown arguments and exits
    args.extra = extra
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
