"""Paying a Checkout Session, as the hosted page's form submits it.

Everything goes through the resources Stripe's own Checkout would use: the customer
(`customers`), the card (`payment_methods`), then by mode the PaymentIntent and its
charge (`payment_intents`), the subscription and its first invoice (`subscriptions`), or
the SetupIntent (`setup_intents`). An attempt either completes the session, waits for
3-D Secure (the answer is the authentication page's address), or is refused with the
message the buyer sees (declines are kept, as Stripe keeps them; anything else is undone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError, StripeError
from ...store import Filter
from .. import coupons, customers, payment_methods, promotion_codes, setup_intents
from ..payment_intents import handlers as intent_handlers
from ..subscriptions import billing
from ..subscriptions import creation as subscription_creation
from . import model

RETURN_PAGE = "/_sandbox/pages/checkout/{account}/{session}/return"


@dataclass
class Outcome:
    """What the page does next: redirect (`redirect` set) or show `error` on the form."""

    redirect: str | None = None
    error: str | None = None


def return_url(ctx: RequestContext, session: dict[str, Any]) -> str:
    return f"{model.page_url(ctx, session['id'])}/return"


def success_address(session: dict[str, Any]) -> str | None:
    url = session.get("success_url") or session.get("return_url")
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def _attempt(ctx: RequestContext, run: Any) -> Outcome:
    """Run one payment attempt in a savepoint: a refusal undoes what it wrote unless the
    refusal is itself a fact to keep (a declined charge)."""
    ctx.tx.savepoint()
    try:
        outcome: Outcome = run()
    except StripeError as exc:
        if exc.keep_writes:
            ctx.tx.release_savepoint()
        else:
            ctx.tx.rollback_savepoint()
        return Outcome(error=exc.message)
    ctx.tx.release_savepoint()
    return outcome


def pay(ctx: RequestContext, session: dict[str, Any], form: dict[str, Any]) -> Outcome:
    """One submission of the card form (the session is open; quantities already set).
    The shipping choice (`shipping_rate`) and address (`shipping_details`) come first: a
    refusal of either is raised, naming its parameter."""
    if form.get("shipping_rate"):
        model.choose_shipping(ctx, session, str(form["shipping_rate"]))
    if session.get("shipping_address_collection"):
        model.collect_shipping_address(session, form.get("shipping_details") or {})
    email = session["customer_email"] or (form.get("email") or "").strip() or None
    if not session["customer"] and not email:
        return Outcome(error="Your email is incomplete.")
    if email and "@" not in email:
        return Outcome(error="Your email address is invalid.")
    return _attempt(ctx, lambda: _pay(ctx, session, form, email))


def card_from_form(
    ctx: RequestContext, form: dict[str, Any], billing_details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The PaymentMethod a sandbox page's card form describes (number, `MM / YY`, CVC);
    Stripe's card errors for a bad number or date."""
    expiry = str(form.get("exp") or "").replace(" ", "")
    month, _, year = expiry.partition("/")
    if not month or not year:
        raise InvalidRequestError("Your card's expiration date is incomplete.")
    params: dict[str, Any] = {
        "type": "card",
        "card": {
            "number": form.get("card_number") or "",
            "exp_month": month,
            "exp_year": year,
            "cvc": form.get("cvc") or "",
        },
    }
    if billing_details:
        params["billing_details"] = billing_details
    return payment_methods.create(ctx, params)


def debit_from_form(
    ctx: RequestContext, session: dict[str, Any], form: dict[str, Any], email: str | None
) -> dict[str, Any]:
    """The sepa_debit PaymentMethod an IBAN names, or the us_bank_account one routing and
    account numbers name (payment mode only, where the session accepts that type);
    Stripe's errors for a bad IBAN, bank account or a missing name."""
    kind = "sepa_debit" if form.get("iban") else "us_bank_account"
    if kind not in session["payment_method_types"] or session["mode"] != "payment":
        # The sandbox's wording: its sessions take debits in payment mode only.
        name = "SEPA Direct Debit" if kind == "sepa_debit" else "ACH Direct Debit"
        raise InvalidRequestError(
            f"This Checkout Session does not accept {name}: it needs `{kind}` "
            "in `payment_method_types`, in payment mode."
        )
    if kind == "sepa_debit":
        details = {"iban": form["iban"]}
    else:
        details = {
            "routing_number": form["routing_number"],
            "account_number": form.get("account_number") or "",
        }
    params = {
        "type": kind,
        kind: details,
        "billing_details": {"email": email, "name": form.get("name") or None},
    }
    return payment_methods.create(ctx, params)


def _pay(
    ctx: RequestContext, session: dict[str, Any], form: dict[str, Any], email: str | None
) -> Outcome:
    if form.get("iban") or form.get("routing_number"):
        card = debit_from_form(ctx, session, form, email)
    else:
        card = card_from_form(ctx, form, {"email": email, "name": form.get("name") or None})
    session["customer_details"] = model.details(email)
    if form.get("name"):
        session["customer_details"]["name"] = form["name"]
    if session["mode"] == "payment":
        return _pay_payment(ctx, session, card)
    if session["mode"] == "subscription":
        return _pay_subscription(ctx, session, card)
    return _pay_setup(ctx, session, card)


def _customer(ctx: RequestContext, session: dict[str, Any], *, needed: bool) -> str | None:
    """The session's customer, created from the buyer's email when the mode needs one
    (subscriptions always, payment and setup with `customer_creation=always`)."""
    if session["customer"]:
        return str(session["customer"])
    if not needed and session.get("customer_creation") != "always":
        return None
    email = (session["customer_details"] or {}).get("email")
    name = (session["customer_details"] or {}).get("name")
    created = customers.create(ctx, {"email": email, **({"name": name} if name else {})})
    session["customer"] = created["id"]
    return str(created["id"])


# -- payment mode -------------------------------------------------------------------------


def _pay_payment(ctx: RequestContext, session: dict[str, Any], card: dict[str, Any]) -> Outcome:
    customer = _customer(ctx, session, needed=False)
    state = model.state_of(ctx, session)
    intent_id = session["payment_intent"]
    if intent_id is None:
        params: dict[str, Any] = {
            "amount": session["amount_total"],
            "currency": session["currency"],
            "payment_method_types": session["payment_method_types"],
            "metadata": state["intent_metadata"],
        }
        for name, key in (
            ("capture_method", "capture_method"),
            ("description", "intent_description"),
            ("setup_future_usage", "setup_future_usage"),
        ):
            if state[key]:
                params[name] = state[key]
        if customer:
            params["customer"] = customer
        shipping = (session["collected_information"] or {}).get("shipping_details")
        if shipping:
            # Checkout gives the PaymentIntent the address it collected, as Stripe does.
            params["shipping"] = shipping
        intent = intent_handlers.create(ctx, params)
        session["payment_intent"] = intent_id = intent["id"]
    else:
        changes: dict[str, Any] = {}
        intent = intent_handlers.load(ctx, intent_id)
        if intent["amount"] != session["amount_total"]:
            changes["amount"] = session["amount_total"]
        if customer and intent["customer"] != customer:
            changes["customer"] = customer
        if changes:
            intent_handlers.update(ctx, changes, intent_id)
    ctx.save(session)
    intent = intent_handlers.confirm(
        ctx, {"payment_method": card["id"], "return_url": return_url(ctx, session)}, intent_id
    )
    return after_intent(ctx, session, intent)


def after_intent(ctx: RequestContext, session: dict[str, Any], intent: dict[str, Any]) -> Outcome:
    """Where a payment-mode PaymentIntent leaves the session."""
    status = intent["status"]
    waits_for_microdeposits = (intent["next_action"] or {}).get("type") == (
        "verify_with_microdeposits"
    )
    if status == "requires_action" and not waits_for_microdeposits:
        return Outcome(redirect=intent["next_action"]["redirect_to_url"]["url"])
    if status in ("succeeded", "requires_capture", "processing") or waits_for_microdeposits:
        # A debit still processing completes the session unpaid; its outcome follows
        # (`debit_settled`). So does an ACH debit waiting for its microdeposits (the
        # sandbox has no Financial Connections): the customer verifies them on the hosted
        # verification page, then the debit is submitted and settles.
        _redeem_discount(ctx, session)
        complete(ctx, session, "paid" if status == "succeeded" else "unpaid")
        return Outcome(redirect=success_address(session))
    error = (intent.get("last_payment_error") or {}).get("message")
    return Outcome(error=error or "Your payment could not be completed.")


def _redeem_discount(ctx: RequestContext, session: dict[str, Any]) -> None:
    for entry in session["discounts"] or []:
        if entry.get("promotion_code"):
            promotion_codes.redeem(ctx, entry["promotion_code"], customer=session["customer"])
        elif entry.get("coupon"):
            coupons.redeem(ctx, entry["coupon"])


# -- subscription mode --------------------------------------------------------------------


def _subscription_params(
    session: dict[str, Any], state: dict[str, Any], customer: str, card: dict[str, Any]
) -> dict[str, Any]:
    recurring, one_time = [], []
    for item in model.items_of(session):
        entry = {"price": item["price"]["id"], "quantity": item["quantity"]}
        (recurring if item["price"].get("recurring") else one_time).append(entry)
    data = state["subscription_data"]
    params: dict[str, Any] = {
        "customer": customer,
        "items": recurring,
        "default_payment_method": card["id"],
        "payment_behavior": "allow_incomplete",
        "metadata": data.get("metadata") or {},
    }
    if one_time:
        params["add_invoice_items"] = one_time
    for name in ("trial_period_days", "trial_end", "description", "billing_cycle_anchor"):
        if data.get(name) is not None:
            params[name] = data[name]
    if session["discounts"]:
        params["discounts"] = [
            {k: v for k, v in entry.items() if v} for entry in session["discounts"]
        ]
    return params


def _pay_subscription(
    ctx: RequestContext, session: dict[str, Any], card: dict[str, Any]
) -> Outcome:
    customer = _customer(ctx, session, needed=True)
    assert customer is not None
    payment_methods.attach_to(ctx, card, customer)
    existing = session["subscription"] and ctx.find("subscription", session["subscription"])
    if existing and existing["status"] == "incomplete":
        # A first attempt was declined or failed 3-D Secure: pay its invoice with the new card.
        intent_id = _first_intent(ctx, existing)
        intent_handlers.confirm(
            ctx, {"payment_method": card["id"], "return_url": return_url(ctx, session)}, intent_id
        )
        return after_subscription(ctx, session)
    state = model.state_of(ctx, session)
    params = _subscription_params(session, state, customer, card)
    # Checkout subscribes to the prices its own `price_data` made, which are inactive (as
    # Stripe keeps inline prices); /v1/subscriptions refuses inactive prices, so they are
    # active for the length of the call only.
    inline = [
        price
        for item in model.items_of(session)
        if (price := ctx.find("price", item["price"]["id"])) is not None and not price["active"]
    ]
    for price in inline:
        ctx.save({**price, "active": True}, listed=False)
    try:
        sub = subscription_creation.create(ctx, params)
    finally:
        for price in inline:
            ctx.save(price, listed=False)
    session["subscription"] = sub["id"]
    ctx.save(session)
    intent = _intent_of(ctx, sub)
    if sub["status"] == "incomplete" and intent is not None:
        if intent["status"] != "requires_action":
            message = (intent.get("last_payment_error") or {}).get("message")
            # The declined attempt stays on record; the buyer may try another card.
            return Outcome(error=message or "Your card was declined.")
        intent["next_action"]["redirect_to_url"]["return_url"] = return_url(ctx, session)
        ctx.save(intent)
    return after_subscription(ctx, session)


def _first_intent(ctx: RequestContext, sub: dict[str, Any]) -> str:
    intent = _intent_of(ctx, sub)
    if intent is None:
        raise InvalidRequestError("This subscription's first invoice has nothing to pay.")
    return str(intent["id"])


def _intent_of(ctx: RequestContext, sub: dict[str, Any]) -> dict[str, Any] | None:
    invoice = ctx.find("invoice", sub.get("latest_invoice") or "")
    return billing.first_payment_intent(ctx, invoice) if invoice else None


def after_subscription(ctx: RequestContext, session: dict[str, Any]) -> Outcome:
    sub = ctx.find("subscription", session["subscription"] or "")
    if sub is None:
        return Outcome(error="Your payment could not be completed.")
    if sub["status"] in ("active", "trialing"):
        invoice = ctx.find("invoice", sub.get("latest_invoice") or "") or {}
        session["invoice"] = invoice.get("id")
        paid = invoice.get("status") == "paid" and (invoice.get("amount_paid") or 0) > 0
        complete(ctx, session, "paid" if paid else "no_payment_required")
        return Outcome(redirect=success_address(session))
    intent = _intent_of(ctx, sub)
    if intent is not None and intent["status"] == "requires_action":
        return Outcome(redirect=intent["next_action"]["redirect_to_url"]["url"])
    message = ((intent or {}).get("last_payment_error") or {}).get("message")
    return Outcome(error=message or "Your payment could not be completed.")


# -- setup mode ---------------------------------------------------------------------------


def _pay_setup(ctx: RequestContext, session: dict[str, Any], card: dict[str, Any]) -> Outcome:
    customer = _customer(ctx, session, needed=False)
    state = model.state_of(ctx, session)
    params: dict[str, Any] = {
        "payment_method": card["id"],
        "payment_method_types": ["card"],
        "confirm": True,
        "return_url": return_url(ctx, session),
        "usage": "off_session",
        "metadata": state["setup_metadata"],
    }
    if customer:
        params["customer"] = customer
    intent = setup_intents.create(ctx, params)
    session["setup_intent"] = intent["id"]
    ctx.save(session)
    return after_setup(ctx, session, intent)


def after_setup(ctx: RequestContext, session: dict[str, Any], intent: dict[str, Any]) -> Outcome:
    if intent["status"] == "requires_action":
        return Outcome(redirect=intent["next_action"]["redirect_to_url"]["url"])
    if intent["status"] == "succeeded":
        complete(ctx, session, "no_payment_required")
        return Outcome(redirect=success_address(session))
    error = (intent.get("last_setup_error") or {}).get("message")
    return Outcome(error=error or "We could not set up your card.")


# -- the end ------------------------------------------------------------------------------


def complete(ctx: RequestContext, session: dict[str, Any], payment_status: str) -> None:
    session.update(status="complete", payment_status=payment_status, url=None)
    if session["customer_details"] is None and session["customer"]:
        found = ctx.find("customer", session["customer"]) or {}
        session["customer_details"] = model.details(found.get("email"))
    ctx.save(session)
    ctx.emit("checkout.session.completed", model.shown(session))


def debit_settled(ctx: RequestContext, intent: dict[str, Any]) -> None:
    """A session completed unpaid hears how its SEPA or ACH debit ended: paid, with
    `checkout.session.async_payment_succeeded`, or `..._failed` (still unpaid)."""
    paid_by = (Filter(("payment_intent",), "eq", intent["id"]),)
    for session in ctx.tx.scan(ctx.account, model.TYPE, paid_by):
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            continue
        if intent["status"] == "succeeded":
            session["payment_status"] = "paid"
            ctx.save(session)
            ctx.emit("checkout.session.async_payment_succeeded", model.shown(session))
        else:
            ctx.emit("checkout.session.async_payment_failed", model.shown(session))
