"""What a recipe runs with: the client (printing each request), the user's overrides,
and the sandbox-only helpers it may need."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import stripe

DAY = 86400
TAG = {"created_by": "stripekit trigger"}


# -- overrides --------------------------------------------------------------------------

_PATH = re.compile(r"[^.\[\]]+")


def parse_override(text: str) -> tuple[str, list[str], str]:
    """`customer:metadata[plan]=gold` -> ("customer", ["metadata", "plan"], "gold")."""
    resource, colon, rest = text.partition(":")
    path, equals, value = rest.partition("=")
    keys = _PATH.findall(path)
    if not colon or not equals or not resource or not keys:
        raise ValueError(
            f"invalid override {text!r}: expected resource:path=value "
            "(e.g. customer:name=Acme or customer:metadata[plan]=gold)"
        )
    return resource, keys, value


def parse_overrides(texts: list[str]) -> dict[str, dict[str, Any]]:
    """Overrides grouped by resource, as nested params."""
    grouped: dict[str, dict[str, Any]] = {}
    for text in texts:
        resource, keys, value = parse_override(text)
        node = grouped.setdefault(resource, {})
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[keys[-1]] = value
    return grouped


def merged(params: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


# -- running a recipe -------------------------------------------------------------------


class PrintingHTTPClient(stripe.HTTPClient):
    """Wraps the transport to print each request the recipe makes, as it is made."""

    name = "stripekit-trigger"

    def __init__(self, inner: stripe.HTTPClient, out: TextIO) -> None:
        super().__init__()
        self._inner = inner
        self._out = out

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        body, status, response_headers = self._inner.request(method, url, headers, post_data)
        path = "/" + url.partition("://")[2].partition("/")[2].partition("?")[0]
        print(f"  {method.upper():6} {path} -> {status}", file=self._out)
        return body, status, response_headers

    def close(self) -> None:
        self._inner.close()


class NotAvailable(Exception):
    """The API answering has no endpoint a recipe needs (e.g. Checkout, not yet built)."""


@dataclass
class Run:
    """What a recipe works with: the client, the overrides, and which of them it used."""

    client: stripe.StripeClient
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def params(self, resource: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """`params` with the user's overrides for `resource` applied."""
        if resource in self.overrides:
            self.used.add(resource)
            return merged(params, self.overrides[resource])
        return dict(params)

    def advance_sandbox_clock(self, seconds: int) -> bool:
        """Move sandbox time (a sandbox-only endpoint); False against Stripe itself."""
        try:
            self.client.raw_request("post", "/_sandbox/clock/advance", seconds=seconds)
        except stripe.InvalidRequestError:
            return False
        return True

    def wait_for_clock(self, clock_id: str, timeout: float = 60.0) -> None:
        """Stripe advances test clocks in the background: wait until it is ready."""
        deadline = time.monotonic() + timeout
        while self.client.v1.test_helpers.test_clocks.retrieve(clock_id).status != "ready":
            if time.monotonic() > deadline:
                raise TimeoutError(f"test clock {clock_id} still advancing")
            time.sleep(0.5)
