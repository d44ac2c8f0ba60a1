"""Invoice items: /v1/invoiceitems (create, retrieve, update, delete, list).

An item is pending (no `invoice`) until an invoice takes it: an invoice created with
`pending_invoice_items_behavior=include`, a subscription's next invoice, or `invoice=`
on creation (a draft of the same customer). It can be changed or deleted only while it is
pending or its invoice is still a draft; a draft's line follows its item, and the
draft's totals follow. Items of a deleted draft go with it (their update and delete are
refused). Stripe sends `invoiceitem.created` and `invoiceitem.deleted`, and nothing when
an item changes (no such event type exists), so neither does the sandbox.

The building blocks (pricing, lines) live in `invoices.items`, which invoices share.
"""

from __future__ import annotations

import copy
from typing import Any

from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import created_range, list_objects
from ..framework.routing import Route
from ..store import Filter
from .invoices import common, items, model

NOT_EDITABLE_DELETE = (
    "Can't delete an invoice item that is attached to an invoice that is no longer editable"
)
NOT_EDITABLE_UPDATE = (
    "Can't update an invoice item that is attached to an invoice that is no longer editable"
)


def _load(ctx: RequestContext, item_id: str) -> dict[str, Any]:
    found = ctx.find("invoiceitem", item_id)
    if found is None:
        raise items.item_missing(item_id)
    return found


def _draft_of(ctx: RequestContext, item: dict[str, Any]) -> dict[str, Any] | None:
    """The draft invoice the item is on (None when pending); refuses a settled one."""
    if not item.get("invoice"):
        return None
    invoice = ctx.find("invoice", item["invoice"])
    if invoice is None or invoice.get("deleted") or invoice["status"] != "draft":
        return {}
    return invoice


def _refresh_line(
    ctx: RequestContext, invoice: dict[str, Any], item: dict[str, Any], *, remove: bool = False
) -> None:
    """Bring a draft's line for `item` in step (or drop it), recompute, announce."""
    before = copy.deepcopy(invoice)
    data = model.lines_of(invoice)
    for index, line in enumerate(data):
        if items.item_of_line(line) == item["id"]:
            if remove:
                del data[index]
            else:
                data[index] = items.line_from_item(item, invoice["id"], line["id"])
            break
    else:
        if not remove:
            data.append(items.line_from_item(item, invoice["id"], ctx.new_id("il")))
    model.recompute(ctx, invoice)
    ctx.save(invoice)
    model.emit(ctx, "invoice.updated", invoice, model.changes(before, invoice))


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    customer = common.load_customer(ctx, params.get("customer"))
    invoice = None
    if params.get("invoice"):
        invoice = ctx.find("invoice", params["invoice"])
        if invoice is None or invoice.get("deleted"):
            raise ResourceMissing("invoice", params["invoice"], param="invoice", status=400)
        if invoice["customer"] != customer["id"]:
            raise InvalidRequestError(
                f"The invoice {invoice['id']} belongs to another customer than "
                f"{customer['id']}: an invoice item must be for the invoice's customer.",
                param="invoice",
            )
        if invoice["status"] != "draft":
            raise InvalidRequestError(
                common.NOT_EDITABLE, param="invoice", code="invoice_not_editable"
            )
    if params.get("subscription"):
        subscription = ctx.find("subscription", params["subscription"])
        if subscription is None or subscription.get("customer") != customer["id"]:
            raise ResourceMissing(
                "subscription", params["subscription"], param="subscription", status=400
            )
    item = items.create_from_params(ctx, params, customer, invoice=invoice)
    ctx.emit("invoiceitem.created", items.public(item))
    if invoice is not None:
        _refresh_line(ctx, invoice, item)
    return items.public(item)


def retrieve(ctx: RequestContext, params: dict[str, Any], invoiceitem: str) -> dict[str, Any]:
    found = _load(ctx, invoiceitem)
    if found.get("deleted"):
        raise items.item_missing(invoiceitem)
    return items.public(found)


def update(ctx: RequestContext, params: dict[str, Any], invoiceitem: str) -> dict[str, Any]:
    item = _load(ctx, invoiceitem)
    if item.get("deleted"):
        raise InvalidRequestError("This invoice item has been deleted.")
    draft = _draft_of(ctx, item)
    if draft == {}:
        raise InvalidRequestError(NOT_EDITABLE_UPDATE)
    items.apply_changes(ctx, item, params, "")
    if draft:
        _refresh_line(ctx, draft, item)
    return items.public(item)


def delete(ctx: RequestContext, params: dict[str, Any], invoiceitem: str) -> dict[str, Any]:
    item = _load(ctx, invoiceitem)
    if item.get("deleted"):
        raise InvalidRequestError(NOT_EDITABLE_DELETE)
    draft = _draft_of(ctx, item)
    if draft == {}:
        raise InvalidRequestError(NOT_EDITABLE_DELETE)
    # Stripe forgets a deleted item: a later retrieve answers 404.
    ctx.remove("invoiceitem", item["id"])
    items.mark_taken(ctx, item)
    ctx.emit("invoiceitem.deleted", items.public(item))
    if draft:
        _refresh_line(ctx, draft, item, remove=True)
    return {"id": item["id"], "object": "invoiceitem", "deleted": True}


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    if params.get("customer"):
        filters.append(Filter(("customer",), "eq", params["customer"]))
    if params.get("invoice"):
        filters.append(Filter(("invoice",), "eq", params["invoice"]))
    pending = params.get("pending")
    if pending is True:
        filters.append(Filter(("invoice",), "is_null"))
    if pending is not False:
        page = list_objects(ctx, "invoiceitem", params, "/v1/invoiceitems", tuple(filters))
    else:
        # "Not pending" is no filter the store has: filter while scanning.
        created = created_range(params.get("created"))
        found = [
            item
            for item in ctx.tx.scan(ctx.account, "invoiceitem", tuple(filters))
            if item.get("invoice") is not None and common.in_range(item["created"], created)
        ]
        page = common.paginate(found, params, "/v1/invoiceitems", "invoiceitem")
    page["data"] = [items.public(item) for item in page["data"]]
    return page


ROUTES = [
    Route("POST", "/v1/invoiceitems", create),
    Route("GET", "/v1/invoiceitems", list_),
    Route("GET", "/v1/invoiceitems/{invoiceitem}", retrieve),
    Route("POST", "/v1/invoiceitems/{invoiceitem}", update),
    Route("DELETE", "/v1/invoiceitems/{invoiceitem}", delete),
]
