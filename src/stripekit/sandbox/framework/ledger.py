"""Money movements: balance transactions with Stripe's card fees, and the balance they add
up to. Charges, refunds, disputes and payouts all record through `record`, so the balance
is always the sum of the transactions (nothing else holds money).

A transaction is `pending` until its `available_on`, then `available`. It is stored with
its status as of the moment it is recorded; one that becomes available later gets a timer
(`AVAILABLE_TIMER`, handled by the balance resource), which flips the stored status and
sends `balance.available`. The stored status is the truth (the engine runs due timers
before every request): the money of a payment made on a test clock becomes available
when that clock passes `available_on`, whatever sandbox time says.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .context import RequestContext
from .currencies import ZERO_DECIMAL

DAY = 86400
# Stripe's standard US card pricing: 2.9% + 30 cents (fixed part in the minor unit).
CARD_PERCENT_BP = 290  # basis points
CARD_FIXED = 30
# SEPA Direct Debit on a US account: 0.8%, capped at 5.00.
SEPA_PERCENT_BP = 80
SEPA_FEE_CAP = 500
# Card funds stay pending two days, becoming available at midnight UTC.
PENDING_DAYS = 2
# The timer kind `record` schedules for a transaction that becomes available later.
AVAILABLE_TIMER = "balance.available"
# Which test clock a transaction's availability follows (kept beside it, never shown).
CLOCK_BINDING = "balance_transaction.test_clock"
# Every movement the sandbox makes comes from card payments, the one balance source type.
SOURCE_TYPE = "card"


def card_fee(amount: int, currency: str) -> int:
    """Stripe's card fee for `amount` (minor units), rounded half up."""
    fixed = 0 if currency in ZERO_DECIMAL else CARD_FIXED
    return (amount * CARD_PERCENT_BP + 5000) // 10000 + fixed


def bank_debit_fee(amount: int) -> int:
    """Stripe's SEPA Direct Debit fee for a US account, and its US ACH Direct Debit fee
    (both 0.8%, capped at 5.00, Stripe's US pricing page; in the debit's currency, as the
    sandbox converts nothing), rounded half up."""
    return min((amount * SEPA_PERCENT_BP + 5000) // 10000, SEPA_FEE_CAP)


def proportional_share(total: int, taken: int, part: int, whole: int, *, last: bool) -> int:
    """What of `total` (of which `taken` is already taken back) goes with a refund or
    reversal of `part` out of `whole`: all that is left when `last`, else in proportion,
    rounded half up (Stripe documents the proportion, not its rounding)."""
    remaining = total - taken
    if last:
        return remaining
    return min((total * part * 2 + whole) // (whole * 2), remaining)


def available_on(now: int, *, immediately: bool = False) -> int:
    """When captured funds become available: midnight UTC, two days on (or now)."""
    if immediately:
        return now
    return (now // DAY + PENDING_DAYS) * DAY


def record(
    ctx: RequestContext,
    *,
    type_: str,
    amount: int,
    currency: str,
    source: str | None,
    reporting_category: str,
    fee: int = 0,
    fee_description: str = "Stripe processing fees",
    description: str | None = None,
    available: int | None = None,
    clock: str | None = None,
    application_fee: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """Insert one balance transaction; `amount` is signed (refunds and payouts negative).
    `available` is when the net becomes available (default: now); with `clock`, that is
    a time on that test clock (the payment of a customer living on it).
    `application_fee` (amount, Connect application) is a platform's fee on a connected
    account's payment, counted in the transaction's fee beside Stripe's."""
    fee_details: list[dict[str, Any]] = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": fee_description,
                "type": "stripe_fee",
            }
        )
    if application_fee is not None:
        fee_amount, application = application_fee
        fee_details.append(
            {
                "amount": fee_amount,
                "application": application,
                "currency": currency,
                "description": None,
                "type": "application_fee",
            }
        )
        fee += fee_amount
    when = ctx.now if available is None else available
    txn = {
        "id": ctx.new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": when,
        "balance_type": "payments",
        "created": ctx.now,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available" if when <= _time_line_now(ctx, clock) else "pending",
        "type": type_,
    }
    ctx.insert(txn)
    if txn["status"] == "pending":
        ctx.schedule(when, AVAILABLE_TIMER, txn["id"], clock=clock)
        if clock is not None:
            binding = {"object": CLOCK_BINDING, "id": txn["id"], "clock": clock, "created": ctx.now}
            ctx.insert(binding)
    return txn


def _time_line_now(ctx: RequestContext, clock: str | None) -> int:
    """Now on a test clock (for its customers' money), or sandbox time."""
    found = ctx.find("test_helpers.test_clock", clock) if clock else None
    return int(found["frozen_time"]) if found is not None else ctx.now


def clock_of(ctx: RequestContext, txn: dict[str, Any]) -> str | None:
    """The test clock a transaction's availability follows, if any."""
    binding = ctx.find(CLOCK_BINDING, txn["id"])
    return binding["clock"] if binding is not None else None


def _sums(ctx: RequestContext) -> tuple[dict[str, int], dict[str, int]]:
    available: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    for txn in ctx.tx.scan(ctx.account, "balance_transaction"):
        bucket = available if txn["status"] == "available" else pending
        bucket[txn["currency"]] += txn["net"]
    return available, pending


def available_amount(ctx: RequestContext, currency: str) -> int:
    """The available balance in one currency (what a standard payout may draw on)."""
    return _sums(ctx)[0].get(currency, 0)


def balance(ctx: RequestContext) -> dict[str, Any]:
    """The account's balance: the nets of its transactions, by currency and availability.
    `instant_available`, `connect_reserved` and `issuing` are left out, as Stripe leaves
    them out of a plain account's balance when they are empty; the refund-and-dispute
    prefunding block is there, holding nothing, as on a recorded test-mode balance."""
    available, pending = _sums(ctx)
    currencies = sorted(set(available) | set(pending)) or ["usd"]

    def amounts(bucket: dict[str, int]) -> list[dict[str, Any]]:
        return [
            {
                "amount": bucket.get(c, 0),
                "currency": c,
                "source_types": {SOURCE_TYPE: bucket.get(c, 0)},
            }
            for c in currencies
        ]

    empty = [{"amount": 0, "currency": c} for c in currencies]
    return {
        "object": "balance",
        "available": amounts(available),
        "livemode": False,
        "pending": amounts(pending),
        "refund_and_dispute_prefunding": {"available": empty, "pending": list(empty)},
    }
