"""An invoice's lines: `GET /v1/invoices/{invoice}/lines`, and editing a draft's lines
(`add_lines`, `update_lines`, `remove_lines`, `POST .../lines/{line_item_id}`).

A line made from an invoice item is edited through its item (so the item and the line
always agree); a line billed from a subscription item takes only the fields that do not
change its price. Every edit recomputes the totals and sends `invoice.updated`.
"""

from __future__ import annotations

import copy
from typing import Any

from ...framework import metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from ...framework.routing import Route
from .. import prices
from .. import tax_rates as rate_objects
from . import common, discounts, items, model, taxes


def list_lines(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = model.current(ctx, common.load(ctx, invoice))
    return common.paginate(
        model.lines_of(obj), params, f"/v1/invoices/{obj['id']}/lines", "line_item"
    )


def _editable(ctx: RequestContext, invoice: str, *, param: str = "invoice") -> dict[str, Any]:
    obj = common.load(ctx, invoice, param=param)
    if obj["status"] != "draft":
        raise InvalidRequestError(common.NOT_EDITABLE, code="invoice_not_editable")
    return obj


def _find_line(obj: dict[str, Any], line_id: Any, param: str, status: int = 400) -> dict[str, Any]:
    for line in model.lines_of(obj):
        if line["id"] == line_id:
            return line
    raise ResourceMissing("line_item", str(line_id), param=param, status=status)


def _finish(
    ctx: RequestContext, obj: dict[str, Any], before: dict[str, Any], params: dict[str, Any]
) -> None:
    if "invoice_metadata" in params:
        obj["metadata"] = metadata.merge(
            obj["metadata"], params["invoice_metadata"], param="invoice_metadata"
        )
    model.recompute(ctx, obj)
    ctx.save(obj)
    previous = model.changes(before, obj)
    if previous or model.lines_of(obj) != model.lines_of(before):
        model.emit(ctx, "invoice.updated", obj, previous)


def _attach_existing(
    ctx: RequestContext, obj: dict[str, Any], item_id: Any, param: str
) -> dict[str, Any]:
    item = ctx.find("invoiceitem", item_id) if isinstance(item_id, str) else None
    if item is None or item.get("deleted") or item["customer"] != obj["customer"]:
        raise items.item_missing(str(item_id), param=param, status=400)
    if item.get("invoice"):
        raise InvalidRequestError(
            f"The invoice item {item['id']} is already attached to an invoice.", param=param
        )
    if item["currency"] != obj["currency"]:
        raise InvalidRequestError(
            f"The currency of this invoice item ({item['currency']}) must match the currency "
            f"of the invoice ({obj['currency']}).",
            param=param,
        )
    item["invoice"] = obj["id"]
    ctx.save(item)
    items.mark_taken(ctx, item)
    return item


def add_lines(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = _editable(ctx, invoice)
    before = copy.deepcopy(obj)
    customer = ctx.load("customer", obj["customer"], param="customer", in_path=False)
    for index, given in enumerate(params["lines"]):
        prefix = f"lines[{index}]"
        if given.get("invoice_item"):
            item = _attach_existing(ctx, obj, given["invoice_item"], f"{prefix}[invoice_item]")
            items.apply_changes(ctx, item, given, prefix)
        else:
            _no_taxes(given, prefix)
            item = items.create_from_params(ctx, given, customer, invoice=obj, prefix=prefix)
            ctx.emit("invoiceitem.created", items.public(item))
        model.lines_of(obj).append(items.line_from_item(item, obj["id"], ctx.new_id("il")))
    _finish(ctx, obj, before, params)
    return model.present(ctx, obj)


def _no_taxes(given: dict[str, Any], prefix: str) -> None:
    # Tax rates are modeled (see taxes); amounts computed elsewhere are not.
    if given.get("tax_amounts"):
        raise InvalidRequestError(
            "Tax amounts calculated outside Stripe are not modeled by the sandbox: use "
            "tax_rates instead.",
            param=prices.name_of(prefix, "tax_amounts"),
        )


def _update_line(
    ctx: RequestContext,
    obj: dict[str, Any],
    line: dict[str, Any],
    given: dict[str, Any],
    prefix: str,
) -> dict[str, Any]:
    _no_taxes(given, prefix)
    item_id = items.item_of_line(line)
    if item_id is not None:
        item = ctx.find("invoiceitem", item_id)
        if item is None or item.get("deleted"):
            raise items.item_missing(item_id, param=f"{prefix}[id]", status=400)
        items.apply_changes(ctx, item, given, prefix)
        fresh = items.line_from_item(item, obj["id"], line["id"])
    else:
        for name in items.PRICED:
            if given.get(name) not in (None, ""):
                raise InvalidRequestError(
                    "The price and quantity of a line billed from a subscription item cannot "
                    "be changed on the invoice; update the subscription instead.",
                    param=prices.name_of(prefix, name),
                )
        fresh = copy.deepcopy(line)
        if "description" in given:
            fresh["description"] = given["description"] or None
        if "discountable" in given:
            fresh["discountable"] = bool(given["discountable"])
        if given.get("period"):
            fresh["period"] = items.check_period(given["period"], prices.name_of(prefix, "period"))
        if "metadata" in given:
            fresh["metadata"] = metadata.merge(fresh["metadata"], given["metadata"])
        if "tax_rates" in given:
            rates = rate_objects.resolve(
                ctx, given["tax_rates"], param=prices.name_of(prefix, "tax_rates")
            )
            taxes.set_line_rates(ctx, obj["id"], line["id"], rates)
        if "discounts" in given:
            fresh["discounts"] = discounts.resolve(
                ctx,
                given["discounts"],
                currency=obj["currency"],
                customer=obj["customer"],
                now=common.now_of(ctx, obj),
                param=prices.name_of(prefix, "discounts"),
                invoice=obj["id"],
            )
    data = model.lines_of(obj)
    data[data.index(line)] = fresh
    return fresh


def update_lines(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = _editable(ctx, invoice)
    before = copy.deepcopy(obj)
    for index, given in enumerate(params["lines"]):
        prefix = f"lines[{index}]"
        line = _find_line(obj, given["id"], f"{prefix}[id]")
        _update_line(ctx, obj, line, {k: v for k, v in given.items() if k != "id"}, prefix)
    _finish(ctx, obj, before, params)
    return model.present(ctx, obj)


def update_line(
    ctx: RequestContext, params: dict[str, Any], invoice: str, line_item_id: str
) -> dict[str, Any]:
    obj = _editable(ctx, invoice)
    before = copy.deepcopy(obj)
    line = _find_line(obj, line_item_id, "line_item_id", status=404)
    fresh = _update_line(ctx, obj, line, params, "")
    _finish(ctx, obj, before, {})
    for current in model.lines_of(obj):
        if current["id"] == fresh["id"]:
            return current
    return fresh


def remove_lines(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = _editable(ctx, invoice)
    before = copy.deepcopy(obj)
    for index, given in enumerate(params["lines"]):
        prefix = f"lines[{index}]"
        line = _find_line(obj, given["id"], f"{prefix}[id]")
        item_id = items.item_of_line(line)
        if item_id is None:
            raise InvalidRequestError(
                "Only lines created from invoice items can be removed from an invoice.",
                param=f"{prefix}[id]",
            )
        item = ctx.find("invoiceitem", item_id)
        if item is not None and not item.get("deleted"):
            if given["behavior"] == "delete":
                ctx.remove("invoiceitem", item["id"])
                ctx.emit("invoiceitem.deleted", items.public(item))
            else:
                item["invoice"] = None
                ctx.save(item)
                items.mark_pending(ctx, item)
        model.lines_of(obj).remove(line)
    _finish(ctx, obj, before, params)
    return model.present(ctx, obj)


ROUTES = [
    Route("GET", "/v1/invoices/{invoice}/lines", list_lines),
    Route("POST", "/v1/invoices/{invoice}/add_lines", add_lines),
    Route("POST", "/v1/invoices/{invoice}/update_lines", update_lines),
    Route("POST", "/v1/invoices/{invoice}/remove_lines", remove_lines),
    Route("POST", "/v1/invoices/{invoice}/lines/{line_item_id}", update_line),
]
