"""`POST /v1/invoices/create_preview`: the invoice a customer would get next, never
stored.

The preview runs the real code (invoice items, discounts, the draft and its totals)
inside a savepoint that is rolled back before answering, so it is exactly what creating
the invoice would give, and leaves nothing behind: no objects, no events, no timers, no
coupon redemptions. Without a subscription it holds the customer's pending invoice items
plus `invoice_items[]`; subscription previews come from the subscriptions code
(`common.provide_previews`). The id starts with `upcoming_in_`, as on Stripe.
The older `GET /v1/invoices/upcoming` (and its lines) run this same code (`upcoming.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ...framework import currencies, metadata
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, ResourceMissing
from ...framework.routing import Route
from .. import tax_rates
from . import common, discounts, items, lifecycle, model

T = TypeVar("T")
_SUBSCRIPTION_PARAMS = ("subscription", "subscription_details", "schedule", "schedule_details")


def create_preview(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return run_preview(ctx, params, lambda invoice: model.present(ctx, invoice))


def run_preview(
    ctx: RequestContext, params: dict[str, Any], answer: Callable[[dict[str, Any]], T]
) -> T:
    """`answer(invoice)` for the previewed invoice (validated create_preview params),
    computed before the savepoint that made the invoice is rolled back."""
    events_before = len(ctx.events)
    scheduled_before = ctx.scheduled
    ctx.tx.savepoint()
    try:
        return answer(_preview(ctx, params))
    finally:
        ctx.tx.rollback_savepoint()
        del ctx.events[events_before:]
        ctx.scheduled = scheduled_before


def _customer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("customer"):
        return ctx.load("customer", params["customer"], param="customer", in_path=False)
    if params.get("subscription"):
        subscription = ctx.find("subscription", params["subscription"])
        if subscription is None:
            raise ResourceMissing(
                "subscription", params["subscription"], param="subscription", status=400
            )
        return ctx.load("customer", subscription["customer"], param="customer", in_path=False)
    raise InvalidRequestError(
        "Missing required param: customer.", param="customer", code="parameter_missing"
    )


def _subscription_preview(
    ctx: RequestContext, params: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any] | None:
    if not any(params.get(name) for name in _SUBSCRIPTION_PARAMS):
        return None
    for provider in common.preview_providers:
        found = provider(ctx, params, customer)
        if found is not None:
            return found
    if params.get("subscription"):
        raise ResourceMissing(
            "subscription", params["subscription"], param="subscription", status=400
        )
    if params.get("schedule"):
        raise ResourceMissing(
            "subscription_schedule", params["schedule"], param="schedule", status=400
        )
    raise InvalidRequestError(
        "Previewing a new subscription needs subscriptions, which this sandbox does not serve yet.",
        param="subscription_details",
    )


def _invoice_items(ctx: RequestContext, params: dict[str, Any], customer: dict[str, Any]) -> None:
    """`invoice_items[]`: new pending items, or changes to existing ones, for the preview."""
    for index, given in enumerate(params.get("invoice_items") or []):
        prefix = f"invoice_items[{index}]"
        given = dict(given)
        if given.get("price"):
            given["pricing"] = {"price": given.pop("price")}
        for name in ("tax_code", "tax_behavior"):
            given.pop(name, None)
        if given.get("invoiceitem"):
            item = ctx.find("invoiceitem", given["invoiceitem"])
            if item is None or item.get("deleted") or item["customer"] != customer["id"]:
                raise items.item_missing(
                    str(given["invoiceitem"]), param=f"{prefix}[invoiceitem]", status=400
                )
            _change_item(ctx, item, given, prefix)
            continue
        items.create_from_params(ctx, given, customer, invoice=None, prefix=prefix)


def _change_item(
    ctx: RequestContext, item: dict[str, Any], given: dict[str, Any], prefix: str
) -> None:
    priced_fields = ("amount", "pricing", "price_data", "quantity", "unit_amount_decimal")
    if any(given.get(name) not in (None, "") for name in priced_fields):
        priced = items.resolve_pricing(
            ctx,
            given,
            currency=item["currency"],
            description=given.get("description") or item["description"],
            prefix=prefix,
            current=item,
        )
        item.update(
            amount=priced["amount"],
            quantity=priced["quantity"],
            quantity_decimal=priced["quantity_decimal"],
            pricing=items.pricing_hash(priced["price"]),
        )
    for name in ("description", "discountable"):
        if name in given:
            item[name] = given[name]
    if given.get("period"):
        item["period"] = items.check_period(given["period"], f"{prefix}[period]")
    if "metadata" in given:
        item["metadata"] = metadata.merge(item["metadata"], given["metadata"])
    if "tax_rates" in given:
        item["tax_rates"] = tax_rates.resolve(ctx, given["tax_rates"], param=f"{prefix}[tax_rates]")
    ctx.save(item)


def _preview(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    customer = _customer(ctx, params)
    now = common.now_of(ctx, customer)
    from_subscription = _subscription_preview(ctx, params, customer) or {}
    _invoice_items(ctx, params, customer)
    invoice_id = ctx.new_id("upcoming_in")
    currency = currencies.check(params["currency"]) if params.get("currency") else None
    kwargs: dict[str, Any] = {"billing_reason": "upcoming", **from_subscription}
    kwargs.setdefault("include_pending", True)
    if currency is not None:
        kwargs["currency"] = currency
    if "discounts" in params:
        pending = items.pending_items(ctx, customer["id"])
        kwargs["discount_ids"] = discounts.resolve(
            ctx,
            params["discounts"],
            currency=currency
            or customer.get("currency")
            or (pending[0]["currency"] if pending else "usd"),
            customer=customer["id"],
            now=now,
            invoice=invoice_id,
        )
    invoice = lifecycle.create_invoice(
        ctx, customer, invoice_id=invoice_id, emit_created=False, **kwargs
    )
    if not model.lines_of(invoice):
        raise InvalidRequestError(
            f"No upcoming invoices for customer: {customer['id']}", code="invoice_upcoming_none"
        )
    details = params.get("customer_details") or {}
    if details.get("address"):
        invoice["customer_address"] = {
            f: details["address"].get(f) or None
            for f in ("city", "country", "line1", "line2", "postal_code", "state")
        }
    if details.get("shipping"):
        invoice["customer_shipping"] = model.customer_fields({"shipping": details["shipping"]})[
            "customer_shipping"
        ]
    if details.get("tax_exempt"):
        invoice["customer_tax_exempt"] = details["tax_exempt"]
    invoice["automatically_finalizes_at"] = None
    invoice["next_payment_attempt"] = None
    return invoice


ROUTES = [Route("POST", "/v1/invoices/create_preview", create_preview)]
