"""Actions run against a fresh in-process sandbox; every response the sandbox gives them
is schema-checked by the suite's conftest, as for every other test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stripekit.accounts import Account
from stripekit.facade import AccountActions, StripeIntegration
from stripekit.sandbox import Sandbox


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
