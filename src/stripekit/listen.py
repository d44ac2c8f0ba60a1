"""`stripekit listen` and `stripekit sandbox deliveries`: the developer loop against a
served sandbox (or any Stripe-compatible API), like the Stripe CLI's `listen`, offline.

`listen` polls `/v1/events` through the official SDK from the newest event it has seen and
forwards each new one to a local URL, signed as Stripe signs webhooks with a secret derived
from the API key, so it is the same on every run and can sit in the app's configuration.
Like the Stripe CLI it does not retry; each forward and the app's answer are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

import stripe

from .accounts import AccountError, load_accounts

DEFAULT_API_BASE = "http://127.0.0.1:12111"
POLL_INTERVAL = 0.25
PAGE = 100


def api_key_from(api_key: str | None) -> str:
    key = api_key or os.environ.get("STRIPE_API_KEY")
    if not key:
        raise SystemExit("stripekit: an API key is needed (--api-key or STRIPE_API_KEY)")
    return key


def make_client(api_key: str | None, api_base: str | None) -> stripe.StripeClient:
    """The SDK client for `--api-key`/`--api-base` (else STRIPE_API_KEY,
    STRIPEKIT_API_BASE, the local sandbox's default address)."""
    base = api_base or os.environ.get("STRIPEKIT_API_BASE") or DEFAULT_API_BASE
    return stripe.StripeClient(api_key_from(api_key), base_addresses={"api": base.rstrip("/")})


def signing_secret(api_key: str) -> str:
    """The stable `whsec_` secret `listen` signs with: derived from the API key, so the
    app's configuration survives restarts of `listen`, and different per account."""
    digest = hmac.new(api_key.encode(), b"stripekit listen", hashlib.sha256).hexdigest()
    return f"whsec_{digest}"


def _stamp(created: int) -> str:
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _newest_id(client: stripe.StripeClient) -> str | None:
    page = client.v1.events.list(params={"limit": 1})
    return page.data[0].id if page.data else None


def new_events(client: stripe.StripeClient, after: str | None) -> Iterator[stripe.Event]:
    """Events newer than `after` (all of them when None), oldest first."""
    if after is None:
        found = list(client.v1.events.list(params={"limit": PAGE}).auto_paging_iter())
        yield from reversed(found)
        return
    while True:
        page = client.v1.events.list(params={"limit": PAGE, "ending_before": after})
        if not page.data:
            return
        yield from reversed(page.data)
        after = page.data[0].id
        if not page.has_more:
            return


def forward(url: str, event: stripe.Event, secret: str) -> tuple[int | None, str | None]:
    # The sandbox's own deliverer transport: the same headers and the same failure words.
    from .sandbox.webhooks import USER_AGENT
    from .sandbox.webhooks.targets import HTTPTransport

    payload = json.dumps(event.to_dict(), indent=2).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
            payload.decode(), secret
        ),
    }
    transport = HTTPTransport()
    try:
        return transport.post(url, payload, headers, timeout=30.0)
    finally:
        transport.close()


def listen(
    client: stripe.StripeClient,
    forward_to: str,
    secret: str,
    *,
    events: Iterable[str] = (),
    out: TextIO = sys.stdout,
    poll_interval: float = POLL_INTERVAL,
) -> None:
    wanted = {e for e in events if e}
    everything = not wanted or "*" in wanted
    cursor = _newest_id(client)
    print(f"Ready! Your webhook signing secret is {secret} (^C to quit)", file=out, flush=True)
    while True:
        for event in new_events(client, cursor):
            cursor = event.id
            if not everything and event.type not in wanted:
                continue
            stamp = _stamp(event.created)
            print(f"{stamp}   --> {event.type} [{event.id}]", file=out, flush=True)
            status, error = forward(forward_to, event, secret)
            if status is None:
                print(f"{stamp}  <--  [ERROR] {error} POST {forward_to} [{event.id}]", file=out)
            else:
                print(f"{stamp}  <--  [{status}] POST {forward_to} [{event.id}]", file=out)
            out.flush()
        time.sleep(poll_interval)


def _connect(args: argparse.Namespace) -> tuple[stripe.StripeClient, str]:
    """The client and its key: a named account of stripekit.toml (`--account`), or
    `--api-key`/`--api-base`."""
    if args.account:
        try:
            account = load_accounts()[args.account]
            return account.stripe_client(), account.secret()
        except KeyError:
            raise SystemExit(f"stripekit: no account named {args.account!r}") from None
        except AccountError as exc:
            raise SystemExit(f"stripekit: {exc}") from None
    return make_client(args.api_key, args.api_base), api_key_from(args.api_key)


def _listen_command(args: argparse.Namespace) -> int:
    client, key = _connect(args)
    secret = signing_secret(key)
    if args.print_secret:
        print(secret)
        return 0
    if not args.forward_to:
        raise SystemExit("stripekit listen: --forward-to URL is needed (or --print-secret)")
    with contextlib.suppress(KeyboardInterrupt):
        listen(client, args.forward_to, secret, events=(args.events or "").split(","))
    return 0


def _format_attempt(attempt: dict[str, Any]) -> str:
    answer = attempt["status_code"] if attempt["status_code"] is not None else attempt["error"]
    return f"[{answer}] {attempt['duration_ms']:.1f} ms at {_stamp(int(attempt['attempted_at']))}"


def _deliveries_command(args: argparse.Namespace) -> int:
    client, _ = _connect(args)
    params = {k: v for k, v in (("event", args.event), ("endpoint", args.endpoint)) if v}
    found = client.raw_request("get", "/_sandbox/webhook_deliveries", limit=args.limit, **params)
    data: list[dict[str, Any]] = json.loads(found.body)["data"]
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for delivery in data:
        print(f"{delivery['event']} -> {delivery['endpoint']}: {delivery['status']}")
        for attempt in delivery["attempts"]:
            print(f"    {_format_attempt(attempt)}")
        if delivery["next_attempt"] is not None and delivery["status"] == "pending":
            print(f"    next attempt at {_stamp(int(delivery['next_attempt']))}")
    return 0


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--account", default=None, help="a named account of stripekit.toml (instead of a key)"
    )
    parser.add_argument("--api-key", default=None, help="secret key (default STRIPE_API_KEY)")
    parser.add_argument(
        "--api-base",
        default=None,
        help=f"API address (default STRIPEKIT_API_BASE or {DEFAULT_API_BASE})",
    )


def add_listen_parser(commands: Any) -> None:
    parser = commands.add_parser("listen", help="forward the account's events to a local app")
    parser.add_argument("--forward-to", default=None, help="URL events are POSTed to")
    parser.add_argument("--events", default=None, help="comma-separated event types (all)")
    parser.add_argument(
        "--print-secret", action="store_true", help="print the signing secret and exit"
    )
    _add_connection_options(parser)
    parser.set_defaults(func=_listen_command)


def add_deliveries_parser(sandbox_commands: Any) -> None:
    parser = sandbox_commands.add_parser(
        "deliveries", help="webhook deliveries and their attempts, newest first"
    )
    parser.add_argument("--event", default=None, help="only this event's deliveries")
    parser.add_argument("--endpoint", default=None, help="only this endpoint's deliveries")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the raw JSON")
    _add_connection_options(parser)
    parser.set_defaults(func=_deliveries_command)
