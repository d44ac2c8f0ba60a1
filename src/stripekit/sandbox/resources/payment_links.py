"""/v1/payment_links: create, retrieve, update, list, line_items; and the link's `url`,
a sandbox page that opens a new Checkout Session (`payment_link` set) on the hosted page.
"""

from __future__ import annotations

from typing import Any

from ..framework import metadata, pages
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter
from .checkout_sessions import handlers as sessions
from .checkout_sessions import line_items

TYPE = "payment_link"
INCLUDABLE = {TYPE: ("line_items",)}
MAX_ITEMS = 20
PAGE = "/_sandbox/pages/payment_links/{account}/{payment_link}"


def _items_url(link_id: str) -> str:
    return f"/v1/payment_links/{link_id}/line_items"


def _after_completion(value: Any) -> dict[str, Any]:
    value = value or {"type": "hosted_confirmation"}
    kind = value["type"]
    if kind == "redirect":
        redirect = value.get("redirect") or {}
        if not redirect.get("url"):
            raise InvalidRequestError(
                "Missing required param: after_completion[redirect][url].",
                param="after_completion[redirect][url]",
                code="parameter_missing",
            )
        return {"redirect": {"url": redirect["url"]}, "type": "redirect"}
    confirmation = value.get("hosted_confirmation") or {}
    return {
        "hosted_confirmation": {"custom_message": confirmation.get("custom_message") or None},
        "type": "hosted_confirmation",
    }


def _subscription_data(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return {
        "description": value.get("description"),
        "invoice_settings": {"issuer": {"type": "self"}},
        "metadata": value.get("metadata") or {},
        "trial_period_days": value.get("trial_period_days"),
        "trial_settings": None,
    }


def _payment_intent_data(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return {
        "capture_method": value.get("capture_method"),
        "description": value.get("description"),
        "metadata": value.get("metadata") or {},
        "setup_future_usage": value.get("setup_future_usage"),
        "statement_descriptor": value.get("statement_descriptor"),
        "statement_descriptor_suffix": value.get("statement_descriptor_suffix"),
        "transfer_group": value.get("transfer_group"),
    }


def _shown(link: dict[str, Any]) -> dict[str, Any]:
    """The link as events show it: without `line_items` (shown only when expanded)."""
    return {k: v for k, v in link.items() if k != "line_items"}


def page_url(ctx: RequestContext, link_id: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/_sandbox/pages/payment_links/{ctx.account}/{link_id}"


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    given = params["line_items"]
    if not given:
        raise InvalidRequestError(
            "Missing required param: line_items.", param="line_items", code="parameter_missing"
        )
    if len(given) > MAX_ITEMS:
        raise InvalidRequestError(
            f"You may only specify up to {MAX_ITEMS} line items.", param="line_items"
        )
    items = line_items.build(ctx, given, None)
    recurring = any(item["price"].get("recurring") for item in items)
    if params.get("subscription_data") and not recurring:
        raise InvalidRequestError(
            "`subscription_data` can only be used with recurring prices.",
            param="subscription_data",
        )
    if params.get("payment_intent_data") and recurring:
        raise InvalidRequestError(
            "`payment_intent_data` can only be used when all prices are one-time.",
            param="payment_intent_data",
        )
    if params.get("customer_creation") and recurring:
        raise InvalidRequestError(
            "`customer_creation` can only be used when all prices are one-time.",
            param="customer_creation",
        )
    link_id = ctx.new_id("plink")
    link = {
        "id": link_id,
        "object": TYPE,
        "active": True,
        "after_completion": _after_completion(params.get("after_completion")),
        "allow_promotion_codes": bool(params.get("allow_promotion_codes")),
        "application": None,
        "application_fee_amount": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None},
        "billing_address_collection": params.get("billing_address_collection") or "auto",
        "consent_collection": None,
        "created": ctx.now,
        "currency": items[0]["currency"],
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer_creation": params.get("customer_creation") or "if_required",
        "inactive_message": params.get("inactive_message") or None,
        "invoice_creation": None,
        "line_items": line_items.as_list(items, _items_url(link_id)),
        "livemode": False,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "on_behalf_of": None,
        "payment_intent_data": _payment_intent_data(params.get("payment_intent_data")),
        "payment_method_collection": params.get("payment_method_collection") or "always",
        "payment_method_options": None,
        "payment_method_types": params.get("payment_method_types") or None,
        "phone_number_collection": {"enabled": False},
        "restrictions": None,
        "shipping_address_collection": None,
        "shipping_options": [],
        "submit_type": params.get("submit_type") or "auto",
        "subscription_data": _subscription_data(params.get("subscription_data")),
        "tax_id_collection": {"enabled": False, "required": "never"},
        "transfer_data": None,
        "url": page_url(ctx, link_id),
    }
    ctx.insert(link)
    ctx.emit("payment_link.created", _shown(link))
    return link


def _load(ctx: RequestContext, link_id: str) -> dict[str, Any]:
    return ctx.load(TYPE, link_id, param="payment_link", noun="payment_link")


def retrieve(ctx: RequestContext, params: dict[str, Any], payment_link: str) -> dict[str, Any]:
    return _load(ctx, payment_link)


def _update_items(link: dict[str, Any], given: list[dict[str, Any]]) -> None:
    items = {item["id"]: item for item in link["line_items"]["data"]}
    for index, entry in enumerate(given):
        item = items.get(entry["id"])
        if item is None:
            raise InvalidRequestError(
                f"No line item with id '{entry['id']}' on this payment link.",
                param=f"line_items[{index}][id]",
            )
        if "quantity" in entry:
            line_items.set_quantity(item, entry["quantity"])
        if "adjustable_quantity" in entry:
            item["adjustable_quantity"] = line_items.adjustable(
                entry["adjustable_quantity"], item["quantity"], index
            )


def update(ctx: RequestContext, params: dict[str, Any], payment_link: str) -> dict[str, Any]:
    link = _load(ctx, payment_link)
    previous: dict[str, Any] = {}
    for name in ("active", "allow_promotion_codes", "inactive_message", "submit_type"):
        if name in params:
            previous[name] = link[name]
            link[name] = params[name] if params[name] != "" else None
    if "customer_creation" in params:
        previous["customer_creation"] = link["customer_creation"]
        link["customer_creation"] = params["customer_creation"]
    if "after_completion" in params:
        previous["after_completion"] = link["after_completion"]
        link["after_completion"] = _after_completion(params["after_completion"])
    if "metadata" in params:
        previous["metadata"] = link["metadata"]
        link["metadata"] = metadata.merge(link["metadata"], params["metadata"])
    if params.get("line_items"):
        _update_items(link, params["line_items"])
    ctx.save(link)
    ctx.emit("payment_link.updated", _shown(link), previous)
    return link


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = ()
    if "active" in params:
        filters = (Filter(("active",), "eq", params["active"]),)
    return list_objects(ctx, TYPE, params, "/v1/payment_links", filters)


def list_line_items(
    ctx: RequestContext, params: dict[str, Any], payment_link: str
) -> dict[str, Any]:
    link = _load(ctx, payment_link)
    return line_items.page(link["line_items"]["data"], params, _items_url(link["id"]))


def open_link(ctx: RequestContext, params: dict[str, Any], payment_link: str) -> pages.Page:
    """The link's address: a fresh Checkout Session for this buyer, on the hosted page."""
    link = ctx.find(TYPE, payment_link)
    if link is None:
        raise InvalidRequestError("This payment link does not exist.", status=404)
    if not link["active"]:
        message = link["inactive_message"] or "This link is no longer active."
        return pages.render(
            "Link inactive", f"<h1>Unavailable</h1><p>{pages.escape(message)}</p>", status=410
        )
    session = sessions.open_for_link(ctx, link, link["line_items"]["data"])
    return pages.redirect(session["url"])


ROUTES = [
    Route("POST", "/v1/payment_links", create),
    Route("GET", "/v1/payment_links", list_),
    Route("GET", "/v1/payment_links/{payment_link}", retrieve),
    Route("POST", "/v1/payment_links/{payment_link}", update),
    Route("GET", "/v1/payment_links/{payment_link}/line_items", list_line_items),
    Route("GET", PAGE, open_link, public=True),
]
