"""Subscriptions: /v1/subscriptions (create, retrieve, update, cancel, resume, list,
search) and the legacy /v1/customers/{customer}/subscriptions routes.

The package: `model` (the objects and how they are stored), `cycle` (period arithmetic),
`items` (item parameters), `prorations`, `billing` (the invoices a subscription makes,
through the invoices package), `timers`, `lifecycle` (the state machine, its timers and
what an invoice's fate does to its subscription), `creation`, `updates`, `handlers`, and
`preview` (the subscription part of `POST /v1/invoices/create_preview`).

The invoices package reports invoices being paid, failing, running out of retries,
voided or marked uncollectible through its listeners, and asks for subscription
previews through its preview providers; this package registers both on import.
"""

from __future__ import annotations

from ...framework.routing import Route
from ..invoices import common as invoice_common
from . import creation, handlers, lifecycle, preview, updates

invoice_common.listen("paid", lifecycle.on_paid)
invoice_common.listen("payment_failed", lifecycle.on_payment_failed)
invoice_common.listen("payment_action_required", lifecycle.on_payment_failed)
invoice_common.listen("retries_exhausted", lifecycle.on_retries_exhausted)
invoice_common.listen("voided", lifecycle.on_settled_otherwise)
invoice_common.listen("marked_uncollectible", lifecycle.on_settled_otherwise)
invoice_common.provide_previews(preview.provide)

_ONE = "/v1/subscriptions/{subscription_exposed_id}"
_LEGACY = "/v1/customers/{customer}/subscriptions"
ROUTES = [
    Route("POST", "/v1/subscriptions", creation.create),
    Route("GET", "/v1/subscriptions", handlers.list_),
    Route("GET", "/v1/subscriptions/search", handlers.search),
    Route("GET", _ONE, handlers.retrieve),
    Route("POST", _ONE, updates.update),
    Route("DELETE", _ONE, handlers.cancel),
    Route("POST", "/v1/subscriptions/{subscription}/resume", handlers.resume),
    Route("GET", _LEGACY, handlers.customer_list),
    Route("POST", _LEGACY, handlers.customer_create),
    Route("GET", _LEGACY + "/{subscription_exposed_id}", handlers.customer_retrieve),
    Route("POST", _LEGACY + "/{subscription_exposed_id}", handlers.customer_update),
    Route("DELETE", _LEGACY + "/{subscription_exposed_id}", handlers.customer_cancel),
]

TIMERS = {**lifecycle.TIMERS, **updates.TIMERS}
