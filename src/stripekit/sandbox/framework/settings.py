"""Per-account settings that Stripe keeps in the Dashboard rather than the API.

The sandbox stores them in the store's meta table (`settings:<account>:<name>`), so they
survive restarts, and exposes them at `/_sandbox/settings` and `Sandbox.set_setting`.
"""

from __future__ import annotations

from ..store import Transaction
from .context import RequestContext
from .errors import InvalidRequestError

# name -> (default, allowed values)
SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    # What a subscription becomes once automatic collection gives up on its invoice
    # (Dashboard: Billing > Subscriptions and emails > manage failed payments).
    "subscription_after_failed_retries": ("canceled", ("canceled", "unpaid", "past_due")),
}


def _key(account: str, name: str) -> str:
    return f"settings:{account}:{name}"


def get(ctx: RequestContext, name: str) -> str:
    return ctx.tx.meta_get(_key(ctx.account, name)) or SETTINGS[name][0]


def all_for(tx: Transaction, account: str) -> dict[str, str]:
    return {
        name: tx.meta_get(_key(account, name)) or default for name, (default, _) in SETTINGS.items()
    }


def put(tx: Transaction, account: str, name: str, value: str) -> None:
    if name not in SETTINGS:
        raise InvalidRequestError(
            f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
        )
    allowed = SETTINGS[name][1]
    if value not in allowed:
        raise InvalidRequestError(
            f"Invalid {name}: must be one of {', '.join(allowed)}", param=name
        )
    tx.meta_put(_key(account, name), value)
