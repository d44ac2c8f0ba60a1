"""Currency facts the sandbox needs: which currencies have no minor unit, and the shape
of a currency code. Amounts are always integers in the smallest unit (cents; yen)."""

from __future__ import annotations

import re

# Stripe's zero-decimal currencies: `amount=500` in jpy is ¥500, not ¥5.
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)

_CODE = re.compile(r"[a-z]{3}")


def is_code(value: str) -> bool:
    return _CODE.fullmatch(value) is not None


def minor_units(currency: str) -> int:
    """Decimal places of the currency's smallest unit (0 for jpy, 2 for usd)."""
    return 0 if currency.lower() in ZERO_DECIMAL else 2
