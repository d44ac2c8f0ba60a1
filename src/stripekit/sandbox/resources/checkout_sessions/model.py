"""The Checkout Session object: its stored shape, totals, discounts and address.

    open -> complete (paid on the hosted page: payment_status paid, or no_payment_required)
    open -> expired (at `expires_at`, or `POST .../expire`)

`line_items` is stored on the session and shown only when expanded (`INCLUDABLE`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from .. import promotion_codes
from ..invoices.discounts import amount_off_in
from . import line_items

TYPE = "checkout.session"
STATE = "sandbox_checkout_state"  # the session's private companion record
INCLUDABLE = {TYPE: ("line_items",)}
PAGE = "/_sandbox/pages/checkout/{account}/{session}"
DAY = 86400
MIN_EXPIRY = 30 * 60


def page_url(ctx: RequestContext, session_id: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/_sandbox/pages/checkout/{ctx.account}/{session_id}"


def items_url(session_id: str) -> str:
    return f"/v1/checkout/sessions/{session_id}/line_items"


def items_of(session: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = session["line_items"]["data"]
    return items


def load(ctx: RequestContext, session_id: str) -> dict[str, Any]:
    return ctx.load(TYPE, session_id, param="session", noun="checkout.session")


def new_session(
    ctx: RequestContext, params: dict[str, Any], mode: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    session_id = ctx.new_id("cs_test", 58)
    currency = items[0]["currency"] if items else params.get("currency") or None
    ui_mode = params.get("ui_mode") or "hosted_page"
    hosted = ui_mode == "hosted_page"
    session: dict[str, Any] = {
        "id": session_id,
        "object": TYPE,
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": params.get("allow_promotion_codes"),
        "amount_subtotal": None,
        "amount_total": None,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id") or None,
        "client_secret": (None if hosted else f"{session_id}_secret_{ctx.ids.random_chars(24)}"),
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": ctx.now,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": params.get("customer") or None,
        "customer_creation": (
            None
            if mode == "subscription" or params.get("customer")
            else params.get("customer_creation") or "if_required"
        ),
        "customer_details": None,
        "customer_email": params.get("customer_email") or None,
        "discounts": [],
        "expires_at": params.get("expires_at") or ctx.now + DAY,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": {},
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": params.get("payment_method_collection") or "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "redirect_on_completion": params.get("redirect_on_completion") or None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": None,
        "ui_mode": ui_mode,
        "url": page_url(ctx, session_id) if hosted else None,
        "line_items": line_items.as_list(items, items_url(session_id)),
    }
    if params.get("return_url"):
        session["return_url"] = params["return_url"]
    if session["redirect_on_completion"] is None:
        del session["redirect_on_completion"]
    if session["customer_email"] and not session["customer"]:
        session["customer_details"] = details(session["customer_email"])
    return session


def new_state(session_id: str, params: dict[str, Any], created: int) -> dict[str, Any]:
    """What completing the session needs later and Stripe's object does not show."""
    intent_data = params.get("payment_intent_data") or {}
    return {
        "id": session_id,
        "object": STATE,
        "created": created,
        "capture_method": intent_data.get("capture_method"),
        "intent_metadata": intent_data.get("metadata") or {},
        "intent_description": intent_data.get("description"),
        "setup_future_usage": intent_data.get("setup_future_usage"),
        "subscription_data": params.get("subscription_data") or {},
        "setup_metadata": (params.get("setup_intent_data") or {}).get("metadata") or {},
        "coupon": None,
        "error": None,
    }


def state_of(ctx: RequestContext, session: dict[str, Any]) -> dict[str, Any]:
    state = ctx.find(STATE, session["id"])
    assert state is not None, session["id"]
    return state


def shown(session: dict[str, Any]) -> dict[str, Any]:
    """The session as events show it: without `line_items` (shown only when expanded)."""
    return {k: v for k, v in session.items() if k != "line_items"}


def details(email: str | None) -> dict[str, Any]:
    return {
        "address": None,
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


# -- shipping ----------------------------------------------------------------------------


def charge_shipping(session: dict[str, Any], option: dict[str, Any]) -> None:
    """Make one of the session's `shipping_options` the one charged (`shipping_cost`)."""
    session["shipping_cost"] = {
        "amount_subtotal": option["shipping_amount"],
        "amount_tax": 0,  # no automatic tax in the sandbox
        "amount_total": option["shipping_amount"],
        "shipping_rate": option["shipping_rate"],
    }


def choose_shipping(ctx: RequestContext, session: dict[str, Any], rate_id: str) -> None:
    """The buyer's choice among the offered rates; the totals follow it."""
    for option in session["shipping_options"]:
        if option["shipping_rate"] == rate_id:
            charge_shipping(session, option)
            compute_totals(ctx, session, state_of(ctx, session))
            ctx.save(session)
            return
    # The sandbox's wording: Stripe's hosted page only ever offers the session's rates.
    raise InvalidRequestError(
        f"The shipping rate {rate_id} is not one of this Checkout Session's shipping_options.",
        param="shipping_rate",
    )


SHIPPING_FIELDS = ("name", "line1", "city", "postal_code", "country")


def collect_shipping_address(session: dict[str, Any], given: dict[str, Any]) -> None:
    """The address the buyer ships to (`shipping_address_collection` set): name, line1,
    city, postal code and one of the allowed countries, kept in
    `collected_information.shipping_details`."""
    for field in SHIPPING_FIELDS:
        if not str(given.get(field) or "").strip():
            # The sandbox's wording, after the hosted page's "Your ... is incomplete."
            raise InvalidRequestError(
                f"Your shipping address is incomplete: {field.replace('_', ' ')} is missing.",
                param=f"shipping_details[{field}]",
            )
    country = str(given["country"]).strip().upper()
    allowed = session["shipping_address_collection"]["allowed_countries"]
    if country not in allowed:
        raise InvalidRequestError(
            f"We do not ship to {country}; choose one of {', '.join(allowed)}.",
            param="shipping_details[country]",
        )
    address = {
        "city": str(given["city"]).strip(),
        "country": country,
        "line1": str(given["line1"]).strip(),
        "line2": None,
        "postal_code": str(given["postal_code"]).strip(),
        "state": None,
    }
    session["collected_information"] = {
        "business_name": None,
        "individual_name": None,
        "shipping_details": {"address": address, "name": str(given["name"]).strip()},
    }


# -- discounts and totals ---------------------------------------------------------------


def add_discount(
    ctx: RequestContext,
    session: dict[str, Any],
    state: dict[str, Any],
    *,
    coupon: str | None = None,
    promotion_code: str | None = None,
    param: str = "discounts",
) -> None:
    """Apply one coupon or promotion code (Checkout takes one) after checking it is usable."""
    if promotion_code:
        amount = sum(item["amount_subtotal"] for item in items_of(session))
        code, found = promotion_codes.check(
            ctx,
            promotion_code,
            customer=session["customer"],
            amount=amount,
            currency=session["currency"],
            param=param,
        )
        session["discounts"] = [{"coupon": None, "promotion_code": code["id"]}]
        state["coupon"] = found["id"]
        return
    found_coupon = ctx.find("coupon", coupon or "")
    if found_coupon is None or found_coupon.get("deleted"):
        raise InvalidRequestError(
            f"No such coupon: '{coupon}'", param=param, code="resource_missing"
        )
    if not found_coupon.get("valid", True):
        raise InvalidRequestError(f"Coupon expired: {coupon}", param=param)
    session["discounts"] = [{"coupon": found_coupon["id"], "promotion_code": None}]
    state["coupon"] = found_coupon["id"]


def _discount_amount(
    ctx: RequestContext, session: dict[str, Any], state: dict[str, Any], subtotal: int
) -> int:
    coupon = ctx.find("coupon", state.get("coupon") or "")
    if coupon is None or not subtotal:
        return 0
    if coupon.get("percent_off") is not None:
        exact = Decimal(subtotal) * Decimal(str(coupon["percent_off"])) / 100
        return min(subtotal, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return min(subtotal, amount_off_in(coupon, session["currency"]) or 0)


def compute_totals(ctx: RequestContext, session: dict[str, Any], state: dict[str, Any]) -> None:
    """`amount_subtotal`, `amount_total`, `total_details` and each item's share of the
    discount (setup mode has no amounts)."""
    if session["mode"] == "setup":
        return
    items = items_of(session)
    subtotal = sum(item["amount_subtotal"] for item in items)
    discount = _discount_amount(ctx, session, state, subtotal)
    left = discount
    for index, item in enumerate(items):
        share = (
            left
            if index == len(items) - 1
            else (discount * item["amount_subtotal"] // subtotal if subtotal else 0)
        )
        left -= share
        item["amount_discount"] = share
        item["amount_total"] = item["amount_subtotal"] - share
    # Discounts apply to the items only; the chosen shipping rate's amount comes on top.
    shipping = (session.get("shipping_cost") or {}).get("amount_total", 0)
    session["amount_subtotal"] = subtotal
    session["amount_total"] = subtotal - discount + shipping
    session["total_details"] = {
        "amount_discount": discount,
        "amount_shipping": shipping,
        "amount_tax": 0,
    }
