"""The sans-IO core: one `handle()` that both doors (ASGI, in-process) call.

It owns everything between the bytes of a request and the bytes of the answer: auth,
routing, decoding, validation against the spec's parameter tables, idempotency, the
per-request transaction, expansion, rendering and Stripe-shaped errors. Resources only
see a `RequestContext` and validated params.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import control, resources
from .framework import apikeys, formdecode, multipart, pages, permissions
from .framework import params as param_rules
from .framework.clock import Clock
from .framework.context import RequestContext
from .framework.errors import (
    ApiError,
    AuthenticationError,
    IdempotencyError,
    InvalidRequestError,
    PermissionDenied,
    StripeError,
)
from .framework.expand import expand, hide_includable
from .framework.ids import IdFactory
from .framework.routing import Route, Router
from .resources import accounts
from .store import IdempotencyRecord, KeyRecord, MemoryStore, Store, Transaction, WriteNeeded

log = logging.getLogger("stripekit.sandbox")

API_VERSION = "2026-08-26.dahlia"
IDEMPOTENCY_TTL = 24 * 3600
MAX_IDEMPOTENCY_KEY = 255
_EXPAND_ONLY: dict[str, Any] = {
    "t": "object",
    "p": {"expand": {"t": "array", "i": {"t": "string", "m": 5000}}},
    "a": {},
}
_JSON_HEADERS = (("content-type", "application/json"), ("stripe-version", API_VERSION))


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass(frozen=True, slots=True)
class Caller:
    account: str
    key: str
    permissions: dict[str, str] | None


@dataclass
class Engine:
    store: Store = field(default_factory=MemoryStore)
    clock: Clock = field(default_factory=Clock)
    ids: IdFactory = field(default_factory=IdFactory)
    strict_keys: bool = False
    routes: Iterable[Route] = ()
    # The address pages are linked under when a request names no Host (timers, tests).
    base_url: str = "http://localhost"
    # Called after a commit that queued webhook deliveries, or after sandbox time moved
    # (retries may have fallen due): the deliverer's wake-up (sandbox/webhooks/).
    on_outbox: Callable[[], None] | None = None
    # Requests in progress and when the last one ended (monotonic seconds): background
    # webhook delivery waits for a quiet moment, so it never takes the CPU from a request.
    busy: int = 0
    last_request: float = 0.0

    def __post_init__(self) -> None:
        self._router = Router([*resources.ROUTES, *control.ROUTES, *self.routes])
        self._expandable = param_rules.load_tables()["expandable"]
        self._schemas: dict[tuple[str, str], dict[str, Any] | None] = {}
        # Keys never change once stored, so each is read from the store once per engine.
        self._callers: dict[str, Caller] = {}
        self._next_due: int | None = None
        self._due_checked_at = float("-inf")
        with self.store.transaction(write=True) as tx:
            offset = tx.meta_get("clock_offset")
            if offset is not None:
                self.clock.set_offset(float(offset))

    # -- administration (used by the doors, the CLI and control endpoints) -------------

    def default_key(self) -> str:
        """The secret key of the sandbox's first account, created on first use."""
        with self.store.transaction(write=True) as tx:
            key = tx.meta_get("default_key")
            if key is None:
                key = self.issue_key(tx)
                tx.meta_put("default_key", key)
            return key

    def issue_key(
        self,
        tx: Transaction,
        account: str | None = None,
        permissions: dict[str, str] | None = None,
    ) -> str:
        prefix = "sk_test" if permissions is None else "rk_test"
        key = f"{prefix}_{self.ids.secret_chars(24)}"
        account = account or self.ids.new("acct", 16)
        tx.key_put(KeyRecord(key, account, permissions, issued=True))
        return key

    def create_restricted_key(self, api_key: str, permissions_set: dict[str, str]) -> str:
        with self.store.transaction(write=True) as tx:
            caller = self._authenticate(tx, f"Bearer {api_key}")
            return self.issue_key(tx, caller.account, permissions.check(permissions_set))

    @contextmanager
    def context_for(self, api_key: str, *, now: int | None = None) -> Iterator[RequestContext]:
        """Sandbox code's view of `api_key`'s account inside one transaction, committed
        when the block ends (what a timer or a page handler gets): for tests of the
        sandbox's internals."""
        with self.store.transaction(write=True) as tx:
            caller = self._authenticate(tx, f"Bearer {api_key}")
            ctx = self._context(tx, caller.account, None, None, now=now)
            yield ctx
        self._note_timers(ctx)
        if ctx.outbox:
            self._outbox_changed()

    def advance_clock(self, seconds: float) -> int:
        now = self.clock.advance(seconds)
        with self.store.transaction(write=True) as tx:
            tx.meta_put("clock_offset", repr(self.clock.current_offset()))
        self._run_due_timers()
        self._outbox_changed()
        return now

    def _outbox_changed(self) -> None:
        if self.on_outbox is None:
            return
        try:
            self.on_outbox()
        except Exception:  # delivery never fails the request that caused it
            log.exception("sandbox webhook delivery failed")

    # -- the door -------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: bytes | str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """One request in, one response out. Header names must be lower-case (ASGI's are;
        the in-process door lowers the SDK's)."""
        request_id = self.ids.new("req", 14)
        self.busy += 1
        try:
            response = self._handle(method.upper(), path, query, headers, body, request_id)
        except StripeError as exc:
            response = self._error(exc)
        except Exception:  # a bug of ours: Stripe's 500 shape, never a traceback
            log.exception("sandbox error on %s %s", method, path)
            response = self._error(ApiError("An unknown error occurred", code=None))
        finally:
            self.busy -= 1
            self.last_request = time.monotonic()
        response.headers.append(("request-id", request_id))
        return response

    def _error(self, exc: StripeError) -> Response:
        return Response(exc.status, list(_JSON_HEADERS), orjson.dumps(exc.body()))

    def _schema(self, route: Route) -> dict[str, Any] | None:
        key = (route.method, route.template)
        if key not in self._schemas:
            self._schemas[key] = param_rules.operation_schema(route.method, route.template)
        return self._schemas[key]

    def _handle(
        self,
        method: str,
        path: str,
        query: bytes | str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        args = (method, path, query, headers, body, request_id)
        try:
            return self._handle_as(method != "GET", *args)
        except WriteNeeded:
            # A GET that writes after all (a new key opens its account, a test payment
            # method is made on first use, an upcoming invoice is drafted in a savepoint)
            # on a store whose reads cannot write: it refused before writing anything, so
            # the request runs again, as a write.
            return self._handle_as(True, *args)

    def _handle_as(
        self,
        write: bool,
        method: str,
        path: str,
        query: bytes | str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        self._run_due_timers()
        matched = self._router.match(method, path)
        if matched is not None and matched[0].public:
            return self._handle_page(
                matched[0], matched[1], method, query, headers, body, request_id
            )
        idem_key = headers.get("idempotency-key") if method in ("POST", "DELETE") else None
        with self.store.transaction(write=write) as tx:
            caller = self._acting(
                tx,
                self._authenticate(tx, headers.get("authorization")),
                headers.get("stripe-account"),
            )
            if matched is None:
                raise _unrecognized(method, path)
            route, path_params = matched
            permissions.authorize(route, caller.key, caller.account, caller.permissions)
            raw = _decode(method, query, headers, body)
            if method == "POST" and query:
                # Stripe reads query parameters on POST too; the body wins on a clash.
                raw = {**formdecode.decode(query), **raw}
            schema = self._schema(route)
            # An empty query on an operation with no required parameter is valid as is.
            if schema is None and "expand" in raw:
                # An operation the spec has no table for (a legacy one) still gets `expand`
                # as a list, however the client encoded it (`expand[0]=...`).
                params = {**raw, "expand": param_rules.validate(_EXPAND_ONLY, raw)["expand"]}
            elif schema is None or (not raw and not schema.get("r")):
                params = raw
            else:
                params = param_rules.validate(schema, raw)
            now = self.clock.now()
            params_hash = ""
            if idem_key is not None:
                params_hash = hashlib.blake2b(
                    orjson.dumps(raw, default=multipart.hashable, option=orjson.OPT_SORT_KEYS),
                    digest_size=16,
                ).hexdigest()
                replay = self._replay(tx, caller, idem_key, method, path, params_hash, now)
                if replay is not None:
                    return replay
            ctx = self._context(
                tx, caller.account, request_id, idem_key, now=now, host=headers.get("host")
            )
            ctx.stripe_version = headers.get("stripe-version")
            outcome = self._run(tx, ctx, route, params, path_params)
            if isinstance(outcome, pages.Page):
                # A download (a file's contents): bytes as they are, never replayed.
                return Response(outcome.status, outcome.header_list(), outcome.body())
            status, payload = outcome
            self._note_timers(ctx)
            if idem_key is not None:
                tx.idempotency_put(
                    caller.account,
                    idem_key,
                    IdempotencyRecord(method, path, params_hash, status, payload, now),
                )
        # After the commit: the deliverer reads what this request queued. A control
        # request may have moved sandbox time, making retries due.
        if ctx.outbox or (route.control and write):
            self._outbox_changed()
        response_headers = list(_JSON_HEADERS)
        if idem_key is not None:
            response_headers.append(("idempotency-key", idem_key))
        return Response(status, response_headers, payload)

    def _handle_page(
        self,
        route: Route,
        path_params: dict[str, str],
        method: str,
        query: bytes | str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        """A page the sandbox serves to a browser (3-D Secure, later Checkout): no API key;
        the account is part of the page's address, and the answer is HTML or a redirect."""
        account = path_params.pop("account", "")
        raw = formdecode.decode(body if method == "POST" else query)
        # A GET may write too: coming back from 3-D Secure completes a Checkout Session,
        # and opening a payment link starts one.
        with self.store.transaction(write=True) as tx:
            ctx = self._context(tx, account, request_id, None, host=headers.get("host"))
            try:
                result = route.handler(ctx, raw, **path_params)
            except StripeError as exc:
                result = pages.error_page(exc)
            if not isinstance(result, pages.Page):
                raise TypeError(f"{route.template} must answer with a Page")
            self._note_timers(ctx)
        if ctx.outbox:
            self._outbox_changed()
        return Response(result.status, result.header_list(), result.body())

    def _context(
        self,
        tx: Transaction,
        account: str,
        request_id: str | None,
        idem_key: str | None,
        now: int | None = None,
        host: str | None = None,
    ) -> RequestContext:
        return RequestContext(
            tx=tx,
            account=account,
            now=self.clock.now() if now is None else now,
            ids=self.ids,
            request_id=request_id,
            idempotency_key=idem_key,
            api_version=API_VERSION,
            base_url=f"http://{host}" if host else self.base_url,
        )

    # -- sandbox time: work that falls due -----------------------------------------------

    def _note_timers(self, ctx: RequestContext) -> None:
        if ctx.scheduled is not None and (self._next_due is None or ctx.scheduled < self._next_due):
            self._next_due = ctx.scheduled

    def _run_due_timers(self) -> None:
        """Run, in due order, what sandbox time has made due (payouts landing, uncaptured
        charges expiring...). Each timer runs in its own transaction at its own due time,
        so its events carry the moment it happened, not the moment it was noticed."""
        wall = time.monotonic()
        if wall >= self._due_checked_at + 1.0:
            # Another process sharing the store may have scheduled work: look again.
            with self.store.transaction(write=False) as tx:
                self._next_due = tx.next_due()
            self._due_checked_at = wall
        if self._next_due is None:
            return  # the usual case: nothing scheduled, nothing to read the clock for
        now = self.clock.now()
        while self._next_due is not None and self._next_due <= now:
            with self.store.transaction(write=True) as tx:
                due = tx.timers_due(now, limit=1)
                if not due:
                    self._next_due = tx.next_due()
                    continue
                timer = due[0]
                tx.timer_remove(timer.id)
                ctx = self._context(tx, timer.account, None, None, now=timer.due)
                tx.savepoint()
                try:
                    resources.TIMERS[timer.kind](ctx, timer.ref)
                except Exception:  # a timer's bug must not take requests down with it
                    log.exception("sandbox timer %s on %s failed", timer.kind, timer.ref)
                    tx.rollback_savepoint()
                else:
                    tx.release_savepoint()
                self._next_due = tx.next_due()
            if ctx.outbox:
                self._outbox_changed()

    def _run(
        self,
        tx: Transaction,
        ctx: RequestContext,
        route: Route,
        params: dict[str, Any],
        path_params: dict[str, str],
    ) -> tuple[int, bytes] | pages.Page:
        """Run the handler; a Stripe error it raises undoes its writes (unless the error
        says the failed attempt itself is a fact, as a declined charge is) but is still
        the answer an idempotent retry replays."""
        expand_paths = params.pop("expand", None) or []
        # A read has nothing to undo; a write's savepoint lets a refusal undo its writes.
        guarded = route.method != "GET"
        if guarded:
            tx.savepoint()
        try:
            if route.control:
                result = route.handler(self, ctx, params, **path_params)
            else:
                result = route.handler(ctx, params, **path_params)
            if isinstance(result, pages.Page):
                if guarded:
                    tx.release_savepoint()
                return result
            if expand_paths:
                result = expand(ctx, result, list(expand_paths), self._expandable)
            hide_includable(result, expand_paths, resources.INCLUDABLE)
        except StripeError as exc:
            if guarded:
                if exc.keep_writes:
                    tx.release_savepoint()
                else:
                    tx.rollback_savepoint()
            return exc.status, orjson.dumps(exc.body())
        if guarded:
            tx.release_savepoint()
        return 200, orjson.dumps(result)

    def _replay(
        self,
        tx: Transaction,
        caller: Caller,
        key: str,
        method: str,
        path: str,
        params_hash: str,
        now: int,
    ) -> Response | None:
        if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidRequestError(
                f"Idempotent key length is {len(key)}, which is outside accepted lengths. "
                f"Idempotent Keys must be 1-{MAX_IDEMPOTENCY_KEY} characters long. If you're "
                "looking for a decent generator, try using a UUID defined by IETF RFC 4122."
            )
        record = tx.idempotency_get(caller.account, key)
        if record is None:
            return None
        if record.created <= now - IDEMPOTENCY_TTL:
            tx.idempotency_delete(caller.account, key)
            return None
        if record.method != method or record.path != path:
            raise IdempotencyError(
                "Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{record.path}' vs '{path}'). "
                f"Try using a key other than '{key}' if you meant to execute a different "
                "request.",
            )
        if record.params_hash != params_hash:
            raise IdempotencyError(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
            )
        headers = [*_JSON_HEADERS, ("idempotency-key", key), ("idempotent-replayed", "true")]
        return Response(record.status, headers, record.body)

    # -- auth -----------------------------------------------------------------------------

    def _authenticate(self, tx: Transaction, authorization: str | None) -> Caller:
        # Callers are cached by the header as sent (each client sends the same one every
        # time), so the common request skips parsing it.
        cached = self._callers.get(authorization) if authorization else None
        if cached is not None:
            return cached
        key = apikeys.from_header(authorization)
        record = tx.key_get(key)
        if record is None:
            if self.strict_keys or not apikeys.is_well_formed_secret(key):
                raise AuthenticationError(f"Invalid API Key provided: {apikeys.mask(key)}")
            # A new account; not cached until committed, as the request may yet roll back.
            record = KeyRecord(key, self.ids.new("acct", 16), None, issued=False)
            tx.key_put(record)
            return Caller(record.account, key, record.permissions)
        if self.strict_keys and not record.issued:
            raise AuthenticationError(f"Invalid API Key provided: {apikeys.mask(key)}")
        caller = Caller(record.account, key, record.permissions)
        if authorization is not None and len(self._callers) < 100_000:
            self._callers[authorization] = caller
        return caller

    @staticmethod
    def _acting(tx: Transaction, caller: Caller, stripe_account: str | None) -> Caller:
        """The account a request acts as: the key's own, or (with `Stripe-Account`) an
        account connected to it, whose objects, balance, events and idempotency keys the
        request then uses. Any other account is Stripe's 403."""
        if not stripe_account or stripe_account == caller.account:
            return caller
        link = tx.get(caller.account, accounts.OBJECT, stripe_account)
        if link is None or link.get("deleted"):
            raise PermissionDenied(
                "The provided key does not have access to account "
                f"'{stripe_account}' (or that account does not exist). Application access "
                "may have been revoked.",
                code="account_invalid",
            )
        return dataclasses.replace(caller, account=stripe_account)


def _decode(
    method: str, query: bytes | str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """A GET's query, or a POST's body: form-encoded, or multipart (file uploads)."""
    if method != "POST":
        return formdecode.decode(query)
    content_type = headers.get("content-type")
    if content_type is not None and multipart.is_multipart(content_type):
        return multipart.decode(body, content_type)
    return formdecode.decode(body)


def _unrecognized(method: str, path: str) -> InvalidRequestError:
    hint = ""
    if path.endswith("/") and path != "/":
        hint = (
            " If you are trying to list objects, remove the trailing slash. If you are trying"
            " to retrieve an object, make sure you passed a valid (non-empty) identifier in"
            " your code."
        )
    return InvalidRequestError(
        f"Unrecognized request URL ({method}: {path}).{hint} Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        status=404,
    )
