"""/v1/invoices: create, retrieve, update, delete, list, search, and the transitions
(finalize, pay, send, void, mark_uncollectible, attach_payment).

Stripe names a missing invoice's param `invoice` on GET, DELETE and /send, and `id` on
the other POSTs; the handlers follow it.
"""

from __future__ import annotations

import copy
from typing import Any

from ...framework import currencies, metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from ...framework.listing import created_range, list_objects
from ...framework.routing import Route
from ...framework.searching import search_objects
from ...store import Filter
from .. import payment_methods, prices, sources, tax_rates
from . import common, discounts, items, lifecycle, model, payment

NEEDS_DUE_DATE = (
    "If invoice collection method is 'send_invoice', you must specify 'due_date' or "
    "'days_until_due'."
)
DUE_DATE_ONLY_FOR_SEND = (
    "You can only specify 'due_date' or 'days_until_due' if invoice collection method is "
    "'send_invoice'."
)
FINALIZED = "Finalized invoices can't be updated in this way"
DRAFT_FIELDS = frozenset(
    (
        "account_tax_ids",
        "application_fee_amount",
        "auto_advance",
        "automatic_tax",
        "automatically_finalizes_at",
        "collection_method",
        "custom_fields",
        "days_until_due",
        "default_payment_method",
        "default_source",
        "default_tax_rates",
        "description",
        "discounts",
        "due_date",
        "effective_at",
        "footer",
        "issuer",
        "metadata",
        "number",
        "on_behalf_of",
        "payment_settings",
        "rendering",
        "shipping_cost",
        "shipping_details",
        "statement_descriptor",
        "transfer_data",
    )
)
# Once finalized, what is not money may still change while the invoice is open.
OPEN_FIELDS = frozenset(
    (
        "auto_advance",
        "custom_fields",
        "days_until_due",
        "default_payment_method",
        "default_source",
        "description",
        "due_date",
        "footer",
        "metadata",
        "payment_settings",
        "rendering",
    )
)
SETTLED_FIELDS = frozenset(("metadata",))
_PM_TYPES = (
    "acss_debit",
    "bancontact",
    "billie",
    "card",
    "customer_balance",
    "konbini",
    "payto",
    "pix",
    "sepa_debit",
    "upi",
    "us_bank_account",
)


# -- parameter helpers ----------------------------------------------------------------------


def _due_date(
    params: dict[str, Any], collection: str, now: int, current: int | None = None
) -> int | None:
    has_days = params.get("days_until_due") is not None
    has_date = params.get("due_date") not in (None, "")
    if collection != "send_invoice":
        if has_days or has_date:
            raise InvalidRequestError(DUE_DATE_ONLY_FOR_SEND)
        return None
    if has_days and has_date:
        raise prices.only_one("days_until_due", "due_date", param="days_until_due")
    if has_days:
        days = params["days_until_due"]
        if days < 0:
            raise InvalidRequestError("Invalid non-negative integer", param="days_until_due")
        return int(now + days * common.DAY)
    if has_date:
        if params["due_date"] <= now:
            raise InvalidRequestError("The due_date must be in the future.", param="due_date")
        due: int = params["due_date"]
        return due
    if current is None:
        raise InvalidRequestError(NEEDS_DUE_DATE)
    return current


def _default_source(ctx: RequestContext, value: Any, customer_id: str) -> str | None:
    if not value:
        return None
    return str(sources.find_card(ctx, customer_id, value, param="default_source")["id"])


def _payment_settings(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = dict(
        current
        or {"default_mandate": None, "payment_method_options": None, "payment_method_types": None}
    )
    if not isinstance(value, dict):
        return settings
    if "default_mandate" in value:
        settings["default_mandate"] = value["default_mandate"] or None
    if "payment_method_types" in value:
        settings["payment_method_types"] = list(value["payment_method_types"] or []) or None
    if "payment_method_options" in value:
        given = value["payment_method_options"] or {}
        options: dict[str, Any] = dict.fromkeys(_PM_TYPES)
        card = given.get("card")
        if isinstance(card, dict):
            options["card"] = {"request_three_d_secure": card.get("request_three_d_secure")}
        settings["payment_method_options"] = options if given else None
    return settings


def _shipping_details(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    address = value.get("address") or {}
    return {
        "address": {
            f: address.get(f) or None
            for f in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "carrier": None,
        "name": value.get("name"),
        "phone": value.get("phone") or None,
        "tracking_number": None,
    }


def _check_unsupported(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Parameters naming objects the sandbox has none of fail as Stripe fails an unknown
    id (tax rates are resolved by `tax_rates.resolve`); automatic tax needs Stripe Tax,
    which the sandbox does not compute."""
    for index, tax_id in enumerate(params.get("account_tax_ids") or []):
        ctx.load("tax_id", tax_id, param=f"account_tax_ids[{index}]", in_path=False)
    if params.get("on_behalf_of"):
        ctx.load("account", params["on_behalf_of"], param="on_behalf_of", in_path=False)
    if (params.get("transfer_data") or {}).get("destination"):
        ctx.load(
            "account",
            params["transfer_data"]["destination"],
            param="transfer_data[destination]",
            in_path=False,
        )
    if (params.get("automatic_tax") or {}).get("enabled"):
        raise InvalidRequestError(
            "Stripe Tax has not been activated on your account. The sandbox does not "
            "compute automatic tax.",
            param="automatic_tax[enabled]",
        )
    if params.get("from_invoice"):
        lifecycle_source = params["from_invoice"]["invoice"]
        common.load(ctx, lifecycle_source, param="from_invoice[invoice]")
        raise InvalidRequestError(
            "Invoice revisions are not supported by the sandbox.", param="from_invoice"
        )


def _subscription(ctx: RequestContext, value: Any, customer_id: str) -> str | None:
    if not value:
        return None
    found = ctx.find("subscription", value)
    if found is None:
        raise ResourceMissing("subscription", value, param="subscription", status=400)
    if found.get("customer") != customer_id:
        raise InvalidRequestError(
            f"The subscription {value} does not belong to the customer {customer_id}.",
            param="subscription",
        )
    return str(value)


# -- create, retrieve, update, delete, list, search -----------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    customer = common.load_customer(ctx, params.get("customer"))
    now = common.now_of(ctx, customer)
    collection = params.get("collection_method") or "charge_automatically"
    due_date = _due_date(params, collection, now)
    _check_unsupported(ctx, params)
    subscription = _subscription(ctx, params.get("subscription"), customer["id"])
    include = params.get("pending_invoice_items_behavior") == "include"
    currency = currencies.check(params["currency"]) if params.get("currency") else None
    if currency is None:
        pending = (
            items.pending_items(ctx, customer["id"], subscription=subscription) if include else []
        )
        currency = customer.get("currency") or (pending[0]["currency"] if pending else "usd")
    invoice_id = ctx.new_id("in")
    default_rates = tax_rates.resolve(
        ctx, params.get("default_tax_rates"), param="default_tax_rates"
    )
    discount_ids = None
    if "discounts" in params:
        discount_ids = discounts.resolve(
            ctx,
            params["discounts"],
            currency=currency,
            customer=customer["id"],
            now=now,
            invoice=invoice_id,
        )
    settings = customer.get("invoice_settings") or {}
    invoice = lifecycle.create_invoice(
        ctx,
        customer,
        subscription=subscription,
        include_pending=include,
        currency=currency,
        collection_method=collection,
        auto_advance=bool(params.get("auto_advance", False)),
        due_date=due_date,
        discount_ids=discount_ids,
        invoice_id=invoice_id,
        description=params.get("description") or None,
        footer=params.get("footer") or settings.get("footer") or None,
        statement_descriptor=params.get("statement_descriptor") or None,
        meta=metadata.merge(None, params.get("metadata") or {}),
        default_payment_method=payment_methods.customer_payment_method(
            ctx, params.get("default_payment_method"), customer["id"]
        ),
        default_source=_default_source(ctx, params.get("default_source"), customer["id"]),
        payment_settings=_payment_settings(params.get("payment_settings")),
        custom_fields=params.get("custom_fields") or settings.get("custom_fields") or None,
        shipping_details=_shipping_details(params.get("shipping_details")),
        effective_at=params.get("effective_at"),
        default_tax_rates=default_rates,
        emit_created=False,
    )
    if params.get("number"):
        invoice["number"] = params["number"]
    if params.get("rendering"):
        _apply_rendering(invoice, params["rendering"])
    if params.get("automatically_finalizes_at") is not None:
        _set_finalizes_at(ctx, invoice, params["automatically_finalizes_at"])
    ctx.save(invoice)
    model.emit(ctx, "invoice.created", invoice)
    return model.present(ctx, invoice)


def _apply_rendering(invoice: dict[str, Any], given: Any) -> None:
    if not isinstance(given, dict):
        return
    rendering = invoice["rendering"]
    if "amount_tax_display" in given:
        rendering["amount_tax_display"] = given["amount_tax_display"] or None
    if isinstance(given.get("pdf"), dict) and given["pdf"].get("page_size"):
        rendering["pdf"] = {"page_size": given["pdf"]["page_size"]}


def _set_finalizes_at(ctx: RequestContext, invoice: dict[str, Any], when: int) -> None:
    now = common.now_of(ctx, invoice)
    if when <= now:
        raise InvalidRequestError(
            "automatically_finalizes_at must be in the future.",
            param="automatically_finalizes_at",
        )
    invoice["automatically_finalizes_at"] = when
    lifecycle.schedule_finalization(ctx, invoice)


def retrieve(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return model.present(ctx, common.load(ctx, invoice))


def update(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = common.load(ctx, invoice, param="id")
    status = obj["status"]
    allowed = (
        DRAFT_FIELDS if status == "draft" else OPEN_FIELDS if status == "open" else SETTLED_FIELDS
    )
    for name in params:
        if name not in allowed:
            raise InvalidRequestError(FINALIZED, param=name)
    before = copy.deepcopy(obj)
    _check_unsupported(ctx, params)
    now = common.now_of(ctx, obj)
    customer_id = obj["customer"]
    if status == "draft" and "collection_method" in params:
        obj["collection_method"] = params["collection_method"]
    if {"collection_method", "days_until_due", "due_date"} & set(params):
        obj["due_date"] = _due_date(params, obj["collection_method"], now, obj["due_date"])
    for name in ("description", "footer", "statement_descriptor"):
        if name in params:
            obj[name] = params[name] or None
    if "metadata" in params:
        obj["metadata"] = metadata.merge(obj["metadata"], params["metadata"])
    if "custom_fields" in params:
        obj["custom_fields"] = params["custom_fields"] or None
    if "default_payment_method" in params:
        obj["default_payment_method"] = payment_methods.customer_payment_method(
            ctx, params["default_payment_method"], customer_id
        )
    if "default_source" in params:
        obj["default_source"] = _default_source(ctx, params["default_source"], customer_id)
    if "payment_settings" in params:
        obj["payment_settings"] = _payment_settings(
            params["payment_settings"], obj["payment_settings"]
        )
    if "rendering" in params:
        _apply_rendering(obj, params["rendering"])
    if "shipping_details" in params:
        obj["shipping_details"] = _shipping_details(params["shipping_details"])
    if "number" in params:
        obj["number"] = params["number"] or None
    if "effective_at" in params:
        obj["effective_at"] = params["effective_at"] if params["effective_at"] != "" else None
    if "discounts" in params:
        obj["discounts"] = discounts.resolve(
            ctx,
            params["discounts"],
            currency=obj["currency"],
            customer=customer_id,
            now=now,
            invoice=obj["id"],
        )
    if "auto_advance" in params:
        obj["auto_advance"] = bool(params["auto_advance"])
    if "default_tax_rates" in params:
        obj["default_tax_rates"] = tax_rates.resolve(
            ctx, params["default_tax_rates"], param="default_tax_rates"
        )
    if status == "draft":
        model.set_window(obj)
        if params.get("automatically_finalizes_at") is not None:
            _set_finalizes_at(ctx, obj, params["automatically_finalizes_at"])
        elif "auto_advance" in params or "collection_method" in params:
            lifecycle.schedule_finalization(ctx, obj)
        model.recompute(ctx, obj)
    elif status == "open":
        _reschedule_open(ctx, obj, before)
    ctx.save(obj)
    previous = model.changes(before, obj)
    if previous:
        model.emit(ctx, "invoice.updated", obj, previous)
    return model.present(ctx, obj)


def _reschedule_open(ctx: RequestContext, obj: dict[str, Any], before: dict[str, Any]) -> None:
    """An open invoice whose automatic collection or due date changed."""
    if obj["collection_method"] == "charge_automatically":
        if not obj["auto_advance"]:
            obj["next_payment_attempt"] = None
        elif not before["auto_advance"]:
            due = common.now_of(ctx, obj) + common.FIRST_ATTEMPT_DELAY
            obj["next_payment_attempt"] = due
            common.schedule(ctx, obj, due, common.COLLECT_TIMER)
    elif obj.get("due_date") and obj["due_date"] != before.get("due_date"):
        common.schedule(ctx, obj, obj["due_date"], common.OVERDUE_TIMER)


def delete(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return lifecycle.delete_draft(ctx, common.load(ctx, invoice))


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = []
    if params.get("customer"):
        filters.append(Filter(("customer",), "eq", params["customer"]))
    if params.get("status"):
        filters.append(Filter(("status",), "eq", params["status"]))
    if params.get("collection_method"):
        filters.append(Filter(("collection_method",), "eq", params["collection_method"]))
    if params.get("subscription"):
        filters.append(
            Filter(("parent", "subscription_details", "subscription"), "eq", params["subscription"])
        )
    if params.get("due_date") in (None, ""):
        page = list_objects(ctx, "invoice", params, "/v1/invoices", tuple(filters))
    else:
        # A due_date range is no filter the store has: filter while scanning.
        created = created_range(params.get("created"))
        due = created_range(params.get("due_date"), "due_date")
        found = [
            obj
            for obj in ctx.tx.scan(ctx.account, "invoice", tuple(filters))
            if common.in_range(obj["created"], created)
            and common.in_range(obj.get("due_date"), due)
        ]
        page = common.paginate(found, params, "/v1/invoices", "invoice")
    page["data"] = [model.present(ctx, obj) for obj in page["data"]]
    return page


def search(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    result = search_objects(ctx, "invoice", params, "/v1/invoices/search")
    result["data"] = [model.present(ctx, obj) for obj in result["data"]]
    return result


# -- transitions ------------------------------------------------------------------------------


def finalize(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = common.load(ctx, invoice, param="id")
    if obj["status"] == "draft" and "auto_advance" in params:
        obj["auto_advance"] = bool(params["auto_advance"])
    lifecycle.finalize(ctx, obj)
    return model.present(ctx, obj)


def pay(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = common.load(ctx, invoice, param="id")
    was = obj["status"]
    payment.reconcile(ctx, obj)
    if obj["status"] == "paid" and was != "paid":
        return model.present(ctx, obj)  # its PaymentIntent was confirmed elsewhere
    if obj["status"] in ("paid", "void"):
        raise InvalidRequestError(f"Invoice is already {obj['status']}")
    if params.get("payment_method") and params.get("source"):
        raise prices.only_one("payment_method", "source", param="payment_method")
    if obj["status"] == "draft":
        # Paying a draft finalizes it first, in the same call.
        lifecycle.finalize(ctx, obj)
        if obj["status"] == "paid":
            return model.present(ctx, obj)
    if params.get("paid_out_of_band"):
        payment.mark_paid(ctx, obj, out_of_band=True)
        return model.present(ctx, obj)
    payment.attempt_payment(
        ctx,
        obj,
        payment_method=params.get("payment_method") or None,
        source=params.get("source") or None,
        off_session=params.get("off_session", True) is not False,
    )
    return model.present(ctx, obj)


def send(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = common.load(ctx, invoice)
    payment.reconcile(ctx, obj)
    lifecycle.send(ctx, obj)
    return model.present(ctx, obj)


def void(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = common.load(ctx, invoice, param="id")
    payment.reconcile(ctx, obj)
    lifecycle.void(ctx, obj)
    return model.present(ctx, obj)


def mark_uncollectible(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = common.load(ctx, invoice, param="id")
    payment.reconcile(ctx, obj)
    lifecycle.mark_uncollectible(ctx, obj)
    return model.present(ctx, obj)


def attach_payment(ctx: RequestContext, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    obj = common.load(ctx, invoice)
    payment.reconcile(ctx, obj)
    if params.get("payment_record"):
        raise ResourceMissing(
            "payment_record", params["payment_record"], param="payment_record", status=400
        )
    if not params.get("payment_intent"):
        raise InvalidRequestError(
            "Missing required param: payment_intent.",
            param="payment_intent",
            code="parameter_missing",
        )
    payment.attach_payment(ctx, obj, params["payment_intent"])
    return model.present(ctx, obj)


ROUTES = [
    Route("POST", "/v1/invoices", create),
    Route("GET", "/v1/invoices", list_),
    Route("GET", "/v1/invoices/search", search),
    Route("GET", "/v1/invoices/{invoice}", retrieve),
    Route("POST", "/v1/invoices/{invoice}", update),
    Route("DELETE", "/v1/invoices/{invoice}", delete),
    Route("POST", "/v1/invoices/{invoice}/finalize", finalize),
    Route("POST", "/v1/invoices/{invoice}/pay", pay),
    Route("POST", "/v1/invoices/{invoice}/send", send),
    Route("POST", "/v1/invoices/{invoice}/void", void),
    Route("POST", "/v1/invoices/{invoice}/mark_uncollectible", mark_uncollectible),
    Route("POST", "/v1/invoices/{invoice}/attach_payment", attach_payment),
]
