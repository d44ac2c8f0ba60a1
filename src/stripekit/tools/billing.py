"""Invoices, invoice items, subscriptions, subscription items and quotes."""

from typing import Any
from urllib.parse import quote

from pydantic import Field

from .declare import create, delete, do, get, list_, search, update
from .errors import ActionError, InputError
from .runner import idempotency, send


def _single_price(params: dict[str, Any]) -> dict[str, Any]:
    """Source 000's `price` + `quantity` is Stripe's one-item `items` list."""
    price = params.pop("price", None)
    quantity = params.pop("quantity", None)
    if price is None:
        if quantity is not None:
            raise InputError("quantity needs price.", param="price", code="parameter_missing")
        if not params.get("items"):
            raise InputError(
                "Give price (one price) or items (a list of {price, quantity}).",
                param="price",
                code="parameter_missing",
            )
        return params
    if params.get("items"):
        raise InputError(
            "Give either price or items, not both.", param="price", code="parameter_invalid"
        )
    item: dict[str, Any] = {"price": price}
    if quantity is not None:
        item["quantity"] = quantity
    params["items"] = [item]
    return params


def _with_period(subscription: dict[str, Any]) -> dict[str, Any]:
    """Stripe moved `current_period_start`/`_end` (and `plan`, `quantity`) onto the items;
    source 000 shows them on the subscription, so they are read back from its items (`plan`
    is the item's price when the item carries no legacy plan)."""
    items = (subscription.get("items") or {}).get("data") or []
    if items:
        first = items[0]
        for name in ("current_period_start", "current_period_end"):
            if subscription.get(name) is None and first.get(name) is not None:
                subscription[name] = first[name]
        if len(items) == 1:
            if subscription.get("plan") is None:
                subscription["plan"] = first.get("plan") or first.get("price")
            if subscription.get("quantity") is None:
                subscription["quantity"] = first.get("quantity")
    return subscription


def _void(client: Any, params: dict[str, Any], options: dict[str, Any]) -> Any:
    """Source 000 voids drafts too; Stripe voids only finalized invoices. A draft is first
    finalized with auto_advance off (so nothing is charged), then voided: the record of a
    voided invoice exists, as Stripe keeps it."""
    path = f"/v1/invoices/{quote(params['id'], safe='')}"
    invoice = send(client, "GET", path, {}, action="void_invoice")
    if invoice["status"] == "draft":
        if invoice["amount_due"] == 0:
            # Stripe marks a finalized zero-amount invoice paid, and paid can't be voided.
            raise ActionError(
                "A draft with nothing to pay becomes paid when finalized and can't then be "
                "voided; delete it instead (delete_invoice).",
                status=400,
                type="invalid_request_error",
                code="invoice_not_voidable",
                param="id",
                action="void_invoice",
            )
        send(client, "POST", f"{path}/finalize", {"auto_advance": False}, action="void_invoice")
    return send(
        client, "POST", f"{path}/void", {}, action="void_invoice", options=idempotency(options)
    )


# The last API version with legacy usage records (2025-03-31.basil replaced them with
# billing meters).
LEGACY_METERING_VERSION = "2025-02-24.acacia"

_PRICE_FIELDS = {
    "price": (str | None, Field(None, description="one price id (instead of items)")),
    "quantity": (int | None, Field(None, ge=0, description="quantity of that price")),
}

ACTIONS = [
    create(
        "invoice",
        "/v1/invoices",
        "Create a draft invoice for a customer; pending invoice items are pulled in.",
        aliases=("Create Invoice", "Create invoice", "Create an invoice"),
        example={
            "customer": "$customer_with_card",
            "description": "March 2026 consulting",
            "metadata": {"project": "website-redesign"},
            "auto_advance": True,
        },
    ),
    get(
        "invoice",
        "/v1/invoices/{id}",
        "Retrieve an invoice by id.",
        aliases=("Retrieve Invoice", "Get invoice by ID", "Retrieve an invoice"),
        example={"id": "$open_invoice"},
    ),
    update(
        "invoice",
        "/v1/invoices/{id}",
        "Update an invoice (drafts fully; finalized ones only where Stripe allows).",
        aliases=("Update Invoice", "Upload invoice"),
        example={"id": "$draft_invoice", "description": "Consulting services"},
    ),
    list_(
        "invoices",
        "/v1/invoices",
        "List invoices, newest first, by customer, status, subscription, collection method.",
        aliases=("List Invoices", "List invoices"),
        example={"customer": "$customer_with_card", "status": "open", "limit": 10},
    ),
    delete(
        "invoice",
        "/v1/invoices/{id}",
        "Delete a draft invoice permanently (finalized ones must be voided).",
        aliases=("Delete Invoice", "Delete invoice"),
        example={"id": "$draft_invoice"},
    ),
    search(
        "invoices",
        "/v1/invoices/search",
        'Search invoices with Stripe\'s query language (status:"open", total>1000).',
        aliases=("Search invoices",),
        example={"query": 'status:"open"'},
    ),
    do(
        "finalize_invoice",
        "POST",
        "/v1/invoices/{id}/finalize",
        "Finalize a draft invoice: it gets a number and can be paid or sent.",
        example={"id": "$draft_invoice"},
    ),
    do(
        "pay_invoice",
        "POST",
        "/v1/invoices/{id}/pay",
        "Pay an open invoice with the customer's default payment method (or payment_method).",
        example={"id": "$open_invoice"},
    ),
    do(
        "void_invoice",
        "POST",
        "/v1/invoices/{id}/void",
        "Void an open invoice, or a draft (finalized first, without charging, then voided "
        "- Stripe itself voids only finalized invoices); a voided invoice can't be paid.",
        aliases=("Void invoice",),
        custom=_void,
        example={"id": "$draft_invoice"},
    ),
    do(
        "send_invoice",
        "POST",
        "/v1/invoices/{id}/send",
        "Send an open invoice to the customer (test mode emails nobody; invoice.sent fires).",
        aliases=("Send invoice",),
        example={"id": "$open_send_invoice"},
    ),
    do(
        "mark_uncollectible_invoice",
        "POST",
        "/v1/invoices/{id}/mark_uncollectible",
        "Write off an open invoice as bad debt (status uncollectible).",
        aliases=("Mark uncollectible invoice", "mark_invoice_uncollectible"),
        example={"id": "$open_invoice"},
    ),
    do(
        "get_upcoming_invoice",
        "POST",
        "/v1/invoices/create_preview",
        "Preview the next invoice of a customer or subscription (nothing is created); "
        "calls Stripe's create_preview, which replaced GET /v1/invoices/upcoming.",
        aliases=("Get upcoming invoices", "upcoming_invoice", "preview_invoice"),
        example={"subscription": "$subscription"},
    ),
    list_(
        "invoice_lines",
        "/v1/invoices/{id}/lines",
        "List the line items of an invoice.",
        plural="lines",
        example={"id": "$open_invoice"},
    ),
    create(
        "credit_note",
        "/v1/credit_notes",
        "Credit a finalized invoice (amount or lines): an open one owes less; on a paid one "
        "the credit is split between refund_amount, credit_amount (customer balance) and "
        "out_of_band_amount.",
        aliases=("Create credit note", "Issue credit note"),
        example={
            "invoice": "$paid_invoice",
            "amount": 1000,
            "refund_amount": 600,
            "credit_amount": 400,
            "reason": "order_change",
        },
    ),
    get(
        "credit_note",
        "/v1/credit_notes/{id}",
        "Retrieve a credit note by id.",
        aliases=("Retrieve credit note",),
        example={"id": "$credit_note"},
    ),
    list_(
        "credit_notes",
        "/v1/credit_notes",
        "List credit notes, newest first, by customer or invoice.",
        aliases=("List credit notes",),
        example={"invoice": "$credited_invoice", "limit": 10},
    ),
    do(
        "void_credit_note",
        "POST",
        "/v1/credit_notes/{id}/void",
        "Void a credit note: its credit goes back to the invoice or off the customer's "
        "balance (a note that refunded a payment can't be voided).",
        aliases=("Void credit note",),
        example={"id": "$credit_note"},
    ),
    do(
        "preview_credit_note",
        "GET",
        "/v1/credit_notes/preview",
        "Preview the credit note these inputs would create, without creating it.",
        aliases=("Preview credit note",),
        example={"invoice": "$open_invoice", "amount": 1500},
    ),
    create(
        "invoice_item",
        "/v1/invoiceitems",
        "Add an item (price, or amount + currency) to a customer's next or draft invoice.",
        aliases=("Create Invoice Item", "create_invoiceitem"),
        example={
            "customer": "$customer",
            "amount": 1000,
            "currency": "usd",
            "description": "Setup fee",
        },
    ),
    get(
        "invoice_item",
        "/v1/invoiceitems/{id}",
        "Retrieve an invoice item by id.",
        aliases=("Get invoice item by ID",),
        example={"id": "$invoice_item"},
    ),
    update(
        "invoice_item",
        "/v1/invoiceitems/{id}",
        "Update an invoice item while it is pending or on a draft invoice.",
        aliases=("Update invoice item",),
        example={"id": "$invoice_item", "description": "Onboarding fee"},
    ),
    delete(
        "invoice_item",
        "/v1/invoiceitems/{id}",
        "Delete an invoice item while it is pending or on a draft invoice.",
        aliases=("Remove item from invoice",),
        example={"id": "$invoice_item"},
    ),
    list_(
        "invoice_items",
        "/v1/invoiceitems",
        "List invoice items, newest first, by customer, invoice or pending.",
        aliases=("List invoice items",),
        example={"customer": "$customer", "pending": True},
    ),
    create(
        "subscription",
        "/v1/subscriptions",
        "Subscribe a customer to a price (price + quantity) or several (items), "
        "with trials, coupons and payment_behavior.",
        aliases=("Create Subscription",),
        convenience=_PRICE_FIELDS,
        prepare=_single_price,
        shape=_with_period,
        example={"customer": "$customer_with_card", "price": "$price", "quantity": 1},
    ),
    get(
        "subscription",
        "/v1/subscriptions/{id}",
        "Retrieve a subscription by id.",
        aliases=("Retrieve Subscription", "Get subscription by ID", "api.subscriptions.get"),
        shape=_with_period,
        example={"id": "$subscription"},
    ),
    update(
        "subscription",
        "/v1/subscriptions/{id}",
        "Change a subscription's items, quantity, proration, cancel_at_period_end, ...",
        aliases=("Update Subscription", "Update subscription"),
        shape=_with_period,
        example={"id": "$subscription", "cancel_at_period_end": True},
    ),
    do(
        "cancel_subscription",
        "DELETE",
        "/v1/subscriptions/{id}",
        "Cancel a subscription now; prorate and invoice_now settle the unused time.",
        aliases=("Cancel Subscription", "Cancel subscription"),
        shape=_with_period,
        example={"id": "$subscription", "prorate": True, "invoice_now": True},
    ),
    do(
        "resume_subscription",
        "POST",
        "/v1/subscriptions/{id}/resume",
        "Resume a paused subscription.",
        aliases=("Resume subscription",),
        shape=_with_period,
        example={"id": "$paused_subscription"},
    ),
    list_(
        "subscriptions",
        "/v1/subscriptions",
        "List subscriptions, newest first, by customer, price or status (all, canceled, ...).",
        aliases=("List Subscriptions", "List subscriptions"),
        shape=_with_period,
        example={"customer": "$subscribed_customer"},
    ),
    search(
        "subscriptions",
        "/v1/subscriptions/search",
        'Search subscriptions with Stripe\'s query language (status:"active").',
        aliases=("Search subscriptions",),
        shape=_with_period,
        example={"query": 'status:"active"'},
    ),
    delete(
        "subscription_discount",
        "/v1/subscriptions/{id}/discount",
        "Remove the discount currently applied to a subscription.",
        example={"id": "$discounted_subscription"},
    ),
    create(
        "subscription_schedule",
        "/v1/subscription_schedules",
        "Schedule a customer's subscription as phases (items, duration or end_date, trial), "
        "starting now or later, or take over a subscription (from_subscription).",
        aliases=("Create subscription schedule",),
        example={
            "customer": "$customer_with_card",
            "start_date": "now",
            "end_behavior": "release",
            "phases": [
                {"items": [{"price": "$price", "quantity": 1}], "duration": {"interval": "month"}},
                {"items": [{"price": "$price", "quantity": 2}]},
            ],
        },
    ),
    get(
        "subscription_schedule",
        "/v1/subscription_schedules/{id}",
        "Retrieve a subscription schedule by id (expand `subscription` for the subscription).",
        aliases=("Retrieve subscription schedule",),
        example={"id": "$subscription_schedule"},
    ),
    update(
        "subscription_schedule",
        "/v1/subscription_schedules/{id}",
        "Change a schedule's phases from the current one on, its end_behavior or metadata.",
        aliases=("Update subscription schedule",),
        example={"id": "$subscription_schedule", "end_behavior": "cancel"},
    ),
    do(
        "cancel_subscription_schedule",
        "POST",
        "/v1/subscription_schedules/{id}/cancel",
        "Cancel a schedule and its subscription now (invoice_now and prorate default to true).",
        aliases=("Cancel subscription schedule",),
        example={"id": "$subscription_schedule"},
    ),
    do(
        "release_subscription_schedule",
        "POST",
        "/v1/subscription_schedules/{id}/release",
        "Release a schedule: its subscription carries on alone (preserve_cancel_date).",
        aliases=("Release subscription schedule",),
        example={"id": "$subscription_schedule"},
    ),
    list_(
        "subscription_schedules",
        "/v1/subscription_schedules",
        "List subscription schedules, newest first, by customer, scheduled, canceled_at, ...",
        aliases=("List subscription schedules",),
        example={"customer": "$scheduled_customer"},
    ),
    create(
        "quote",
        "/v1/quotes",
        "Draft a quote for a customer: line_items (price, quantity, tax_rates, discounts), "
        "discounts, default_tax_rates, collection_method, header, description, footer.",
        aliases=("Create quote",),
        example={
            "customer": "$customer",
            "line_items": [{"price": "$one_time_price", "quantity": 2}],
            "header": "Quote for Acme",
        },
    ),
    get(
        "quote",
        "/v1/quotes/{id}",
        "Retrieve a quote by id (expand `line_items` for its lines).",
        aliases=("Retrieve quote",),
        example={"id": "$quote"},
    ),
    do(
        "finalize_quote",
        "POST",
        "/v1/quotes/{id}/finalize",
        "Finalize a draft quote: it opens with a number (QT-...) and can be sent and accepted.",
        aliases=("Finalize quote",),
        example={"id": "$quote"},
    ),
    do(
        "accept_quote",
        "POST",
        "/v1/quotes/{id}/accept",
        "Accept an open quote: it becomes an invoice (one-time lines) or a subscription "
        "(recurring lines).",
        aliases=("Accept quote",),
        example={"id": "$open_quote"},
    ),
    do(
        "cancel_quote",
        "POST",
        "/v1/quotes/{id}/cancel",
        "Cancel a draft or open quote.",
        aliases=("Cancel quote",),
        example={"id": "$quote"},
    ),
    list_(
        "quotes",
        "/v1/quotes",
        "List quotes, newest first, by customer, status or test_clock.",
        aliases=("List quotes",),
        example={"status": "draft"},
    ),
    create(
        "customer_subscription",
        "/v1/customers/{customer}/subscriptions",
        "Subscribe a customer through the customer's own endpoint (legacy form).",
        aliases=("Create customer subscription", "Create a subscription"),
        convenience=_PRICE_FIELDS,
        prepare=_single_price,
        shape=_with_period,
        example={"customer": "$customer_with_card", "price": "$price"},
    ),
    get(
        "customer_subscription",
        "/v1/customers/{customer}/subscriptions/{id}",
        "Retrieve a subscription through its customer (legacy form).",
        aliases=("Get customer subscription by ID", "Retrieve a subscription"),
        shape=_with_period,
        example={"customer": "$subscribed_customer", "id": "$subscription"},
    ),
    update(
        "customer_subscription",
        "/v1/customers/{customer}/subscriptions/{id}",
        "Update a subscription through its customer (legacy form).",
        aliases=("Update customer subscription", "Update a subscription"),
        shape=_with_period,
        example={
            "customer": "$subscribed_customer",
            "id": "$subscription",
            "metadata": {"seats": "5"},
        },
    ),
    delete(
        "customer_subscription",
        "/v1/customers/{customer}/subscriptions/{id}",
        "Cancel a subscription through its customer (legacy form; now or at period end).",
        aliases=("Delete customer subscription", "Cancel a subscription"),
        shape=_with_period,
        example={"customer": "$subscribed_customer", "id": "$subscription"},
    ),
    list_(
        "customer_subscriptions",
        "/v1/customers/{customer}/subscriptions",
        "List a customer's active subscriptions through the customer (legacy form).",
        plural="subscriptions",
        aliases=("List customer subscriptions", "List active subscriptions"),
        shape=_with_period,
        example={"customer": "$subscribed_customer"},
    ),
    delete(
        "customer_subscription_discount",
        "/v1/customers/{customer}/subscriptions/{id}/discount",
        "Remove the discount of a customer's subscription (legacy form).",
        aliases=("Remove customer subscription discount", "Delete a subscription discount"),
        example={"customer": "$discounted_customer", "id": "$discounted_subscription"},
    ),
    create(
        "subscription_item",
        "/v1/subscription_items",
        "Add a price to an existing subscription.",
        aliases=("Add item to subscription",),
        example={"subscription": "$subscription", "price": "$second_price", "quantity": 2},
    ),
    get(
        "subscription_item",
        "/v1/subscription_items/{id}",
        "Retrieve a subscription item by id.",
        aliases=("Get subscription item by ID",),
        example={"id": "$subscription_item"},
    ),
    update(
        "subscription_item",
        "/v1/subscription_items/{id}",
        "Change a subscription item's price or quantity (with proration_behavior).",
        aliases=("Update subscription item",),
        example={"id": "$subscription_item", "quantity": 3},
    ),
    delete(
        "subscription_item",
        "/v1/subscription_items/{id}",
        "Remove an item from a subscription (the subscription goes on).",
        aliases=("Remove item from subscription",),
        example={"id": "$extra_subscription_item"},
    ),
    list_(
        "subscription_items",
        "/v1/subscription_items",
        "List the items of a subscription.",
        aliases=("List subscription items",),
        example={"subscription": "$subscription"},
    ),
    do(
        "create_usage_record",
        "POST",
        "/v1/subscription_items/{id}/usage_records",
        "Report usage (quantity at a timestamp) on a legacy metered subscription item; "
        f"sent as API version {LEGACY_METERING_VERSION} (newer accounts use billing meters).",
        aliases=("Create usage record for subscription item",),
        api_version=LEGACY_METERING_VERSION,
        example={"id": "$metered_subscription_item", "quantity": 120, "action": "increment"},
    ),
    list_(
        "usage_record_summaries",
        "/v1/subscription_items/{id}/usage_record_summaries",
        "Usage per billing period of a legacy metered subscription item, current period first.",
        plural="usage_record_summaries",
        aliases=("Summary subscription item usage",),
        api_version=LEGACY_METERING_VERSION,
        example={"id": "$metered_subscription_item"},
    ),
]
