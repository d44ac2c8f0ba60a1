"""The account's balance, its balance transactions and payouts to the bank."""

from .declare import create, do, get, list_, update

ACTIONS = [
    get(
        "balance",
        "/v1/balance",
        "The account balance: available and pending amounts by currency.",
        example={},
    ),
    get(
        "balance_transaction",
        "/v1/balance_transactions/{id}",
        "Retrieve a balance transaction (a charge, refund, fee or payout's money movement).",
        example={"id": "$balance_transaction"},
    ),
    list_(
        "balance_transactions",
        "/v1/balance_transactions",
        "List balance transactions, newest first, by type, source, payout or currency.",
        example={"limit": 2},
    ),
    create(
        "payout",
        "/v1/payouts",
        "Send available funds to the bank account (amount in cents).",
        # $funds: a payment whose money is available at once (a payout needs a balance).
        example={"amount": 1000, "currency": "usd", "metadata": {"funded_by": "$funds"}},
    ),
    get(
        "payout",
        "/v1/payouts/{id}",
        "Retrieve a payout by id.",
        aliases=("Get payout by ID",),
        example={"id": "$payout"},
    ),
    update(
        "payout",
        "/v1/payouts/{id}",
        "Update a payout's metadata (the only thing that can change).",
        aliases=("Update payout",),
        example={"id": "$payout", "metadata": {"batch": "2026-11"}},
    ),
    list_(
        "payouts",
        "/v1/payouts",
        "List payouts, newest first, by status, arrival date or destination.",
        aliases=("List payouts",),
        example={"limit": 2},
    ),
    do(
        "cancel_payout",
        "POST",
        "/v1/payouts/{id}/cancel",
        "Cancel a payout that is still pending.",
        example={"id": "$payout"},
    ),
]
