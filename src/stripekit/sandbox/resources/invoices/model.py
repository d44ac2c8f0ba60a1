"""The invoice object: building it, keeping its totals in step with its lines, and
showing it.

Storage: the invoice keeps all its lines in `lines.data`; the API shows the first
`EMBEDDED_LINES` of them (`has_more`, `total_count` and `GET .../lines` give the rest).
`payments` and `confirmation_secret` are stored but, as on Stripe, only shown when
expanded (`INCLUDABLE`). While an invoice is a draft its customer fields and
`starting_balance` follow the customer, so `present` refreshes them when the customer
changed since the invoice was last saved.
"""

from __future__ import annotations

import copy
from typing import Any

from ...framework.context import RequestContext
from .. import tax_ids
from . import common, totals

INCLUDABLE = {"invoice": ("confirmation_secret", "payments")}
EMBEDDED_LINES = 10
# Fields that never go into `previous_attributes` (lists Stripe does not diff).
_NOT_DIFFED = frozenset(("lines", "payments", "confirmation_secret"))
_ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


def _shipping(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    address = value.get("address") or {}
    return {
        "address": {f: address.get(f) for f in _ADDRESS_FIELDS},
        "carrier": value.get("carrier"),
        "name": value.get("name"),
        "phone": value.get("phone"),
        "tracking_number": value.get("tracking_number"),
    }


def customer_fields(customer: dict[str, Any]) -> dict[str, Any]:
    """What a draft copies from its customer (frozen at finalization)."""
    return {
        "customer_address": copy.deepcopy(customer.get("address")),
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": _shipping(customer.get("shipping")),
        "customer_tax_exempt": customer.get("tax_exempt") or "none",
        "customer_tax_ids": tax_ids.for_invoice(customer),
    }


def new_invoice(
    ctx: RequestContext,
    customer: dict[str, Any],
    *,
    invoice_id: str,
    now: int,
    currency: str,
    collection_method: str = "charge_automatically",
    auto_advance: bool = False,
    billing_reason: str = "manual",
    due_date: int | None = None,
    description: str | None = None,
    footer: str | None = None,
    statement_descriptor: str | None = None,
    meta: dict[str, str] | None = None,
    discount_ids: list[str] | None = None,
    default_payment_method: str | None = None,
    default_source: str | None = None,
    subscription: str | None = None,
    subscription_metadata: dict[str, str] | None = None,
    period: dict[str, int] | None = None,
    payment_settings: dict[str, Any] | None = None,
    custom_fields: list[dict[str, str]] | None = None,
    shipping_details: dict[str, Any] | None = None,
    effective_at: int | None = None,
    default_tax_rates: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A draft invoice with every field Stripe shows, totals zero until lines are added."""
    parent = None
    if subscription:
        parent = {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription_metadata or {}),
                "subscription": subscription,
            },
            "type": "subscription_details",
        }
    period = period or {"start": now, "end": now}
    invoice: dict[str, Any] = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": None,
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": auto_advance,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": collection_method,
        "confirmation_secret": None,
        "created": now,
        "currency": currency,
        "custom_fields": custom_fields or None,
        "customer": customer["id"],
        "customer_account": None,
        **customer_fields(customer),
        "default_payment_method": default_payment_method,
        "default_source": default_source,
        "default_tax_rates": list(default_tax_rates or []),
        "description": description,
        "discounts": list(discount_ids or []),
        "due_date": due_date,
        "effective_at": effective_at,
        "ending_balance": None,
        "footer": footer,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": dict(meta or {}),
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": parent,
        "payment_settings": payment_settings
        or {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "payments": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/invoice_payments?invoice={invoice_id}",
        },
        "period_end": period["end"],
        "period_start": period["start"],
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": {
            "amount_tax_display": None,
            "pdf": {"page_size": "auto"},
            "template": None,
            "template_version": None,
        },
        "shipping_cost": None,
        "shipping_details": shipping_details,
        "starting_balance": balance_for(customer, currency),
        "statement_descriptor": statement_descriptor,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": customer.get("test_clock"),
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": now,
    }
    set_window(invoice)
    return invoice


def set_window(invoice: dict[str, Any]) -> None:
    """A draft's automatic-collection times: it finalizes about an hour after creation
    when it auto-advances, and (charging automatically) is first charged then."""
    if invoice["status"] != "draft":
        return
    if invoice["auto_advance"]:
        invoice["automatically_finalizes_at"] = invoice["created"] + common.FINALIZE_DELAY
        invoice["next_payment_attempt"] = (
            invoice["created"] + common.FIRST_ATTEMPT_DELAY
            if invoice["collection_method"] == "charge_automatically"
            else None
        )
    else:
        invoice["automatically_finalizes_at"] = None
        invoice["next_payment_attempt"] = None


def lines_of(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = invoice["lines"]["data"]
    return data


def refresh_draft(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """A draft follows its customer: contact fields and the balance it would apply."""
    if invoice["status"] != "draft":
        return
    customer = ctx.find("customer", invoice["customer"])
    if customer is None or customer.get("deleted"):
        return
    invoice.update(customer_fields(customer))
    invoice["starting_balance"] = balance_for(customer, invoice["currency"])
    invoice["ending_balance"] = None


def balance_for(customer: dict[str, Any], currency: str) -> int:
    """The balance an invoice in `currency` would use (a balance is kept in one
    currency, and only invoices in it use it)."""
    if customer.get("currency") not in (None, currency):
        return 0
    balance: int = customer.get("balance") or 0
    return balance


def recompute(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    """Totals from the lines, after refreshing a draft from its customer."""
    refresh_draft(ctx, invoice)
    lines = lines_of(invoice)
    totals.compute(ctx, invoice, lines)
    invoice["lines"]["total_count"] = len(lines)


def _stale(ctx: RequestContext, invoice: dict[str, Any]) -> bool:
    if invoice["status"] != "draft":
        return False
    customer = ctx.find("customer", invoice["customer"])
    if customer is None or customer.get("deleted"):
        return False
    fields = customer_fields(customer)
    return balance_for(customer, invoice["currency"]) != invoice["starting_balance"] or any(
        invoice.get(k) != v for k, v in fields.items()
    )


def shown(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as an event or an embedding shows it: the first lines only, and
    without the includable fields."""
    out = {k: v for k, v in invoice.items() if k not in INCLUDABLE["invoice"]}
    lines = invoice["lines"]["data"]
    out["lines"] = {
        **invoice["lines"],
        "data": lines[:EMBEDDED_LINES],
        "has_more": len(lines) > EMBEDDED_LINES,
        "total_count": len(lines),
    }
    return out


def current(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice with every line, a draft brought up to date with its customer (a copy
    then: reads never write)."""
    if _stale(ctx, invoice):
        invoice = copy.deepcopy(invoice)
        recompute(ctx, invoice)
    return invoice


def present(ctx: RequestContext, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as the API answers with it (includable fields still in: the engine
    hides them unless expanded)."""
    invoice = current(ctx, invoice)
    lines = invoice["lines"]["data"]
    return {
        **invoice,
        "lines": {
            **invoice["lines"],
            "data": lines[:EMBEDDED_LINES],
            "has_more": len(lines) > EMBEDDED_LINES,
            "total_count": len(lines),
        },
    }


def _diff(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: old.get(k) for k in set(old) | set(new) if old.get(k) != new.get(k)}
    return old


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`previous_attributes` for an update: the top-level fields that changed."""
    return {
        k: _diff(before.get(k), after.get(k))
        for k in after
        if k not in _NOT_DIFFED and before.get(k) != after.get(k)
    }


def emit(
    ctx: RequestContext,
    event_type: str,
    invoice: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> None:
    ctx.emit(event_type, shown(invoice), previous)
