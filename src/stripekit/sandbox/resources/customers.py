"""Customers: /v1/customers (create, retrieve, update, delete, list, search).

A deleted customer stays retrievable as `{id, object, deleted: true}`, as on Stripe; it
leaves lists and search, and every other call treats it as missing.

Payment details: `source=tok_...` (or `card`) saves a card source and makes it the
default (on update it replaces the old default, which is deleted, as Stripe does);
`payment_method` on create attaches that PaymentMethod; `default_source` must be one of
the customer's sources and `invoice_settings[default_payment_method]` a PaymentMethod
attached to this customer.
"""

from __future__ import annotations

from typing import Any

from ..framework import metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..framework.searching import search_objects
from ..store import Filter
from . import payment_methods, sources, tax_ids, test_clocks

# A customer's tax IDs are stored on it and shown only when expanded (`expand[]=tax_ids`).
INCLUDABLE = {"customer": (tax_ids.CUSTOMER_FIELD,)}
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


def _check_references(
    ctx: RequestContext, params: dict[str, Any], customer_id: str | None = None
) -> None:
    """Ids given as parameters must name objects of this account (400 otherwise); a
    default PaymentMethod must be attached to this customer."""
    if params.get("test_clock"):
        ctx.load(
            "test_helpers.test_clock",
            params["test_clock"],
            param="test_clock",
            noun="test_clock",
            in_path=False,
        )
    settings = params.get("invoice_settings")
    if isinstance(settings, dict):
        payment_methods.customer_payment_method(
            ctx,
            settings.get("default_payment_method"),
            customer_id,
            param="invoice_settings[default_payment_method]",
        )


def _card_param(params: dict[str, Any]) -> tuple[Any, str] | None:
    """A card to save from `source` (or the legacy `card`), with the param it came in."""
    if params.get("source"):
        return params["source"], "source"
    if params.get("card"):
        return params["card"], "card"
    return None


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = ctx.new_id("cus")
    # A PaymentMethod to attach is checked (and its card verified) before anything is
    # stored: a refused card leaves no customer behind.
    attaching = None
    if params.get("payment_method"):
        attaching = payment_methods.resolve(ctx, params["payment_method"])
        _check_attachable(ctx, attaching)
    card_param = _card_param(params)
    card = sources.prepare_card(ctx, card_param[0], param=card_param[1]) if card_param else None
    settings = params.get("invoice_settings")
    default_pm = settings.get("default_payment_method") if isinstance(settings, dict) else None
    if default_pm and attaching is not None and default_pm == attaching["id"]:
        _check_references(ctx, {k: v for k, v in params.items() if k != "invoice_settings"})
    else:
        _check_references(ctx, params)
    given = _normalize(params, None)
    customer = {
        "id": customer_id,
        "object": "customer",
        "address": given.get("address"),
        "balance": given.get("balance") or 0,
        # A customer on a test clock is created at the clock's time, as on Stripe.
        "created": test_clocks.now_for(ctx, params.get("test_clock")),
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
        "tax_ids": tax_ids.empty_list(customer_id),
        "test_clock": params.get("test_clock") or None,
    }
    if given.get("business_name"):
        customer["business_name"] = given["business_name"]
    if given.get("individual_name"):
        customer["individual_name"] = given["individual_name"]
    if card is not None:
        customer["default_source"] = card["id"]
    ctx.insert(customer)
    ctx.emit("customer.created", tax_ids.customer_in_event(customer))
    for index, entry in enumerate(params.get("tax_id_data") or []):
        tax_ids.add_to_customer(
            ctx, customer, entry["type"], entry["value"], param=f"tax_id_data[{index}][value]"
        )
    if card is not None:
        sources.store_card(ctx, card, customer_id)
    if attaching is not None:
        payment_methods.attach_to(ctx, attaching, customer_id)
    return customer


def _check_attachable(ctx: RequestContext, payment_method: dict[str, Any]) -> None:
    """`payment_method` on create: refused as attach refuses it (other owner, spent,
    declining card)."""
    if payment_method.get("customer"):
        owner = ctx.find("customer", payment_method["customer"])
        if owner is not None and not owner.get("deleted"):
            raise InvalidRequestError(
                "The payment method you provided has already been attached to a customer.",
                param="payment_method",
            )
    payment_methods.ensure_reusable(ctx, payment_method)
    card = payment_methods.card_of(payment_method)
    if payment_methods.declines_on_save(card):
        raise payment_methods.decline_error(card, param="payment_method")


def retrieve(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    found = ctx.find("customer", customer)
    if found is None:
        raise ResourceMissing("customer", customer)
    return found  # a deleted customer is its tombstone, as Stripe returns it


def update(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    obj = ctx.load("customer", customer)
    _check_references(ctx, params, customer)
    card_param = _card_param(params)
    new_card = None
    if card_param is not None:
        new_card = sources.prepare_card(ctx, card_param[0], param=card_param[1])
    elif params.get("default_source"):
        sources.find_card(ctx, customer, params["default_source"], param="default_source")
    previous = updates.apply(obj, _normalize(params, obj), UPDATABLE)
    if new_card is not None:
        # The new card replaces the default source, and the old default is deleted.
        old_default = sources.default_card(ctx, obj)
        sources.store_card(ctx, new_card, customer)
        if obj.get("default_source") != new_card["id"]:
            previous["default_source"] = obj.get("default_source")
            obj["default_source"] = new_card["id"]
        if old_default is not None:
            ctx.remove("card", old_default["id"])
            ctx.emit("customer.source.deleted", sources.public(old_default))
    elif params.get("default_source") and params["default_source"] != obj.get("default_source"):
        previous["default_source"] = obj.get("default_source")
        obj["default_source"] = params["default_source"]
    if previous:
        ctx.save(obj)
        ctx.emit("customer.updated", tax_ids.customer_in_event(obj), previous)
    return obj


def delete(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return delete_customer(ctx, ctx.load("customer", customer))


def delete_customer(ctx: RequestContext, obj: dict[str, Any]) -> dict[str, Any]:
    """Delete a customer as Stripe does: its live subscriptions are canceled first."""
    # Subscriptions build on customers; imported here to keep the dependency one way.
    from .subscriptions import handlers as subscriptions
    from .subscriptions import model as subscription_model

    mine = (Filter(("customer",), "eq", obj["id"]),)
    for sub in list(ctx.tx.scan(ctx.account, subscription_model.TYPE, mine)):
        if sub["status"] not in subscription_model.ENDED:
            subscriptions.cancel_now(ctx, sub, {})
    tombstone = {"id": obj["id"], "object": "customer", "deleted": True}
    # The tombstone keeps `created` for the store's ordering; Stripe's stub has only three fields.
    ctx.save({**tombstone, "created": obj["created"]}, listed=False)
    ctx.emit("customer.deleted", tax_ids.customer_in_event(obj))
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
