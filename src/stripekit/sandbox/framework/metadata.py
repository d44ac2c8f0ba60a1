"""Stripe's metadata rules: 50 keys, 40-character keys, 500-character values, "" unsets."""

from __future__ import annotations

from typing import Any

from .errors import InvalidRequestError

MAX_KEYS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500


def merge(
    current: dict[str, str] | None, update: Any, *, param: str = "metadata"
) -> dict[str, str]:
    """Apply an update as Stripe does: keys merge, `""` for a key removes it, and a
    `metadata=""` clears everything. Raises Stripe's errors for limits."""
    result = dict(current or {})
    if update == "" or update is None:
        return {}
    if not isinstance(update, dict):
        raise InvalidRequestError(
            "Invalid metadata: metadata must be a set of key-value pairs", param=param
        )
    for key, value in update.items():
        if len(key) > MAX_KEY_LENGTH:
            raise InvalidRequestError(
                f"Invalid key: {key} must be a string under {MAX_KEY_LENGTH} characters",
                param=param,
            )
        if value == "" or value is None:
            result.pop(key, None)
            continue
        value = value if isinstance(value, str) else str(value)
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidRequestError(
                f"Invalid val: {value} must be a string under {MAX_VALUE_LENGTH} characters",
                param=param,
            )
        result[key] = value
    if len(result) > MAX_KEYS:
        raise InvalidRequestError(
            f"Metadata can have up to {MAX_KEYS} keys, but you've set {len(result)}. Email us "
            "at support+metadata@stripe.com for more information.",
            param=param,
        )
    return result
