"""`integrations.stripe`: default and named accounts, aliases, async twins."""

from __future__ import annotations

import asyncio

import pytest

from stripekit import integrations
from stripekit.facade import StripeIntegration
from stripekit.tools import ActionError


def test_default_and_named_accounts_are_isolated(integration: StripeIntegration) -> None:
    acme = integration.create_customer(name="Acme", email="a@acme.test")
    assert integration.default.get_customer(id=acme["id"])["name"] == "Acme"
    with pytest.raises(ActionError) as caught:
        integration.work.get_customer(id=acme["id"])
    assert caught.value.status == 404
    work = integration.work.create_customer({"name": "Work Co"})
    assert [c["id"] for c in integration.work.list_customers()["customers"]] == [work["id"]]
    assert [c["id"] for c in integration.list_customers()["customers"]] == [acme["id"]]
    assert integration.accounts == ["default", "work"]


def test_unknown_names_say_what_exists(integration: StripeIntegration) -> None:
    with pytest.raises(AttributeError, match="accounts: default, work"):
        integration.personal  # noqa: B018
    with pytest.raises(AttributeError, match="no Stripe action"):
        integration.work.launch_rocket  # noqa: B018


def test_async_twins(integration: StripeIntegration) -> None:
    async def main() -> list[str]:
        created = await asyncio.gather(
            *(integration.create_customer_async(name=f"Async {i}") for i in range(5))
        )
        balance = await integration.work.get_balance_async()
        assert balance["object"] == "balance"
        return [c["id"] for c in created]

    ids = asyncio.run(main())
    listed = integration.list_customers(all=True)["customers"]
    assert sorted(c["id"] for c in listed) == sorted(ids)


def test_module_level_facade_is_configurable(integration: StripeIntegration) -> None:
    accounts = {name: getattr(integration, name).account for name in integration.accounts}
    integrations.stripe.configure(accounts)
    try:
        created = integrations.stripe.create_customer(name="Via module")
        assert integrations.stripe.default.get_customer(id=created["id"])["name"] == "Via module"
        assert "create_customer" in dir(integrations.stripe)
    finally:
        integrations.stripe.configure(None)
