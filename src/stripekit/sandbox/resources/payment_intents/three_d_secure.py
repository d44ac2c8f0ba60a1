"""The 3-D Secure page: `/_sandbox/pages/3ds/{account}/{intent}`.

A PaymentIntent (or SetupIntent) in `requires_action` points its
`next_action.redirect_to_url.url` here. The page stands in for the card issuer's
challenge: GET shows "Complete authentication" / "Fail authentication" buttons, each a
form POSTing `action=approve|fail` with the intent's client secret back to the same
address. The POST finishes the intent and sends the browser (303) to the intent's
`return_url` with `payment_intent` (or `setup_intent`), its client secret and
`redirect_status`, as Stripe does; without a return_url it shows a closing page.
`Sandbox.authenticate` drives the same POST from Python.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from ...framework import pages
from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError, ResourceMissing
from ...framework.routing import Route
from . import intents
from .money import format_amount

TEMPLATE = "/_sandbox/pages/3ds/{account}/{intent}"
_SUCCEEDED = {
    "payment_intent": ("succeeded", "requires_capture", "requires_confirmation"),
    "setup_intent": ("succeeded",),
}


def _find(ctx: RequestContext, intent_id: str) -> tuple[str, dict[str, Any]]:
    kind = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
    found = ctx.find(kind, intent_id)
    if found is None:
        raise ResourceMissing(kind, intent_id)
    return kind, found


def _awaiting(obj: dict[str, Any]) -> bool:
    action = obj.get("next_action") or {}
    return obj.get("status") == "requires_action" and action.get("type") == "redirect_to_url"


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) else None


def show(ctx: RequestContext, params: dict[str, Any], intent: str) -> pages.Page:
    kind, obj = _find(ctx, intent)
    noun = "PaymentIntent" if kind == "payment_intent" else "SetupIntent"
    if not _awaiting(obj):
        return pages.render(
            "Nothing to authenticate",
            f"<h1>Nothing to authenticate</h1><p>{noun} {pages.escape(intent)} has a status "
            f"of <b>{pages.escape(obj.get('status'))}</b>.</p>",
        )
    what = (
        f"a payment of <b>{pages.escape(format_amount(obj['amount'], obj['currency']))}</b>"
        if kind == "payment_intent"
        else "saving this card for later payments"
    )
    secret = pages.escape(obj.get("client_secret") or "")

    def form(action: str, label: str, css: str) -> str:
        return (
            f'<form method=post style="display:inline">'
            f"<input type=hidden name=action value={action}>"
            f"<input type=hidden name=client_secret value={secret}>"
            f"<button type=submit class={css}>{label}</button></form>"
        )

    return pages.render(
        "3D Secure authentication",
        "<h1>3D Secure test page</h1>"
        f"<p>Your bank asks you to confirm {what}.</p>"
        f"<p class=muted>Stripekit sandbox &middot; {noun} {pages.escape(intent)}</p>"
        + form("approve", "Complete authentication", "primary")
        + form("fail", "Fail authentication", "secondary"),
    )


def submit(ctx: RequestContext, params: dict[str, Any], intent: str) -> pages.Page:
    kind, obj = _find(ctx, intent)
    action = _text(params, "action")
    if action not in ("approve", "fail"):
        raise InvalidRequestError("`action` must be approve or fail.", param="action")
    secret = _text(params, "client_secret")
    if not secret or secret != obj.get("client_secret"):
        raise InvalidRequestError(
            "The client_secret provided does not match this intent.", param="client_secret"
        )
    if not _awaiting(obj):
        raise InvalidRequestError(
            f"{intent} is not awaiting authentication (its status is {obj.get('status')})."
        )
    return_url = obj["next_action"]["redirect_to_url"].get("return_url")
    approved = action == "approve"
    if kind == "payment_intent":
        # A decline after authentication is recorded; the redirect then says failed.
        with contextlib.suppress(CardError):
            intents.finish_authentication(ctx, obj, approved)
    else:
        from .. import setup_intents

        finish = getattr(setup_intents, "finish_authentication", None)
        if finish is None:
            raise InvalidRequestError("SetupIntents cannot be authenticated in this sandbox yet.")
        finish(ctx, intent, approved)
    after = ctx.find(kind, intent) or obj
    status = after.get("status")
    redirect_status = "succeeded" if status in _SUCCEEDED[kind] else "failed"
    if status == "processing":
        redirect_status = "processing"
    if return_url:
        query = {
            kind: intent,
            f"{kind}_client_secret": after.get("client_secret") or "",
            "redirect_status": redirect_status,
        }
        return pages.redirect(_with_query(return_url, query))
    title = "Authentication complete" if approved else "Authentication failed"
    return pages.render(
        title,
        f"<h1>{title}</h1><p>{pages.escape(intent)} now has a status of "
        f"<b>{pages.escape(status)}</b>. You can close this page.</p>",
    )


def _with_query(url: str, query: dict[str, str]) -> str:
    parts = urlsplit(url)
    joined = "&".join(q for q in (parts.query, urlencode(query)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))


ROUTES = [
    Route("GET", TEMPLATE, show, public=True),
    Route("POST", TEMPLATE, submit, public=True),
]
