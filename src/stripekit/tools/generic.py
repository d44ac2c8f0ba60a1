"""`request`: any endpoint with the account's credentials (source 003's "Generic HTTP
Request")."""

from typing import Any, Literal

import stripe
from pydantic import Field

from .action import Action, Params
from .errors import InputError
from .runner import idempotency, send


def _request(client: stripe.StripeClient, params: Params, options: Params) -> Any:
    path = params["path"]
    if not path.startswith("/v1/"):
        raise InputError(
            "path must start with /v1/ (e.g. /v1/customers).",
            param="path",
            code="parameter_invalid",
        )
    return send(
        client,
        params["method"],
        path,
        params.get("params") or {},
        action="request",
        options=idempotency(options),
    )


ACTIONS = [
    Action(
        "request",
        "Call any Stripe endpoint (method, path, params) with the account's credentials.",
        "POST",
        "/v1/",
        aliases=("Generic HTTP Request", "generic_http_request"),
        convenience={
            "method": (Literal["GET", "POST", "DELETE"], Field(..., description="HTTP method")),
            "path": (str, Field(..., description="e.g. /v1/customers/cus_123")),
            "params": (dict[str, Any] | None, Field(None, description="query or form params")),
        },
        custom=_request,
        example={"method": "GET", "path": "/v1/customers", "params": {"limit": 1}},
    ),
]
