"""The hosted Checkout page: `/_sandbox/pages/checkout/{account}/{session}`.

GET shows the line items (with quantity fields for adjustable ones), the total, an email
field when the session knows no customer or email, a promotion-code field when allowed,
the shipping options to choose from (radio buttons) and the shipping address when the
session collects one, the card form, an IBAN form when the session takes SEPA debits, a
bank account form (routing and account numbers) when it takes ACH debits, and a cancel
link to `cancel_url`. The form POSTs back to the same address (`action=pay`, or
`action=promotion_code`); a declined card or a bad IBAN shows its message above the form,
3-D Secure goes through the sandbox's authentication page and comes back to `.../return`,
and success sends the browser (303) to `success_url` with the session's id. Plain HTML
and no external assets; one inline handler shows the total of the shipping option picked
(the server charges the choice whether or not it ran).
"""

from __future__ import annotations

from typing import Any

from ...framework import pages
from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError, StripeError
from ...framework.routing import Route
from ..payment_intents.money import format_amount
from . import completion, line_items, model
from .handlers import expire_now

TEMPLATE = "/_sandbox/pages/checkout/{account}/{session}"


def _field(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _money(amount: int | None, currency: str | None) -> str:
    return format_amount(amount or 0, currency or "usd")


def _items_html(session: dict[str, Any]) -> str:
    rows = []
    for item in model.items_of(session):
        adjustable = item.get("adjustable_quantity") or {}
        if adjustable.get("enabled"):
            quantity = (
                f'<input name="quantity_{pages.escape(item["id"])}" type=number '
                f"min={adjustable['minimum']} max={adjustable['maximum']} "
                f'value={item["quantity"]} form=pay style="width:4rem" '
                f'aria-label="Quantity">'
            )
        else:
            quantity = f"&times; {item['quantity']}"
        rows.append(
            f"<tr><td>{pages.escape(item['description'] or item['price']['id'])} {quantity}</td>"
            f"<td style=text-align:right>{_money(item['amount_subtotal'], item['currency'])}</td>"
            "</tr>"
        )
    currency = session["currency"]
    details = session["total_details"] or {}
    if details.get("amount_discount"):
        rows.append(
            f"<tr><td>Discount</td><td style=text-align:right>"
            f"&minus;{_money(details['amount_discount'], currency)}</td></tr>"
        )
    if session.get("shipping_options"):  # shown even when free: the choice may change it
        rows.append(
            f"<tr><td>Shipping</td><td style=text-align:right id=shipping>"
            f"{_money(details['amount_shipping'], currency)}</td></tr>"
        )
    rows.append(
        f"<tr><th style=text-align:left>Total due</th><th style=text-align:right id=total>"
        f"{_money(session['amount_total'], currency)}</th></tr>"
    )
    return f"<table style=width:100%>{''.join(rows)}</table>"


def _promotion_html(ctx: RequestContext, session: dict[str, Any]) -> str:
    if not session.get("allow_promotion_codes"):
        return ""
    applied = ""
    for entry in session["discounts"] or []:
        code = ctx.find("promotion_code", entry.get("promotion_code") or "")
        if code is not None:
            applied = f"<p class=muted>Code <b>{pages.escape(code['code'])}</b> applied.</p>"
    return (
        applied + "<form method=post><input type=hidden name=action value=promotion_code>"
        "<label>Promotion code <input name=promotion_code autocomplete=off></label> "
        "<button type=submit class=secondary>Apply</button></form>"
    )


def render_form(
    ctx: RequestContext, session: dict[str, Any], error: str | None = None, status: int = 200
) -> pages.Page:
    ask_email = not session["customer"] and not session["customer_email"]
    email_html = (
        "<p><label>Email<br><input name=email type=email autocomplete=email required></label></p>"
        if ask_email
        else ""
    )
    error_html = f"<p class=error role=alert id=error>{pages.escape(error)}</p>" if error else ""
    cancel = (
        f'<p><a href="{pages.escape(session["cancel_url"])}" id=cancel>Cancel and go back</a></p>'
        if session.get("cancel_url")
        else ""
    )
    if session["mode"] == "setup":
        heading, summary, button = "Save your card", "", "Save card"
    else:
        heading = "Subscribe" if session["mode"] == "subscription" else "Pay"
        summary = _items_html(session) + _promotion_html(ctx, session)
        button = f"{heading} {_money(session['amount_total'], session['currency'])}"
    content = (
        f"<h1>{heading}</h1>{error_html}{summary}"
        "<form method=post id=pay><input type=hidden name=action value=pay>"
        f"{email_html}{_shipping_html(ctx, session)}{_address_html(session)}"
        f"{_methods_html(session)}"
        f"<button type=submit id=submit>{pages.escape(button)}</button></form>{cancel}"
        f"<p class=muted>Stripekit sandbox &middot; {pages.escape(session['id'])}</p>"
    )
    page = pages.render("Checkout", content)
    page.status = status
    return page


def offered_methods(session: dict[str, Any]) -> list[str]:
    """The payment method types the session accepts that the page can take: cards, and
    SEPA and ACH debits in payment mode (where `completion.debit_from_form` takes them)."""
    offered = ["card"]
    for debit in ("sepa_debit", "us_bank_account"):
        if debit in session["payment_method_types"] and session["mode"] == "payment":
            offered.append(debit)
    return offered


def _card_html(required: str) -> str:
    return (
        "<p><label>Card number<br><input name=card_number inputmode=numeric "
        f'autocomplete=cc-number placeholder="4242 4242 4242 4242" {required}></label></p>'
        '<p><label>Expiry<br><input name=exp placeholder="MM / YY" autocomplete=cc-exp '
        f"{required}></label> <label>CVC<br><input name=cvc inputmode=numeric "
        "autocomplete=cc-csc placeholder=123></label></p>"
        "<p><label>Name on card<br><input name=name autocomplete=cc-name></label></p>"
    )


# Stripe shows a SEPA mandate before the buyer confirms; this sentence is the sandbox's own.
MANDATE_TEXT = (
    "By paying with your IBAN you authorise this business and Stripe, its payment provider, "
    "to instruct your bank to debit your account for this payment; under your bank's terms "
    "you may ask it to refund a debit within eight weeks of the date it was taken."
)


# Stripe shows an ACH authorization before the buyer confirms; this sentence is the
# sandbox's own.
ACH_MANDATE_TEXT = (
    "By paying with your bank account you authorise this business and Stripe, its payment "
    "provider, to debit your account for this payment. Two small deposits will arrive in "
    "your account in 1-2 business days; you will be asked to confirm their amounts."
)


def _methods_html(session: dict[str, Any]) -> str:
    """The card form alone, or a choice between card and the debits the session takes
    (all forms shown, the radio button saying which one pays)."""
    offered = offered_methods(session)
    if offered == ["card"]:
        return _card_html("required")
    return (
        "<fieldset><legend><label><input type=radio name=payment_method_type value=card "
        "id=method_card checked> Card</label></legend>"
        f"{_card_html('')}</fieldset>"
        + (_sepa_html() if "sepa_debit" in offered else "")
        + (_ach_html() if "us_bank_account" in offered else "")
    )


def _ach_html() -> str:
    return (
        "<fieldset><legend><label><input type=radio name=payment_method_type "
        "value=us_bank_account id=method_us_bank_account> US bank account (ACH)</label>"
        "</legend><p><label>Routing number<br><input name=routing_number inputmode=numeric "
        "autocomplete=off placeholder=110000000></label></p>"
        "<p><label>Account number<br><input name=account_number inputmode=numeric "
        "autocomplete=off placeholder=000123456789></label></p>"
        "<p><label>Account holder's name<br><input name=bank_account_holder_name "
        "autocomplete=name></label></p>"
        f"<p class=muted id=ach_mandate>{ACH_MANDATE_TEXT}</p></fieldset>"
    )


def _sepa_html() -> str:
    return (
        "<fieldset><legend><label><input type=radio name=payment_method_type value=sepa_debit "
        "id=method_sepa_debit> SEPA Direct Debit</label></legend>"
        '<p><label>IBAN<br><input name=iban autocomplete=off placeholder="DE89 3704 0044 '
        '0532 0130 00"></label></p>'
        "<p><label>Account holder's name<br><input name=account_holder_name "
        "autocomplete=name></label></p>"
        f"<p class=muted id=mandate>{MANDATE_TEXT}</p></fieldset>"
    )


def _shipping_html(ctx: RequestContext, session: dict[str, Any]) -> str:
    """Radio buttons for several `shipping_options`; each carries the total it makes, which
    the inline handler shows."""
    options = session.get("shipping_options") or []
    if len(options) < 2:
        return ""
    chosen = (session.get("shipping_cost") or {}).get("shipping_rate")
    currency = session["currency"]
    without = session["amount_total"] - (session["shipping_cost"] or {}).get("amount_total", 0)
    show = (
        "document.getElementById('total').textContent=this.dataset.total;"
        "document.getElementById('shipping').textContent=this.dataset.shipping;"
        "document.getElementById('submit').textContent=this.dataset.button"
    )
    rows = []
    for option in options:
        rate_id = option["shipping_rate"]
        name = (ctx.find("shipping_rate", rate_id) or {}).get("display_name") or rate_id
        total = _money(without + option["shipping_amount"], currency)
        rows.append(
            f"<p><label><input type=radio name=shipping_rate value={pages.escape(rate_id)} "
            f"{'checked ' if rate_id == chosen else ''}"
            f'data-total="{total}" data-button="Pay {total}" '
            f'data-shipping="{_money(option["shipping_amount"], currency)}" '
            f'onchange="{show}"> {pages.escape(name)} '
            f"&middot; {_money(option['shipping_amount'], currency)}</label></p>"
        )
    return f"<fieldset id=shipping_options><legend>Shipping</legend>{''.join(rows)}</fieldset>"


def _address_html(session: dict[str, Any]) -> str:
    collection = session.get("shipping_address_collection")
    if not collection:
        return ""
    countries = "".join(
        f"<option>{pages.escape(code)}</option>" for code in collection["allowed_countries"]
    )
    fields = "".join(
        f"<p><label>{label}<br><input name=shipping_{field} autocomplete={auto} required>"
        "</label></p>"
        for field, label, auto in (
            ("name", "Name", "shipping name"),
            ("line1", "Address", "shipping address-line1"),
            ("city", "City", "shipping address-level2"),
            ("postal_code", "Postal code", "shipping postal-code"),
        )
    )
    return (
        f"<fieldset id=shipping_address><legend>Shipping address</legend>{fields}"
        f"<p><label>Country<br><select name=shipping_country>{countries}</select></label></p>"
        "</fieldset>"
    )


def _closed(session: dict[str, Any]) -> pages.Page | None:
    if session["status"] == "complete":
        return pages.render(
            "Checkout complete",
            "<h1>Thanks for your order</h1><p>This Checkout Session is complete.</p>",
        )
    if session["status"] == "expired":
        return pages.render(
            "Checkout expired",
            "<h1>This page has expired</h1><p>This Checkout Session is no longer available.</p>",
            status=410,
        )
    return None


def _open(ctx: RequestContext, session_id: str) -> dict[str, Any]:
    session = ctx.find(model.TYPE, session_id)
    if session is None:
        raise InvalidRequestError("This Checkout Session does not exist.", status=404)
    if session["status"] == "open" and ctx.now >= session["expires_at"]:
        expire_now(ctx, session)  # its timer has not run yet
    return session


def show(ctx: RequestContext, params: dict[str, Any], session: str) -> pages.Page:
    obj = _open(ctx, session)
    return _closed(obj) or render_form(ctx, obj)


def submit(ctx: RequestContext, params: dict[str, Any], session: str) -> pages.Page:
    obj = _open(ctx, session)
    closed = _closed(obj)
    if closed is not None:
        return closed
    try:
        _apply_quantities(ctx, obj, params)
    except StripeError as exc:
        return render_form(ctx, obj, exc.message, status=400)
    if params.get("action") == "promotion_code":
        return _apply_promotion_code(ctx, obj, _field(params, "promotion_code"))
    form = {
        **params,
        "shipping_details": {
            field: _field(params, f"shipping_{field}") for field in model.SHIPPING_FIELDS
        },
    }
    chosen = _field(params, "payment_method_type")
    if chosen != "sepa_debit":
        form["iban"] = ""  # another method pays; an IBAN typed as well is not used
    if chosen != "us_bank_account":
        form["routing_number"] = ""  # likewise a bank account's numbers
    if chosen == "sepa_debit":
        if not _field(params, "iban"):
            return render_form(ctx, obj, "Your IBAN is incomplete.", status=400)
        form["name"] = _field(params, "account_holder_name")
    elif chosen == "us_bank_account":
        if not _field(params, "routing_number") or not _field(params, "account_number"):
            # The sandbox's sentence, in the style of the card form's.
            return render_form(ctx, obj, "Your bank account details are incomplete.", status=400)
        form["name"] = _field(params, "bank_account_holder_name")
    try:
        outcome = completion.pay(ctx, obj, form)
    except StripeError as exc:
        return render_form(ctx, obj, exc.message, status=400)
    return _follow(ctx, obj, outcome)


def _follow(
    ctx: RequestContext, session: dict[str, Any], outcome: completion.Outcome
) -> pages.Page:
    if outcome.error is not None:
        fresh = ctx.find(model.TYPE, session["id"]) or session
        return render_form(ctx, fresh, outcome.error, status=402)
    if outcome.redirect:
        return pages.redirect(outcome.redirect)
    return _closed(session) or render_form(ctx, session)


def _apply_quantities(ctx: RequestContext, session: dict[str, Any], form: dict[str, Any]) -> None:
    changed = False
    for item in model.items_of(session):
        value = _field(form, f"quantity_{item['id']}")
        adjustable = item.get("adjustable_quantity") or {}
        if not value or not adjustable.get("enabled"):
            continue
        if not value.isdigit() or not adjustable["minimum"] <= int(value) <= adjustable["maximum"]:
            raise InvalidRequestError(
                f"The quantity must be between {adjustable['minimum']} and {adjustable['maximum']}."
            )
        if int(value) != item["quantity"]:
            line_items.set_quantity(item, int(value))
            changed = True
    if changed:
        model.compute_totals(ctx, session, model.state_of(ctx, session))
        ctx.save(session)


def _apply_promotion_code(ctx: RequestContext, session: dict[str, Any], code: str) -> pages.Page:
    if not session.get("allow_promotion_codes"):
        return render_form(ctx, session, "Promotion codes are not accepted here.", status=400)
    # Customer-facing codes match whatever the case the buyer types them in, as on Stripe.
    found = [
        obj
        for obj in ctx.tx.scan(ctx.account, "promotion_code", ())
        if obj.get("active") and str(obj.get("code", "")).lower() == code.lower()
    ]
    if not code or not found:
        return render_form(ctx, session, "This code is invalid.", status=400)
    state = model.state_of(ctx, session)
    try:
        model.add_discount(ctx, session, state, promotion_code=found[0]["id"])
    except StripeError as exc:
        return render_form(ctx, session, exc.message, status=400)
    model.compute_totals(ctx, session, state)
    ctx.save(session)
    ctx.save(state)
    return render_form(ctx, session)


def come_back(ctx: RequestContext, params: dict[str, Any], session: str) -> pages.Page:
    """Where the 3-D Secure page returns the buyer: finish, or show why it failed."""
    obj = _open(ctx, session)
    closed = _closed(obj)
    if closed is not None:
        if obj["status"] == "complete" and completion.success_address(obj):
            return pages.redirect(completion.success_address(obj) or "")
        return closed
    if obj["mode"] == "payment" and obj["payment_intent"]:
        intent = ctx.find("payment_intent", obj["payment_intent"])
        outcome = completion.after_intent(ctx, obj, intent or {"status": "unknown"})
    elif obj["mode"] == "subscription" and obj["subscription"]:
        outcome = completion.after_subscription(ctx, obj)
    elif obj["mode"] == "setup" and obj["setup_intent"]:
        intent = ctx.find("setup_intent", obj["setup_intent"])
        outcome = completion.after_setup(ctx, obj, intent or {"status": "unknown"})
    else:
        return render_form(ctx, obj)
    if outcome.redirect and "/_sandbox/pages/3ds/" in outcome.redirect:
        # Still waiting for authentication: back to the form rather than round again.
        outcome = completion.Outcome(error="Authentication was not completed.")
    return _follow(ctx, obj, outcome)


def complete(ctx: RequestContext, params: dict[str, Any], session: str) -> dict[str, Any]:
    """`POST /_sandbox/checkout/sessions/{id}/complete` (sandbox only, secret key): pay an
    open session as a buyer on the hosted page would, with `card_number` (default
    4242 4242 4242 4242) and `email`, for scripts and `stripekit trigger`; or with `iban`
    (and the account holder's `name`) for a SEPA debit, or `routing_number` and
    `account_number` (and `name`) for an ACH debit, when the session accepts one (an ACH
    debit completes it unpaid, waiting for its microdeposits);
    `shipping_rate` picks one of its `shipping_options` and `shipping_details` (`name`,
    `line1`, `city`, `postal_code`, `country`) is the address when it collects one.
    Answers the session; a decline is a 402 card error with the page's message, a bad
    shipping choice or address a 400 naming its parameter."""
    obj = _open(ctx, session)
    if obj["status"] != "open":
        raise InvalidRequestError(
            f"This Checkout Session is {obj['status']}, not open.", param="session"
        )
    debit = params.get("iban") or params.get("routing_number")
    form = {
        "card_number": str(params.get("card_number") or "4242424242424242"),
        "exp": "12/34",
        "cvc": "123",
        "email": str(params.get("email") or "buyer@example.com"),
        "iban": str(params.get("iban") or ""),
        "routing_number": str(params.get("routing_number") or ""),
        "account_number": str(params.get("account_number") or ""),
        "name": str(params.get("name") or ("Jenny Rosen" if debit else "")),
        "shipping_rate": str(params.get("shipping_rate") or ""),
        "shipping_details": params.get("shipping_details") or {},
    }
    outcome = completion.pay(ctx, obj, form)
    fresh = ctx.find(model.TYPE, session) or obj
    if outcome.error is not None:
        raise CardError(outcome.error, code="card_declined", keep_writes=True)
    return fresh


ROUTES = [
    Route(
        "POST",
        "/_sandbox/checkout/sessions/{session}/complete",
        complete,
        permission="checkout_sessions",
    ),
    Route("GET", TEMPLATE, show, public=True),
    Route("POST", TEMPLATE, submit, public=True),
    Route("GET", TEMPLATE + "/return", come_back, public=True),
]
