"""Transfers: /v1/transfers (create, retrieve, update, list), and the transfers destination
charges make by themselves (`send`).

A transfer moves money from the platform's available balance to an account connected to
it: the platform records a `transfer` balance transaction (negative), and the destination
receives a payment (`py_...`, a charge object on the connected account whose
`source_transfer` is the transfer) with a `payment` balance transaction, available at once.
A destination charge's transfer also carries the application fee the platform collects:
the destination's payment shows it as its fee.

A reversal (`/v1/transfers/{id}/reversals`, or a refund with `reverse_transfer`) takes
money back: a `transfer_refund` balance transaction on the platform, and on the
destination a refund of its payment (`payment_refund`). A transfer made on its own needs
the destination's available balance to cover it; a destination charge's transfer does not
(Stripe allows it up to the charge's amount, the destination's balance going negative).
With `refund_application_fee` the fee the payment paid comes back in proportion.
"""

from __future__ import annotations

import copy
from typing import Any

from ..framework import currencies, ledger, metadata, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import embed, embedded_list, list_objects
from ..framework.routing import Route
from ..store import Filter
from . import accounts, application_fees

OBJECT = "transfer"
REVERSAL = "transfer_reversal"
UPDATABLE = ("description", "metadata")
# Stripe's test-mode refusal of a transfer the available balance cannot cover (its
# wording, "the the" included, as recorded in stripe-node issue 264).
INSUFFICIENT_FUNDS = (
    "Insufficient funds in Stripe account. In test mode, you can add funds to your available "
    "balance (bypassing your pending balance) by creating a charge with 4000 0000 0000 0077 "
    "as the card number.  You can use the the /v1/balance endpoint to view your Stripe "
    "balance (for more details, see stripe.com/docs/api#balance)."
)


def _payment(
    dest: RequestContext, transfer: dict[str, Any], fee: int, platform: str
) -> dict[str, Any]:
    """The destination's side: a `py_` payment and its balance transaction."""
    payment_id = dest.new_id("py")
    txn = ledger.record(
        dest,
        type_="payment",
        amount=transfer["amount"],
        currency=transfer["currency"],
        source=payment_id,
        reporting_category="charge",
        application_fee=(fee, accounts.application_id(platform)) if fee else None,
    )
    payment = {
        "id": payment_id,
        "object": "charge",
        "amount": transfer["amount"],
        "amount_captured": transfer["amount"],
        "amount_refunded": 0,
        "application": accounts.application_id(platform),
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": txn["id"],
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "captured": True,
        "created": dest.now,
        "currency": transfer["currency"],
        "customer": None,
        "description": None,
        "disputed": False,
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "paid": True,
        "payment_intent": None,
        "payment_method_details": {"stripe_account": {}, "type": "stripe_account"},
        "refunded": False,
        "source_transfer": transfer["id"],
        "status": "succeeded",
        "transfer_group": transfer["transfer_group"],
    }
    dest.insert(payment)
    return payment


def send(
    ctx: RequestContext,
    *,
    amount: int,
    currency: str,
    destination: str,
    description: str | None = None,
    source_transaction: str | None = None,
    transfer_group: str | None = None,
    meta: dict[str, str] | None = None,
    fee: int = 0,
) -> dict[str, Any]:
    """Move `amount` to `destination` (already checked to be connected); `fee` is the
    application fee the destination's payment pays back to the platform."""
    transfer_id = ctx.new_id("tr")
    txn = ledger.record(
        ctx,
        type_="transfer",
        amount=-amount,
        currency=currency,
        source=transfer_id,
        reporting_category="transfer",
        description=description,
    )
    transfer: dict[str, Any] = {
        "id": transfer_id,
        "object": OBJECT,
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": txn["id"],
        "created": ctx.now,
        "currency": currency,
        "description": description,
        "destination": destination,
        "destination_payment": None,
        "livemode": False,
        "metadata": dict(meta or {}),
        "reversals": embedded_list(f"/v1/transfers/{transfer_id}/reversals"),
        "reversed": False,
        "source_transaction": source_transaction,
        "source_type": ledger.SOURCE_TYPE,
        "transfer_group": transfer_group,
    }
    payment = _payment(accounts.acting_as(ctx, destination), transfer, fee, ctx.account)
    transfer["destination_payment"] = payment["id"]
    ctx.insert(transfer)
    ctx.emit("transfer.created", transfer)
    return transfer


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("amount") in (None, ""):
        raise InvalidRequestError(
            "Missing required param: amount.", param="amount", code="parameter_missing"
        )
    amount = int(params["amount"])
    currency = currencies.check(params["currency"])
    if amount < 1:
        # Proposal: the generic wording Stripe uses for a non-positive amount.
        raise InvalidRequestError(
            "This value must be greater than or equal to 1.",
            param="amount",
            code="parameter_invalid_integer",
        )
    destination = params["destination"]
    if not isinstance(destination, str) or ctx.find(accounts.OBJECT, destination) is None:
        raise InvalidRequestError(
            f"No such destination: '{destination}'",
            param="destination",
            code="resource_missing",
        )
    source_transaction = params.get("source_transaction") or None
    if source_transaction is not None:
        source = ctx.load("charge", source_transaction, param="source_transaction", in_path=False)
        if source["currency"] != currency:
            # Proposal: Stripe refuses a transfer in another currency than its source.
            raise InvalidRequestError(
                "The currency of source_transaction's balance transaction "
                f"({source['currency']}) must be the same as the transfer currency "
                f"({currency}).",
                param="currency",
            )
    elif amount > ledger.available_amount(ctx, currency):
        # A transfer tied to a charge draws on that charge's funds, pending or not.
        raise InvalidRequestError(INSUFFICIENT_FUNDS, code="balance_insufficient")
    return send(
        ctx,
        amount=amount,
        currency=currency,
        destination=destination,
        description=params.get("description") or None,
        source_transaction=source_transaction,
        transfer_group=params.get("transfer_group") or None,
        meta=metadata.merge(None, params.get("metadata") or {}),
    )


# -- destination charges and application fees ----------------------------------------------

# Stripe's refusal of a fee on a payment that is neither direct nor a destination charge.
FEE_WITHOUT_CONNECT = (
    "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct "
    "payment (using an OAuth key or Stripe-Account header) or destination payment (using "
    "`transfer_data[destination]`)."
)


def charge_terms(ctx: RequestContext, params: dict[str, Any], amount: int) -> dict[str, Any]:
    """A payment's Connect parameters, checked: what its charge records
    (`application_fee_amount`, `on_behalf_of`, `transfer_data`)."""
    fee = params.get("application_fee_amount")
    fee = None if fee in (None, "") else int(fee)
    given = params.get("transfer_data") or {}
    transfer_data = None
    if given:
        destination = given.get("destination")
        accounts.connected(ctx, destination, param="transfer_data[destination]")
        share = given.get("amount")
        share = None if share in (None, "") else int(share)
        if share is not None and not 1 <= share <= amount:
            # Proposal: Stripe documents the bound; its wording was not recorded.
            raise InvalidRequestError(
                "The transfer amount must be a positive integer no greater than the amount.",
                param="transfer_data[amount]",
            )
        if share is not None and fee is not None:
            # Proposal: Stripe documents that the two cannot be combined.
            raise InvalidRequestError(
                "transfer_data[amount] cannot be combined with application_fee_amount.",
                param="application_fee_amount",
            )
        # A PaymentIntent shows `amount` only when one was given.
        transfer_data = {"destination": destination}
        if share is not None:
            transfer_data["amount"] = share
    if fee is not None:
        if transfer_data is None and ctx.platform() is None:
            raise InvalidRequestError(FEE_WITHOUT_CONNECT, param="application_fee_amount")
        if fee > amount:
            # Proposal: Stripe caps the fee at the payment's amount.
            raise InvalidRequestError(
                "The application fee amount must be no greater than the amount.",
                param="application_fee_amount",
            )
    on_behalf_of = params.get("on_behalf_of") or None
    if on_behalf_of is not None:
        accounts.connected(ctx, on_behalf_of, param="on_behalf_of")
    return {
        "application_fee_amount": fee,
        "on_behalf_of": on_behalf_of,
        "transfer_data": transfer_data,
    }


def direct_fee(ctx: RequestContext, charge: dict[str, Any]) -> tuple[int, str] | None:
    """The application fee a connected account's own (direct) charge pays its platform:
    (amount, Connect application), or None."""
    fee = charge.get("application_fee_amount")
    platform = ctx.platform()
    if not fee or charge.get("transfer_data") or platform is None:
        return None
    return fee, accounts.application_id(platform)


def settle_charge(ctx: RequestContext, charge: dict[str, Any], amount: int) -> None:
    """After a charge's capture: a destination charge transfers to its destination (the
    whole amount less nothing, the fee being taken from the destination's payment, or
    `transfer_data[amount]`); a direct charge's fee is recorded on the platform."""
    fee = charge.get("application_fee_amount") or 0
    terms = charge.get("transfer_data")
    if terms:
        transfer = send(
            ctx,
            amount=terms.get("amount") or amount,
            currency=charge["currency"],
            destination=terms["destination"],
            source_transaction=charge["id"],
            transfer_group=charge.get("transfer_group"),
            fee=fee,
        )
        charge["transfer"] = transfer["id"]
        if fee:
            collected = application_fees.collect(
                ctx,
                amount=fee,
                currency=charge["currency"],
                account=terms["destination"],
                charge=transfer["destination_payment"],
                originating_transaction=charge["id"],
            )
            charge["application_fee"] = collected["id"]
    elif direct_fee(ctx, charge) is not None:
        platform = ctx.platform()
        assert platform is not None  # direct_fee found it
        collected = application_fees.collect(
            accounts.acting_as(ctx, platform),
            amount=fee,
            currency=charge["currency"],
            account=ctx.account,
            charge=charge["id"],
        )
        charge["application"] = collected["application"]
        charge["application_fee"] = collected["id"]
    else:
        return
    ctx.save(charge)


def _find(ctx: RequestContext, transfer: str) -> dict[str, Any]:
    return ctx.load(OBJECT, transfer, param="transfer")


def retrieve(ctx: RequestContext, params: dict[str, Any], transfer: str) -> dict[str, Any]:
    return _find(ctx, transfer)


def update(ctx: RequestContext, params: dict[str, Any], transfer: str) -> dict[str, Any]:
    obj = _find(ctx, transfer)
    previous = updates.apply(obj, params, UPDATABLE)
    if previous:
        ctx.save(obj)
        ctx.emit("transfer.updated", obj, previous)
    return obj


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = [
        Filter((name,), "eq", params[name])
        for name in ("destination", "transfer_group")
        if params.get(name)
    ]
    return list_objects(ctx, OBJECT, params, "/v1/transfers", tuple(filters))


# -- reversals ------------------------------------------------------------------------------


def _refund_payment(
    dest: RequestContext, transfer: dict[str, Any], amount: int, reversal_id: str
) -> dict[str, Any]:
    """The destination's side of a reversal: a refund of its `py_` payment."""
    refund_id = dest.new_id("pyr")
    txn = ledger.record(
        dest,
        type_="payment_refund",
        amount=-amount,
        currency=transfer["currency"],
        source=refund_id,
        reporting_category="refund",
    )
    refund = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": txn["id"],
        "charge": transfer["destination_payment"],
        "created": dest.now,
        "currency": transfer["currency"],
        "metadata": {},
        "payment_intent": None,
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": reversal_id,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    dest.insert(refund)
    dest.emit("refund.created", refund)
    payment = dest.find("charge", transfer["destination_payment"])
    if payment is not None:
        previous: dict[str, Any] = {"amount_refunded": payment["amount_refunded"]}
        payment["amount_refunded"] += amount
        if payment["amount_refunded"] >= payment["amount"]:
            previous["refunded"] = False
            payment["refunded"] = True
        dest.save(payment)
        dest.emit("charge.refunded", payment, previous)
    return refund


def _fee_of(ctx: RequestContext, transfer: dict[str, Any]) -> dict[str, Any] | None:
    """The application fee a destination charge's transfer carries, if any."""
    source = transfer.get("source_transaction")
    charge = ctx.find("charge", source) if source else None
    fee_id = charge.get("application_fee") if charge is not None else None
    return ctx.find(application_fees.OBJECT, fee_id) if fee_id else None


def reversible_amount(ctx: RequestContext, transfer: dict[str, Any], amount: int | None) -> int:
    """How much a reversal of `amount` (None: the rest) takes back, or Stripe's refusal."""
    remaining = transfer["amount"] - transfer["amount_reversed"]
    if remaining <= 0:
        # Proposal: Stripe documents the refusal of an already-reversed transfer; its
        # wording was not recorded.
        raise InvalidRequestError(f"Transfer {transfer['id']} has already been fully reversed.")
    if amount is None:
        amount = remaining
    elif amount <= 0:
        raise InvalidRequestError("Invalid positive integer", param="amount")
    elif amount > remaining:
        # Proposal: Stripe documents the refusal of more than is left; wording not recorded.
        raise InvalidRequestError(
            f"Reversal amount ({amount}) is greater than the amount remaining on transfer "
            f"{transfer['id']} ({remaining}).",
            param="amount",
        )
    if not transfer.get("source_transaction"):
        dest = accounts.acting_as(ctx, transfer["destination"])
        if amount > ledger.available_amount(dest, transfer["currency"]):
            # Proposal: Stripe requires the destination's balance to cover the reversal of
            # a transfer made on its own; its wording was not recorded.
            raise InvalidRequestError(
                f"Insufficient funds in the destination account {transfer['destination']} "
                "to reverse this transfer.",
                code="balance_insufficient",
            )
    return amount


def reverse(
    ctx: RequestContext,
    transfer: dict[str, Any],
    amount: int,
    *,
    meta: dict[str, str] | None = None,
    refund_application_fee: bool = False,
    source_refund: str | None = None,
) -> dict[str, Any]:
    """Take `amount` of `transfer` (checked by `reversible_amount`) back to the platform."""
    reversal_id = ctx.new_id("trr")
    txn = ledger.record(
        ctx,
        type_="transfer_refund",
        amount=amount,
        currency=transfer["currency"],
        source=reversal_id,
        reporting_category="transfer_reversal",
    )
    dest = accounts.acting_as(ctx, transfer["destination"])
    payment_refund = _refund_payment(dest, transfer, amount, reversal_id)
    reversal = {
        "id": reversal_id,
        "object": REVERSAL,
        "amount": amount,
        "balance_transaction": txn["id"],
        "created": ctx.now,
        "currency": transfer["currency"],
        "destination_payment_refund": payment_refund["id"],
        "metadata": dict(meta or {}),
        "source_refund": source_refund,
        "transfer": transfer["id"],
    }
    ctx.insert(reversal)
    previous: dict[str, Any] = {"amount_reversed": transfer["amount_reversed"]}
    transfer["amount_reversed"] += amount
    last = transfer["amount_reversed"] >= transfer["amount"]
    if last:
        previous["reversed"] = False
        transfer["reversed"] = True
    embed(transfer["reversals"], reversal, new=True)
    ctx.save(transfer)
    fee = _fee_of(ctx, transfer) if refund_application_fee else None
    if fee is not None and fee["amount_refunded"] < fee["amount"]:
        share = ledger.proportional_share(
            fee["amount"], fee["amount_refunded"], amount, transfer["amount"], last=last
        )
        if share:
            application_fees.refund(ctx, fee, share)
    ctx.emit("transfer.reversed", transfer)
    ctx.emit("transfer.updated", transfer, previous)
    return reversal


def create_reversal(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    transfer = ctx.load(OBJECT, id)
    given = params.get("amount")
    amount = reversible_amount(ctx, transfer, None if given in (None, "") else int(given))
    return reverse(
        ctx,
        transfer,
        amount,
        meta=metadata.merge(None, params.get("metadata") or {}),
        refund_application_fee=bool(params.get("refund_application_fee")),
    )


def list_reversals(ctx: RequestContext, params: dict[str, Any], id: str) -> dict[str, Any]:
    ctx.load(OBJECT, id)
    filters = (Filter(("transfer",), "eq", id),)
    return list_objects(ctx, REVERSAL, params, f"/v1/transfers/{id}/reversals", filters)


def _reversal(ctx: RequestContext, transfer: str, reversal: str) -> dict[str, Any]:
    _find(ctx, transfer)
    found = ctx.find(REVERSAL, reversal)
    if found is None or found["transfer"] != transfer:
        raise ResourceMissing("transfer reversal", reversal)
    return found


def retrieve_reversal(
    ctx: RequestContext, params: dict[str, Any], transfer: str, id: str
) -> dict[str, Any]:
    return _reversal(ctx, transfer, id)


def update_reversal(
    ctx: RequestContext, params: dict[str, Any], transfer: str, id: str
) -> dict[str, Any]:
    """Only metadata changes; Stripe has no reversal events, so the transfer, whose
    `reversals` list shows it, announces the change."""
    reversal = _reversal(ctx, transfer, id)
    previous = updates.apply(reversal, params, ("metadata",))
    if previous:
        ctx.save(reversal)
        parent = _find(ctx, transfer)
        before = copy.deepcopy(parent["reversals"])
        embed(parent["reversals"], reversal)
        if parent["reversals"] != before:
            ctx.save(parent)
            ctx.emit("transfer.updated", parent, {"reversals": before})
    return reversal


ROUTES = [
    Route("POST", "/v1/transfers", create),
    Route("GET", "/v1/transfers", list_),
    Route("GET", "/v1/transfers/{transfer}", retrieve),
    Route("POST", "/v1/transfers/{transfer}", update),
    Route("POST", "/v1/transfers/{id}/reversals", create_reversal),
    Route("GET", "/v1/transfers/{id}/reversals", list_reversals),
    Route("GET", "/v1/transfers/{transfer}/reversals/{id}", retrieve_reversal),
    Route("POST", "/v1/transfers/{transfer}/reversals/{id}", update_reversal),
]
