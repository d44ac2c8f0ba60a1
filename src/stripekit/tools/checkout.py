"""Checkout Sessions (a hosted payment page), shipping rates, payment links and the billing
portal."""

from .declare import create, do, get, list_, update

ACTIONS = [
    create(
        "checkout_session",
        "/v1/checkout/sessions",
        "Create a Checkout Session (payment, subscription or setup) and get its page url.",
        aliases=("Create Checkout Session",),
        example={
            "mode": "payment",
            "line_items": [{"price": "$one_time_price", "quantity": 1}],
            "success_url": "https://example.com/success?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://example.com/cart",
        },
    ),
    get(
        "checkout_session",
        "/v1/checkout/sessions/{id}",
        "Retrieve a Checkout Session (expand line_items to see them).",
        aliases=("Retrieve Checkout Session", "Get checkout session by ID"),
        example={"id": "$checkout_session"},
    ),
    update(
        "checkout_session",
        "/v1/checkout/sessions/{id}",
        "Update an open Checkout Session (metadata, line items, shipping options).",
        aliases=("Update Checkout Session",),
        example={"id": "$checkout_session", "metadata": {"order": "1234"}},
    ),
    list_(
        "checkout_sessions",
        "/v1/checkout/sessions",
        "List Checkout Sessions, by customer, status, payment intent or subscription.",
        aliases=("List Checkout Sessions", "List checkout sessions"),
        example={"status": "open"},
    ),
    list_(
        "checkout_session_line_items",
        "/v1/checkout/sessions/{id}/line_items",
        "List the line items of a Checkout Session.",
        plural="line_items",
        aliases=("List Checkout Session Line Items",),
        example={"id": "$checkout_session"},
    ),
    do(
        "expire_checkout_session",
        "POST",
        "/v1/checkout/sessions/{id}/expire",
        "Expire an open Checkout Session so it can no longer be paid.",
        aliases=("Expire Checkout Session",),
        example={"id": "$checkout_session"},
    ),
    create(
        "payment_link",
        "/v1/payment_links",
        "Create a reusable payment link for line items.",
        example={"line_items": [{"price": "$one_time_price", "quantity": 1}]},
    ),
    get(
        "payment_link",
        "/v1/payment_links/{id}",
        "Retrieve a payment link by id.",
        example={"id": "$payment_link"},
    ),
    update(
        "payment_link",
        "/v1/payment_links/{id}",
        "Update a payment link (active, after_completion, metadata, ...).",
        example={"id": "$payment_link", "active": False},
    ),
    list_(
        "payment_links",
        "/v1/payment_links",
        "List payment links, newest first.",
        example={"limit": 2},
    ),
    create(
        "billing_portal_session",
        "/v1/billing_portal/sessions",
        "Create a customer portal session (manage subscriptions and cards) and get its url.",
        example={"customer": "$customer", "return_url": "https://example.com/account"},
    ),
    create(
        "shipping_rate",
        "/v1/shipping_rates",
        "Create a shipping rate (display_name, fixed_amount[amount|currency]) to offer in "
        "Checkout through shipping_options.",
        aliases=("Create a shipping rate",),
        example={
            "display_name": "Ground shipping",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 500, "currency": "usd"},
            "delivery_estimate": {
                "minimum": {"unit": "business_day", "value": 3},
                "maximum": {"unit": "business_day", "value": 5},
            },
        },
    ),
    list_(
        "shipping_rates",
        "/v1/shipping_rates",
        "List shipping rates, newest first, optionally only active ones or one currency's.",
        aliases=("List all shipping rates",),
        example={"active": True, "limit": 2},
    ),
]
