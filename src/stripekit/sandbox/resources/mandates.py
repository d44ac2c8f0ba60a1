"""Mandates: `GET /v1/mandates/{mandate}` and the SEPA Direct Debit mandates payments make.

A Mandate records the customer's permission to debit their bank account. The sandbox
makes one when a sepa_debit PaymentMethod is confirmed:

* by a SetupIntent, or by a PaymentIntent with `setup_future_usage`: `multi_use` (it
  pays later off-session debits of that PaymentMethod);
* by a PaymentIntent with `mandate_data` only: `single_use`, for that payment's amount.

Stripe's test mode activates a SEPA mandate at once (`status: active`). Its
`customer_acceptance` comes from `mandate_data[customer_acceptance]` (offline when none
was given). `payment_method_details.sepa_debit.url` points at a sandbox page showing the
mandate, as Stripe's points at its hosted mandate. Stripe sends no event for a new
mandate (it documents `mandate.updated` only), so none is sent here.
"""

from __future__ import annotations

from typing import Any

from ..framework import pages
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError
from ..framework.routing import Route
from ..store import Filter

OBJECT = "mandate"
PAGE = "/_sandbox/pages/mandates/{account}/{mandate}"
_REFERENCE_LENGTH = 16


def _acceptance(ctx: RequestContext, mandate_data: Any) -> dict[str, Any]:
    given = (mandate_data or {}).get("customer_acceptance") if mandate_data else None
    given = given if isinstance(given, dict) else {"type": "offline"}
    kind = given.get("type") or "offline"
    acceptance: dict[str, Any] = {
        "accepted_at": given.get("accepted_at") or ctx.now,
        "type": kind,
    }
    if kind == "online":
        online = given.get("online") if isinstance(given.get("online"), dict) else {}
        acceptance["online"] = {
            "ip_address": online.get("ip_address") or None,
            "user_agent": online.get("user_agent") or None,
        }
    else:
        acceptance["offline"] = {}
    return acceptance


def _details(ctx: RequestContext, kind: str, mandate_id: str) -> dict[str, Any]:
    """A SEPA mandate has a reference and a page; an ACH mandate (online acceptance of
    Stripe's authorization text) shows nothing more."""
    if kind == "us_bank_account":
        return {"type": kind, kind: {}}
    return {
        "sepa_debit": {
            "reference": ctx.ids.random_chars(_REFERENCE_LENGTH).upper(),
            "url": page_url(ctx, mandate_id),
        },
        "type": "sepa_debit",
    }


def create(
    ctx: RequestContext,
    payment_method: dict[str, Any],
    mandate_data: Any,
    *,
    single_use: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """A new active SEPA or ACH mandate for `payment_method`: multi-use, or single-use for the
    (amount, currency) of one payment."""
    mandate_id = ctx.new_id("mandate")
    mandate: dict[str, Any] = {
        "id": mandate_id,
        "object": OBJECT,
        "customer_acceptance": _acceptance(ctx, mandate_data),
        "created": ctx.now,  # not served: orders the payment method's mandates
        "livemode": False,
        "payment_method": payment_method["id"],
        "payment_method_details": _details(ctx, payment_method["type"], mandate_id),
        "status": "active",
        "type": "single_use" if single_use else "multi_use",
    }
    if single_use:
        mandate["single_use"] = {"amount": single_use[0], "currency": single_use[1]}
    else:
        mandate["multi_use"] = {}
    return ctx.insert(mandate)


def reusable_for(ctx: RequestContext, payment_method_id: str) -> dict[str, Any] | None:
    """The newest active multi-use mandate of a PaymentMethod (what pays its later
    off-session debits), or None."""
    found = [
        m
        for m in ctx.tx.scan(
            ctx.account, OBJECT, (Filter(("payment_method",), "eq", payment_method_id),)
        )
        if m["status"] == "active" and m["type"] == "multi_use"
    ]
    return max(found, key=lambda m: m["created"]) if found else None


def load_for(ctx: RequestContext, mandate_id: str, payment_method_id: str) -> dict[str, Any]:
    """The mandate a PaymentIntent's `mandate` parameter names: it must exist and be
    the PaymentMethod's own."""
    mandate = ctx.load(OBJECT, mandate_id, param="mandate", in_path=False)
    if mandate["payment_method"] != payment_method_id or mandate["status"] != "active":
        # The sandbox's wording: Stripe publishes none for a mismatched mandate.
        raise InvalidRequestError(
            f"The mandate {mandate_id} is not an active mandate of the PaymentMethod "
            f"{payment_method_id}.",
            param="mandate",
        )
    return mandate


def present(mandate: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mandate.items() if k != "created"}


def page_url(ctx: RequestContext, mandate_id: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/_sandbox/pages/mandates/{ctx.account}/{mandate_id}"


def retrieve(ctx: RequestContext, params: dict[str, Any], mandate: str) -> dict[str, Any]:
    return present(ctx.load(OBJECT, mandate, param="mandate"))


def show(ctx: RequestContext, params: dict[str, Any], mandate: str) -> pages.Page:
    """The mandate's page: what the customer agreed to, as Stripe's hosted mandate."""
    found = ctx.load(OBJECT, mandate, param="mandate")
    reference = (found["payment_method_details"].get("sepa_debit") or {}).get("reference", "")
    return pages.render(
        "SEPA Direct Debit mandate",
        f"<h1>SEPA Direct Debit mandate</h1><p>Reference <b>{pages.escape(reference)}</b> "
        f"for PaymentMethod {pages.escape(found['payment_method'])}: "
        f"{pages.escape(found['type'])}, {pages.escape(found['status'])}.</p>",
    )


ROUTES = [
    Route("GET", "/v1/mandates/{mandate}", retrieve),
    Route("GET", PAGE, show, public=True),
]
