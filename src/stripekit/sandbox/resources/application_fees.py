"""Application fees: /v1/application_fees (retrieve, list), the fees a platform collects
on payments: on a destination charge's transfer, or on a direct charge a connected
account makes (`Stripe-Account` with `application_fee_amount`).

The fee is recorded on the platform (an `application_fee` object and balance transaction,
available at once); the connected account's payment shows it among its fees. A fee refund
(`fee_refund`, `/v1/application_fees/{id}/refunds`, or made by a transfer reversal or a
charge refund asking for it) gives money back: an `application_fee_refund` balance
transaction on the platform, and on the connected account an `adjustment` in the `fee`
reporting category (how Stripe files Connect platform fee refunds).
"""

from __future__ import annotations

from typing import Any

from ..framework import ledger, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import embed, embedded_list, list_objects
from ..framework.routing import Route
from ..store import Filter
from . import accounts

OBJECT = "application_fee"
NOUN = "application fee"
REFUND = "fee_refund"


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
        "refunds": embedded_list(f"/v1/application_fees/{fee_id}/refunds"),
    }
    platform.insert(fee)
    platform.emit("application_fee.created", fee)
    return fee


def refundable(fee: dict[str, Any], amount: int | None) -> int:
    """How much a refund of `amount` (None: the rest) takes from `fee`, or Stripe's refusal."""
    remaining = fee["amount"] - fee["amount_refunded"]
    if remaining <= 0:
        # Proposal: Stripe documents the refusal; its wording was not recorded.
        raise InvalidRequestError(f"Application fee {fee['id']} has already been refunded.")
    if amount is None:
        return remaining
    if amount <= 0:
        raise InvalidRequestError("Invalid positive integer", param="amount")
    if amount > remaining:
        # Proposal: worded as Stripe's refusal of a charge refund beyond what is left.
        raise InvalidRequestError(
            f"Refund amount ({amount}) is greater than unrefunded amount on application fee "
            f"({remaining}).",
            param="amount",
        )
    return amount


def refund(
    platform: RequestContext,
    fee: dict[str, Any],
    amount: int,
    meta: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Give `amount` of `fee` (checked by `refundable`) back to the connected account it
    was taken from; `platform` acts as the platform."""
    refund_id = platform.new_id("fr")
    txn = ledger.record(
        platform,
        type_="application_fee_refund",
        amount=-amount,
        currency=fee["currency"],
        source=refund_id,
        reporting_category="platform_earning_refund",
    )
    ledger.record(
        accounts.acting_as(platform, fee["account"]),
        type_="adjustment",
        amount=amount,
        currency=fee["currency"],
        source=refund_id,
        reporting_category="fee",
        description="Application fee refund",
    )
    fee_refund = {
        "id": refund_id,
        "object": REFUND,
        "amount": amount,
        "balance_transaction": txn["id"],
        "created": platform.now,
        "currency": fee["currency"],
        "fee": fee["id"],
        "metadata": dict(meta or {}),
    }
    platform.insert(fee_refund)
    previous: dict[str, Any] = {"amount_refunded": fee["amount_refunded"]}
    fee["amount_refunded"] += amount
    if fee["amount_refunded"] >= fee["amount"]:
        previous["refunded"] = False
        fee["refunded"] = True
    embed(fee["refunds"], fee_refund, new=True)
    platform.save(fee)
    platform.emit("application_fee.refunded", fee, previous)
    return fee_refund


def retrieve(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.load(OBJECT, id, noun=NOUN)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = (Filter(("charge",), "eq", params["charge"]),) if params.get("charge") else ()
    return list_objects(ctx, OBJECT, params, "/v1/application_fees", filters, noun=NOUN)


# -- fee refunds ----------------------------------------------------------------------------


def _amount(params: dict[str, Any]) -> int | None:
    given = params.get("amount")
    return None if given in (None, "") else int(given)


def create_refund(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    fee = ctx.load(OBJECT, id, noun=NOUN)
    amount = refundable(fee, _amount(params))
    return refund(ctx, fee, amount, metadata.merge(None, params.get("metadata") or {}))


def refund_legacy(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    """`POST /v1/application_fees/{id}/refund`: refund, and answer with the fee."""
    fee = ctx.load(OBJECT, id, noun=NOUN)
    refund(ctx, fee, refundable(fee, _amount(params)))
    return fee


def list_refunds(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    ctx.load(OBJECT, id, noun=NOUN)
    filters = (Filter(("fee",), "eq", id),)
    return list_objects(ctx, REFUND, params, f"/v1/application_fees/{id}/refunds", filters)


def _fee_refund(ctx: RequestContext, fee: str, id: str) -> dict[str, Any]:
    ctx.load(OBJECT, fee, param="fee", noun=NOUN)
    found = ctx.find(REFUND, id)
    if found is None or found["fee"] != fee:
        raise ResourceMissing("fee refund", id)
    return found


def retrieve_refund(
    ctx: RequestContext, params: dict[str, Any], fee: str, id: str
) -> dict[str, Any]:
    return _fee_refund(ctx, fee, id)


def update_refund(ctx: RequestContext, params: dict[str, Any], fee: str, id: str) -> dict[str, Any]:
    fee_refund = _fee_refund(ctx, fee, id)
    previous = updates.apply(fee_refund, params, ("metadata",))
    if previous:
        ctx.save(fee_refund)
        parent = ctx.load(OBJECT, fee, param="fee", noun=NOUN)
        embed(parent["refunds"], fee_refund)
        ctx.save(parent)
        ctx.emit("application_fee.refund.updated", fee_refund, previous)
    return fee_refund


ROUTES = [
    Route("GET", "/v1/application_fees", list_),
    Route("GET", "/v1/application_fees/{id}", retrieve),
    Route("POST", "/v1/application_fees/{id}/refunds", create_refund),
    Route("GET", "/v1/application_fees/{id}/refunds", list_refunds),
    Route("POST", "/v1/application_fees/{id}/refund", refund_legacy),
    Route("GET", "/v1/application_fees/{fee}/refunds/{id}", retrieve_refund),
    Route("POST", "/v1/application_fees/{fee}/refunds/{id}", update_refund),
]
