"""Disputes: /v1/disputes (list, retrieve, update, close) and the legacy
/v1/charges/{charge}/dispute routes.

A dispute is opened by a payment with one of Stripe's dispute test cards
(`open_for_charge`, called by the charges code): a chargeback (`needs_response`) takes
the amount and a dispute fee from the balance at once; an inquiry
(`warning_needs_response`, the `createDisputeInquiry` card) moves no money.

Evidence with Stripe's test values in `uncategorized_text` decides the outcome once it is
submitted: `winning_evidence` wins (the amount comes back; the dispute fee does not),
`losing_evidence` loses, `escalate_inquiry_evidence` turns an inquiry into a chargeback.
Stripe settles these a few seconds after the submission, which itself answers
`under_review`; here a timer due at once settles them before the next request runs.
"""

from __future__ import annotations

from typing import Any

from ..framework import ledger, updates
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import list_objects
from ..framework.routing import Route
from ..store import Filter

DAY = 86400
EVIDENCE_TEXT = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_tracking_number",
    "uncategorized_text",
)
# These take the id of an uploaded file.
EVIDENCE_FILES = (
    "cancellation_policy",
    "customer_communication",
    "customer_signature",
    "duplicate_charge_documentation",
    "receipt",
    "refund_policy",
    "service_documentation",
    "shipping_documentation",
    "uncategorized_file",
)
EVIDENCE_FIELDS = tuple(sorted(EVIDENCE_TEXT + EVIDENCE_FILES))

INQUIRY_REASON = "general"  # the reason of the inquiry test card's dispute
# Visa's reason codes for what the test cards claim (Stripe reports an inquiry as "10").
NETWORK_REASON_CODES = {"fraudulent": "10.4", "product_not_received": "13.1", "general": "10"}
# Stripe's dispute fee per currency (minor units); 15.00 USD and its local equivalents.
DISPUTE_FEES = {"usd": 1500, "cad": 1500, "eur": 2000, "gbp": 2000, "aud": 2500, "jpy": 2000}
DEFAULT_DISPUTE_FEE = 1500
# Evidence is due at the end of the UTC day, eight days after the dispute opens.
DUE_DAYS = 8

NEEDS_RESPONSE = ("needs_response", "warning_needs_response")
UNDER_REVIEW = ("under_review", "warning_under_review")
CLOSED = ("won", "lost", "warning_closed")

WINNING = "winning_evidence"
LOSING = "losing_evidence"
ESCALATE = "escalate_inquiry_evidence"
SETTLE_TIMER = "dispute.settle"


def _due_by(now: int) -> int:
    return (now // DAY + DUE_DAYS + 1) * DAY - 1


def _is_inquiry(dispute: dict[str, Any]) -> bool:
    return dispute["status"].startswith("warning_")


def refresh_transaction(ctx: RequestContext, txn: dict[str, Any]) -> None:
    """Keep the copy of a balance transaction a dispute embeds in step with the ledger
    (the balance resource calls this when a transaction becomes available)."""
    source = txn.get("source")
    dispute = ctx.find("dispute", source) if isinstance(source, str) else None
    if dispute is None:
        return
    txns = dispute["balance_transactions"]
    dispute["balance_transactions"] = [txn if t["id"] == txn["id"] else t for t in txns]
    if dispute["balance_transactions"] != txns:
        ctx.save(dispute)


def _withdraw(ctx: RequestContext, dispute: dict[str, Any]) -> None:
    """The chargeback's withdrawal: the disputed amount plus the dispute fee. Like a
    charge's funds, it settles on the card schedule (pending until then)."""
    currency = dispute["currency"]
    txn = ledger.record(
        ctx,
        type_="adjustment",
        amount=-dispute["amount"],
        currency=currency,
        source=dispute["id"],
        reporting_category="dispute",
        fee=DISPUTE_FEES.get(currency, DEFAULT_DISPUTE_FEE),
        fee_description="Dispute fee",
        description=f"Chargeback withdrawal for {dispute['charge']}",
        available=ledger.available_on(ctx.now),
    )
    dispute["balance_transactions"] = [*dispute["balance_transactions"], txn]


def _reinstate(ctx: RequestContext, dispute: dict[str, Any]) -> None:
    """A won chargeback gives the amount back; Stripe keeps the dispute fee."""
    txn = ledger.record(
        ctx,
        type_="adjustment",
        amount=dispute["amount"],
        currency=dispute["currency"],
        source=dispute["id"],
        reporting_category="dispute_reversal",
        description=f"Chargeback reversal for {dispute['charge']}",
        available=ledger.available_on(ctx.now),
    )
    dispute["balance_transactions"] = [*dispute["balance_transactions"], txn]


def open_for_charge(ctx: RequestContext, charge: dict[str, Any], reason: str) -> dict[str, Any]:
    """Open a dispute on a succeeded charge (the createDispute test cards and the disputed
    test IBANs do this).

    Marks the charge `disputed` with its `dispute` id: in the store when the charge is
    already there, and in `charge` itself either way (so a caller that stores it later
    stores it disputed)."""
    inquiry = reason == INQUIRY_REASON
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    brand = card.get("brand") or "visa"
    amount = charge.get("amount_captured") or charge["amount"]
    dispute: dict[str, Any] = {
        "id": ctx.new_id("du"),
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge["id"],
        "created": ctx.now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": _due_by(ctx.now),
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        # An inquiry has taken no money, so the charge can still be refunded.
        "is_charge_refundable": inquiry,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge.get("payment_intent"),
        "payment_method_details": {
            "card": {
                "brand": brand,
                "case_type": "inquiry" if inquiry else "chargeback",
                "network": card.get("network") or brand,
                "network_reason_code": NETWORK_REASON_CODES.get(reason),
            },
            "type": "card",
        },
        "reason": reason,
        "status": "warning_needs_response" if inquiry else "needs_response",
    }
    if not card:
        # Stripe's schema describes card disputes only: a SEPA debit's shows no details.
        del dispute["payment_method_details"]
    if not inquiry:
        _withdraw(ctx, dispute)
    ctx.insert(dispute)
    charge["dispute"] = dispute["id"]
    charge["disputed"] = True
    if ctx.find("charge", charge["id"]) is not None:
        ctx.save(charge)
    ctx.emit("charge.dispute.created", dispute)
    if not inquiry:
        ctx.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def refund_blocked(ctx: RequestContext, charge: dict[str, Any]) -> InvalidRequestError | None:
    """Stripe's refusal to refund a charged-back charge (None when a refund may go ahead:
    no dispute, an inquiry, or a won chargeback)."""
    dispute_id = charge.get("dispute")
    dispute = ctx.find("dispute", dispute_id) if isinstance(dispute_id, str) else None
    if dispute is None or dispute["is_charge_refundable"]:
        return None
    return InvalidRequestError(
        f"Charge {charge['id']} has been charged back; cannot issue a refund.",
        code="charge_disputed",
    )


# -- requests ----------------------------------------------------------------------------


def _load(ctx: RequestContext, dispute: str) -> dict[str, Any]:
    found = ctx.find("dispute", dispute)
    if found is None:
        raise ResourceMissing("dispute", dispute, param="dispute")
    return found


def _for_charge(ctx: RequestContext, charge: str) -> dict[str, Any]:
    found = ctx.find("charge", charge)
    if found is None:
        raise ResourceMissing("charge", charge, param="charge")
    dispute = ctx.find("dispute", found.get("dispute") or "")
    if dispute is None:
        raise InvalidRequestError(f"No dispute for charge: {charge}", status=404)
    return dispute


def _already_closed(dispute: dict[str, Any]) -> None:
    if dispute["status"] in CLOSED:
        raise InvalidRequestError("This dispute is already closed")


def _new_evidence(
    ctx: RequestContext, dispute: dict[str, Any], given: dict[str, Any]
) -> dict[str, Any]:
    if given.get("enhanced_evidence"):
        # No dispute opened here qualifies for a network programme's enhanced evidence.
        raise InvalidRequestError(
            "This dispute is not eligible for enhanced evidence.",
            param="evidence[enhanced_evidence]",
        )
    evidence = dict(dispute["evidence"])
    for name in EVIDENCE_FIELDS:
        if name not in given:
            continue
        value = given[name] or None  # "" clears a field
        if value is not None and name in EVIDENCE_FILES and ctx.find("file", value) is None:
            raise ResourceMissing("file upload", value, param=f"evidence[{name}]", status=400)
        evidence[name] = value
    return evidence


def _update(ctx: RequestContext, dispute: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    _already_closed(dispute)
    given = params.get("evidence")
    given = given if isinstance(given, dict) else {}
    if given and dispute["status"] in UNDER_REVIEW:
        raise InvalidRequestError(
            "This dispute's evidence has already been submitted and is under review; it "
            "can no longer be changed.",
            param="evidence",
        )
    previous: dict[str, Any] = {}
    evidence = _new_evidence(ctx, dispute, given)
    if evidence != dispute["evidence"]:
        previous["evidence"] = {
            k: v for k, v in dispute["evidence"].items() if evidence.get(k) != v
        }
        dispute["evidence"] = evidence
    details = dict(dispute["evidence_details"])
    details["has_evidence"] = any(evidence[name] is not None for name in EVIDENCE_FIELDS)
    submit = params.get("submit")
    # Evidence goes to the bank unless `submit=false` stages it; `submit=true` alone
    # sends what was staged.
    submitting = dispute["status"] in NEEDS_RESPONSE and (
        submit is True or (submit is None and bool(given))
    )
    if submitting:
        details["submission_count"] += 1
        details["past_due"] = ctx.now > (details["due_by"] or ctx.now)
        previous["status"] = dispute["status"]
        dispute["status"] = UNDER_REVIEW[NEEDS_RESPONSE.index(dispute["status"])]
        if evidence["uncategorized_text"] in (WINNING, LOSING, ESCALATE):
            ctx.schedule(ctx.now, SETTLE_TIMER, dispute["id"])
    if details != dispute["evidence_details"]:
        old = dispute["evidence_details"]
        previous["evidence_details"] = {k: v for k, v in old.items() if details[k] != v}
        dispute["evidence_details"] = details
    previous.update(updates.apply(dispute, params, ("metadata",)))
    if previous:
        ctx.save(dispute)
        ctx.emit("charge.dispute.updated", dispute, previous)
    return dispute


def _close(ctx: RequestContext, dispute: dict[str, Any]) -> dict[str, Any]:
    """Accepting the dispute: a chargeback is lost, an inquiry just closes."""
    _already_closed(dispute)
    dispute["status"] = "warning_closed" if _is_inquiry(dispute) else "lost"
    ctx.save(dispute)
    ctx.emit("charge.dispute.closed", dispute)
    return dispute


def _settle(ctx: RequestContext, dispute_id: str) -> None:
    """The bank's answer to evidence carrying one of Stripe's test values."""
    dispute = ctx.find("dispute", dispute_id)
    if dispute is None or dispute["status"] not in UNDER_REVIEW:
        return  # closed (accepted) meanwhile
    text = dispute["evidence"]["uncategorized_text"]
    if _is_inquiry(dispute):
        if text == ESCALATE:
            previous = {
                "status": dispute["status"],
                "is_charge_refundable": True,
                "evidence_details": {"due_by": dispute["evidence_details"]["due_by"]},
            }
            dispute["status"] = "needs_response"
            dispute["is_charge_refundable"] = False
            dispute["evidence_details"] = {
                **dispute["evidence_details"],
                "due_by": _due_by(ctx.now),
            }
            dispute["payment_method_details"]["card"]["case_type"] = "chargeback"
            _withdraw(ctx, dispute)
            ctx.save(dispute)
            ctx.emit("charge.dispute.updated", dispute, previous)
            ctx.emit("charge.dispute.funds_withdrawn", dispute)
        elif text in (WINNING, LOSING):
            dispute["status"] = "warning_closed"
            ctx.save(dispute)
            ctx.emit("charge.dispute.closed", dispute)
        return
    if text == WINNING:
        dispute["status"] = "won"
        dispute["is_charge_refundable"] = True
        _reinstate(ctx, dispute)
        ctx.save(dispute)
        ctx.emit("charge.dispute.funds_reinstated", dispute)
        ctx.emit("charge.dispute.closed", dispute)
    elif text == LOSING:
        dispute["status"] = "lost"
        ctx.save(dispute)
        ctx.emit("charge.dispute.closed", dispute)


def retrieve(ctx: RequestContext, params: dict[str, Any], dispute: str) -> dict[str, Any]:
    return _load(ctx, dispute)


def update(ctx: RequestContext, params: dict[str, Any], dispute: str) -> dict[str, Any]:
    return _update(ctx, _load(ctx, dispute), params)


def close(ctx: RequestContext, params: dict[str, Any], dispute: str) -> dict[str, Any]:
    return _close(ctx, _load(ctx, dispute))


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = [
        Filter((name,), "eq", params[name])
        for name in ("charge", "payment_intent")
        if params.get(name)
    ]
    page = list_objects(ctx, "dispute", params, "/v1/disputes", tuple(filters))
    return page


def retrieve_for_charge(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    return _for_charge(ctx, charge)


def update_for_charge(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    return _update(ctx, _for_charge(ctx, charge), params)


def close_for_charge(ctx: RequestContext, params: dict[str, Any], charge: str) -> dict[str, Any]:
    return _close(ctx, _for_charge(ctx, charge))


ROUTES = [
    Route("GET", "/v1/disputes", list_),
    Route("GET", "/v1/disputes/{dispute}", retrieve),
    Route("POST", "/v1/disputes/{dispute}", update),
    Route("POST", "/v1/disputes/{dispute}/close", close),
    Route("GET", "/v1/charges/{charge}/dispute", retrieve_for_charge, permission="disputes"),
    Route("POST", "/v1/charges/{charge}/dispute", update_for_charge, permission="disputes"),
    Route("POST", "/v1/charges/{charge}/dispute/close", close_for_charge, permission="disputes"),
]

TIMERS = {SETTLE_TIMER: _settle}
