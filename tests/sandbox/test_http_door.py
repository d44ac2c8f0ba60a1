"""The HTTP door at the byte level: what a plain HTTP/1.1 client sees on the socket.

The server joins each loop turn's writes into one (`server._OneWriteTransport`); these
tests pin what that must never change: every response whole and in order, on kept-alive,
pipelined and closing connections, small and large.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import orjson
import pytest

from schema_check import validate_response
from stripekit.sandbox import Sandbox
from stripekit.sandbox.server import BackgroundServer


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, BackgroundServer]]:
    with Sandbox() as sandbox, sandbox.serve() as server:
        yield sandbox, server


def _request(method: str, path: str, key: str, body: str = "", extra: str = "") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body.encode())}\r\n{extra}\r\n"
    )
    return (head + body).encode()


class _Reader:
    """Reads Content-Length framed responses off one socket, in the order asked, and
    checks each body against the spec like every other answer in the tests."""

    def __init__(self, sock: socket.socket, key: str) -> None:
        self.sock = sock
        self.key = key
        self.buffer = b""
        self.asked: list[tuple[str, str]] = []

    def send(self, *requests: tuple[str, str, str, str]) -> None:
        """Write (method, path, body, extra headers) requests in one go."""
        data = b""
        for method, path, body, extra in requests:
            data += _request(method, path, self.key, body, extra)
            self.asked.append((method, path.partition("?")[0]))
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), "connection closed before a response head"
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            assert self._fill(), "connection closed inside a response body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        status = int(status_line.split()[1])
        method, path = self.asked.pop(0)
        validate_response(method, path, status, orjson.loads(body))
        return status, headers, body

    def closed(self) -> bool:
        return not self.buffer and not self._fill()


@pytest.fixture
def reader(served: tuple[Sandbox, BackgroundServer]) -> Iterator[_Reader]:
    sandbox, server = served
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        yield _Reader(sock, sandbox.api_key)


def test_pipelined_requests_answered_whole_and_in_order(reader: _Reader) -> None:
    # Three requests in one packet: the answers may leave in one write, but each one
    # whole, in the order asked.
    reader.send(
        ("POST", "/v1/customers", "email=one%40example.com", ""),
        ("POST", "/v1/customers", "email=two%40example.com", ""),
        ("GET", "/v1/customers?limit=2", "", ""),
    )
    first, second, listed = (reader.response() for _ in range(3))
    assert first[0] == second[0] == listed[0] == 200
    one, two = orjson.loads(first[2]), orjson.loads(second[2])
    assert (one["email"], two["email"]) == ("one@example.com", "two@example.com")
    page = orjson.loads(listed[2])
    assert [c["id"] for c in page["data"]] == [two["id"], one["id"]]
    assert all(r[1]["request-id"].startswith("req_") for r in (first, second, listed))
    # The connection stays usable afterwards.
    reader.send(("GET", f"/v1/customers/{one['id']}", "", ""))
    status, _, body = reader.response()
    assert status == 200 and orjson.loads(body)["id"] == one["id"]


def test_connection_close_gets_the_whole_answer_then_eof(reader: _Reader) -> None:
    reader.send(("POST", "/v1/customers", "name=Last", "Connection: close\r\n"))
    status, headers, body = reader.response()
    assert status == 200 and orjson.loads(body)["name"] == "Last"
    assert headers.get("connection") == "close"
    assert reader.closed()


def test_large_answer_arrives_whole(
    served: tuple[Sandbox, BackgroundServer], reader: _Reader
) -> None:
    client = served[0].client()
    note = "x" * 500
    for i in range(100):
        client.v1.customers.create(
            params={"email": f"c{i}@example.com", "metadata": {f"k{j}": note for j in range(20)}}
        )
    reader.send(("GET", "/v1/customers?limit=100", "", ""))
    status, headers, body = reader.response()
    assert status == 200
    assert int(headers["content-length"]) == len(body) > 1_000_000
    page = orjson.loads(body)
    assert len(page["data"]) == 100 and page["has_more"] is False


def test_error_answers_and_upgrade_requests_stay_plain_http(reader: _Reader) -> None:
    reader.send(("GET", "/v1/nothing", "", ""))
    status, _, body = reader.response()
    assert status == 404
    assert orjson.loads(body)["error"]["type"] == "invalid_request_error"
    # The sandbox speaks no WebSocket: an Upgrade is served as the request it is.
    upgrade = (
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    )
    reader.send(("GET", "/v1/customers", "", upgrade))
    status, _, body = reader.response()
    assert status == 200 and orjson.loads(body)["object"] == "list"
