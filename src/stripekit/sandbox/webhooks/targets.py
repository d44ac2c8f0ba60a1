"""Where a delivery goes: a real URL over HTTP, or a target mounted in-process (a Python
callable, a WSGI app or an ASGI app) that receives the same bytes and headers without a
socket."""

from __future__ import annotations

import asyncio
import http.client
import inspect
import io
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

# (status code or None, error or None): None status means no answer came back.
Outcome = tuple[int | None, str | None]
Interface = Literal["auto", "function", "wsgi", "asgi"]
# A function target: `handler(payload, headers)` returns the status code (None is 200).
FunctionTarget = Callable[[bytes, Mapping[str, str]], int | None]


class HTTPTransport:
    """POSTs with the standard library's `http.client`, keeping one connection alive per
    host between deliveries. Redirects are not followed (Stripe counts a 3xx as a
    failure). `requests` cost five times the CPU per delivery, CPU a background deliverer
    takes from the API's requests in the same process."""

    def __init__(self) -> None:
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._lock = threading.Lock()

    def _connection(
        self, scheme: str, host: str, port: int, timeout: float
    ) -> tuple[http.client.HTTPConnection, bool]:
        key = (scheme, host, port)
        with self._lock:
            conn = self._connections.pop(key, None)
        if conn is not None:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            return conn, True
        factory = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        return factory(host, port, timeout=timeout), False

    def _keep(self, key: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            old = self._connections.pop(key, None)
            self._connections[key] = conn
        if old is not None:
            old.close()

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Outcome:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            return None, "Invalid URL"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (scheme, host, port)
        for _ in range(2):
            conn, reused = self._connection(scheme, host, port, timeout)
            try:
                conn.request("POST", target, body=body, headers=dict(headers))
                response = conn.getresponse()
                response.read()
            except TimeoutError:
                conn.close()
                return None, "Timed out"
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if reused:
                    continue  # the app closed the idle kept-alive connection: a fresh one
                return None, "Connection reset by remote host"
            except OSError as exc:
                conn.close()
                if isinstance(exc, ConnectionRefusedError | socket.gaierror):
                    return None, "Failed to connect to remote host"
                return None, f"{type(exc).__name__}: {exc}"
            except http.client.HTTPException as exc:
                conn.close()
                return None, f"{type(exc).__name__}: {exc}"
            if response.will_close:
                conn.close()
            else:
                self._keep(key, conn)
            return response.status, None
        return None, "Connection reset by remote host"

    def close(self) -> None:
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for conn in connections:
            conn.close()


@dataclass(frozen=True, slots=True)
class MountedTarget:
    prefix: str
    call: Callable[[str, bytes, Mapping[str, str]], int]


def _guess(target: Any) -> Interface:
    call = target if inspect.isroutine(target) else getattr(target, "__call__", target)  # noqa: B004
    if inspect.iscoroutinefunction(call):
        return "asgi"
    try:
        names = list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return "function"
    return "wsgi" if names[:2] == ["environ", "start_response"] else "function"


class Headers(dict[str, str]):
    """Request headers as a function target gets them: looked up in any case
    (`headers["stripe-signature"]`), as web frameworks do."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__((name.lower(), value) for name, value in headers.items())

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


def _function(target: FunctionTarget) -> Callable[[str, bytes, Mapping[str, str]], int]:
    def call(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        status = target(body, Headers(headers))
        return 200 if status is None else int(status)

    return call


def _wsgi(app: Any) -> Callable[[str, bytes, Mapping[str, str]], int]:
    def call(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        parts = urlsplit(url)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": parts.path or "/",
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            else:
                environ[f"HTTP_{key}"] = value
        statuses: list[int] = []

        def start_response(status: str, response_headers: Any, exc_info: Any = None) -> Any:
            statuses.append(int(status.split(" ", 1)[0]))
            return lambda data: None

        chunks: Iterable[bytes] = app(environ, start_response)
        try:
            for _ in chunks:
                pass  # the body is not recorded, only the status
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return statuses[-1] if statuses else 500

    return call


def _asgi(app: Any) -> Callable[[str, bytes, Mapping[str, str]], int]:
    async def run(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        parts = urlsplit(url)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": parts.scheme,
            "path": parts.path or "/",
            "raw_path": (parts.path or "/").encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "server": (parts.hostname or "localhost", parts.port or 80),
            "client": ("127.0.0.1", 0),
        }
        sent = False
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))

        await app(scope, receive, send)
        return statuses[-1] if statuses else 500

    def call(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(run(url, body, headers))
        # Called from inside an event loop (a sandbox served by uvicorn in sync mode):
        # the app gets a loop of its own on a helper thread.
        result: list[int] = []
        errors: list[BaseException] = []

        def in_thread() -> None:
            try:
                result.append(asyncio.run(run(url, body, headers)))
            except BaseException as exc:  # handed back to the caller below
                errors.append(exc)

        helper = threading.Thread(target=in_thread, name="stripekit-asgi-webhook")
        helper.start()
        helper.join()
        if errors:
            raise errors[0]
        return result[0]

    return call


def mount(prefix: str, target: Any, interface: Interface = "auto") -> MountedTarget:
    kind = _guess(target) if interface == "auto" else interface
    adapters = {"function": _function, "wsgi": _wsgi, "asgi": _asgi}
    if kind not in adapters:
        raise ValueError(f"unknown webhook target interface {interface!r}")
    return MountedTarget(prefix, adapters[kind](target))


def call_mounted(
    target: MountedTarget, url: str, body: bytes, headers: Mapping[str, str]
) -> Outcome:
    try:
        return target.call(url, body, headers), None
    except Exception as exc:  # the app's failure is the endpoint's answer, as a 500 would be
        return None, f"{type(exc).__name__}: {exc}"
