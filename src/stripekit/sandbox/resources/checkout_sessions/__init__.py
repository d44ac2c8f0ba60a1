"""Checkout Sessions: /v1/checkout/sessions and the hosted page that pays them.

* `model`: the session object, its totals and discounts.
* `line_items`: `line_items` params into `item` objects (shared with payment links).
* `handlers`: the API routes and the expiry timer.
* `completion`: paying a session through payment intents, subscriptions or setup intents.
* `page`: the public hosted page (`url`), its form and the return from 3-D Secure.
"""

from .handlers import ROUTES as API_ROUTES
from .handlers import TIMERS
from .model import INCLUDABLE
from .page import ROUTES as PAGE_ROUTES

ROUTES = [*API_ROUTES, *PAGE_ROUTES]

__all__ = ["INCLUDABLE", "ROUTES", "TIMERS"]
