"""Application fees: /v1/application_fees (retrieve, list), the fees a platform collects
on payments: on a destination charge's transfer, or on a direct charge a connected
account makes (`Stripe-Account` with `application_fee_amount`).

The fee is recorded on the platform (an `application_fee` object and balance transaction,
available at once); the connected account's payment shows it among its fees. Refunding a
fee (`/v1/application_fees/{id}/refunds`) is not built yet.
"""

from __future__ import annotations

from typing import Any

from ..framework import ledger
from ..framework.context import RequestContext
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter
from . import accounts

OBJECT = "application_fee"
NOUN = "application fee"


def collect(
    platform: RequestContext,
    *,
    amount: int,
    currency: str,
    account: str,
    charge: str,
    originating_transaction: str | None = None,
) -> dict[str, Any]:
    """Record on the platform (`platform` acts as it) the fee taken from `account`'s
    payment `charge`."""
    fee_id = platform.new_id("fee")
    txn = ledger.record(
        platform,
        type_="application_fee",
        amount=amount,
        currency=currency,
        source=fee_id,
        reporting_category="platform_earning",
    )
    fee = {
        "id": fee_id,
        "object": OBJECT,
        "account": account,
        "amount": amount,
        "amount_refunded": 0,
        "application": accounts.application_id(platform.account),
        "balance_transaction": txn["id"],
        "charge": charge,
        "created": platform.now,
        "currency": currency,
        "fee_source": {"charge": charge, "type": "charge"},
        "livemode": False,
        "originating_transaction": originating_transaction,
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/application_fees/{fee_id}/refunds",
        },
    }
    platform.insert(fee)
    platform.emit("application_fee.created", fee)
    return fee


def retrieve(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.load(OBJECT, id, noun=NOUN)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = (Filter(("charge",), "eq", params["charge"]),) if params.get("charge") else ()
    return list_objects(ctx, OBJECT, params, "/v1/application_fees", filters, noun=NOUN)


ROUTES = [
    Route("GET", "/v1/application_fees", list_),
    Route("GET", "/v1/application_fees/{id}", retrieve),
]
