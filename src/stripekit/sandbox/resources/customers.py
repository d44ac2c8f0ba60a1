"""Customers: /v1/customers (create, retrieve, update, delete, list, search).

A deleted customer stays retrievable as `{id, object, deleted: true}`, as on Stripe; it
leaves lists and search, and every other call treats it as missing.
"""

from __future__ import annotations

from typing import Any

from ..framework import metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..framework.searching import search_objects
from ..store import Filter

ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
UPDATABLE = (
    "address",
    "balance",
    "business_name",
    "description",
    "email",
    "individual_name",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "next_invoice_sequence",
    "phone",
    "preferred_locales",
    "shipping",
    "tax_exempt",
)


def _address(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return {f: value.get(f) or None for f in ADDRESS_FIELDS}


def _shipping(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return {
        "address": _address(value.get("address")) or dict.fromkeys(ADDRESS_FIELDS),
        "name": value.get("name"),
        "phone": value.get("phone") or None,
    }


def _invoice_settings(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = dict(
        current
        or {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        }
    )
    for name, given in (value or {}).items():
        settings[name] = given or None
    return settings


def _normalize(params: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Turn request params into stored field values (hashes filled to Stripe's shape)."""
    out = dict(params)
    if "address" in out:
        out["address"] = _address(out["address"])
    if "shipping" in out:
        out["shipping"] = _shipping(out["shipping"])
    if "invoice_settings" in out:
        out["invoice_settings"] = _invoice_settings(
            out["invoice_settings"], (current or {}).get("invoice_settings")
        )
    if out.get("preferred_locales") == "":
        out["preferred_locales"] = []
    return out


def _check_references(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Ids given as parameters must name objects of this account (400 otherwise)."""
    if params.get("test_clock"):
        ctx.load(
            "test_helpers.test_clock",
            params["test_clock"],
            param="test_clock",
            noun="test_clock",
            in_path=False,
        )
    settings = params.get("invoice_settings")
    if isinstance(settings, dict) and settings.get("default_payment_method"):
        ctx.load(
            "payment_method",
            settings["default_payment_method"],
            param="invoice_settings[default_payment_method]",
            noun="PaymentMethod",
            in_path=False,
        )


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_references(ctx, params)
    given = _normalize(params, None)
    customer = {
        "id": ctx.new_id("cus"),
        "object": "customer",
        "address": given.get("address"),
        "balance": given.get("balance") or 0,
        "created": ctx.now,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": given.get("description") or None,
        "discount": None,
        "email": given.get("email") or None,
        "invoice_prefix": given.get("invoice_prefix") or ctx.ids.random_chars(8).upper(),
        "invoice_settings": given.get("invoice_settings") or _invoice_settings(None),
        "livemode": False,
        "metadata": metadata.merge(None, given.get("metadata", {})),
        "name": given.get("name") or None,
        "next_invoice_sequence": given.get("next_invoice_sequence") or 1,
        "phone": given.get("phone") or None,
        "preferred_locales": given.get("preferred_locales") or [],
        "shipping": given.get("shipping"),
        "tax_exempt": given.get("tax_exempt") or "none",
        "test_clock": params.get("test_clock") or None,
    }
    if given.get("business_name"):
        customer["business_name"] = given["business_name"]
    if given.get("individual_name"):
        customer["individual_name"] = given["individual_name"]
    ctx.insert(customer)
    ctx.emit("customer.created", customer)
    return customer


def retrieve(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    found = ctx.find("customer", customer)
    if found is None:
        raise ResourceMissing("customer", customer)
    return found  # a deleted customer is its tombstone, as Stripe returns it


def update(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    obj = ctx.load("customer", customer)
    _check_references(ctx, params)
    previous = updates.apply(obj, _normalize(params, obj), UPDATABLE)
    if previous:
        ctx.save(obj)
        ctx.emit("customer.updated", obj, previous)
    return obj


def delete(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    obj = ctx.load("customer", customer)
    tombstone = {"id": obj["id"], "object": "customer", "deleted": True}
    # The tombstone keeps `created` for the store's ordering; Stripe's stub has only three fields.
    ctx.save({**tombstone, "created": obj["created"]}, listed=False)
    ctx.emit("customer.deleted", obj)
    return tombstone


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    if params.get("email"):
        filters.append(Filter(("email",), "eq", params["email"]))
    if params.get("test_clock"):
        filters.append(Filter(("test_clock",), "eq", params["test_clock"]))
    return list_objects(ctx, "customer", params, "/v1/customers", tuple(filters))


def search(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return search_objects(ctx, "customer", params, "/v1/customers/search")


ROUTES = [
    Route("POST", "/v1/customers", create),
    Route("GET", "/v1/customers", list_),
    Route("GET", "/v1/customers/search", search),
    Route("GET", "/v1/customers/{customer}", retrieve),
    Route("POST", "/v1/customers/{customer}", update),
    Route("DELETE", "/v1/customers/{customer}", delete),
]
