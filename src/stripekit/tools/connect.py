"""Connect: connected accounts, onboarding links, transfers to them and their reversals,
and the application fees the platform collects."""

from .declare import create, delete, do, get, list_, update

ACTIONS = [
    create(
        "account",
        "/v1/accounts",
        "Create a connected account (`type` custom, express or standard, or a `controller`).",
        example={
            "type": "custom",
            "email": "seller@example.com",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        },
    ),
    get(
        "account",
        "/v1/accounts/{id}",
        "Retrieve a connected account by id.",
        example={"id": "$account"},
    ),
    update(
        "account",
        "/v1/accounts/{id}",
        "Update a connected account (email, business profile, capabilities, metadata).",
        example={"id": "$account", "business_profile": {"name": "Corner Shop"}},
    ),
    list_(
        "accounts",
        "/v1/accounts",
        "List the platform's connected accounts, newest first.",
        example={"limit": 2},
    ),
    delete(
        "account",
        "/v1/accounts/{id}",
        "Delete a connected account.",
        example={"id": "$account"},
    ),
    create(
        "account_link",
        "/v1/account_links",
        "Create an onboarding link for a connected account (a URL to send its owner to).",
        example={
            "account": "$account",
            "type": "account_onboarding",
            "refresh_url": "https://example.com/reauth",
            "return_url": "https://example.com/return",
        },
    ),
    create(
        "transfer",
        "/v1/transfers",
        "Send money from the platform's available balance to a connected account (cents).",
        # $funds: a payment whose money is available at once (a transfer needs a balance).
        example={
            "amount": 1000,
            "currency": "usd",
            "destination": "$account",
            "metadata": {"funded_by": "$funds"},
        },
    ),
    get(
        "transfer",
        "/v1/transfers/{id}",
        "Retrieve a transfer by id.",
        example={"id": "$transfer"},
    ),
    list_(
        "transfers",
        "/v1/transfers",
        "List transfers, newest first, by destination or transfer group.",
        example={"limit": 2},
    ),
    do(
        "reverse_transfer",
        "POST",
        "/v1/transfers/{id}/reversals",
        "Take back all or part of a transfer (amount in cents; default what remains).",
        example={"id": "$transfer", "amount": 400},
    ),
    list_(
        "application_fees",
        "/v1/application_fees",
        "List the application fees the platform collected, newest first, by charge.",
        example={"limit": 2},
    ),
]
