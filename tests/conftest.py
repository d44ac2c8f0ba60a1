"""Two-mode test harness: every sandbox test runs once in-process and once over a real
socket, with the same official `stripe` SDK code, and every response is checked against
Stripe's OpenAPI schema (see schema_check.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import stripe

from postgres_db import find_server, fresh_schema
from schema_check import SPEC_AVAILABLE, SPEC_PATH, validate_response
from stripekit.accounts import Account
from stripekit.facade import AccountActions, StripeIntegration
from stripekit.sandbox import Sandbox
from stripekit.sandbox.framework import currencies
from stripekit.sandbox.inprocess import InProcessHTTPClient
from stripekit.sandbox.server import BackgroundServer

MODES = ("inprocess", "http")


def pytest_report_header() -> str:
    if SPEC_AVAILABLE:
        return f"OpenAPI response checks: on ({SPEC_PATH})"
    return f"OpenAPI response checks: OFF, no spec at {SPEC_PATH} (set STRIPEKIT_OPENAPI_DIR)"


def _validating(request: Any) -> Any:
    """Wrap an HTTP client class's `request` so every response is checked against the spec."""

    def checked(
        self: stripe.HTTPClient,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        body, status, response_headers = request(self, method, url, headers, post_data)
        path = urlsplit(url).path
        # The sandbox's own control endpoints (clock, settings) are not Stripe's API.
        if not path.startswith("/_sandbox/"):
            validate_response(method, path, status, json.loads(body))
        return body, status, response_headers

    return checked


@pytest.fixture(scope="session", autouse=True)
def _validate_every_response() -> Iterator[None]:
    """Every SDK call in every test, through either door and whatever client the test built
    (`sk.client`, `Sandbox().client()`, a plain `StripeClient` against a served sandbox),
    has its response validated against Stripe's OpenAPI schema."""
    patched = [InProcessHTTPClient, stripe.RequestsClient]
    originals = [cls.request for cls in patched]
    for cls, original in zip(patched, originals, strict=True):
        cls.request = _validating(original)  # type: ignore[method-assign]
    yield
    for cls, original in zip(patched, originals, strict=True):
        cls.request = original  # type: ignore[method-assign]


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Harness:
    """What a test gets: the sandbox, a fresh account's client, and a raw HTTP caller."""

    mode: str
    sandbox: Sandbox
    base_url: str
    api_key: str
    transport: stripe.HTTPClient

    @property
    def client(self) -> stripe.StripeClient:
        return self.make_client(self.api_key)

    def make_client(self, api_key: str, **options: Any) -> stripe.StripeClient:
        return stripe.StripeClient(
            api_key,
            http_client=self.transport,
            base_addresses={"api": self.base_url, "files": self.base_url},
            max_network_retries=0,
            **options,
        )

    def new_key(self) -> str:
        return self.sandbox.new_api_key()

    def raw(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str = b"",
        query: str = "",
        headers: dict[str, str] | None = None,
        api_key: str | None = "default",
        validate: bool = True,
    ) -> RawResponse:
        """A request without the SDK, for what the SDK would never send."""
        sent = dict(headers or {})
        if api_key is not None:
            sent.setdefault(
                "Authorization", f"Bearer {self.api_key if api_key == 'default' else api_key}"
            )
        if isinstance(body, str):
            body = body.encode()
        if body:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.mode == "inprocess":
            lowered = {name.lower(): value for name, value in sent.items()}
            response = self.sandbox.engine.handle(method, path, query, lowered, body)
            status, rheaders, payload = response.status, dict(response.headers), response.body
        else:
            url = self.base_url + path + (f"?{query}" if query else "")
            r = httpx.request(method, url, content=body, headers=sent)
            status, rheaders, payload = r.status_code, dict(r.headers), r.content
        parsed = json.loads(payload)
        if validate and path.startswith("/v1/"):
            validate_response(method, path, status, parsed)
        return RawResponse(status, {k.lower(): v for k, v in rheaders.items()}, parsed)


@pytest.fixture(scope="session")
def _served_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Sandbox, BackgroundServer]]:
    # The served sandbox keeps its state in a SQLite file and the in-process one in memory,
    # so every resource test runs against both stores. STRIPEKIT_TEST_DB=postgres puts the
    # served one on PostgreSQL instead (a fresh schema; see postgres_db.py).
    with ExitStack() as stack:
        if os.environ.get("STRIPEKIT_TEST_DB") == "postgres":
            if find_server()[0] is None:
                pytest.fail(f"STRIPEKIT_TEST_DB=postgres: {find_server()[1]}")
            db: str | Path = stack.enter_context(fresh_schema())
        else:
            db = tmp_path_factory.mktemp("sandbox") / "served.db"
        sandbox = Sandbox(db)
        server = sandbox.serve()
        yield sandbox, server
        server.stop()
        sandbox.close()


@pytest.fixture(params=MODES)
def sk(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """The sandbox harness, parametrized over both doors."""
    if request.param == "inprocess":
        with Sandbox() as sandbox:
            transport = InProcessHTTPClient(sandbox.engine)
            yield Harness(
                "inprocess",
                sandbox,
                "http://sandbox.stripekit.invalid",
                sandbox.new_api_key(),
                transport,
            )
    else:
        sandbox, server = request.getfixturevalue("_served_sandbox")
        # Each test gets its own account on the shared server: accounts never see each other.
        transport = stripe.RequestsClient()
        yield Harness("http", sandbox, server.url, sandbox.new_api_key(), transport)


@pytest.fixture
def client(sk: Harness) -> stripe.StripeClient:
    return sk.client


def invalid_currency(value: str) -> str:
    """Stripe's message for a currency a (US) account cannot charge in."""
    return f"Invalid currency: {value}. Stripe currently supports these currencies: " + ", ".join(
        currencies.SUPPORTED
    )


def assert_stripe_error(
    exc: stripe.StripeError,
    *,
    status: int,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    message: str | None = None,
) -> None:
    """Check the parts of a Stripe error a user's code branches on."""
    assert exc.http_status == status, exc.json_body
    error = (exc.json_body or {})["error"]
    assert error["type"] == type_, error
    assert error.get("code") == code, error
    assert error.get("param") == param, error
    if message is not None:
        assert error["message"] == message, error


# -- the action catalog's tests (tests/tools/): actions on a fresh in-process sandbox -----


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def actions(sandbox: Sandbox) -> AccountActions:
    return AccountActions(Account(client=sandbox.client()))


@pytest.fixture
def integration(sandbox: Sandbox) -> StripeIntegration:
    """`integrations.stripe` as an app configures it: two accounts on one sandbox."""
    return StripeIntegration(
        {
            "default": Account(client=sandbox.client()),
            "work": Account(name="work", client=sandbox.client(sandbox.new_api_key())),
        }
    )
