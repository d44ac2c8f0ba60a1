"""Payouts: /v1/payouts (create, retrieve, update, list, cancel).

Every account pays out to one default external account, Stripe's US test bank account
(a `ba_...` `bank_account`, created on first use), so only USD can be paid out. A payout
draws on the available balance at once (its `payout` balance transaction is available
immediately); it is `pending` until the next midnight UTC, when it goes to the bank
(`in_transit`), and `paid` on its `arrival_date`, two business days on. Timers move it
along as sandbox time passes; cancelling a pending payout gives the money back.

Reversing (`/v1/payouts/{payout}/reverse`) is left out: Stripe offers it only to
connected accounts.
"""

from __future__ import annotations

from typing import Any

from ..framework import currencies, ledger, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import created_range, in_range, list_objects, page_in_memory
from ..framework.routing import Route
from ..store import Filter

DAY = 86400
BUSINESS_DAYS = 2  # a standard US payout arrives two business days after it is made
INSTANT_METHOD = "instant"
ADVANCE_TIMER = "payout.advance"
BANK_CURRENCY = "usd"
# The default external account's fixed details: Stripe's US test bank account.
BANK = {
    "account_holder_name": None,
    "account_holder_type": None,
    "account_type": None,
    "available_payout_methods": ["standard", "instant"],
    "bank_name": "STRIPE TEST BANK",
    "country": "US",
    "currency": BANK_CURRENCY,
    "customer": None,
    "default_for_currency": True,
    "last4": "6789",
    "metadata": {},
    "routing_number": "110000000",
    "status": "new",
}
_SOURCE_NAMES = {"card": "card", "bank_account": "bank account", "fpx": "FPX"}


def _weekday(day: int) -> int:
    return (day + 3) % 7  # day 0 (1970-01-01) was a Thursday; Monday is 0


def _arrival_date(now: int, method: str) -> int:
    if method == INSTANT_METHOD:
        return now
    day, added = now // DAY, 0
    while added < BUSINESS_DAYS:
        day += 1
        if _weekday(day) < 5:
            added += 1
    return day * DAY


def _in_transit_at(payout: dict[str, Any]) -> int:
    """When the payout is sent to the bank: at once for an instant one, else at the next
    midnight UTC (until then it can be cancelled)."""
    if payout["method"] == INSTANT_METHOD:
        return payout["created"]
    return (payout["created"] // DAY + 1) * DAY


def default_bank_account(ctx: RequestContext) -> dict[str, Any]:
    """The account's default external account, made the first time it is needed."""
    for found in ctx.tx.scan(
        ctx.account, "bank_account", (Filter(("account",), "eq", ctx.account),)
    ):
        return found
    bank = {
        "id": ctx.new_id("ba"),
        "object": "bank_account",
        "account": ctx.account,
        **BANK,
        "fingerprint": ctx.ids.random_chars(16),
        # The store orders by `created`; Stripe's object has none, so it is hidden (below).
        "created": ctx.now,
    }
    return ctx.insert(bank)


def _destination(ctx: RequestContext, params: dict[str, Any], currency: str) -> dict[str, Any]:
    if currency != BANK_CURRENCY:
        raise InvalidRequestError(
            f"Sorry, you don't have any external accounts in that currency ({currency}).",
            param="currency",
        )
    bank = default_bank_account(ctx)
    given = params.get("destination")
    if given and given != bank["id"]:
        raise ResourceMissing("external account", given, param="destination", status=400)
    return bank


def _check_amount(params: dict[str, Any]) -> int:
    amount = params.get("amount")
    if not isinstance(amount, int) or amount < 1:
        raise InvalidRequestError(
            "This value must be greater than or equal to 1.",
            param="amount",
            code="parameter_invalid_integer",
        )
    return amount


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    amount = _check_amount(params)
    currency = currencies.check(params["currency"])
    if params.get("payout_method"):
        raise ResourceMissing(
            "financial account", params["payout_method"], param="payout_method", status=400
        )
    bank = _destination(ctx, params, currency)
    source_type = params.get("source_type") or ledger.SOURCE_TYPE
    available = ledger.available_amount(ctx, currency) if source_type == ledger.SOURCE_TYPE else 0
    if amount > available:
        raise InvalidRequestError(
            "You have insufficient funds in your Stripe account for this transfer. Your "
            f"{_SOURCE_NAMES[source_type]} balance is too low.  You can use the /v1/balance "
            "endpoint to view your Stripe balance (for more details, see "
            "stripe.com/docs/api#balance).",
            code="balance_insufficient",
        )
    method = params.get("method") or "standard"
    payout_id = ctx.new_id("po")
    description = params.get("description") or None
    txn = ledger.record(
        ctx,
        type_="payout",
        amount=-amount,
        currency=currency,
        source=payout_id,
        reporting_category="payout",
        description=description or "STRIPE PAYOUT",
    )
    payout = {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": _arrival_date(ctx.now, method),
        "automatic": False,
        "balance_transaction": txn["id"],
        "created": ctx.now,
        "currency": currency,
        "description": description,
        "destination": bank["id"],
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": metadata.merge(None, params.get("metadata") or {}),
        "method": method,
        "original_payout": None,
        "payout_method": None,
        # Stripe itemises only automatic payouts; a manual one is never reconciled.
        "reconciliation_status": "not_applicable",
        "reversed_by": None,
        "source_type": source_type,
        "statement_descriptor": params.get("statement_descriptor") or None,
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }
    ctx.insert(payout)
    ctx.schedule(_in_transit_at(payout), ADVANCE_TIMER, payout_id)
    ctx.emit("payout.created", payout)
    return payout


def _load(ctx: RequestContext, payout: str) -> dict[str, Any]:
    found = ctx.find("payout", payout)
    if found is None:
        raise ResourceMissing("payout", payout, param="payout")
    return found


def retrieve(ctx: RequestContext, params: dict[str, Any], payout: str) -> dict[str, Any]:
    return _load(ctx, payout)


def update(ctx: RequestContext, params: dict[str, Any], payout: str) -> dict[str, Any]:
    obj = _load(ctx, payout)
    previous = updates.apply(obj, params, ("metadata",))
    if previous:
        ctx.save(obj)
        ctx.emit("payout.updated", obj, previous)
    return obj


def cancel(ctx: RequestContext, params: dict[str, Any], payout: str) -> dict[str, Any]:
    obj = _load(ctx, payout)
    if obj["status"] != "pending":
        raise InvalidRequestError(
            f"You cannot cancel this payout because it has a status of {obj['status']}. "
            "Only a pending payout can be canceled."
        )
    txn = ledger.record(
        ctx,
        type_="payout_cancel",
        amount=obj["amount"],
        currency=obj["currency"],
        source=obj["id"],
        reporting_category="payout_reversal",
        description=obj["description"] or "STRIPE PAYOUT",
    )
    obj["status"] = "canceled"
    obj["failure_balance_transaction"] = txn["id"]
    obj["trace_id"] = {"status": "unsupported", "value": None}
    ctx.save(obj)
    ctx.emit("payout.canceled", obj)
    return obj


def _list_by_arrival(
    ctx: RequestContext, params: dict[str, Any], filters: tuple[Filter, ...], url: str
) -> dict[str, Any]:
    """`arrival_date` is a range the store cannot page on: filter the payouts here and
    page over what is left, newest first, as the store does."""
    arrival = created_range(params.get("arrival_date"), "arrival_date")
    created = created_range(params.get("created"))
    matching = [
        p
        for p in ctx.tx.scan(ctx.account, "payout", filters)
        if in_range(p["arrival_date"], arrival) and in_range(p["created"], created)
    ]
    everything = list(ctx.tx.scan(ctx.account, "payout"))
    return page_in_memory(everything, matching, params, noun="payout", url=url)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = tuple(
        Filter((name,), "eq", params[name])
        for name in ("status", "destination")
        if params.get(name)
    )
    if params.get("arrival_date") not in (None, ""):
        return _list_by_arrival(ctx, params, filters, "/v1/payouts")
    return list_objects(ctx, "payout", params, "/v1/payouts", filters)


def _advance(ctx: RequestContext, payout_id: str) -> None:
    """Sandbox time moved on: send a pending payout to the bank, land one in transit."""
    payout = ctx.find("payout", payout_id)
    if payout is None:
        return
    if payout["status"] == "pending" and ctx.now >= _in_transit_at(payout):
        payout["status"] = "in_transit"
        ctx.save(payout)
        ctx.emit("payout.updated", payout, {"status": "pending"})
        if payout["arrival_date"] > ctx.now:
            ctx.schedule(payout["arrival_date"], ADVANCE_TIMER, payout_id)
    if payout["status"] == "in_transit" and ctx.now >= payout["arrival_date"]:
        payout["status"] = "paid"
        # Test bank transfers carry no network trace id.
        payout["trace_id"] = {"status": "unsupported", "value": None}
        ctx.save(payout)
        ctx.emit("payout.paid", payout)


ROUTES = [
    Route("POST", "/v1/payouts", create),
    Route("GET", "/v1/payouts", list_),
    Route("GET", "/v1/payouts/{payout}", retrieve),
    Route("POST", "/v1/payouts/{payout}", update),
    Route("POST", "/v1/payouts/{payout}/cancel", cancel),
]

TIMERS = {ADVANCE_TIMER: _advance}

# The stored bank account's `created` only orders it in the store; hide it when a
# payout's `destination` is expanded.
INCLUDABLE = {"bank_account": ("created",)}
