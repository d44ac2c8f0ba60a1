"""`integrations.stripe`: every action as a method, on the default account or a named one.

    from stripekit import integrations
    integrations.stripe.create_customer(name="Acme", email="a@acme.test")
    integrations.stripe.work.list_invoices(customer="cus_123", status="open")
    await integrations.stripe.default.get_balance_async()

A single dict argument works too (`create_customer({"name": "Acme"})`), as in source 000.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .accounts import Account, AccountError, load_accounts
from .tools import catalog, runner
from .tools.action import Action

ASYNC_SUFFIX = "_async"


class BoundAction:
    """One action on one account; call it with keyword arguments or one dict."""

    def __init__(self, action: Action, actions: AccountActions) -> None:
        self.action = action
        self._actions = actions
        self.__name__ = action.name
        self.__doc__ = action.description

    def __repr__(self) -> str:
        return f"<action {self.action.name} on {self._actions.account.name!r}>"

    def __call__(self, arguments: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Any:
        merged = {**(arguments or {}), **kwargs}
        with self._actions.serialized():
            return runner.call(self.action, self._actions.account.stripe_client(), merged)

    async def call_async(self, arguments: Mapping[str, Any] | None = None, /, **kw: Any) -> Any:
        """The same call without blocking the event loop (it runs in a worker thread; the
        SDK's own transport does the I/O)."""
        return await asyncio.to_thread(self, arguments, **kw)


class AccountActions:
    """Every action, bound to one account."""

    def __init__(self, account: Account) -> None:
        self.account = account
        # The in-process sandbox handles one request at a time; real Stripe takes many.
        self._serial = threading.Lock() if account.api_key is None else None

    def __repr__(self) -> str:
        return f"<stripe actions on {self.account!r}>"

    @contextlib.contextmanager
    def serialized(self) -> Iterator[None]:
        if self._serial is None:
            yield
        else:
            with self._serial:
                yield

    def action(self, name: str) -> BoundAction:
        """An action by canonical name or alias (`Retrieve Product`)."""
        try:
            return BoundAction(catalog.find(name), self)
        except KeyError:
            raise AttributeError(f"no Stripe action named {name!r}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name.endswith(ASYNC_SUFFIX):
            return self.action(name[: -len(ASYNC_SUFFIX)]).call_async
        return self.action(name)

    def __dir__(self) -> list[str]:
        names = list(catalog.ACTIONS)
        return [*super().__dir__(), *names, *(name + ASYNC_SUFFIX for name in names)]


class StripeIntegration(AccountActions):
    """The default account's actions, plus one namespace per named account. Accounts load
    from configuration on first use (see `stripekit.accounts`), or are given."""

    def __init__(
        self, accounts: Mapping[str, Account] | None = None, *, config: Path | None = None
    ) -> None:
        self._given = dict(accounts) if accounts is not None else None
        self._config = config
        self._accounts: dict[str, AccountActions] | None = None
        self._loading = threading.Lock()

    def configure(
        self, accounts: Mapping[str, Account] | None = None, *, config: Path | None = None
    ) -> None:
        """Replace the accounts (or re-read configuration when none are given)."""
        self.close()
        self._given = dict(accounts) if accounts is not None else None
        self._config = config

    def _loaded(self) -> dict[str, AccountActions]:
        with self._loading:
            if self._accounts is None:
                accounts = self._given if self._given is not None else load_accounts(self._config)
                if "default" not in accounts:
                    raise AccountError("no default account configured")
                self._accounts = {name: AccountActions(acc) for name, acc in accounts.items()}
            return self._accounts

    @property
    def account(self) -> Account:  # type: ignore[override]
        return self._loaded()["default"].account

    @property
    def accounts(self) -> list[str]:
        return sorted(self._loaded())

    def serialized(self) -> contextlib.AbstractContextManager[None]:
        return self._loaded()["default"].serialized()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        loaded = self._loaded()
        if name in loaded:
            return loaded[name]
        try:
            return AccountActions.__getattr__(self, name)
        except AttributeError:
            raise AttributeError(
                f"no Stripe action or account named {name!r} (accounts: {', '.join(loaded)})"
            ) from None

    def __repr__(self) -> str:
        names = ", ".join(self.accounts) if self._accounts is not None else "not loaded"
        return f"<stripe integration: accounts {names}>"

    def close(self) -> None:
        for actions in (self._accounts or {}).values():
            actions.account.close()
        self._accounts = None
