"""Receiving Stripe's webhooks: verify the signature, run each handler for an event once,
answer Stripe so that it retries exactly what still needs doing.

    hooks = WebhookReceiver("whsec_...", ledger=SQLiteLedger("webhooks.db"))

    @hooks.on("invoice.paid", "invoice.payment_failed")
    def billing(event: stripe.Event) -> None: ...

    outcome = hooks.handle(request_body, request_headers)   # any web framework
    app = hooks.asgi()                                       # or mount this / hooks.wsgi()

What the answer means to Stripe, which retries any non-2xx for three days:
- 400: the signature (or the payload) is wrong; nothing ran. A retry can only succeed once
  the secret is fixed.
- 500: a handler raised. The handlers that succeeded are recorded and will not run again;
  the retry runs the ones that failed.
- 409: another worker is running a handler for this event right now; the retry finds it
  done (or its lease expired, if that worker died).
- 200: every handler for the event has completed, now or on an earlier delivery; events
  no handler wants are acknowledged as they come.
Verification is the SDK's own (`stripe.WebhookSignature`), with every secret given tried
in turn, so a secret can be rolled without dropping deliveries.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import stripe

from .ledger import Claim, Ledger, MemoryLedger

if TYPE_CHECKING:
    from .apps import ASGIApp, WSGIApp

log = logging.getLogger("stripekit.webhooks")

Handler = Callable[[stripe.Event], Any]
# Stripe gives up on an event after three days of retries; done entries are kept for a
# month, then pruned (checked every PRUNE_EVERY claims).
RETENTION = 30 * 86400
PRUNE_EVERY = 1000


@dataclass(frozen=True)
class Registered:
    name: str
    handler: Handler
    types: tuple[str, ...]

    def wants(self, event_type: str) -> bool:
        for pattern in self.types:
            if pattern == "*" or pattern == event_type:
                return True
            if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
                return True
        return False


@dataclass
class Outcome:
    """What one delivery did, and the answer to give Stripe (`status`, `body()`)."""

    status: int
    event: stripe.Event | None = None
    handled: list[str] = field(default_factory=list)  # ran and completed now
    already_handled: list[str] = field(default_factory=list)  # completed on an earlier one
    in_progress: list[str] = field(default_factory=list)  # running elsewhere
    failed: dict[str, str] = field(default_factory=dict)  # handler -> exception class
    error: str | None = None  # why a 400 refused the delivery

    @property
    def duplicate(self) -> bool:
        """The event was seen before and nothing was left to do."""
        return bool(self.already_handled) and not (self.handled or self.failed or self.in_progress)

    def body(self) -> bytes:
        if self.error is not None:
            return orjson.dumps({"error": {"message": self.error}})
        assert self.event is not None
        return orjson.dumps(
            {
                "received": True,
                "id": self.event.id,
                "type": self.event.type,
                "handled": self.handled,
                "already_handled": self.already_handled,
                "in_progress": self.in_progress,
                # Only the exception's class: a webhook's answer is shown in Stripe's
                # dashboard, and messages may hold data. The log has the traceback.
                "failed": self.failed,
            }
        )


class WebhookReceiver:
    def __init__(
        self,
        secret: str | Sequence[str],
        *,
        ledger: Ledger | None = None,
        tolerance: int = stripe.Webhook.DEFAULT_TOLERANCE,
        lease: float = 600.0,
        livemode: bool | None = None,
    ) -> None:
        """`secret`: the endpoint's signing secret (`whsec_...`), or several while rolling
        one. `tolerance`: seconds a signature stays acceptable (replays older than that are
        refused; 0 turns the check off). `lease`: seconds a handler may run before another
        delivery may assume its worker died. `livemode`: refuse events of the other mode."""
        secrets = [secret] if isinstance(secret, str) else list(secret)
        if not secrets or not all(isinstance(s, str) and s.strip() for s in secrets):
            raise ValueError("a webhook signing secret (whsec_...) is required")
        self.secrets = secrets
        self.ledger = ledger if ledger is not None else MemoryLedger()
        self.tolerance = tolerance
        self.lease = lease
        self.livemode = livemode
        self._handlers: list[Registered] = []
        self._claims = 0

    # -- registering --------------------------------------------------------------------

    def on(self, *types: str, name: str | None = None) -> Callable[[Handler], Handler]:
        """Decorator: run the function for events of these types (`invoice.paid`), of a
        family (`invoice.*`), or all (`*`)."""

        def register(handler: Handler) -> Handler:
            self.add(handler, *types, name=name)
            return handler

        return register

    def add(self, handler: Handler, *types: str, name: str | None = None) -> None:
        """Register `handler`. Its `name` (by default its module and qualified name) is its
        key in the ledger: keep it stable across deploys, or done events run again."""
        if not types or not all(isinstance(t, str) and t for t in types):
            raise ValueError("name at least one event type, a family (`invoice.*`) or `*`")
        key = name or f"{handler.__module__}.{handler.__qualname__}"
        if any(r.name == key for r in self._handlers):
            raise ValueError(f"a handler named {key!r} is already registered")
        self._handlers.append(Registered(key, handler, tuple(types)))

    def handlers_for(self, event_type: str) -> list[Registered]:
        return [r for r in self._handlers if r.wants(event_type)]

    def enabled_events(self) -> list[str]:
        """What to give a webhook endpoint as `enabled_events` so it sends what the
        handlers want: their exact types, or `["*"]` if one takes a family or everything."""
        patterns = [p for r in self._handlers for p in r.types]
        if any(p == "*" or p.endswith(".*") for p in patterns):
            return ["*"]
        return list(dict.fromkeys(patterns))

    # -- receiving ----------------------------------------------------------------------

    def open(self, payload: bytes | str, signature: str | None) -> stripe.Event:
        """Verify and parse one delivery; raises `stripe.SignatureVerificationError` or
        ValueError (a payload that is no event)."""
        text = payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload
        problem: stripe.SignatureVerificationError | None = None
        for secret in self.secrets:
            try:
                stripe.WebhookSignature.verify_header(text, signature, secret, self.tolerance)
                break
            except stripe.SignatureVerificationError as exc:
                problem = exc
        else:
            assert problem is not None
            raise problem
        try:
            values = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError("the payload is not JSON") from exc
        if (
            not isinstance(values, dict)
            or values.get("object") != "event"
            or not isinstance(values.get("id"), str)
            or not isinstance(values.get("type"), str)
        ):
            raise ValueError("the payload is not a Stripe event")
        if self.livemode is not None and values.get("livemode") is not self.livemode:
            mode = "live" if values.get("livemode") else "test"
            raise ValueError(f"a {mode}-mode event reached a receiver for the other mode")
        return stripe.Event.construct_from(values, None)

    def _begin(
        self, payload: bytes | str, headers: Mapping[str, str] | str | None
    ) -> Outcome | tuple[stripe.Event, list[Registered]]:
        try:
            event = self.open(payload, _signature(headers))
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
            log.warning("webhook refused: %s", exc)
            return Outcome(400, error=str(exc))
        return event, self.handlers_for(event.type)

    def _claim(self, event: stripe.Event, registered: Registered) -> Claim:
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.ledger.prune(self.ledger.clock() - RETENTION)
        return self.ledger.claim(event.id, registered.name, self.lease)

    def _settle(
        self, outcome: Outcome, registered: Registered, error: BaseException | None
    ) -> None:
        assert outcome.event is not None
        if error is None:
            self.ledger.complete(outcome.event.id, registered.name)
            outcome.handled.append(registered.name)
            return
        log.error(
            "webhook handler %s failed on %s",
            registered.name,
            outcome.event.id,
            exc_info=(type(error), error, error.__traceback__),
        )
        self.ledger.fail(outcome.event.id, registered.name, repr(error))
        outcome.failed[registered.name] = type(error).__name__

    def handle(self, payload: bytes | str, headers: Mapping[str, str] | str | None) -> Outcome:
        """One delivery, from any web framework: the raw body (bytes, as received: the
        signature covers them exactly) and the request's headers, or the Stripe-Signature
        value. Handlers run in this thread; a coroutine handler runs to completion on a
        loop of its own."""
        begun = self._begin(payload, headers)
        if isinstance(begun, Outcome):
            return begun
        event, registered = begun
        outcome = Outcome(200, event)
        for entry in registered:
            if not _proceed(outcome, entry, self._claim(event, entry)):
                continue
            try:
                result = entry.handler(event)
                if inspect.isawaitable(result):
                    asyncio.run(_awaited(result))
            except Exception as exc:
                self._settle(outcome, entry, exc)
            else:
                self._settle(outcome, entry, None)
        return _finished(outcome)

    async def handle_async(
        self, payload: bytes | str, headers: Mapping[str, str] | str | None
    ) -> Outcome:
        """`handle` for async frameworks: coroutine handlers are awaited, plain ones and
        the ledger's writes run in worker threads, so the event loop never blocks."""
        begun = self._begin(payload, headers)
        if isinstance(begun, Outcome):
            return begun
        event, registered = begun
        outcome = Outcome(200, event)
        for entry in registered:
            claim = await asyncio.to_thread(self._claim, event, entry)
            if not _proceed(outcome, entry, claim):
                continue
            error: BaseException | None = None
            try:
                if inspect.iscoroutinefunction(entry.handler):
                    await entry.handler(event)
                else:
                    result = await asyncio.to_thread(entry.handler, event)
                    if inspect.isawaitable(result):
                        await result
            except Exception as exc:
                error = exc
            await asyncio.to_thread(self._settle, outcome, entry, error)
        return _finished(outcome)

    # -- mounting -----------------------------------------------------------------------

    def asgi(self, *, max_body: int = 10 * 1024 * 1024) -> ASGIApp:
        """An ASGI app answering POSTs at any path with `handle_async`."""
        from .apps import asgi_app

        return asgi_app(self, max_body=max_body)

    def wsgi(self, *, max_body: int = 10 * 1024 * 1024) -> WSGIApp:
        """A WSGI app answering POSTs at any path with `handle`."""
        from .apps import wsgi_app

        return wsgi_app(self, max_body=max_body)


def _signature(headers: Mapping[str, str] | str | None) -> str | None:
    if headers is None or isinstance(headers, str):
        return headers
    for name, value in headers.items():
        if name.lower() == "stripe-signature":
            return value
    return None


def _proceed(outcome: Outcome, entry: Registered, claim: Claim) -> bool:
    if claim == "done":
        outcome.already_handled.append(entry.name)
    elif claim == "busy":
        outcome.in_progress.append(entry.name)
    return claim == "run"


def _finished(outcome: Outcome) -> Outcome:
    outcome.status = 500 if outcome.failed else 409 if outcome.in_progress else 200
    return outcome


async def _awaited(result: Any) -> Any:
    return await result
