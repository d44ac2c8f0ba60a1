"""Stripe-looking object ids from an injected random source.

Stripe's ids are a prefix and base62 characters: 14 for customers and products
(`cus_NffrFeUfNV2Hib`), 24 for most others (`price_1MoBy5LkdIwHu7ixZhnattbh`).
A seeded `IdFactory` gives the same ids on every run, for deterministic tests. Object ids
need to be unique, not secret, so a fast PRNG (seeded from the OS when no seed is given)
makes them; API keys are secrets and come from `secrets` instead.
"""

from __future__ import annotations

import random
import secrets

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Random bytes mapped onto base62 by one `bytes.translate`: several times faster than
# drawing characters one by one, and every request needs an id. (256 is not a multiple of
# 62, so eight characters are a little likelier; ids must be unique, not uniform.)
_TO_BASE62 = bytes(ord(BASE62[i % 62]) for i in range(256))

SHORT_PREFIXES = frozenset({"cus", "prod", "req", "whsec"})


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._seeded = seed is not None

    def random_chars(self, length: int) -> str:
        return self._rng.randbytes(length).translate(_TO_BASE62).decode("ascii")

    def secret_chars(self, length: int) -> str:
        """Characters for an API key: unguessable unless the factory is seeded for tests."""
        if self._seeded:
            return self.random_chars(length)
        return "".join(secrets.choice(BASE62) for _ in range(length))

    def new(self, prefix: str, length: int | None = None) -> str:
        if length is None:
            length = 14 if prefix in SHORT_PREFIXES else 24
        return f"{prefix}_{self.random_chars(length)}"
