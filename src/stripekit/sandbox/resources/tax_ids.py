"""Tax IDs: /v1/customers/{customer}/tax_ids and /v1/tax_ids (create, retrieve, delete, list).

A tax ID belongs to a customer (`owner[type]=customer`) or to the account itself
(`owner[type]=self`); Connect owners (`account`, `application`) are refused, as the
sandbox has no Connect. Its `value` is checked against the type's format for the types
modelled in `_FORMATS` (others are taken as given), and its `country` comes from the type
(an EU VAT number's from its prefix).

Verification: the types Stripe checks against a government register (EU VAT with VIES, UK
VAT with HMRC, Australian ABNs with the ABR) start `pending` and are settled
asynchronously, announced by `customer.tax_id.updated`. In test mode Stripe documents
magic values (billing/customer/tax-ids, "customer tax ID verification"): a value with
`000000000` verifies, `111111111` fails (`unverified`), `222222222` stays pending for
good; any other value verifies too. Other types show `unavailable`.

A customer's tax IDs are also stored on the customer as its `tax_ids` list, which Stripe
shows only when expanded (`customers.INCLUDABLE`); invoices copy them as
`customer_tax_ids`.
"""

from __future__ import annotations

import re
from typing import Any

from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter

OBJECT = "tax_id"
NOUN = "tax_id"
VERIFY_TIMER = "tax_id.verify"
# The customer's field listing its tax IDs (includable: shown only when expanded).
CUSTOMER_FIELD = "tax_ids"
# Settled at the sandbox's next request, like Stripe's verification a moment later.
VERIFY_DELAY = 0
VERIFIED_TYPES = frozenset({"eu_vat", "gb_vat", "au_abn"})
_FAILS = "111111111"
_STAYS_PENDING = "222222222"

# EU VAT numbers by country prefix (the national formats VIES accepts). Greece uses `EL`
# and Northern Ireland `XI` in VAT numbers.
_EU_VAT = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
_VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}
_FORMATS = {
    "eu_vat": re.compile("|".join(f"{cc}(?:{body})" for cc, body in _EU_VAT.items())),
    "gb_vat": re.compile(r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})"),
    "au_abn": re.compile(r"\d{11}"),
    "us_ein": re.compile(r"\d{2}-?\d{7}"),
}
# Types whose country is not their prefix (an EU OSS number is not one country's).
_NO_COUNTRY = frozenset({"eu_oss_vat"})


def _compact(value: str) -> str:
    """The value as a format is checked: upper-case, without spaces or dots."""
    return re.sub(r"[\s.]", "", value).upper()


def check_value(type_: str, value: Any, *, param: str) -> None:
    """Stripe's `tax_id_invalid` for a value that does not fit its type's format."""
    pattern = _FORMATS.get(type_)
    if pattern is not None and not pattern.fullmatch(_compact(str(value))):
        # The message and code Stripe documents for a malformed tax ID (Stripe Tax guide).
        raise InvalidRequestError(f"Invalid value for {type_}.", param=param, code="tax_id_invalid")


def _country(type_: str, value: str) -> str | None:
    if type_ in _NO_COUNTRY:
        return None
    if type_ == "eu_vat":
        prefix = _compact(value)[:2]
        return _VAT_PREFIX_COUNTRY.get(prefix, prefix)
    return type_.split("_", 1)[0].upper()


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _verification(type_: str) -> dict[str, Any]:
    status = "pending" if type_ in VERIFIED_TYPES else "unavailable"
    return {"status": status, "verified_address": None, "verified_name": None}


def _new(
    ctx: RequestContext, type_: str, value: str, owner: dict[str, Any], customer: str | None
) -> dict[str, Any]:
    tax_id = {
        "id": ctx.new_id("txi"),
        "object": OBJECT,
        "country": _country(type_, value),
        "created": ctx.now,
        "customer": customer,
        "customer_account": None,
        "livemode": False,
        "owner": owner,
        "type": type_,
        "value": value,
        "verification": _verification(type_),
    }
    ctx.insert(tax_id)
    if tax_id["verification"]["status"] == "pending" and _STAYS_PENDING not in _digits(value):
        ctx.schedule(ctx.now + VERIFY_DELAY, VERIFY_TIMER, tax_id["id"])
    return tax_id


def add_to_customer(
    ctx: RequestContext, customer: dict[str, Any], type_: str, value: str, *, param: str = "value"
) -> dict[str, Any]:
    """Create a customer's tax ID and show it in the customer's `tax_ids` list (customer
    create's `tax_id_data` too; `param` names the value in Stripe's error)."""
    check_value(type_, value, param=param)
    owner = {"type": "customer", "customer": customer["id"], "customer_account": None}
    tax_id = _new(ctx, type_, value, owner, customer["id"])
    listing = customer.get(CUSTOMER_FIELD) or empty_list(customer["id"])
    # Creation order, the order invoices print them in.
    listing["data"].append(tax_id)
    listing["total_count"] = len(listing["data"])
    customer[CUSTOMER_FIELD] = listing
    ctx.save(customer)
    ctx.emit("customer.tax_id.created", tax_id)
    return tax_id


def empty_list(customer_id: str) -> dict[str, Any]:
    """A new customer's `tax_ids` list."""
    return {
        "object": "list",
        "data": [],
        "has_more": False,
        "total_count": 0,
        "url": f"/v1/customers/{customer_id}/tax_ids",
    }


def _refresh_on_customer(ctx: RequestContext, tax_id: dict[str, Any], *, gone: bool) -> None:
    customer = ctx.find("customer", tax_id["customer"]) if tax_id.get("customer") else None
    if customer is None or customer.get("deleted") or not customer.get(CUSTOMER_FIELD):
        return
    listing = customer[CUSTOMER_FIELD]
    kept = [t for t in listing["data"] if t["id"] != tax_id["id"]]
    listing["data"] = (
        kept if gone else [tax_id if t["id"] == tax_id["id"] else t for t in listing["data"]]
    )
    listing["total_count"] = len(listing["data"])
    ctx.save(customer)


def customer_in_event(customer: dict[str, Any]) -> dict[str, Any]:
    """The customer as an event shows it: without its tax IDs list, which Stripe shows only
    when expanded."""
    return {k: v for k, v in customer.items() if k != CUSTOMER_FIELD}


def for_invoice(customer: dict[str, Any]) -> list[dict[str, Any]]:
    """The customer's tax IDs as an invoice copies them (`customer_tax_ids`)."""
    listing = customer.get(CUSTOMER_FIELD) or {}
    return [{"type": t["type"], "value": t["value"]} for t in listing.get("data", [])]


# -- customer-scoped routes -------------------------------------------------------------------


def _owned(ctx: RequestContext, customer: str, tax_id: str) -> dict[str, Any]:
    ctx.load("customer", customer, param="customer")
    found = ctx.load(OBJECT, tax_id, noun=NOUN)
    if found.get("customer") != customer:
        # Another customer's tax ID is missing from this customer's view.
        raise ResourceMissing(NOUN, tax_id)
    return found


def customer_create(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    owner = ctx.load("customer", customer, param="customer")
    return add_to_customer(ctx, owner, params["type"], params["value"])


def customer_retrieve(
    ctx: RequestContext, params: dict[str, Any], customer: str, id: str
) -> dict[str, Any]:
    return _owned(ctx, customer, id)


def _delete(ctx: RequestContext, tax_id: dict[str, Any]) -> dict[str, Any]:
    ctx.remove(OBJECT, tax_id["id"])
    if tax_id.get("customer"):
        _refresh_on_customer(ctx, tax_id, gone=True)
        ctx.emit("customer.tax_id.deleted", tax_id)
    return {"id": tax_id["id"], "object": OBJECT, "deleted": True}


def customer_delete(
    ctx: RequestContext, params: dict[str, Any], customer: str, id: str
) -> dict[str, Any]:
    return _delete(ctx, _owned(ctx, customer, id))


def customer_list(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.load("customer", customer, param="customer")
    mine = (Filter(("customer",), "eq", customer),)
    return list_objects(ctx, OBJECT, params, f"/v1/customers/{customer}/tax_ids", mine, noun=NOUN)


# -- top-level routes -------------------------------------------------------------------------


def _connect_refused(param: str) -> InvalidRequestError:
    # Proposal: the sandbox has no Connect; Stripe's wording for an owner it refuses
    # was not recorded.
    return InvalidRequestError(
        "Tax IDs owned by a connected account or an application need Connect, which this "
        "sandbox does not support.",
        param=param,
    )


def _owner_customer(ctx: RequestContext, owner: dict[str, Any]) -> dict[str, Any]:
    """The live customer `owner[customer]` names (required with `owner[type]=customer`)."""
    if not owner.get("customer"):
        # Proposal: no recorded Stripe body for a customer owner without its id.
        raise InvalidRequestError(
            "You must provide owner[customer] when owner[type] is customer.",
            param="owner[customer]",
        )
    return ctx.load("customer", owner["customer"], param="owner[customer]", in_path=False)


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    owner = params.get("owner") or {"type": "self"}
    kind = owner["type"]
    if kind in ("account", "application"):
        raise _connect_refused("owner[type]")
    if kind == "customer":
        return add_to_customer(ctx, _owner_customer(ctx, owner), params["type"], params["value"])
    check_value(params["type"], params["value"], param="value")
    # The account's own tax ID: Stripe documents no event type for it.
    return _new(ctx, params["type"], params["value"], {"type": "self"}, None)


def retrieve(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.load(OBJECT, id, noun=NOUN)


def delete(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return _delete(ctx, ctx.load(OBJECT, id, noun=NOUN))


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Stripe lists the account's own tax IDs unless `owner` says otherwise.
    owner = params.get("owner") or {"type": "self"}
    kind = owner["type"]
    if kind in ("account", "application"):
        raise _connect_refused("owner[type]")
    filters = [Filter(("owner", "type"), "eq", kind)]
    if kind == "customer":
        _owner_customer(ctx, owner)
        filters.append(Filter(("customer",), "eq", owner["customer"]))
    return list_objects(ctx, OBJECT, params, "/v1/tax_ids", tuple(filters), noun=NOUN)


# -- sandbox time: verification settles ------------------------------------------------------


def verify(ctx: RequestContext, tax_id_id: str) -> None:
    tax_id = ctx.find(OBJECT, tax_id_id)
    if tax_id is None or tax_id["verification"]["status"] != "pending":
        return
    previous = {"verification": dict(tax_id["verification"])}
    status = "unverified" if _FAILS in _digits(tax_id["value"]) else "verified"
    tax_id["verification"] = {**tax_id["verification"], "status": status}
    ctx.save(tax_id)
    if tax_id.get("customer"):
        _refresh_on_customer(ctx, tax_id, gone=False)
        ctx.emit("customer.tax_id.updated", tax_id, previous)


ROUTES = [
    Route("POST", "/v1/customers/{customer}/tax_ids", customer_create),
    Route("GET", "/v1/customers/{customer}/tax_ids", customer_list),
    Route("GET", "/v1/customers/{customer}/tax_ids/{id}", customer_retrieve),
    Route("DELETE", "/v1/customers/{customer}/tax_ids/{id}", customer_delete),
    Route("POST", "/v1/tax_ids", create),
    Route("GET", "/v1/tax_ids", list_),
    Route("GET", "/v1/tax_ids/{id}", retrieve),
    Route("DELETE", "/v1/tax_ids/{id}", delete),
]

TIMERS = {VERIFY_TIMER: verify}
