"""A customer's legacy card sources: /v1/customers/{customer}/sources (and .../cards).

A card source is a legacy `card` object stored with its `customer`; it comes from a card
token (`source=tok_...`, the token's card keeps its `card_` id) or from raw card details.
Saving runs the issuer check, so the decline test cards fail with their 402. The first
card becomes the customer's `default_source`; deleting the default moves it to the most
recently added card left, or clears it. The Sources API proper (`src_...`) is not
modeled.

For charges: `find_card` / `card_of_source` give the card a customer + source pair names,
`default_card` the customer's default, `tokens.card_of_legacy` the test card of a card.
"""

from __future__ import annotations

from typing import Any

from ..framework import metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..framework.testcards import TestCard
from ..store import Filter
from . import payment_methods, tax_ids, tokens

UPDATABLE = (*tokens.LEGACY_ADDRESS_ALL, "exp_month", "exp_year", "metadata", "name")


# -- helpers other resources use --------------------------------------------------------


def find_card(
    ctx: RequestContext, customer_id: str, source_id: str, *, param: str = "source"
) -> dict[str, Any]:
    """The card `source_id` of customer `customer_id`, or Stripe's `missing` error."""
    card = ctx.find("card", source_id) if isinstance(source_id, str) else None
    if card is None or card.get("customer") != customer_id:
        raise InvalidRequestError(
            f"Customer {customer_id} does not have a linked source with ID {source_id}.",
            param=param,
            code="missing",
        )
    return card


def card_of_source(ctx: RequestContext, customer_id: str, source_id: str) -> TestCard:
    """The test card behind a customer's card source (charges' outcome)."""
    return tokens.card_of_legacy(find_card(ctx, customer_id, source_id))


def default_card(ctx: RequestContext, customer: dict[str, Any]) -> dict[str, Any] | None:
    """The customer's default card source, if any."""
    default = customer.get("default_source")
    return ctx.find("card", default) if default else None


def prepare_card(
    ctx: RequestContext, value: Any, *, param: str = "source", meta: Any = None
) -> dict[str, Any]:
    """A card to save from `source=tok_...` or `card[...]` details, after the issuer
    check (402 for a declining test card). Not stored yet: `store_card` does that once
    the customer is known."""
    if isinstance(value, dict):
        card, test_card = tokens.card_from_details(ctx, value)
        card["metadata"] = metadata.merge(None, value.get("metadata") or {})
    elif isinstance(value, str) and value:
        if value.startswith("src_"):
            raise ResourceMissing("source", value, param=param, status=400)
        card, test_card = tokens.consume(ctx, value, param=param)
    else:
        raise InvalidRequestError(
            f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    if payment_methods.declines_on_save(test_card):
        raise payment_methods.decline_error(test_card, param=param)
    for check in ("cvc_check", "address_line1_check", "address_zip_check"):
        if card.get(check) == "unchecked":
            card[check] = "pass"
    if meta:
        card["metadata"] = metadata.merge(card.get("metadata"), meta)
    return card


def store_card(ctx: RequestContext, card: dict[str, Any], customer_id: str) -> dict[str, Any]:
    card["customer"] = customer_id
    # Cards are listed newest first like everything else; `created` orders them.
    ctx.insert({**card, "created": ctx.now})
    ctx.emit("customer.source.created", card)
    return card


def add_card(
    ctx: RequestContext, customer: dict[str, Any], value: Any, *, param: str, meta: Any = None
) -> dict[str, Any]:
    """Save a card on an existing customer; the first becomes the default source."""
    card = store_card(ctx, prepare_card(ctx, value, param=param, meta=meta), customer["id"])
    if not customer.get("default_source"):
        set_default(ctx, customer, card["id"])
    return card


def set_default(ctx: RequestContext, customer: dict[str, Any], card_id: str | None) -> None:
    previous = customer.get("default_source")
    if previous == card_id:
        return
    customer["default_source"] = card_id
    ctx.save(customer)
    ctx.emit("customer.updated", tax_ids.customer_in_event(customer), {"default_source": previous})


def remove_card(ctx: RequestContext, customer: dict[str, Any], card: dict[str, Any]) -> None:
    """Delete a card; a deleted default gives way to the newest card left (or none)."""
    ctx.remove("card", card["id"])
    ctx.emit("customer.source.deleted", public(card))
    if customer.get("default_source") == card["id"]:
        newest = ctx.tx.page(
            ctx.account, "card", filters=(Filter(("customer",), "eq", customer["id"]),), limit=1
        ).items
        set_default(ctx, customer, newest[0]["id"] if newest else None)


def public(card: dict[str, Any]) -> dict[str, Any]:
    """A stored card as Stripe shows it (the store keeps `created` for ordering only)."""
    return {k: v for k, v in card.items() if k != "created"}


# -- routes -----------------------------------------------------------------------------


def _customer(ctx: RequestContext, customer: str) -> dict[str, Any]:
    return ctx.load("customer", customer)


def _own_card(
    ctx: RequestContext, customer: str, id: str, *, legacy_path: bool = False
) -> dict[str, Any]:
    card = ctx.find("card", id)
    if card is None or card.get("customer") != customer:
        if legacy_path:
            raise InvalidRequestError(
                f"Customer {customer} does not have card with ID {id}", param="id", status=404
            )
        raise ResourceMissing("source", id)
    return card


def create(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    obj = _customer(ctx, customer)
    if params.get("bank_account") or params.get("alipay_account"):
        raise InvalidRequestError(
            "The sandbox saves card sources only.",
            param="bank_account" if params.get("bank_account") else "alipay_account",
        )
    if "source" in params or "card" not in params:
        value, param = params.get("source"), "source"
    else:
        value, param = params["card"], "card"
    card = add_card(ctx, obj, value, param=param, meta=params.get("metadata"))
    return public(card)


def retrieve(ctx: RequestContext, params: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    _customer(ctx, customer)
    return public(_own_card(ctx, customer, id))


def retrieve_card(
    ctx: RequestContext, params: dict[str, Any], customer: str, id: str
) -> dict[str, Any]:
    _customer(ctx, customer)
    return public(_own_card(ctx, customer, id, legacy_path=True))


def _update(
    ctx: RequestContext, params: dict[str, Any], customer: str, id: str, legacy_path: bool
) -> dict[str, Any]:
    _customer(ctx, customer)
    card = _own_card(ctx, customer, id, legacy_path=legacy_path)
    given = {k: v for k, v in params.items() if k in UPDATABLE}
    if "exp_month" in given or "exp_year" in given:
        month, year = payment_methods.check_expiry(
            ctx,
            given.get("exp_month", card["exp_month"]),
            given.get("exp_year", card["exp_year"]),
            name=lambda field: field,
        )
        given["exp_month"], given["exp_year"] = month, year
    for field in (*tokens.LEGACY_ADDRESS_ALL, "name"):
        if given.get(field) == "":
            given[field] = None
    previous = updates.apply(card, given, UPDATABLE)
    if previous:
        # A changed address line or zip is checked again on the next use.
        if "address_line1" in previous:
            card["address_line1_check"] = "unchecked" if card["address_line1"] else None
        if "address_zip" in previous:
            card["address_zip_check"] = "unchecked" if card["address_zip"] else None
        ctx.save(card)
        ctx.emit("customer.source.updated", public(card), previous)
    return public(card)


def update(ctx: RequestContext, params: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    if (
        params.get("owner")
        or params.get("account_holder_name")
        or params.get("account_holder_type")
    ):
        raise InvalidRequestError(
            "Those fields belong to Source and bank account objects; the sandbox saves "
            "card sources only.",
            param="owner" if params.get("owner") else "account_holder_name",
        )
    return _update(ctx, params, customer, id, legacy_path=False)


def update_card(
    ctx: RequestContext, params: dict[str, Any], customer: str, id: str
) -> dict[str, Any]:
    return _update(ctx, params, customer, id, legacy_path=True)


def _delete(ctx: RequestContext, customer: str, id: str, legacy_path: bool) -> dict[str, Any]:
    obj = _customer(ctx, customer)
    card = _own_card(ctx, customer, id, legacy_path=legacy_path)
    remove_card(ctx, obj, card)
    return {"id": card["id"], "object": "card", "deleted": True}


def delete(ctx: RequestContext, params: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    return _delete(ctx, customer, id, legacy_path=False)


def delete_card(
    ctx: RequestContext, params: dict[str, Any], customer: str, id: str
) -> dict[str, Any]:
    return _delete(ctx, customer, id, legacy_path=True)


def _list(ctx: RequestContext, params: dict[str, Any], customer: str, url: str) -> dict[str, Any]:
    _customer(ctx, customer)
    page = list_objects(
        ctx, "card", params, url, (Filter(("customer",), "eq", customer),), noun="source"
    )
    page["data"] = [public(card) for card in page["data"]]
    return page


def list_(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    url = f"/v1/customers/{customer}/sources"
    if params.get("object") not in (None, "", "card"):
        _customer(ctx, customer)
        # Only cards are saved here: a list of bank accounts (or sources) is empty.
        return {"object": "list", "data": [], "has_more": False, "url": url}
    return _list(ctx, params, customer, url)


def list_cards(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return _list(ctx, params, customer, f"/v1/customers/{customer}/cards")


ROUTES = [
    Route("POST", "/v1/customers/{customer}/sources", create, permission="customers"),
    Route("GET", "/v1/customers/{customer}/sources", list_, permission="customers"),
    Route("GET", "/v1/customers/{customer}/sources/{id}", retrieve, permission="customers"),
    Route("POST", "/v1/customers/{customer}/sources/{id}", update, permission="customers"),
    Route("DELETE", "/v1/customers/{customer}/sources/{id}", delete, permission="customers"),
    Route("POST", "/v1/customers/{customer}/cards", create, permission="customers"),
    Route("GET", "/v1/customers/{customer}/cards", list_cards, permission="customers"),
    Route("GET", "/v1/customers/{customer}/cards/{id}", retrieve_card, permission="customers"),
    Route("POST", "/v1/customers/{customer}/cards/{id}", update_card, permission="customers"),
    Route("DELETE", "/v1/customers/{customer}/cards/{id}", delete_card, permission="customers"),
]
