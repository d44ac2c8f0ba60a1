"""The action catalog: named Stripe operations declared once (one module per resource
group), run through the official `stripe.StripeClient`. See `catalog.ACTIONS`."""

from .action import Action
from .catalog import ACTIONS, find
from .errors import ActionError, InputError

__all__ = ["ACTIONS", "Action", "ActionError", "InputError", "find"]
