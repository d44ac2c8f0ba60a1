"""Payment intents, setup intents and payment methods."""

from typing import Any

from pydantic import Field

from .declare import create, do, get, list_, search, update


def _automatic_payment_methods(params: dict[str, Any]) -> dict[str, Any]:
    """Source 000's flat `automatic_payment_methods_enabled` is Stripe's
    `automatic_payment_methods[enabled]`."""
    enabled = params.pop("automatic_payment_methods_enabled", None)
    if enabled is not None:
        params.setdefault("automatic_payment_methods", {})["enabled"] = enabled
    return params


ACTIONS = [
    create(
        "payment_intent",
        "/v1/payment_intents",
        "Create a payment intent for an amount in cents; capture_method=manual to authorize only.",
        aliases=("Create Payment Intent",),
        convenience={
            "automatic_payment_methods_enabled": (
                bool | None,
                Field(None, description="automatic_payment_methods[enabled]"),
            )
        },
        prepare=_automatic_payment_methods,
        example={
            "amount": 5000,
            "currency": "usd",
            "customer": "$customer",
            "description": "Order #1234",
            "metadata": {"order_id": "1234"},
        },
    ),
    get(
        "payment_intent",
        "/v1/payment_intents/{id}",
        "Retrieve a payment intent by id.",
        aliases=("Retrieve Payment Intent",),
        example={"id": "$payment_intent"},
    ),
    update(
        "payment_intent",
        "/v1/payment_intents/{id}",
        "Update a payment intent (description, metadata, amount, payment_method, ...).",
        aliases=("Update Payment Intent",),
        example={"id": "$payment_intent", "description": "Updated order description"},
    ),
    do(
        "confirm_payment_intent",
        "POST",
        "/v1/payment_intents/{id}/confirm",
        "Confirm a payment intent with a payment method (pm_card_visa in test mode).",
        example={"id": "$payment_intent", "payment_method": "pm_card_visa"},
    ),
    do(
        "capture_payment_intent",
        "POST",
        "/v1/payment_intents/{id}/capture",
        "Capture an authorized (capture_method=manual) payment intent, fully or partially.",
        example={"id": "$uncaptured_payment_intent", "amount_to_capture": 7500},
    ),
    do(
        "cancel_payment_intent",
        "POST",
        "/v1/payment_intents/{id}/cancel",
        "Cancel a payment intent that has not succeeded (releases an authorization).",
        aliases=("Cancel Payment Intent",),
        example={"id": "$payment_intent", "cancellation_reason": "requested_by_customer"},
    ),
    list_(
        "payment_intents",
        "/v1/payment_intents",
        "List payment intents, newest first, optionally for one customer.",
        aliases=("List Payment Intents",),
        example={"customer": "$customer"},
    ),
    search(
        "payment_intents",
        "/v1/payment_intents/search",
        'Search payment intents with Stripe\'s query language (status:"succeeded").',
        example={"query": 'status:"requires_payment_method"'},
    ),
    create(
        "setup_intent",
        "/v1/setup_intents",
        "Create a setup intent to save a payment method for later payments.",
        aliases=("setup_intents.create",),
        example={"customer": "$customer", "payment_method_types": ["card"]},
    ),
    get(
        "setup_intent",
        "/v1/setup_intents/{id}",
        "Retrieve a setup intent by id.",
        aliases=("setup_intents.get",),
        example={"id": "$setup_intent"},
    ),
    update(
        "setup_intent",
        "/v1/setup_intents/{id}",
        "Update a setup intent (customer, payment_method, description, metadata).",
        aliases=("setup_intents.update",),
        example={"id": "$setup_intent", "description": "Card for renewals"},
    ),
    do(
        "confirm_setup_intent",
        "POST",
        "/v1/setup_intents/{id}/confirm",
        "Confirm a setup intent with a payment method; it is then saved to the customer.",
        aliases=("setup_intents.confirm",),
        example={"id": "$setup_intent", "payment_method": "pm_card_visa"},
    ),
    do(
        "cancel_setup_intent",
        "POST",
        "/v1/setup_intents/{id}/cancel",
        "Cancel a setup intent that has not succeeded.",
        aliases=("setup_intents.cancel",),
        example={"id": "$setup_intent"},
    ),
    list_(
        "setup_intents",
        "/v1/setup_intents",
        "List setup intents, newest first.",
        aliases=("setup_intents.list",),
        example={"customer": "$customer"},
    ),
    create(
        "payment_method",
        "/v1/payment_methods",
        "Create a payment method (type=card with a test token such as tok_visa).",
        example={"type": "card", "card": {"token": "tok_visa"}},
    ),
    get(
        "payment_method",
        "/v1/payment_methods/{id}",
        "Retrieve a payment method by id.",
        example={"id": "$payment_method"},
    ),
    update(
        "payment_method",
        "/v1/payment_methods/{id}",
        "Update a payment method's billing details, card expiry or metadata.",
        example={"id": "$attached_payment_method", "billing_details": {"name": "Jane Smith"}},
    ),
    list_(
        "payment_methods",
        "/v1/payment_methods",
        "List payment methods, optionally a customer's and of one type.",
        example={"customer": "$customer_with_card"},
    ),
    do(
        "attach_payment_method",
        "POST",
        "/v1/payment_methods/{id}/attach",
        "Attach a payment method to a customer so it can be charged again.",
        example={"id": "$payment_method", "customer": "$customer"},
    ),
    do(
        "detach_payment_method",
        "POST",
        "/v1/payment_methods/{id}/detach",
        "Detach a payment method from its customer; it can't be used again.",
        example={"id": "$attached_payment_method"},
    ),
]
