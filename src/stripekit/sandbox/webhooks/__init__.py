"""Webhook delivery, the IO side: the deliverer (HTTP and in-process targets) that empties
the outbox the engine fills (framework/outbox.py)."""

from .deliverer import MODES, USER_AGENT, Deliverer, Mode

__all__ = ["MODES", "USER_AGENT", "Deliverer", "Mode"]
