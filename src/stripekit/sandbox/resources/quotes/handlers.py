"""/v1/quotes: create, retrieve, update, list, finalize, cancel and the line item lists.

A quote is edited while `draft`; `finalize` opens it (a number `QT-...`, its
`status_transitions.finalized_at`); an open quote is accepted (see `acceptance`) or
canceled. `expires_at` (30 days after creation unless given) cancels a draft or open
quote when sandbox time (its test clock's, on one) reaches it.

Stripe publishes no wording for the state refusals; the messages marked "Proposal" are
plain ones.
"""

from __future__ import annotations

from typing import Any

from ...framework import metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from ...framework.listing import list_objects
from ...framework.routing import Route
from ...store import Filter
from .. import tax_rates
from ..checkout_sessions import line_items as checkout_items
from ..invoices import discounts as invoice_discounts
from ..subscriptions.creation import FUTURE_TIMESTAMP
from ..subscriptions.items import INTERVAL_MISMATCH
from ..test_clocks import now_for
from . import acceptance, model

NUMBERS = "sandbox.quote_numbers"
UNSUPPORTED = (
    "application_fee_amount",
    "application_fee_percent",
    "customer_account",
    "from_quote",
    "on_behalf_of",
    "transfer_data",
)
TEXT_FIELDS = ("description", "footer", "header")


def _load(ctx: RequestContext, quote_id: str) -> dict[str, Any]:
    return ctx.load(model.OBJECT, quote_id, param="quote")


def _refuse_unsupported(params: dict[str, Any]) -> None:
    for name in UNSUPPORTED:
        if params.get(name) not in (None, "", []):
            raise InvalidRequestError(
                f"The sandbox does not support `{name}` on quotes.", param=name
            )
    if (params.get("automatic_tax") or {}).get("enabled"):
        raise InvalidRequestError(
            "Stripe Tax has not been activated on your account. The sandbox does not "
            "compute automatic tax.",
            param="automatic_tax[enabled]",
        )
    if (params.get("subscription_data") or {}).get("effective_date") not in (None, ""):
        raise InvalidRequestError(
            "The sandbox does not support `subscription_data[effective_date]` on quotes.",
            param="subscription_data[effective_date]",
        )


def _quantity(entry: dict[str, Any], index: int) -> int:
    quantity = entry.get("quantity", 1)
    if quantity < 0:
        raise InvalidRequestError(
            "Invalid non-negative integer", param=f"line_items[{index}][quantity]"
        )
    return int(quantity)


def _build_items(
    ctx: RequestContext, quote: dict[str, Any], given: list[dict[str, Any]], now: int
) -> list[dict[str, Any]]:
    """`line_items[]` -> items; an entry naming an existing item's `id` keeps it (with a
    new quantity, price or rates when given)."""
    existing = {item["id"]: item for item in model.items_of(quote)}
    out: list[dict[str, Any]] = []
    for index, entry in enumerate(given):
        prefix = f"line_items[{index}]"
        kept = None
        if entry.get("id"):
            kept = existing.get(entry["id"])
            if kept is None:
                raise InvalidRequestError(
                    f"No such line item: '{entry['id']}'",
                    param=f"{prefix}[id]",
                    code="resource_missing",
                )
        if kept is not None and not (entry.get("price") or entry.get("price_data")):
            price = kept["price"]
        else:
            price = checkout_items.price_of(ctx, entry, index)
        quantity = _quantity(entry, index) if "quantity" in entry or kept is None else None
        rates = (
            tax_rates.resolve(ctx, entry.get("tax_rates"), param=f"{prefix}[tax_rates]")
            if "tax_rates" in entry or kept is None
            else kept["_tax_rates"]
        )
        discounts = (
            invoice_discounts.resolve(
                ctx,
                entry.get("discounts"),
                currency=price["currency"],
                customer=quote["customer"],
                now=now,
                param=f"{prefix}[discounts]",
            )
            if "discounts" in entry or kept is None
            else kept["_discount_ids"]
        )
        item = model.new_item(ctx, price, 0, discount_ids=discounts, tax_rates=rates)
        if kept is not None:
            item["id"] = kept["id"]
            quantity = kept["quantity"] if quantity is None else quantity
        item["quantity"] = quantity
        out.append(item)
    _check_set(out)
    return out


def _check_set(items: list[dict[str, Any]]) -> None:
    """One currency; every recurring price on one interval (they become one subscription)."""
    if not items:
        return
    currency = items[0]["currency"]
    schedule: tuple[str, int] | None = None
    for index, item in enumerate(items):
        param = f"line_items[{index}][price]"
        if item["currency"] != currency:
            raise InvalidRequestError(INTERVAL_MISMATCH.format(field="currency"), param=param)
        recurring = item["price"].get("recurring")
        if recurring and item["_discount_ids"]:
            raise InvalidRequestError(
                "The sandbox does not support discounts on recurring quote lines; give the "
                "quote `discounts` instead.",
                param=f"line_items[{index}][discounts]",
            )
        if recurring:
            this = (recurring["interval"], recurring.get("interval_count", 1))
            if schedule is not None and this != schedule:
                raise InvalidRequestError(INTERVAL_MISMATCH.format(field="interval"), param=param)
            schedule = this


def _check_collection(quote: dict[str, Any]) -> None:
    days = quote["invoice_settings"]["days_until_due"]
    if days is not None and days < 0:
        raise InvalidRequestError(
            "Invalid non-negative integer", param="invoice_settings[days_until_due]"
        )
    if quote["collection_method"] == "charge_automatically" and days is not None:
        # Proposal: the spec says days_until_due is null when charging automatically.
        raise InvalidRequestError(
            "Invalid days_until_due: it can only be set when collection_method is send_invoice.",
            param="invoice_settings[days_until_due]",
        )


def _expires_at(value: Any, now: int) -> int:
    if value <= now:
        raise InvalidRequestError(FUTURE_TIMESTAMP, param="expires_at")
    return int(value)


def _apply(ctx: RequestContext, quote: dict[str, Any], params: dict[str, Any], now: int) -> None:
    """Apply create/update params to a draft (validating before anything is stored)."""
    _refuse_unsupported(params)
    if params.get("customer"):
        customer = ctx.load("customer", params["customer"], param="customer", in_path=False)
        quote["customer"] = customer["id"]
        if customer.get("test_clock"):
            quote["test_clock"] = customer["test_clock"]
    for name in TEXT_FIELDS:
        if name in params:
            quote[name] = params[name] or None
    if "metadata" in params:
        quote["metadata"] = metadata.merge(quote["metadata"], params["metadata"])
    if params.get("collection_method"):
        quote["collection_method"] = params["collection_method"]
    settings = params.get("invoice_settings") or {}
    if "days_until_due" in settings:
        quote["invoice_settings"]["days_until_due"] = settings["days_until_due"]
    if quote["collection_method"] == "charge_automatically" and "days_until_due" not in settings:
        quote["invoice_settings"]["days_until_due"] = None
    _check_collection(quote)
    if "expires_at" in params:
        quote["expires_at"] = _expires_at(params["expires_at"], now)
    data = params.get("subscription_data") or {}
    sub_data = quote["subscription_data"]
    if "description" in data:
        sub_data["description"] = data["description"] or None
    if "trial_period_days" in data:
        days = data["trial_period_days"]
        if days not in (None, "") and days < 1:
            raise InvalidRequestError(
                "Invalid positive integer", param="subscription_data[trial_period_days]"
            )
        sub_data["trial_period_days"] = days or None
    if "metadata" in data:
        sub_data["metadata"] = metadata.merge(
            sub_data["metadata"], data["metadata"], param="subscription_data[metadata]"
        )
    if "default_tax_rates" in params:
        quote["_default_tax_rates"] = tax_rates.resolve(
            ctx, params["default_tax_rates"], param="default_tax_rates"
        )
        quote["default_tax_rates"] = [rate["id"] for rate in quote["_default_tax_rates"]]
    if "line_items" in params:
        items = _build_items(ctx, quote, params["line_items"] or [], now)
        quote["line_items"]["data"] = items
    items = model.items_of(quote)
    quote["currency"] = items[0]["currency"] if items else None
    if "discounts" in params:
        quote["discounts"] = invoice_discounts.resolve(
            ctx,
            params["discounts"],
            currency=quote["currency"] or "usd",
            customer=quote["customer"],
            now=now,
        )
    model.recompute(ctx, quote)


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    clock = params.get("test_clock")
    if clock:
        ctx.load("test_helpers.test_clock", clock, param="test_clock", in_path=False)
    if params.get("customer"):
        customer = ctx.load("customer", params["customer"], param="customer", in_path=False)
        if clock and customer.get("test_clock") != clock:
            # Proposal: a quote lives on its customer's clock.
            raise InvalidRequestError(
                "The test clock must be the customer's test clock.", param="test_clock"
            )
        clock = customer.get("test_clock")
    now = now_for(ctx, clock)
    quote_id = ctx.new_id("qt")
    quote: dict[str, Any] = {
        "id": quote_id,
        "object": model.OBJECT,
        "amount_subtotal": 0,
        "amount_total": 0,
        "application": None,
        "application_fee_amount": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "collection_method": "charge_automatically",
        "computed": {},
        "created": now,
        "currency": None,
        "customer": None,
        "customer_account": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "expires_at": now + model.DEFAULT_LIFETIME_DAYS * model.DAY,
        "footer": None,
        "from_quote": None,
        "header": None,
        "invoice": None,
        "invoice_settings": {"days_until_due": None, "issuer": {"type": "self"}},
        "line_items": {"object": "list", "data": [], "has_more": False, "url": ""},
        "livemode": False,
        "metadata": {},
        "number": None,
        "on_behalf_of": None,
        "status": "draft",
        "status_transitions": {"accepted_at": None, "canceled_at": None, "finalized_at": None},
        "subscription": None,
        "subscription_data": {
            "billing_mode": {"type": "classic"},
            "description": None,
            "effective_date": None,
            "metadata": None,
            "trial_period_days": None,
        },
        "subscription_schedule": None,
        "test_clock": clock,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "transfer_data": None,
        "_default_tax_rates": [],
    }
    quote["line_items"]["url"] = model.items_url(quote_id)
    _apply(ctx, quote, params, now)
    ctx.insert(quote)
    acceptance.schedule_expiry(ctx, quote)
    model.emit(ctx, "quote.created", quote)
    return model.present(ctx, quote)


def retrieve(ctx: RequestContext, params: dict[str, Any], quote: str) -> dict[str, Any]:
    return model.present(ctx, _load(ctx, quote))


def update(ctx: RequestContext, params: dict[str, Any], quote: str) -> dict[str, Any]:
    obj = _load(ctx, quote)
    if obj["status"] != "draft":
        # Proposal: Stripe lets only drafts be edited; its wording is not published.
        raise InvalidRequestError(
            f"This quote cannot be updated because it has status `{obj['status']}`. Only "
            "quotes with status `draft` can be updated."
        )
    expires_before = obj["expires_at"]
    _apply(ctx, obj, params, now_for(ctx, obj["test_clock"]))
    ctx.save(obj)
    if obj["expires_at"] != expires_before:
        acceptance.schedule_expiry(ctx, obj)
    return model.present(ctx, obj)


def _next_number(ctx: RequestContext) -> str:
    """`QT-<account prefix>-<sequence>-<revision>`, as Stripe numbers quotes."""
    record = ctx.find(NUMBERS, "sequence")
    if record is None:
        record = ctx.insert(
            {
                "id": "sequence",
                "object": NUMBERS,
                "created": 0,
                "prefix": ctx.ids.random_chars(8).upper(),
                "next": 1,
            }
        )
    number = f"QT-{record['prefix']}-{record['next']:04d}-1"
    record["next"] += 1
    ctx.save(record)
    return number


def finalize(ctx: RequestContext, params: dict[str, Any], quote: str) -> dict[str, Any]:
    obj = _load(ctx, quote)
    if obj["status"] != "draft":
        # Proposal: only drafts are finalized.
        raise InvalidRequestError(
            f"This quote cannot be finalized because it has status `{obj['status']}`. Only "
            "quotes with status `draft` can be finalized."
        )
    if not obj["customer"]:
        # Proposal: a quote is addressed to a customer before it is sent.
        raise InvalidRequestError(
            "A quote must have a customer before it can be finalized.", param="customer"
        )
    if not model.items_of(obj):
        # Proposal: there is nothing to quote without lines.
        raise InvalidRequestError(
            "A quote must have at least one line item before it can be finalized.",
            param="line_items",
        )
    now = now_for(ctx, obj["test_clock"])
    if "expires_at" in params:
        obj["expires_at"] = _expires_at(params["expires_at"], now)
        acceptance.schedule_expiry(ctx, obj)
    obj["status"] = "open"
    obj["number"] = _next_number(ctx)
    obj["status_transitions"]["finalized_at"] = now
    ctx.save(obj)
    model.emit(ctx, "quote.finalized", obj)
    return model.present(ctx, obj)


def cancel(ctx: RequestContext, params: dict[str, Any], quote: str) -> dict[str, Any]:
    obj = _load(ctx, quote)
    if obj["status"] not in ("draft", "open"):
        # Proposal: accepted and canceled quotes are final.
        raise InvalidRequestError(
            f"This quote cannot be canceled because it has status `{obj['status']}`."
        )
    acceptance.cancel(ctx, obj)
    return model.present(ctx, obj)


def accept(ctx: RequestContext, params: dict[str, Any], quote: str) -> dict[str, Any]:
    obj = _load(ctx, quote)
    if obj["status"] != "open":
        # Proposal: only a finalized (open) quote can be accepted.
        raise InvalidRequestError(
            f"This quote cannot be accepted because it has status `{obj['status']}`. Only "
            "quotes with status `open` can be accepted."
        )
    acceptance.accept(ctx, obj)
    return model.present(ctx, obj)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = [
        Filter((name,), "eq", params[name])
        for name in ("customer", "status", "test_clock")
        if params.get(name) not in (None, "")
    ]
    page = list_objects(ctx, model.OBJECT, params, "/v1/quotes", tuple(filters))
    page["data"] = [model.present(ctx, quote) for quote in page["data"]]
    return page


def line_items(ctx: RequestContext, params: dict[str, Any], quote: str) -> dict[str, Any]:
    obj = _load(ctx, quote)
    items = [model.shown_item(ctx, item) for item in model.items_of(obj)]
    return checkout_items.page(items, params, model.items_url(obj["id"]))


def computed_upfront_line_items(
    ctx: RequestContext, params: dict[str, Any], quote: str
) -> dict[str, Any]:
    obj = _load(ctx, quote)
    items = [model.shown_item(ctx, item) for item in model.upfront_items(obj)]
    return checkout_items.page(items, params, f"/v1/quotes/{obj['id']}/computed_upfront_line_items")


_ONE = "/v1/quotes/{quote}"
ROUTES = [
    Route("POST", "/v1/quotes", create),
    Route("GET", "/v1/quotes", list_),
    Route("GET", _ONE, retrieve),
    Route("POST", _ONE, update),
    Route("POST", _ONE + "/finalize", finalize),
    Route("POST", _ONE + "/accept", accept),
    Route("POST", _ONE + "/cancel", cancel),
    Route("GET", _ONE + "/line_items", line_items),
    Route("GET", _ONE + "/computed_upfront_line_items", computed_upfront_line_items),
]
