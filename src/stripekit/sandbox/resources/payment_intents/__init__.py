"""PaymentIntents: /v1/payment_intents, the 3-D Secure page, and the payment machinery
that Charges and Refunds share.

* `handlers`: the API routes (create, confirm, capture, cancel...).
* `intents`: the PaymentIntent object and its state machine (`attempt`, 3-D Secure).
* `charging`: one payment attempt as a charge, with the outcome its test card dictates.
* `debits`: a SEPA Direct Debit, `processing` until sandbox time settles it.
* `money`: currency and amount rules (minimum charge amounts, `$0.50` in messages).
* `three_d_secure`: the public page a `requires_action` intent redirects to.
* `microdeposits`: the public page where a customer verifies an ACH account.

Nothing here imports `charges` or `refunds` at module level: they import this package.
"""

from collections.abc import Callable

from ...framework.context import RequestContext
from . import charging, debits, money
from .handlers import ROUTES as API_ROUTES
from .handlers import cancel_after_expiry, capture_for_charge
from .intents import page_url
from .microdeposits import ROUTES as MICRODEPOSIT_PAGE_ROUTES
from .three_d_secure import ROUTES as PAGE_ROUTES

ROUTES = [*API_ROUTES, *PAGE_ROUTES, *MICRODEPOSIT_PAGE_ROUTES]
# Authorizations expire through charges' timer; debits settle through this one.
TIMERS: dict[str, Callable[[RequestContext, str], None]] = {debits.SETTLE_TIMER: debits.settle}

__all__ = [
    "ROUTES",
    "TIMERS",
    "cancel_after_expiry",
    "capture_for_charge",
    "charging",
    "money",
    "page_url",
]
