"""Balance: GET /v1/balance, /v1/balance_transactions (list, retrieve) and the legacy
/v1/balance/history routes, which answer the same.

The balance is computed from the ledger on every read (see `framework/ledger.py`); a
transaction's `status` is shown as of now. When sandbox time reaches a transaction's
`available_on`, a timer marks it available and sends `balance.available`.
"""

from __future__ import annotations

from typing import Any

from ..framework import ledger
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter
from . import disputes

# Stripe lists nothing for `source=<dispute id>` even though the dispute's withdrawal names
# the dispute as its source (a recorded quirk of the live API, kept for fidelity).
_SOURCES_NEVER_MATCHED = ("du_", "dp_")


def retrieve_balance(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return ledger.balance(ctx)


def _list(ctx: RequestContext, params: dict[str, Any], url: str) -> dict[str, Any]:
    filters: list[Filter] = []
    for name in ("type", "currency"):
        if params.get(name):
            filters.append(Filter((name,), "eq", params[name]))
    source = params.get("source")
    if source:
        if source.startswith(_SOURCES_NEVER_MATCHED):
            return {"object": "list", "data": [], "has_more": False, "url": url}
        filters.append(Filter(("source",), "eq", source))
    payout = params.get("payout")
    if payout:
        if ctx.find("payout", payout) is None:
            raise ResourceMissing("payout", payout, param="payout", status=400)
        # Only automatic payouts are itemised; every payout made here is a manual one.
        raise InvalidRequestError(
            "Balance transaction history can only be filtered on automatic transfers, not manual.",
            param="payout",
        )
    page = list_objects(
        ctx, "balance_transaction", params, url, tuple(filters), noun="balance transaction"
    )
    return page


def list_transactions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # The legacy /v1/balance/history list names the modern path as its `url` too.
    return _list(ctx, params, "/v1/balance_transactions")


def retrieve_transaction(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    txn = ctx.find("balance_transaction", id)
    if txn is None:
        raise ResourceMissing("balance transaction", id)
    return txn


def _funds_available(ctx: RequestContext, txn_id: str) -> None:
    """Time reached a transaction's `available_on` (sandbox time, or its test clock's):
    mark every transaction on the same time line that is due by now available (their
    timers may share the moment) and send one `balance.available` for the lot."""
    own = ctx.find("balance_transaction", txn_id)
    if own is None:
        return
    clock = ledger.clock_of(ctx, own)
    due = [
        txn
        for txn in ctx.tx.scan(
            ctx.account, "balance_transaction", (Filter(("status",), "eq", "pending"),)
        )
        if txn["available_on"] <= ctx.now and ledger.clock_of(ctx, txn) == clock
    ]
    if not due:
        return  # an earlier timer at the same moment did the work
    for txn in due:
        txn["status"] = "available"
        ctx.save(txn)
        disputes.refresh_transaction(ctx, txn)
    ctx.emit("balance.available", ledger.balance(ctx))


# Restricted keys name balance transactions one way whichever path reaches them.
_TXNS = "balance_transactions"

ROUTES = [
    Route("GET", "/v1/balance", retrieve_balance),
    Route("GET", "/v1/balance_transactions", list_transactions),
    Route("GET", "/v1/balance_transactions/{id}", retrieve_transaction),
    Route("GET", "/v1/balance/history", list_transactions, permission=_TXNS),
    Route("GET", "/v1/balance/history/{id}", retrieve_transaction, permission=_TXNS),
]

TIMERS = {ledger.AVAILABLE_TIMER: _funds_available}
