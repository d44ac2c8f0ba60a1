"""Charges, refunds and disputes: what happened to the money of a payment."""

from typing import Any

from .declare import create, do, get, list_, search, update
from .errors import InputError


def _one_target(params: dict[str, Any]) -> dict[str, Any]:
    """Source 002's Refund Payment takes a charge or a payment intent: exactly one."""
    if ("charge" in params) == ("payment_intent" in params):
        raise InputError(
            "Give exactly one of charge or payment_intent.",
            param="charge",
            code="parameter_missing" if "charge" not in params else "parameter_invalid",
        )
    return params


ACTIONS = [
    create(
        "charge",
        "/v1/charges",
        "Create a charge directly (legacy; prefer payment intents) with a source or customer.",
        aliases=("Create a charge",),
        example={"amount": 2000, "currency": "usd", "source": "tok_visa"},
    ),
    get(
        "charge",
        "/v1/charges/{id}",
        "Retrieve a charge by id.",
        aliases=("Get charge by ID", "Retrieve a charge"),
        example={"id": "$charge"},
    ),
    update(
        "charge",
        "/v1/charges/{id}",
        "Update a charge's description, metadata, receipt_email, shipping or fraud_details.",
        aliases=("Update a charge",),
        example={"id": "$charge", "description": "Order #1234"},
    ),
    do(
        "capture_charge",
        "POST",
        "/v1/charges/{id}/capture",
        "Capture an uncaptured charge, fully or partially (the rest is released).",
        aliases=("Capture a charge",),
        example={"id": "$uncaptured_charge", "amount": 1500},
    ),
    list_(
        "charges",
        "/v1/charges",
        "List charges, newest first, by customer, payment intent or created time.",
        aliases=("Get charges", "List all charges"),
        example={"limit": 2},
    ),
    search(
        "charges",
        "/v1/charges/search",
        'Search charges with Stripe\'s query language (amount>1000, status:"succeeded").',
        aliases=("Search charges",),
        example={"query": "amount>1000"},
    ),
    do(
        "refund_payment",
        "POST",
        "/v1/refunds",
        "Refund a charge or a payment intent, fully (default) or partly, with a reason.",
        aliases=("Refund Payment", "create_refund"),
        prepare=_one_target,
        example={"payment_intent": "$succeeded_payment_intent", "amount": 1000},
    ),
    get(
        "refund",
        "/v1/refunds/{id}",
        "Retrieve a refund by id.",
        aliases=("Get refund by ID", "Retrieve a refund"),
        example={"id": "$refund"},
    ),
    update(
        "refund",
        "/v1/refunds/{id}",
        "Update a refund's metadata.",
        aliases=("Update a refund",),
        example={"id": "$refund", "metadata": {"ticket": "T-42"}},
    ),
    do(
        "cancel_refund",
        "POST",
        "/v1/refunds/{id}/cancel",
        "Cancel a refund that still requires action.",
        # No example: only refunds to some non-card methods wait for action.
    ),
    list_(
        "refunds",
        "/v1/refunds",
        "List refunds, newest first, optionally of one charge or payment intent.",
        aliases=("List refunds", "List all refunds"),
        example={"charge": "$charge"},
    ),
    do(
        "create_charge_refund",
        "POST",
        "/v1/charges/{charge}/refunds",
        "Refund a charge through its own refunds endpoint (legacy form of refund_payment).",
        aliases=("Create a refund",),
        example={"charge": "$charge", "amount": 500},
    ),
    list_(
        "charge_refunds",
        "/v1/charges/{charge}/refunds",
        "List the refunds of one charge, newest first.",
        plural="refunds",
        example={"charge": "$charge"},
    ),
    get(
        "charge_refund",
        "/v1/charges/{charge}/refunds/{id}",
        "Retrieve a refund through its charge.",
        example={"charge": "$refunded_charge", "id": "$refund"},
    ),
    update(
        "charge_refund",
        "/v1/charges/{charge}/refunds/{id}",
        "Update the metadata of a refund through its charge.",
        example={"charge": "$refunded_charge", "id": "$refund", "metadata": {"k": "v"}},
    ),
    get(
        "charge_dispute",
        "/v1/charges/{charge}/dispute",
        "Retrieve the dispute of a charge.",
        aliases=("Get charge dispute",),
        example={"charge": "$disputed_charge"},
    ),
    update(
        "charge_dispute",
        "/v1/charges/{charge}/dispute",
        "Add evidence to the dispute of a charge (legacy form of update_dispute).",
        aliases=("Create charge dispute",),
        example={"charge": "$disputed_charge", "evidence": {"customer_name": "Jane Smith"}},
    ),
    do(
        "close_charge_dispute",
        "POST",
        "/v1/charges/{charge}/dispute/close",
        "Accept the dispute of a charge as lost (legacy form of close_dispute).",
        aliases=("Close charge dispute",),
        example={"charge": "$disputed_charge"},
    ),
    get(
        "dispute",
        "/v1/disputes/{id}",
        "Retrieve a dispute by id.",
        example={"id": "$dispute"},
    ),
    update(
        "dispute",
        "/v1/disputes/{id}",
        "Add evidence to a dispute (submit=true sends it to the bank).",
        example={"id": "$dispute", "evidence": {"customer_name": "Jane Smith"}},
    ),
    do(
        "close_dispute",
        "POST",
        "/v1/disputes/{id}/close",
        "Accept a dispute as lost (close it without contesting).",
        example={"id": "$dispute"},
    ),
    list_(
        "disputes",
        "/v1/disputes",
        "List disputes, newest first, by charge or payment intent.",
        example={"limit": 2},
    ),
]
