"""The deliverer: the IO half of webhook delivery, outside the sans-IO engine.

It reads due rows from the outbox (written by `RequestContext.emit` in the request's own
transaction, framework/outbox.py), POSTs each event signed as Stripe signs it, and records
the attempt in a transaction of its own. A crash between the POST and the record means the
event is sent again: at-least-once, as Stripe's delivery is.

Modes:
- "background" (default): a daemon thread, woken by the engine after each commit that
  queued deliveries (and when sandbox time moves), delivers while the API goes on
  answering; it starts when a delivery is queued (or at once when the store holds
  outstanding deliveries from an earlier run) and ends once none has been outstanding
  for a few seconds.
- "sync": the engine delivers right after the commit, before the API call returns, so a
  test sees its webhook handler's effects deterministically. Only for in-process calls:
  a request through the HTTP door is answered first and delivered in the background,
  since holding the server's event loop would deadlock a handler calling the sandbox.
- "manual": nothing is delivered until `deliver_due()` is called.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import orjson
import stripe

from ..framework import outbox
from ..resources.webhook_endpoints import SECRET_TYPE
from ..store import Delivery
from .targets import HTTPTransport, Interface, MountedTarget, Outcome, call_mounted, mount

if TYPE_CHECKING:
    from ..engine import Engine

log = logging.getLogger("stripekit.sandbox.webhooks")

Mode = Literal["background", "sync", "manual"]
MODES: tuple[Mode, ...] = ("background", "sync", "manual")
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
DEFAULT_TIMEOUT = 10.0
# The background thread looks at the outbox at least this often (wall seconds): another
# process sharing the SQLite file may have queued deliveries it was not woken for.
IDLE_POLL = 1.0
# Wall seconds without a wake-up after which a thread with nothing outstanding ends.
IDLE_LINGER = 5.0
# Deliveries claimed per read of the outbox: small, so the store's lock is held briefly.
BATCH = 16
# Seconds of sandbox time a claimed delivery stays leased beyond the attempt's timeout.
LEASE_MARGIN = 30.0
# Background delivery gives way to API requests: before each attempt it waits until no
# request has run for QUIET seconds, but never longer than MAX_DEFER, so a steady stream
# of requests slows delivery down without stopping it (wall seconds).
QUIET = 0.002
MAX_DEFER = 0.25


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _under(url: str, prefix: str) -> bool:
    """`http://app.test` covers `http://app.test/hooks`, not `http://app.test.example`."""
    if not url.startswith(prefix):
        return False
    rest = url[len(prefix) :]
    return not rest or prefix.endswith("/") or rest[0] in "/?#"


@dataclass(frozen=True, slots=True)
class _Job:
    delivery: Delivery
    url: str
    secret: str
    payload: bytes


class Deliverer:
    def __init__(
        self,
        engine: Engine,
        *,
        mode: Mode = "background",
        time_factor: float = 1.0,
        timeout: float = DEFAULT_TIMEOUT,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"webhook delivery mode must be one of {', '.join(MODES)}")
        if time_factor <= 0:
            raise ValueError("the webhook time factor must be positive")
        self.engine = engine
        self.mode: Mode = mode
        self.time_factor = float(time_factor)
        self.timeout = timeout
        self.idle_linger = IDLE_LINGER
        self._wall = wall
        self._http = HTTPTransport()
        self._targets: list[MountedTarget] = []
        self._pass_lock = threading.Lock()
        self._in_pass = threading.local()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        engine.on_outbox = self.notify
        if mode == "background" and self._next_due() is not None:
            self._start()  # an earlier run left deliveries outstanding

    # -- configuration --------------------------------------------------------------------

    def mount(self, prefix: str, target: Any, interface: Interface = "auto") -> None:
        """Deliver to `target` in-process for every endpoint URL starting with `prefix`."""
        self._targets = [t for t in self._targets if t.prefix != prefix]
        self._targets.append(mount(prefix, target, interface))
        # The longest prefix wins.
        self._targets.sort(key=lambda t: len(t.prefix), reverse=True)

    def unmount(self, prefix: str) -> None:
        self._targets = [t for t in self._targets if t.prefix != prefix]

    def set_mode(self, mode: Mode) -> None:
        if mode not in MODES:
            raise ValueError(f"webhook delivery mode must be one of {', '.join(MODES)}")
        self.mode = mode
        self.notify()

    # -- waking ---------------------------------------------------------------------------

    def notify(self) -> None:
        """The engine's hook: something was queued, or sandbox time moved."""
        if self.mode == "sync" and not _on_event_loop():
            self.deliver_due()
        elif self.mode != "manual":
            # Also "sync" on the HTTP door's event loop: blocking the loop on a delivery
            # would deadlock an app whose webhook handler calls the sandbox back.
            self._wake.set()
            self._start()

    @property
    def running(self) -> bool:
        """Whether the background thread is up (it ends when nothing is outstanding)."""
        with self._thread_lock:
            return self._thread is not None

    def _start(self) -> None:
        with self._thread_lock:
            if self._thread is not None or self._stopping:
                return
            self._wake.set()  # a first pass at once
            self._thread = threading.Thread(
                target=self._run, name="stripekit-webhook-deliverer", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        """Deliver until nothing has been outstanding for `idle_linger` seconds, then end:
        an idle sandbox keeps no thread (nor, through it, itself) alive, and the next
        queued delivery starts one. (Ending at once cost every paced request a thread
        start and the new thread's first grab of the GIL: 1.6x a create's latency.)"""
        idle_since: float | None = None
        while not self._stopping:
            self._wake.wait(self._wait_seconds())
            woken = self._wake.is_set()
            self._wake.clear()
            if self._stopping:
                break
            try:
                self.deliver_due()
            except Exception:  # keep delivering whatever one pass ran into
                log.exception("webhook delivery pass failed")
            if woken:
                idle_since = None
                continue
            idle_since = idle_since if idle_since is not None else time.monotonic()
            if time.monotonic() - idle_since < self.idle_linger:
                continue  # a thread start per request would cost more than waiting
            with self._thread_lock:
                # A wake set meanwhile means a commit queued more: go round again.
                if not self._wake.is_set() and self._next_due() is None:
                    self._thread = None
                    return
        with self._thread_lock:
            self._thread = None

    def _next_due(self) -> float | None:
        with self.engine.store.transaction(write=False) as tx:
            return tx.next_delivery_due()

    def _wait_seconds(self) -> float:
        due = self._next_due()
        if due is None:
            return IDLE_POLL
        return min(max(due - self.engine.clock.time(), 0.0), IDLE_POLL)

    def close(self) -> None:
        self._stopping = True
        self._wake.set()
        with self._thread_lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout + 1)
        self._thread = None
        self._http.close()

    # -- delivering -----------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Attempt every delivery due now (including those that fall due while this runs);
        returns the number of attempts made."""
        if getattr(self._in_pass, "active", False):
            return 0  # a mounted target called the sandbox: the running pass continues
        attempts = 0
        with self._pass_lock:
            self._in_pass.active = True
            try:
                while not self._stopping:
                    jobs = self._claim()
                    if not jobs:
                        break
                    for done, job in enumerate(jobs):
                        if self._stopping:
                            self._release(jobs[done:])
                            break
                        if self.mode == "background":
                            self._give_way()
                        self._attempt(job)
                        attempts += 1
            finally:
                self._in_pass.active = False
        return attempts

    def _give_way(self) -> None:
        """Wait for a quiet moment between API requests (at most MAX_DEFER): a burst of
        requests runs at full speed and its deliveries follow it."""
        deadline = time.monotonic() + MAX_DEFER
        while (now := time.monotonic()) < deadline:
            quiet_for = now - self.engine.last_request
            if self.engine.busy == 0 and quiet_for >= QUIET:
                return
            time.sleep(max(QUIET - quiet_for, 0.0005))

    def _claim(self) -> list[_Job]:
        """Take the due deliveries: each is leased (its next attempt pushed past the time
        an attempt can take), so another process sharing the store does not send it too;
        the attempt's record replaces the lease, and a crash lets it lapse."""
        jobs: list[_Job] = []
        with self.engine.store.transaction(write=True) as tx:
            now = self.engine.clock.time()
            for delivery in tx.deliveries_due(now, BATCH):
                account = delivery.account
                endpoint = tx.get(account, outbox.ENDPOINT_TYPE, delivery.endpoint)
                secret = tx.get(account, SECRET_TYPE, delivery.endpoint)
                event = outbox.event_of(tx, delivery)[1]
                if (
                    endpoint is None
                    or endpoint.get("deleted")
                    or endpoint.get("status") != "enabled"
                    or secret is None
                    or event is None
                ):
                    outbox.abandon(tx, delivery)
                    continue
                tx.delivery_put(replace(delivery, next_attempt=now + self.timeout + LEASE_MARGIN))
                # Stripe sends the event pretty-printed.
                payload = orjson.dumps(event, option=orjson.OPT_INDENT_2)
                jobs.append(_Job(delivery, endpoint["url"], secret["secret"], payload))
        return jobs

    def _release(self, jobs: list[_Job]) -> None:
        """Give back leases on deliveries claimed but not attempted (the sandbox is
        closing), so a restart sends them at once."""
        with self.engine.store.transaction(write=True) as tx:
            for job in jobs:
                current = tx.delivery_get(job.delivery.id)
                if current is not None and current.status == "pending":
                    tx.delivery_put(replace(current, next_attempt=job.delivery.next_attempt))

    def _send(self, url: str, payload: bytes, headers: Mapping[str, str]) -> Outcome:
        for target in self._targets:
            if _under(url, target.prefix):
                return call_mounted(target, url, payload, headers)
        return self._http.post(url, payload, headers, self.timeout)

    def _attempt(self, job: _Job) -> None:
        signature = stripe.WebhookSignature.generate_signature_header(
            job.payload.decode(), job.secret, int(self._wall())
        )
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": signature,
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
        }
        started = time.perf_counter()
        status_code, error = self._send(job.url, job.payload, headers)
        duration_ms = (time.perf_counter() - started) * 1000
        with self.engine.store.transaction(write=True) as tx:
            current = tx.delivery_get(job.delivery.id)
            if current is None or current.status != "pending":
                return  # settled meanwhile (another process sharing the store)
            outbox.record_attempt(
                tx,
                current,
                at=self.engine.clock.time(),
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                time_factor=self.time_factor,
            )
