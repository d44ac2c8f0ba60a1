"""Running an action: validate the input, map it to Stripe's parameters, call Stripe through
the official `StripeClient` (its transport, retries and idempotency keys), shape the result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import stripe
from pydantic import ValidationError

from .action import OPTION_NAMES, Action, Params
from .errors import ActionError, InputError


def validate(action: Action, arguments: Mapping[str, Any]) -> tuple[Params, Params]:
    """Stripe parameters (path parameters included) and options, or InputError naming the
    first bad field. Nothing is sent before this passes."""
    try:
        model = action.model.model_validate(dict(arguments))
    except ValidationError as exc:
        raise _input_error(exc, action.name) from None
    values = model.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
    options = {name: values.pop(name) for name in list(values) if name in OPTION_NAMES}
    if action.prepare is not None:
        values = action.prepare(values)
    values.update(action.fixed)
    return values, options


def _input_error(exc: ValidationError, action: str) -> InputError:
    # An unknown field is reported first, as Stripe does: it is usually a misspelling of
    # the field that is then missing.
    problems = exc.errors()
    problem = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
    param = _bracketed(problem["loc"])
    kind = problem["type"]
    if kind == "missing":
        return InputError(
            f"Missing required param: {param}.",
            param=param,
            code="parameter_missing",
            action=action,
        )
    if kind == "extra_forbidden":
        return InputError(
            f"Received unknown parameter: {param}.",
            param=param,
            code="parameter_unknown",
            action=action,
        )
    return InputError(
        f"Invalid {param}: {problem['msg']}.", param=param, code="parameter_invalid", action=action
    )


def _bracketed(location: tuple[Any, ...]) -> str:
    # Pydantic's location also names the union branch it tried (`str`, `literal['']`,
    # `function-after[...]`); Stripe's param names only the fields and indexes.
    names = [
        str(part)
        for part in location
        if isinstance(part, int) or (isinstance(part, str) and _is_field(part))
    ]
    if not names:
        return ""
    return names[0] + "".join(f"[{name}]" for name in names[1:])


def _is_field(part: str) -> bool:
    # Stripe's names are snake_case; pydantic's branch labels are type and model names.
    return (
        part[:1].islower()
        and not any(mark in part for mark in "[](-")
        and part not in {"str", "int", "bool", "float", "list", "dict"}
    )


def call(action: Action, client: stripe.StripeClient, arguments: Mapping[str, Any]) -> Any:
    try:
        return _call(action, client, arguments)
    except ActionError as exc:
        exc.action = exc.action or action.name  # raised by a prepare or custom function
        raise


def _call(action: Action, client: stripe.StripeClient, arguments: Mapping[str, Any]) -> Any:
    params, options = validate(action, arguments)
    if action.custom is not None:
        return action.custom(client, params, options)
    path = action.path
    for name in action.path_params:
        path = path.replace("{" + name + "}", quote(str(params.pop(name)), safe=""))
    request_options = idempotency(options)
    if action.content_type:
        request_options["content_type"] = action.content_type
    if action.base != "api":
        request_options["base"] = action.base
    if action.api_version:
        request_options["stripe_version"] = action.api_version
    fetch = _Fetcher(action, client, path, request_options)
    if action.result == "object":
        body = fetch(params)
        return body if options.get("raw") else _shaped(action, body)
    return _collect(action, fetch, params, options)


def idempotency(options: Params) -> Params:
    """The SDK request option for a caller's own idempotency key, if one was given."""
    key = options.get("idempotency_key")
    return {"idempotency_key": key} if key else {}


def send(
    client: stripe.StripeClient,
    method: str,
    path: str,
    params: Params,
    *,
    action: str,
    options: Params | None = None,
) -> Any:
    """One request through the SDK; Stripe's error becomes an ActionError. The result is
    plain dicts and lists (the SDK's parsed data uses OrderedDict)."""
    try:
        response = client.raw_request(method.lower(), path, **params, **(options or {}))
    except stripe.StripeError as exc:
        raise ActionError.from_stripe(exc, action) from None
    return json.loads(response.body)


class _Fetcher:
    def __init__(
        self, action: Action, client: stripe.StripeClient, path: str, options: Params
    ) -> None:
        self.action, self.client, self.path, self.options = action, client, path, options

    def __call__(self, params: Params) -> Any:
        return send(
            self.client,
            self.action.method,
            self.path,
            params,
            action=self.action.name,
            options=self.options,
        )


def _collect(action: Action, fetch: _Fetcher, params: Params, options: Params) -> Any:
    """One page, or every page with `all` (up to `max_items`)."""
    walk_all = bool(options.get("all"))
    cap = options.get("max_items")
    gathered: list[Any] = []
    page = fetch(params)
    while True:
        gathered.extend(page.get("data", []))
        if cap is not None and len(gathered) >= cap:
            more = len(gathered) > cap or bool(page.get("has_more"))
            gathered = gathered[:cap]
            break
        more = bool(page.get("has_more"))
        if not walk_all or not more or not page.get("data"):
            break
        params = dict(params)
        if action.result == "search":
            params["page"] = page.get("next_page")
        else:
            params.pop("ending_before", None)
            params["starting_after"] = page["data"][-1]["id"]
        page = fetch(params)
    if options.get("raw"):
        return {**page, "data": gathered, "has_more": more}
    result: Params = {
        action.plural or "data": [_shaped(action, item) for item in gathered],
        "has_more": more,
    }
    if action.result == "search":
        result["next_page"] = page.get("next_page") if more else None
    else:
        result["next_starting_after"] = gathered[-1].get("id") if more and gathered else None
    return result


def _shaped(action: Action, obj: Any) -> Any:
    if action.shape is not None and isinstance(obj, dict):
        return action.shape(obj)
    return obj
