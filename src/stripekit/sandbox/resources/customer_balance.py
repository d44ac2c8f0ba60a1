"""A customer's invoice balance: /v1/customers/{customer}/balance_transactions (create,
retrieve, update, list), and `record`, which every change of `customer.balance` goes
through so the balance is always the sum of the transactions.

Sign: negative is credit (the business owes the customer and the next invoice is
reduced), positive is debit (added to the next invoice). Types the sandbox records:
`adjustment` (this API), `initial` (a balance set on customer creation),
`applied_to_invoice` / `unapplied_from_invoice` (an invoice used the balance at
finalization, or gave it back when voided), `invoice_too_small` (an amount under the
minimum charge moved onto the balance) and `credit_note` (a credit note credited the
balance, or took that credit back when voided).

The balance is kept in one currency: the first transaction sets the customer's
`currency` when it has none, and later ones must match it.
"""

from __future__ import annotations

from typing import Any

from ..framework import currencies, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter
from . import tax_ids
from .test_clocks import now_for

TYPE = "customer_balance_transaction"
NOUN = "customer balance transaction"


def record(
    ctx: RequestContext,
    customer: dict[str, Any],
    amount: int,
    currency: str,
    type_: str,
    *,
    invoice: str | None = None,
    credit_note: str | None = None,
    description: str | None = None,
    meta: dict[str, str] | None = None,
    emit_update: bool = True,
) -> dict[str, Any]:
    """Move `customer`'s balance by `amount` with a transaction of `type_`; saves the
    customer (and sends `customer.updated` unless told not to)."""
    previous: dict[str, Any] = {"balance": customer.get("balance") or 0}
    if customer.get("currency") is None:
        previous["currency"] = None
        customer["currency"] = currency
    ending = (customer.get("balance") or 0) + amount
    customer["balance"] = ending
    txn = {
        "id": ctx.new_id("cbtxn"),
        "object": TYPE,
        "amount": amount,
        "checkout_session": None,
        "created": now_for(ctx, customer.get("test_clock")),
        "credit_note": credit_note,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "description": description,
        "ending_balance": ending,
        "invoice": invoice,
        "livemode": False,
        "metadata": dict(meta or {}),
        "type": type_,
    }
    ctx.insert(txn)
    ctx.save(customer)
    if emit_update and (amount != 0 or "currency" in previous):
        ctx.emit("customer.updated", tax_ids.customer_in_event(customer), previous)
    return txn


def record_adjustment(
    ctx: RequestContext, customer: dict[str, Any], previous_balance: int, *, initial: bool = False
) -> None:
    """For a `balance` set directly on the customer (`initial` on create, else an
    update): the transaction that explains the change. `customer["balance"]` already
    holds the new value; the caller emits its own customer event."""
    new = customer.get("balance") or 0
    delta = new - previous_balance
    if delta == 0:
        return
    customer["balance"] = previous_balance
    record(
        ctx,
        customer,
        delta,
        customer.get("currency") or "usd",
        "initial" if initial else "adjustment",
        emit_update=False,
    )


# -- the API ------------------------------------------------------------------------------------


def _customer(ctx: RequestContext, customer: str) -> dict[str, Any]:
    return ctx.load("customer", customer, param="customer")


def _transaction(ctx: RequestContext, customer_id: str, transaction: str) -> dict[str, Any]:
    txn = ctx.find(TYPE, transaction)
    if txn is None or txn.get("customer") != customer_id:
        raise ResourceMissing(NOUN, transaction, param="transaction")
    return txn


def create(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    obj = _customer(ctx, customer)
    currency = currencies.check(params["currency"])
    if obj.get("currency") and obj["currency"] != currency:
        raise InvalidRequestError(
            f"The currency of a customer balance transaction ({currency}) must match the "
            f"customer's currency ({obj['currency']}).",
            param="currency",
        )
    if params["amount"] == 0:
        raise InvalidRequestError("The amount must be a non-zero integer.", param="amount")
    return record(
        ctx,
        obj,
        params["amount"],
        currency,
        "adjustment",
        description=params.get("description") or None,
        meta=metadata.merge(None, params.get("metadata") or {}),
    )


def retrieve(
    ctx: RequestContext, params: dict[str, Any], customer: str, transaction: str
) -> dict[str, Any]:
    _customer(ctx, customer)
    return _transaction(ctx, customer, transaction)


def update(
    ctx: RequestContext, params: dict[str, Any], customer: str, transaction: str
) -> dict[str, Any]:
    _customer(ctx, customer)
    txn = _transaction(ctx, customer, transaction)
    if updates.apply(txn, params, ("description", "metadata")):
        ctx.save(txn)
    return txn


def list_(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    _customer(ctx, customer)
    filters = [Filter(("customer",), "eq", customer)]
    if params.get("invoice"):
        filters.append(Filter(("invoice",), "eq", params["invoice"]))
    return list_objects(
        ctx,
        TYPE,
        params,
        f"/v1/customers/{customer}/balance_transactions",
        tuple(filters),
        noun=NOUN,
    )


ROUTES = [
    Route("POST", "/v1/customers/{customer}/balance_transactions", create),
    Route("GET", "/v1/customers/{customer}/balance_transactions", list_),
    Route("GET", "/v1/customers/{customer}/balance_transactions/{transaction}", retrieve),
    Route("POST", "/v1/customers/{customer}/balance_transactions/{transaction}", update),
]
