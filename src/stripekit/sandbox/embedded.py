"""`Sandbox`: the engine in your process, with official `StripeClient`s wired into it."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import stripe

from .engine import Engine
from .framework.clock import Clock
from .framework.ids import IdFactory
from .inprocess import InProcessHTTPClient
from .server import BackgroundServer
from .store import MemoryStore, SQLiteStore

# The SDK needs an absolute base address even though no request leaves the process.
IN_PROCESS_BASE = "http://sandbox.stripekit.invalid"


class Sandbox:
    """A stateful Stripe-compatible API. In memory by default; pass `db` for a SQLite file
    (WAL) that survives restarts. `start_time`/`frozen` fix the sandbox clock; `seed` makes ids
    deterministic."""

    def __init__(
        self,
        db: str | Path | None = None,
        *,
        start_time: float | None = None,
        frozen: bool = False,
        strict_keys: bool = False,
        seed: int | None = None,
    ) -> None:
        self.engine = Engine(
            store=SQLiteStore(db) if db is not None else MemoryStore(),
            clock=Clock(start=start_time, frozen=frozen),
            ids=IdFactory(seed),
            strict_keys=strict_keys,
        )
        self._http_client = InProcessHTTPClient(self.engine)

    @property
    def api_key(self) -> str:
        """The secret key of the sandbox's default account."""
        return self.engine.default_key()

    def new_api_key(self) -> str:
        """A secret key for a fresh, empty account (issued, so strict mode accepts it)."""
        with self.engine.store.transaction(write=True) as tx:
            return self.engine.issue_key(tx)

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
            base_addresses={"api": IN_PROCESS_BASE},
            **options,
        )

    def now(self) -> int:
        return self.engine.clock.now()

    def advance_clock(self, seconds: float) -> int:
        """Move sandbox time forward; returns the new time."""
        return self.engine.advance_clock(seconds)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
        """Also expose this sandbox on a real socket (a background thread)."""
        return BackgroundServer(self.engine, host, port).start()

    def close(self) -> None:
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
