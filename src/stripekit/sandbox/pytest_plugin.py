"""pytest plugin (registered through the `pytest11` entry point): every project that
installs stripekit gets a `stripe_sandbox` and a `stripe_client` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from .embedded import Sandbox


@pytest.fixture
def stripe_sandbox() -> Iterator[Sandbox]:
    """A fresh, isolated in-memory sandbox for one test."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def stripe_client(stripe_sandbox: Sandbox) -> stripe.StripeClient:
    """An official `StripeClient` wired into this test's sandbox."""
    return stripe_sandbox.client()
