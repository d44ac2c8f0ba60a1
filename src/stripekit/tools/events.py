"""Events (what changed) and the webhook endpoints they are delivered to."""

from .declare import create, delete, get, list_, update

ACTIONS = [
    get(
        "event",
        "/v1/events/{id}",
        "Retrieve an event (what changed, and the object as it was then).",
        example={"id": "$event"},
    ),
    list_(
        "events",
        "/v1/events",
        "List events of the last 30 days, newest first, by type (customer.*) or created.",
        example={"type": "customer.created", "limit": 2},
    ),
    create(
        "webhook_endpoint",
        "/v1/webhook_endpoints",
        "Register a URL to receive events (enabled_events: types or *); the whsec_ secret "
        "that signs them is in this result only.",
        example={"url": "http://localhost:8000/webhooks", "enabled_events": ["invoice.paid"]},
    ),
    get(
        "webhook_endpoint",
        "/v1/webhook_endpoints/{id}",
        "Retrieve a webhook endpoint by id (without its secret).",
        example={"id": "$webhook_endpoint"},
    ),
    update(
        "webhook_endpoint",
        "/v1/webhook_endpoints/{id}",
        "Change a webhook endpoint's url, enabled_events or description, or disable it.",
        example={"id": "$webhook_endpoint", "disabled": True},
    ),
    delete(
        "webhook_endpoint",
        "/v1/webhook_endpoints/{id}",
        "Delete a webhook endpoint: no more deliveries to it.",
        example={"id": "$webhook_endpoint"},
    ),
    list_(
        "webhook_endpoints",
        "/v1/webhook_endpoints",
        "List the account's webhook endpoints.",
        example={"limit": 2},
    ),
]
