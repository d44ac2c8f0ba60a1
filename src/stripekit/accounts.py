"""Named Stripe accounts: where their keys come from and the client each one uses.

Configuration, first found wins for each account:
1. explicit `Account` objects (tests, apps that manage keys themselves);
2. environment: `STRIPE_API_KEY` for `default`, `STRIPEKIT_<NAME>_API_KEY` for others;
3. `stripekit.toml` in the project (the current directory or a parent) or in the user
   config directory (`$XDG_CONFIG_HOME/stripekit/` or `~/.config/stripekit/`):

       [accounts.default]
       api_key_env = "STRIPE_API_KEY"      # or api_key = "sk_test_..." (keep files private)
       [accounts.work]
       api_key_env = "WORK_STRIPE_KEY"
       stripe_account = "acct_123"         # act on a connected account (Connect)
       api_version = "2026-08-26.dahlia"
       base_url = "http://127.0.0.1:12111" # a `stripekit sandbox serve`, for example
       [accounts.scratch]
       sandbox = true                      # its own account in the embedded sandbox

With no key anywhere, `default` is the embedded sandbox: a SQLite file in `.stripekit/` of
the project, so everything works offline out of the box. A key never appears in a repr,
a log line or an error message.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stripe

CONFIG_NAME = "stripekit.toml"
SANDBOX_DIR = ".stripekit"


class AccountError(LookupError):
    """An account that is not configured, or configured wrongly."""


def mask(key: str | None) -> str:
    """`sk_test_…` with the secret part hidden (not even its last characters)."""
    if not key:
        return "none"
    prefix = "_".join(key.split("_")[:2])
    return f"{prefix}_…" if "_" in key else "…"


@dataclass
class Account:
    """One set of credentials. `api_key=None` means the embedded sandbox (a SQLite file at
    `sandbox_db`); `client` may be given directly (e.g. `Sandbox().client()` in tests)."""

    name: str = "default"
    api_key: str | None = field(default=None, repr=False)
    stripe_account: str | None = None
    api_version: str | None = None
    base_url: str | None = None
    sandbox_db: Path | None = None
    max_network_retries: int = 2
    client: stripe.StripeClient | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _sandbox: Any = field(default=None, repr=False, compare=False)
    _embedded_key: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Decided once: after the first call `client` is set for every kind of account.
        self.is_sandbox = self.api_key is None and self.client is None
        self._given_client = self.client is not None

    def __repr__(self) -> str:
        if self._given_client:
            where = "a given client"
        elif self.is_sandbox:
            where = f"the embedded sandbox ({self.sandbox_db or SANDBOX_DIR})"
        else:
            where = self.base_url or "api.stripe.com"
        return f"Account(name={self.name!r}, key={mask(self.api_key)}, at={where})"

    def stripe_client(self) -> stripe.StripeClient:
        """The official client for this account, made once."""
        with self._lock:
            if self.client is None:
                self.client = self._make_client()
            return self.client

    def _make_client(self) -> stripe.StripeClient:
        options: dict[str, Any] = {"max_network_retries": self.max_network_retries}
        if self.stripe_account:
            options["stripe_account"] = self.stripe_account
        if self.api_version:
            options["stripe_version"] = self.api_version
        if self.api_key is None:
            return self._embedded_client(options)
        if self.base_url:
            options["base_addresses"] = {
                "api": self.base_url,
                "files": self.base_url,
                "connect": self.base_url,
            }
        return stripe.StripeClient(self.api_key, **options)

    def open_sandbox(self) -> Any:
        """The embedded sandbox this account lives in (a `Sandbox` on its SQLite file)."""
        from .sandbox import Sandbox  # the sandbox loads only when an account needs it

        db = self.sandbox_db or Path.cwd() / SANDBOX_DIR / "sandbox.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        return Sandbox(db)

    def _embedded_client(self, options: dict[str, Any]) -> stripe.StripeClient:
        self._sandbox = self.open_sandbox()
        self._embedded_key = self._sandbox.account_key(self.name)
        return self._sandbox.client(self._embedded_key, **options)

    def secret(self) -> str:
        """The key this account's requests carry (in the embedded sandbox: its account's
        key there), for what must be derived from it, such as `listen`'s signing secret."""
        self.stripe_client()
        key = self.api_key or self._embedded_key
        if key is None:
            raise AccountError(f"account {self.name!r} was given a client, not a key")
        return key

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
            self.client = None


def find_config(start: Path | None = None) -> Path | None:
    """`stripekit.toml` in `start` (default: the current directory) or a parent, else in
    the user config directory; `STRIPEKIT_CONFIG` names a file explicitly."""
    explicit = os.environ.get("STRIPEKIT_CONFIG")
    if explicit:
        return Path(explicit)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = config_home / "stripekit" / CONFIG_NAME
    return user if user.is_file() else None


def load_accounts(
    config: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Account]:
    """Every configured account by name; `default` always exists (the embedded sandbox
    when nothing gives it a key)."""
    env = os.environ if environ is None else environ
    path = config or find_config()
    table: dict[str, Any] = {}
    if path is not None:
        try:
            table = tomllib.loads(path.read_text()).get("accounts", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise AccountError(f"cannot read {path}: {exc}") from None
    project = path.parent if path is not None and path.name == CONFIG_NAME else Path.cwd()
    sandbox_db = project / SANDBOX_DIR / "sandbox.db"
    names = {"default", *table, *_env_names(env)}
    return {name: _account(name, table.get(name, {}), env, sandbox_db) for name in names}


def _env_names(env: Mapping[str, str]) -> set[str]:
    return {
        key[len("STRIPEKIT_") : -len("_API_KEY")].lower()
        for key in env
        if key.startswith("STRIPEKIT_") and key.endswith("_API_KEY") and len(key) > 18
    }


def _account(name: str, entry: dict[str, Any], env: Mapping[str, str], db: Path) -> Account:
    key = env.get(f"STRIPEKIT_{name.upper()}_API_KEY") or (
        env.get("STRIPE_API_KEY") if name == "default" else None
    )
    if key is None and entry.get("api_key_env"):
        key = env.get(entry["api_key_env"])
        if key is None and not entry.get("sandbox"):
            raise AccountError(
                f"account {name!r}: environment variable {entry['api_key_env']} is not set"
            )
    if key is None and not entry.get("sandbox"):
        key = entry.get("api_key")
    if key is None and name != "default" and not entry.get("sandbox"):
        raise AccountError(
            f"account {name!r} has no key: set api_key_env, api_key or sandbox = true "
            f"in {CONFIG_NAME}, or STRIPEKIT_{name.upper()}_API_KEY"
        )
    if key is not None and not key.startswith(("sk_", "rk_")):
        raise AccountError(
            f"account {name!r}: the key must be a secret (sk_) or restricted (rk_) key"
        )
    return Account(
        name=name,
        api_key=key,
        stripe_account=entry.get("stripe_account"),
        api_version=entry.get("api_version"),
        base_url=entry.get("base_url"),
        sandbox_db=Path(entry["sandbox_db"]) if entry.get("sandbox_db") else db,
        max_network_retries=int(entry.get("max_network_retries", 2)),
    )
