"""Running the HTTP door under uvicorn: in the foreground (`stripekit sandbox serve`) or on
a background thread (tests, `Sandbox.serve()`)."""

from __future__ import annotations

import asyncio
import ctypes
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .asgi import create_app
from .engine import Engine


class _OneWriteTransport:
    """A transport that hands everything written during one turn of the event loop to the
    socket in one write.

    uvicorn writes a response's head and its body separately, and each write is a send()
    through the loopback TCP stack: about a sixth of what a small response costs the
    server. Joining them saves that, and waits no longer than the current loop turn.
    Everything but `write` and `close` goes to the real transport."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _OneWriteHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing each loop turn's output at once."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Requests (and their response cycles) write through this; flow control and the
        # connection's addresses keep the real transport.
        self.transport = _OneWriteTransport(transport, self.loop)  # type: ignore[assignment]


def _config(engine: Engine, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(engine),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http=_OneWriteHttpProtocol,
        # The sandbox speaks HTTP only; an Upgrade request is answered as a plain request.
        ws="none",
        loop="uvloop",
        # No proxy sits in front of a local sandbox; the middleware costs every request.
        proxy_headers=False,
        server_header=False,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket with TCP_NODELAY, which accepted connections inherit on Linux.

    uvicorn writes a response's head and body separately; with Nagle's algorithm on, the
    body then waits for the client's delayed ACK and every request costs ~40 ms."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def tune_malloc() -> None:
    """Keep glibc from returning heap memory to the OS after every large free.

    A server whose store grows by ~1 KB per create otherwise shrinks and regrows its heap
    top constantly (brk and page faults); at 100k objects that tripled the cost of a
    create on these machines. Only the server process, which we own, is tuned."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad = -1, -2
        libc.mallopt(m_trim_threshold, 512 * 1024 * 1024)
        libc.mallopt(m_top_pad, 64 * 1024 * 1024)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def serve_forever(engine: Engine, host: str, port: int) -> None:
    tune_malloc()
    sock = listening_socket(host, port)
    try:
        uvicorn.Server(_config(engine, host, port)).run(sockets=[sock])
    finally:
        sock.close()


class BackgroundServer:
    """The sandbox on a real socket, on a daemon thread; `url` is its base address."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = listening_socket(host, port)
        self.host, self.port = self._sock.getsockname()[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._server = uvicorn.Server(_config(engine, host, self.port))
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._sock])),
            name="stripekit-sandbox",
            daemon=True,
        )

    def start(self) -> BackgroundServer:
        if self._thread.is_alive():
            return self
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server failed to start")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
