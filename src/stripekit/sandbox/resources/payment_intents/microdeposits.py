"""The microdeposit verification page: `/_sandbox/pages/microdeposits/{account}/{intent}`.

A PaymentIntent (or SetupIntent) waiting for an ACH account's microdeposits names this
page in `next_action.verify_with_microdeposits.hosted_verification_url`, as Stripe names
its hosted verification page. GET shows a form for the two deposit amounts (in cents) or
the 6-character descriptor code; the POST hands them to the same verification the
`verify_microdeposits` endpoints run, then shows the intent's new status or Stripe's
error (a wrong guess counts as an attempt, as through the API).
"""

from __future__ import annotations

from typing import Any

from ...framework import pages
from ...framework.context import RequestContext
from ...framework.errors import ResourceMissing, StripeError
from ...framework.routing import Route
from .. import setup_intents
from . import handlers

TEMPLATE = "/_sandbox/pages/microdeposits/{account}/{intent}"


def _find(ctx: RequestContext, intent_id: str) -> dict[str, Any]:
    kind = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
    found = ctx.find(kind, intent_id)
    if found is None:
        raise ResourceMissing(kind, intent_id)
    return found


def _awaiting(intent: dict[str, Any]) -> bool:
    return (intent.get("next_action") or {}).get("type") == "verify_with_microdeposits"


def _form(intent: dict[str, Any], error: str | None = None) -> pages.Page:
    kind = intent["next_action"]["verify_with_microdeposits"]["microdeposit_type"]
    shown_error = f"<p class=error>{pages.escape(error)}</p>" if error else ""
    if kind == "descriptor_code":
        fields = (
            "<label>Descriptor code (SM + 4 characters) "
            "<input name=descriptor_code maxlength=6 required></label>"
        )
    else:
        fields = (
            "<label>First amount (cents) <input name=amount_1 inputmode=numeric required></label>"
            "<br><label>Second amount (cents) "
            "<input name=amount_2 inputmode=numeric required></label>"
        )
    return pages.render(
        "Verify your bank account",
        "<h1>Verify your bank account</h1>"
        "<p>Enter the microdeposits that arrived in your bank account.</p>"
        f"{shown_error}<form method=post>{fields}"
        "<p><button type=submit class=primary>Verify</button></p></form>"
        f"<p class=muted>Stripekit sandbox &middot; {pages.escape(intent['id'])}</p>",
    )


def show(ctx: RequestContext, params: dict[str, Any], intent: str) -> pages.Page:
    found = _find(ctx, intent)
    if not _awaiting(found):
        return _outcome(found)
    return _form(found)


def _entered(params: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the API's parameters (amounts in cents, as integers)."""
    if params.get("descriptor_code") is not None:
        return {"descriptor_code": str(params["descriptor_code"]).strip()}
    amounts = [str(params.get(name) or "").strip() for name in ("amount_1", "amount_2")]
    return {"amounts": [int(a) if a.isdigit() else a for a in amounts]}


def submit(ctx: RequestContext, params: dict[str, Any], intent: str) -> pages.Page:
    found = _find(ctx, intent)
    if not _awaiting(found):
        return _outcome(found)
    entered = _entered(params)
    if any(not isinstance(amount, int) for amount in entered.get("amounts", [])):
        return _form(found, "Enter each amount as a whole number of cents.")  # the sandbox's
    verify = (
        setup_intents.verify_microdeposits
        if found["object"] == "setup_intent"
        else handlers.verify_microdeposits
    )
    try:
        verify(ctx, entered, intent)
    except StripeError as exc:
        after = _find(ctx, intent)
        if _awaiting(after):
            return _form(after, exc.message)
        return _outcome(after, exc.message)
    return _outcome(_find(ctx, intent))


def _outcome(intent: dict[str, Any], error: str | None = None) -> pages.Page:
    title = "Verification failed" if error else "Bank account verified"
    if not error and intent["status"] in ("requires_payment_method", "canceled"):
        title = "Nothing to verify"
    shown_error = f"<p class=error>{pages.escape(error)}</p>" if error else ""
    return pages.render(
        title,
        f"<h1>{title}</h1>{shown_error}<p>{pages.escape(intent['id'])} now has a status of "
        f"<b>{pages.escape(intent['status'])}</b>. You can close this page.</p>",
    )


ROUTES = [
    Route("GET", TEMPLATE, show, public=True),
    Route("POST", TEMPLATE, submit, public=True),
]
