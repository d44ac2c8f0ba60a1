"""The Stripe-compatible sandbox: `Sandbox()` in-process, `stripekit sandbox serve` over HTTP."""

from .embedded import Sandbox
from .engine import Engine, Response

__all__ = ["Engine", "Response", "Sandbox"]
