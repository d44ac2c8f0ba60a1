"""`Sandbox`: the engine in your process, with official `StripeClient`s wired into it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import stripe

from .engine import Engine
from .framework.clock import Clock
from .framework.context import RequestContext
from .framework.ids import IdFactory
from .inprocess import InProcessHTTPClient
from .server import BackgroundServer
from .store import MemoryStore, SQLiteStore, Store
from .webhooks import Deliverer, Mode
from .webhooks.targets import Interface

T = TypeVar("T")

# The SDK needs an absolute base address even though no request leaves the process.
IN_PROCESS_BASE = "http://sandbox.stripekit.invalid"

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(db: str | Path | None) -> Store:
    """The store `db` names: a `postgresql://` (or `postgres://`) URL, a SQLite file's
    path, or None for memory."""
    if db is None:
        return MemoryStore()
    if isinstance(db, str) and db.startswith(POSTGRES_SCHEMES):
        from .store.postgres import PostgresStore  # psycopg is an optional extra

        return PostgresStore(db)
    return SQLiteStore(db)


class Sandbox:
    """A stateful Stripe-compatible API. In memory by default; pass `db` for a SQLite file
    (WAL) that survives restarts, or a `postgresql://` URL for a database that several
    sandbox processes share (the `postgres` extra). `start_time`/`frozen` fix the sandbox
    clock; `seed` makes ids deterministic.

    Webhooks: events are delivered, signed, to the account's `webhook_endpoints`.
    `webhook_delivery` picks when: "background" (default; a thread, so no API call waits
    for a delivery), "sync" (before the in-process API call that caused the event
    returns, for deterministic tests; calls through `serve()`'s HTTP door are still
    answered first) or "manual" (only when `deliver_webhooks()` is called).
    Failed deliveries are retried on Stripe's three-day backoff in sandbox time, divided
    by `webhook_time_factor` (3600 turns an hour into a second); `advance_clock` makes
    retries due too. `mount_webhook_target(url_prefix, app)` routes endpoint URLs under
    a prefix to a Python callable, a WSGI app or an ASGI app in this process, no socket:

        sandbox = Sandbox(webhook_delivery="sync")
        sandbox.mount_webhook_target("http://app.test", flask_app)  # or a callable
        client = sandbox.client()
        client.v1.webhook_endpoints.create(
            params={"url": "http://app.test/webhooks", "enabled_events": ["*"]}
        )
        client.v1.customers.create()  # flask_app has handled customer.created by now
    """

    def __init__(
        self,
        db: str | Path | None = None,
        *,
        start_time: float | None = None,
        frozen: bool = False,
        strict_keys: bool = False,
        seed: int | None = None,
        webhook_delivery: Mode = "background",
        webhook_time_factor: float = 1.0,
        webhook_timeout: float = 10.0,
    ) -> None:
        self.engine = Engine(
            store=open_store(db),
            clock=Clock(start=start_time, frozen=frozen),
            ids=IdFactory(seed),
            strict_keys=strict_keys,
        )
        self._http_client = InProcessHTTPClient(self.engine)
        self.webhooks = Deliverer(
            self.engine,
            mode=webhook_delivery,
            time_factor=webhook_time_factor,
            timeout=webhook_timeout,
        )

    @property
    def http_client(self) -> InProcessHTTPClient:
        """The `stripe.HTTPClient` that hands requests to this sandbox (for a client built
        by hand, e.g. wrapped to log each request)."""
        return self._http_client

    @property
    def api_key(self) -> str:
        """The secret key of the sandbox's default account."""
        return self.engine.default_key()

    def new_api_key(self) -> str:
        """A secret key for a fresh, empty account (issued, so strict mode accepts it)."""
        with self.engine.store.transaction(write=True) as tx:
            return self.engine.issue_key(tx)

    def account_key(self, name: str = "default") -> str:
        """A stable secret key for the named account of this sandbox: made on first use,
        the same after a restart on the same file. `default` is `api_key`."""
        if name == "default":
            return self.api_key
        with self.engine.store.transaction(write=True) as tx:
            key = tx.meta_get(f"account_key:{name}")
            if key is None:
                key = self.engine.issue_key(tx)
                tx.meta_put(f"account_key:{name}", key)
            return key

    def create_restricted_key(
        self, permissions: dict[str, str] | str, *, api_key: str | None = None
    ) -> str:
        """An `rk_test_` key on `api_key`'s account, limited to `permissions`
        (`{"customers": "write", "*": "read"}` or `"read_only"`)."""
        return self.engine.create_restricted_key(api_key or self.api_key, permissions)  # type: ignore[arg-type]

    def client(self, api_key: str | None = None, **options: Any) -> stripe.StripeClient:
        """An official `StripeClient` whose requests go straight into this sandbox."""
        return stripe.StripeClient(
            api_key or self.api_key,
            http_client=self._http_client,
            # Uploads go to the `files` host (files.stripe.com); the sandbox is both.
            base_addresses={"api": IN_PROCESS_BASE, "files": IN_PROCESS_BASE},
            **options,
        )

    def authenticate(
        self, intent_id: str, approve: bool = True, api_key: str | None = None
    ) -> stripe.PaymentIntent | stripe.SetupIntent:
        """Answer the 3-D Secure challenge of a PaymentIntent (or SetupIntent, `seti_`)
        waiting in `requires_action`, as a customer would on the sandbox's page: the same
        form POST, through the page's own handler. Returns the intent afterwards."""
        client = self.client(api_key)
        service: Any = (
            client.v1.setup_intents if intent_id.startswith("seti_") else client.v1.payment_intents
        )
        intent = service.retrieve(intent_id)
        action = intent.to_dict().get("next_action") or {}
        url = (action.get("redirect_to_url") or {}).get("url")
        if intent.status != "requires_action" or not url:
            raise ValueError(f"{intent_id} is not waiting for authentication ({intent.status})")
        body = urlencode(
            {"action": "approve" if approve else "fail", "client_secret": intent.client_secret}
        )
        headers = {"content-type": "application/x-www-form-urlencoded"}
        response = self.engine.handle("POST", urlsplit(url).path, "", headers, body.encode())
        if response.status >= 400:
            raise RuntimeError(f"the 3-D Secure page refused {intent_id} ({response.status})")
        return service.retrieve(intent_id)

    def set_setting(self, name: str, value: str, *, api_key: str | None = None) -> None:
        """Set an account setting Stripe keeps in its Dashboard, e.g.
        `set_setting("subscription_after_failed_retries", "unpaid")`."""
        response = self.engine.handle(
            "POST",
            "/_sandbox/settings",
            "",
            {"authorization": f"Bearer {api_key or self.api_key}"},
            urlencode({name: value}).encode(),
        )
        if response.status != 200:
            raise ValueError(response.json()["error"]["message"])

    def run_as(
        self,
        work: Callable[[RequestContext], T],
        *,
        api_key: str | None = None,
        now: int | None = None,
    ) -> T:
        """Run `work(ctx)` as sandbox code of an account (default: the sandbox's own), in
        one committed transaction — for tests that drive the sandbox's internals."""
        with self.engine.context_for(api_key or self.api_key, now=now) as ctx:
            return work(ctx)

    def now(self) -> int:
        return self.engine.clock.now()

    # -- webhooks -------------------------------------------------------------------------

    def mount_webhook_target(
        self, url_prefix: str, target: Any, *, interface: Interface = "auto"
    ) -> None:
        """Deliver webhooks whose endpoint URL starts with `url_prefix` to `target` in this
        process: a function `target(payload: bytes, headers) -> status code` (None means
        200), a WSGI app or an ASGI app (`interface` says which when guessing could fail:
        coroutine callables are ASGI, `(environ, start_response)` ones WSGI)."""
        self.webhooks.mount(url_prefix, target, interface)

    def set_webhook_delivery(self, mode: Mode) -> None:
        """Switch between "background", "sync" and "manual" delivery."""
        self.webhooks.set_mode(mode)

    def deliver_webhooks(self) -> int:
        """Attempt every webhook delivery due now; returns the number of attempts."""
        return self.webhooks.deliver_due()

    def webhook_deliveries(
        self,
        *,
        event: str | None = None,
        endpoint: str | None = None,
        api_key: str | None = None,
    ) -> list[dict[str, Any]]:
        """The account's webhook deliveries (newest first) with their attempts: what
        `GET /_sandbox/webhook_deliveries` answers."""
        query = urlencode({k: v for k, v in (("event", event), ("endpoint", endpoint)) if v})
        response = self.engine.handle(
            "GET",
            "/_sandbox/webhook_deliveries",
            query,
            {"authorization": f"Bearer {api_key or self.api_key}"},
            b"",
        )
        if response.status != 200:
            raise ValueError(response.json()["error"]["message"])
        return list(response.json()["data"])

    def advance_clock(self, seconds: float) -> int:
        """Move sandbox time forward; returns the new time."""
        return self.engine.advance_clock(seconds)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
        """Also expose this sandbox on a real socket (a background thread)."""
        return BackgroundServer(self.engine, host, port).start()

    def close(self) -> None:
        self.webhooks.close()
        self.engine.store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
