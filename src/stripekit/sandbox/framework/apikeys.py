"""API keys as they arrive (Bearer or Basic auth) and as Stripe echoes them (masked)."""

from __future__ import annotations

import base64
import re

from .errors import AuthenticationError

_WELL_FORMED_SECRET = re.compile(r"sk_test_[0-9A-Za-z_]{1,247}")


def is_well_formed_secret(key: str) -> bool:
    return _WELL_FORMED_SECRET.fullmatch(key) is not None


def from_header(authorization: str | None) -> str:
    if not authorization or not authorization.strip():
        raise AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
            "or we can help at https://support.stripe.com/."
        )
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        key = decoded.partition(":")[0]
        if key:
            return key
    shown = credentials or authorization.strip()
    raise AuthenticationError(
        "You did not provide an API key, though you did set your Authorization header to "
        f'"{shown}". Using Bearer auth, your Authorization header should look something like '
        "'Authorization: Bearer YOUR_SECRET_KEY'. See https://stripe.com/docs/api#authentication"
        " for details, or we can help at https://support.stripe.com/."
    )


def mask(key: str, keep: int = 4) -> str:
    """Stripe keeps a key's prefix (`sk_test_`) and its last characters, starring the rest."""
    prefix = ""
    for candidate in ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_"):
        if key.startswith(candidate):
            prefix = candidate
            break
    if len(key) <= len(prefix) + keep:
        return prefix + "*" * (len(key) - len(prefix))
    return f"{prefix}{'*' * (len(key) - len(prefix) - keep)}{key[-keep:]}"
