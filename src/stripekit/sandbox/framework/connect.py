"""Which platform a connected account belongs to.

A connected account is a sandbox account of its own; the account that created it (its
platform) keeps the `account` object, and the connected account keeps this marker naming
the platform, so that the framework (events, webhook deliveries) can find the platform
without knowing the accounts resource.
"""

from __future__ import annotations

from ..store import Transaction

# Stored on a connected account under this type and id: {"platform": "acct_..."}.
PLATFORM_MARKER = "connect.platform"
MARKER_ID = "platform"


def platform_of(tx: Transaction, account: str) -> str | None:
    """The platform `account` is connected to, or None for a platform (any key's account)."""
    marker = tx.get(account, PLATFORM_MARKER, MARKER_ID)
    return marker["platform"] if marker is not None else None


def mark(tx: Transaction, account: str, platform: str) -> None:
    tx.insert(
        account,
        PLATFORM_MARKER,
        {"id": MARKER_ID, "object": PLATFORM_MARKER, "platform": platform, "created": 0},
    )


def unmark(tx: Transaction, account: str) -> None:
    tx.remove(account, PLATFORM_MARKER, MARKER_ID)
