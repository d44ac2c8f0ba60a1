"""Webhook endpoints: /v1/webhook_endpoints (create, retrieve, update, delete, list).

An endpoint names a URL and the event types it wants (`*` for all; the spec's enum
rejects unknown types). Its signing secret (`whsec_...`) is shown once, in the answer to
the create, as Stripe does; it is kept apart (an unlisted `webhook_endpoint_secret`) so no
later read returns it. Deliveries to the endpoint are queued by `RequestContext.emit`
(framework/outbox.py) and made by the deliverer (sandbox/webhooks/).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..framework import metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.outbox import ENDPOINT_TYPE
from ..framework.routing import Route

SECRET_TYPE = "webhook_endpoint_secret"
SECRET_LENGTH = 32
MAX_ENDPOINTS = 16  # Stripe's limit per account (its exact error wording is not published)


def _check_url(url: Any) -> str:
    if not isinstance(url, str) or not url:
        raise InvalidRequestError(
            "Missing required param: url.", param="url", code="parameter_missing"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidRequestError(
            "Invalid URL: An explicit scheme (such as https) must be provided.",
            param="url",
            code="url_invalid",
        )
    if not parts.hostname:
        raise InvalidRequestError("Not a valid URL", param="url", code="url_invalid")
    # Localhost and private addresses are refused by Stripe but are the whole point
    # offline, so any http(s) URL with a host is accepted.
    return url


def _check_events(events: Any) -> list[str]:
    if not events:
        raise InvalidRequestError(
            "Missing required param: enabled_events.",
            param="enabled_events",
            code="parameter_missing",
        )
    # Types are checked against the spec's enum by the parameter validation.
    return list(dict.fromkeys(events))


def secret_of(ctx: RequestContext, endpoint_id: str) -> str | None:
    found = ctx.tx.get(ctx.account, SECRET_TYPE, endpoint_id)
    return found["secret"] if found else None


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    url = _check_url(params.get("url"))
    events = _check_events(params.get("enabled_events"))
    if sum(1 for _ in ctx.tx.scan(ctx.account, ENDPOINT_TYPE)) >= MAX_ENDPOINTS:
        raise InvalidRequestError(
            f"You have reached the maximum of {MAX_ENDPOINTS} test webhook endpoints.",
            param="url",
        )
    endpoint = {
        "id": ctx.new_id("we"),
        "object": ENDPOINT_TYPE,
        "api_version": params.get("api_version") or None,
        "application": None,
        "created": ctx.now,
        "description": params.get("description") or None,
        "enabled_events": events,
        "livemode": False,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "status": "enabled",
        "url": url,
        # Not part of Stripe's object (hidden below): whether the endpoint hears
        # connected accounts' events instead of the account's own.
        "connect": bool(params.get("connect")),
    }
    secret = f"whsec_{ctx.ids.secret_chars(SECRET_LENGTH)}"
    ctx.insert(endpoint)
    ctx.tx.insert(
        ctx.account,
        SECRET_TYPE,
        {"id": endpoint["id"], "object": SECRET_TYPE, "secret": secret, "created": ctx.now},
    )
    return {**endpoint, "secret": secret}


def retrieve(ctx: RequestContext, params: dict[str, Any], webhook_endpoint: str) -> dict[str, Any]:
    return ctx.load(ENDPOINT_TYPE, webhook_endpoint, noun="webhook endpoint")


def update(ctx: RequestContext, params: dict[str, Any], webhook_endpoint: str) -> dict[str, Any]:
    endpoint = ctx.load(ENDPOINT_TYPE, webhook_endpoint, noun="webhook endpoint")
    changes = dict(params)
    if "url" in changes:
        changes["url"] = _check_url(changes["url"])
    if "enabled_events" in changes:
        changes["enabled_events"] = _check_events(changes["enabled_events"])
    if "disabled" in changes:
        changes["status"] = "disabled" if changes.pop("disabled") else "enabled"
    fields = ("url", "enabled_events", "status", "description", "metadata")
    if updates.apply(endpoint, changes, fields):
        ctx.save(endpoint)
    return endpoint


def delete(ctx: RequestContext, params: dict[str, Any], webhook_endpoint: str) -> dict[str, Any]:
    endpoint = ctx.load(ENDPOINT_TYPE, webhook_endpoint, noun="webhook endpoint")
    tombstone = {"id": endpoint["id"], "object": ENDPOINT_TYPE, "deleted": True}
    # The tombstone keeps `created` for the store's ordering; Stripe's stub has three fields.
    ctx.save({**tombstone, "created": endpoint["created"]}, listed=False)
    ctx.tx.remove(ctx.account, SECRET_TYPE, endpoint["id"])
    return tombstone


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return list_objects(
        ctx, ENDPOINT_TYPE, params, "/v1/webhook_endpoints", noun="webhook endpoint"
    )


ROUTES = [
    Route("POST", "/v1/webhook_endpoints", create),
    Route("GET", "/v1/webhook_endpoints", list_),
    Route("GET", "/v1/webhook_endpoints/{webhook_endpoint}", retrieve),
    Route("POST", "/v1/webhook_endpoints/{webhook_endpoint}", update),
    Route("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}", delete),
]

INCLUDABLE = {ENDPOINT_TYPE: ("connect",)}
