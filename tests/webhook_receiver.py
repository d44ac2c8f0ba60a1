"""A webhook receiver for tests: a real HTTP server on a thread that checks every
delivery's `Stripe-Signature` with the official SDK (`stripe.Webhook.construct_event`)
and answers with the status codes it is told to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    event: stripe.Event | None  # None when the signature did not verify
    error: str | None = None


@dataclass
class Receiver:
    """`statuses` are answered in order (then 200); `delay` seconds are slept first."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                receiver._record(self.path, dict(self.headers.items()), body)
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        event, error = None, None
        try:
            event = stripe.Webhook.construct_event(
                body.decode(), headers.get("Stripe-Signature", ""), self.secret
            )
        except (stripe.SignatureVerificationError, ValueError) as exc:
            error = str(exc)
        with self._lock:
            self.received.append(Received(path, headers, body, event, error))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def events(self) -> list[stripe.Event]:
        """The verified events received so far (failing the test on a bad signature)."""
        with self._lock:
            got = list(self.received)
        bad = [r.error for r in got if r.event is None]
        assert not bad, bad
        return [r.event for r in got if r.event is not None]


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `check()` is truthy; its value, or an AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        time.sleep(0.01)


def serve_receiver(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options).start()
    try:
        yield receiver
    finally:
        receiver.stop()
