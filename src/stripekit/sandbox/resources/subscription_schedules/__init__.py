"""Subscription schedules: /v1/subscription_schedules (create, retrieve, update, list,
cancel, release).

A schedule is a list of phases a subscription goes through; the subscriptions package
does the billing. The package: `phases` (parameters to stored phases, their dates and
settings), `lifecycle` (starting, phase changes and the end, on timers and before
renewals) and `handlers` (the routes).
"""

from __future__ import annotations

from ...framework.routing import Route
from ..subscriptions import lifecycle as subscription_lifecycle
from . import handlers, lifecycle

subscription_lifecycle.before_renewal(lifecycle.on_renewal)

_ONE = "/v1/subscription_schedules/{schedule}"
ROUTES = [
    Route("POST", "/v1/subscription_schedules", handlers.create),
    Route("GET", "/v1/subscription_schedules", handlers.list_),
    Route("GET", _ONE, handlers.retrieve),
    Route("POST", _ONE, handlers.update),
    Route("POST", _ONE + "/cancel", handlers.cancel),
    Route("POST", _ONE + "/release", handlers.release),
]

TIMERS = lifecycle.TIMERS
