"""PaymentMethods: /v1/payment_methods and a customer's view of them.

`pm_card_visa` and the other test ids are not stored objects: each use creates a real
`pm_...` PaymentMethod for that test card, as Stripe does (`resolve`). The card behind a
PaymentMethod (and so its outcome: success, a decline, 3-D Secure...) is found again from
its fingerprint (`card_of`); the full number is never stored.

Attaching runs the card check Stripe runs when a card is saved: the decline test cards
fail it with their 402 (`chargeCustomerFail` passes; its charges fail later). A
PaymentMethod detached from its customer may never be used again; that fact is kept in a
small side record (`CONSUMED`), since the object itself shows nothing of it.

SEPA Direct Debit PaymentMethods (`type=sepa_debit`, a bank account by its IBAN) are
made by `sepa_debit`; everything else here serves both types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...framework import metadata, testcards, updates
from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError
from ...framework.listing import list_objects
from ...framework.routing import Route
from ...framework.testcards import TestCard
from ...store import Filter
from .. import tax_ids
from . import sepa_debit, us_bank_account

MAGIC_PREFIX = "pm_card_"
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
_BY_FINGERPRINT = {card.fingerprint: card for card in testcards.CARDS.values()}
# Side record (not a Stripe object, never served): "this PaymentMethod may not be reused".
CONSUMED = "sandbox.payment_method_consumed"


# Stripe's extra fields on the declines its recorded bodies show (advice and network
# codes); the ISO 8583 codes for the others.
def card_of(payment_method: dict[str, Any]) -> TestCard:
    """The test card a card PaymentMethod was made from (its outcome drives payments)."""
    card = payment_method.get("card") or {}
    known = _BY_FINGERPRINT.get(card.get("fingerprint", ""))
    if known is not None:
        return known
    return TestCard("0" * 12 + card.get("last4", "0000"), card.get("brand", "visa"))


def magic_card(name: str) -> TestCard | None:
    """`visa` or `chargeDeclined` (also spelled `visa_chargeDeclined`, as Stripe's
    test ids allow) -> its test card."""
    card = testcards.card_for_magic(name)
    if card is None and name.startswith("visa_"):
        card = testcards.card_for_magic(name[len("visa_") :])
    return card


def card_details(
    card: TestCard, exp_month: int, exp_year: int, *, cvc_given: bool
) -> dict[str, Any]:
    """The `card` hash of a PaymentMethod (and, reshaped, of charges and tokens)."""
    return {
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass" if cvc_given else None,
        },
        "country": card.country,
        "display_brand": card.brand,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": card.fingerprint,
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def billing_details(value: Any) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    address = value.get("address")
    return {
        "address": {f: (address or {}).get(f) or None for f in ADDRESS_FIELDS},
        "email": value.get("email") or None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
        "tax_id": value.get("tax_id") or None,
    }


def insert_card(
    ctx: RequestContext,
    card: TestCard,
    *,
    exp_month: int = 12,
    exp_year: int | None = None,
    cvc_given: bool = True,
    billing: Any = None,
    meta: Any = None,
    customer: str | None = None,
) -> dict[str, Any]:
    """Store a new card PaymentMethod for `card`. Stripe sends no event for a creation."""
    if exp_year is None:
        exp_year = today_of(ctx.now)[0] + 3
    details = card_details(card, exp_month, exp_year, cvc_given=cvc_given)
    # A new PaymentMethod's CVC is unverified until the card is first checked (attached,
    # set up or charged): Stripe shows "unchecked" until then.
    details["checks"]["cvc_check"] = "unchecked" if cvc_given else None
    payment_method = {
        "id": ctx.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(billing),
        "card": details,
        "created": ctx.now,
        "customer": customer,
        "customer_account": None,
        "livemode": False,
        "metadata": metadata.merge(None, meta or {}),
        "type": "card",
    }
    return ctx.insert(payment_method)


def today_of(timestamp: int) -> tuple[int, int]:
    day = datetime.fromtimestamp(timestamp, tz=UTC)
    return day.year, day.month


def resolve(
    ctx: RequestContext,
    payment_method: str,
    *,
    param: str = "payment_method",
    in_path: bool = False,
) -> dict[str, Any]:
    """The PaymentMethod an id names; a `pm_card_*` test id makes a new one each time."""
    if isinstance(payment_method, str) and payment_method.startswith(MAGIC_PREFIX):
        card = magic_card(payment_method[len(MAGIC_PREFIX) :])
        if card is not None:
            return insert_card(ctx, card)
    return ctx.load(
        "payment_method", payment_method, param=param, noun="PaymentMethod", in_path=in_path
    )


# -- card checks, declines and reuse --------------------------------------------------


def mark_checked(payment_method: dict[str, Any]) -> None:
    """The card was just verified with its issuer: unverified checks now pass."""
    checks = (payment_method.get("card") or {}).get("checks") or {}
    for name, value in checks.items():
        if value == "unchecked":
            checks[name] = "pass"


def decline_error(
    card: TestCard, *, param: str | None = None, keep_writes: bool = False, **extra: Any
) -> CardError:
    """Stripe's 402 for a declining test card; `extra` adds `payment_method`,
    `setup_intent`, `charge`... to the error body."""
    details = testcards.decline_details(card)
    message = details.pop("message")
    code = details.pop("code")
    return CardError(
        message,
        code=code,
        param=details.pop("param", param),
        keep_writes=keep_writes,
        **details,
        **extra,
    )


def declines_on_save(card: TestCard) -> bool:
    """Whether saving the card (attach, setup) fails its issuer check."""
    return card.outcome == testcards.DECLINE


def reuse_error(param: str | None = "payment_method") -> InvalidRequestError:
    return InvalidRequestError(
        "The provided PaymentMethod was previously used with a PaymentIntent without "
        "Customer attachment, shared with a connected account without Customer attachment, "
        "or was detached from a Customer. It may not be used again. To use a PaymentMethod "
        "multiple times, you must attach it to a Customer first.",
        param=param,
    )


def mark_consumed(ctx: RequestContext, payment_method_id: str) -> None:
    """Record that a PaymentMethod may not be used again (detached, or spent without a
    customer: a payment-intent helper calls this after a guest payment)."""
    if ctx.find(CONSUMED, payment_method_id) is None:
        ctx.insert({"id": payment_method_id, "object": CONSUMED, "created": ctx.now})


def ensure_reusable(
    ctx: RequestContext, payment_method: dict[str, Any], *, param: str | None = "payment_method"
) -> None:
    """Refuse a PaymentMethod that was detached, spent without a customer, or whose
    customer was deleted (Stripe leaves `customer` set on those, but refuses them)."""
    if ctx.find(CONSUMED, payment_method["id"]) is not None:
        raise reuse_error(param)
    owner = payment_method.get("customer")
    if owner:
        found = ctx.find("customer", owner)
        if found is None or found.get("deleted"):
            raise reuse_error(param)


def attach_to(ctx: RequestContext, payment_method: dict[str, Any], customer_id: str) -> None:
    """Attach after the card check passed: set the customer, record the event."""
    payment_method["customer"] = customer_id
    mark_checked(payment_method)
    ctx.save(payment_method)
    ctx.emit("payment_method.attached", payment_method)


def check_and_attach(
    ctx: RequestContext, payment_method: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any]:
    """Attach as POST .../attach does (its refusals included); a no-op when already
    attached to this customer."""
    owner = payment_method.get("customer")
    if owner == customer["id"]:
        return payment_method
    if owner:
        found = ctx.find("customer", owner)
        if found is not None and not found.get("deleted"):
            raise InvalidRequestError(
                "The payment method you provided has already been attached to a customer."
            )
    ensure_reusable(ctx, payment_method, param=None)
    card = card_of(payment_method)
    if declines_on_save(card):
        # Stripe's recorded body for a declined attach names an empty param.
        raise decline_error(card, param="")
    attach_to(ctx, payment_method, customer["id"])
    return payment_method


# -- card details from parameters ---------------------------------------------------


def card_from_params(
    ctx: RequestContext, card: Any, *, legacy: bool = False
) -> tuple[TestCard, int, int, bool]:
    """Check `card[number|exp_month|exp_year|cvc]` as Stripe does: 400 for a missing
    field, 402 card errors for a bad one. Card errors name `card[number]`; the legacy
    APIs (tokens, sources) name the bare field (`number`), as they always have."""

    def name(field: str) -> str:
        return field if legacy else f"card[{field}]"

    def missing(field: str) -> InvalidRequestError:
        return InvalidRequestError(
            f"Missing required param: card[{field}].",
            param=f"card[{field}]",
            code="parameter_missing",
        )

    number = str(card.get("number") or "").replace(" ", "").replace("-", "")
    if not number:
        raise missing("number")
    if not number.isdigit() or not 12 <= len(number) <= 19:
        raise CardError("Your card number is invalid.", param=name("number"), code="invalid_number")
    found = testcards.card_for_number(number)
    if found is None:
        raise CardError(
            "Your card number is incorrect.", param=name("number"), code="incorrect_number"
        )
    for field in ("exp_month", "exp_year"):
        if card.get(field) in (None, ""):
            raise missing(field)
    exp_month, exp_year = check_expiry(ctx, card["exp_month"], card["exp_year"], name=name)
    cvc = card.get("cvc")
    if cvc not in (None, "") and not (str(cvc).isdigit() and 3 <= len(str(cvc)) <= 4):
        raise CardError(
            "Your card's security code is invalid.", param=name("cvc"), code="invalid_cvc"
        )
    return found, exp_month, exp_year, cvc not in (None, "")


def check_expiry(
    ctx: RequestContext, month: Any, year: Any, *, name: Any = lambda field: f"card[{field}]"
) -> tuple[int, int]:
    """A valid, unexpired (month, year); two-digit years count from 2000."""
    try:
        exp_month = int(str(month).strip())
    except ValueError:
        exp_month = 0
    if not 1 <= exp_month <= 12:
        raise CardError(
            "Your card's expiration month is invalid.",
            param=name("exp_month"),
            code="invalid_expiry_month",
        )
    try:
        exp_year = int(str(year).strip())
    except ValueError:
        exp_year = -1
    if 0 <= exp_year < 100:
        exp_year += 2000
    now_year, now_month = today_of(ctx.now)
    if not now_year <= exp_year <= now_year + 50:
        raise CardError(
            "Your card's expiration year is invalid.",
            param=name("exp_year"),
            code="invalid_expiry_year",
        )
    if exp_year == now_year and exp_month < now_month:
        raise CardError(
            "Your card's expiration month is invalid.",
            param=name("exp_month"),
            code="invalid_expiry_month",
        )
    return exp_month, exp_year


# -- /v1/payment_methods ----------------------------------------------------------------


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("payment_method") or params.get("customer"):
        # Stripe clones a platform's PaymentMethod onto a connected account with these.
        raise InvalidRequestError(
            "`customer` and `payment_method` clone a PaymentMethod onto a connected account "
            "(Stripe-Account header), which the sandbox does not model. Create the "
            "PaymentMethod, then attach it to the customer.",
            param="payment_method" if params.get("payment_method") else "customer",
        )
    kind = params.get("type")
    card = params.get("card")
    if kind is None and card is None:
        raise InvalidRequestError(
            "Missing required param: type.", param="type", code="parameter_missing"
        )
    if kind == sepa_debit.TYPE:
        billing = billing_details(params.get("billing_details"))
        account = sepa_debit.bank_account_from_params(params, billing)
        meta = metadata.merge(None, params.get("metadata") or {})
        return _finish_create(ctx, sepa_debit.new(ctx, account, billing, meta), params, None)
    if kind == us_bank_account.TYPE:
        billing = billing_details(params.get("billing_details"))
        bank_account, shown = us_bank_account.bank_account_from_params(params, billing)
        meta = metadata.merge(None, params.get("metadata") or {})
        created = us_bank_account.new(ctx, bank_account, shown, billing, meta)
        return _finish_create(ctx, created, params, None)
    if kind not in (None, "card"):
        raise InvalidRequestError(
            "The sandbox supports PaymentMethods of type card, sepa_debit and "
            f"us_bank_account only, not {kind}.",
            param="type",
        )
    if not isinstance(card, dict):
        raise InvalidRequestError(
            "Missing required param: card.", param="card", code="parameter_missing"
        )
    if card.get("token"):
        return from_token(ctx, card["token"], params)
    found, exp_month, exp_year, cvc_given = card_from_params(ctx, card)
    payment_method = insert_card(
        ctx,
        found,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc_given=cvc_given,
        billing=params.get("billing_details"),
        meta=params.get("metadata"),
    )
    return _finish_create(ctx, payment_method, params, card)


def _finish_create(
    ctx: RequestContext, payment_method: dict[str, Any], params: dict[str, Any], card: Any
) -> dict[str, Any]:
    changed = False
    if params.get("allow_redisplay"):
        payment_method["allow_redisplay"] = params["allow_redisplay"]
        changed = True
    preferred = ((card or {}).get("networks") or {}).get("preferred")
    if preferred:
        payment_method["card"]["networks"]["preferred"] = preferred
        changed = True
    if changed:
        ctx.save(payment_method)
    return payment_method


def from_token(ctx: RequestContext, token: str, params: dict[str, Any]) -> dict[str, Any]:
    """A PaymentMethod from a card token (`tok_visa` or a `tok_...` from /v1/tokens),
    which the token's single use spends; the token's name and address become the
    billing details, unless given."""
    from .. import tokens  # tokens builds on this module

    legacy, card = tokens.consume(ctx, token, param="card[token]")
    address = {
        f: legacy.get("address_zip" if f == "postal_code" else f"address_{f}")
        for f in ADDRESS_FIELDS
    }
    billing = {"name": legacy.get("name"), "address": address}
    given = params.get("billing_details")
    if isinstance(given, dict):
        billing.update({k: v for k, v in given.items() if v not in (None, "")})
    payment_method = insert_card(
        ctx,
        card,
        exp_month=legacy["exp_month"],
        exp_year=legacy["exp_year"],
        cvc_given=legacy.get("cvc_check") is not None,
        billing=billing,
        meta=params.get("metadata"),
    )
    return _finish_create(ctx, payment_method, params, params.get("card"))


def retrieve(ctx: RequestContext, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    return resolve(ctx, payment_method, param="payment_method", in_path=True)


def update(ctx: RequestContext, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    obj = resolve(ctx, payment_method, param="payment_method", in_path=True)
    if not obj.get("customer"):
        raise InvalidRequestError(
            "You must save this PaymentMethod to a customer before you can update it."
        )
    previous: dict[str, Any] = {}
    if "billing_details" in params:
        _update_billing(obj, params["billing_details"], previous)
    card = params.get("card")
    if isinstance(card, dict) and obj["type"] == "card":
        _update_card(ctx, obj, card, previous)
    previous.update(updates.apply(obj, params, ("metadata", "allow_redisplay")))
    if previous:
        ctx.save(obj)
        ctx.emit("payment_method.updated", obj, previous)
    return obj


def _update_billing(obj: dict[str, Any], given: Any, previous: dict[str, Any]) -> None:
    """Billing details merge field by field (`""` clears one; the address merges too)."""
    current = obj["billing_details"]
    new = {**current, "address": dict(current["address"])}
    for name, value in (given or {}).items() if isinstance(given, dict) else ():
        if name == "address":
            if value == "":
                new["address"] = dict.fromkeys(ADDRESS_FIELDS)
            else:
                for field, part in value.items():
                    new["address"][field] = part or None
        else:
            new[name] = value or None
    if new != current:
        changed = {k: current[k] for k in current if current[k] != new[k]}
        if "address" in changed:
            changed["address"] = {
                k: current["address"][k]
                for k in ADDRESS_FIELDS
                if current["address"][k] != new["address"][k]
            }
        previous["billing_details"] = changed
        obj["billing_details"] = new


def _update_card(
    ctx: RequestContext, obj: dict[str, Any], card: dict[str, Any], previous: dict[str, Any]
) -> None:
    current = obj["card"]
    month = card.get("exp_month", current["exp_month"])
    year = card.get("exp_year", current["exp_year"])
    exp_month, exp_year = check_expiry(ctx, month, year)
    changed: dict[str, Any] = {}
    if exp_month != current["exp_month"]:
        changed["exp_month"] = current["exp_month"]
        current["exp_month"] = exp_month
    if exp_year != current["exp_year"]:
        changed["exp_year"] = current["exp_year"]
        current["exp_year"] = exp_year
    networks = card.get("networks")
    if isinstance(networks, dict) and "preferred" in networks:
        preferred = networks["preferred"] or None
        if preferred != current["networks"]["preferred"]:
            changed["networks"] = {"preferred": current["networks"]["preferred"]}
            current["networks"]["preferred"] = preferred
    if changed:
        previous["card"] = changed


def _list_filters(params: dict[str, Any], customer_id: str) -> tuple[Filter, ...]:
    filters = [Filter(("customer",), "eq", customer_id)]
    if params.get("type"):
        filters.append(Filter(("type",), "eq", params["type"]))
    if params.get("allow_redisplay"):
        filters.append(Filter(("allow_redisplay",), "eq", params["allow_redisplay"]))
    return tuple(filters)


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Without `customer`, Stripe lists only Treasury PaymentMethods: none here."""
    if not params.get("customer"):
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/payment_methods"}
    ctx.load("customer", params["customer"], param="customer", in_path=False)
    return list_objects(
        ctx,
        "payment_method",
        params,
        "/v1/payment_methods",
        _list_filters(params, params["customer"]),
        noun="PaymentMethod",
    )


def customer_list(ctx: RequestContext, params: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.load("customer", customer)
    return list_objects(
        ctx,
        "payment_method",
        params,
        f"/v1/customers/{customer}/payment_methods",
        _list_filters(params, customer),
        noun="PaymentMethod",
    )


def customer_retrieve(
    ctx: RequestContext, params: dict[str, Any], customer: str, payment_method: str
) -> dict[str, Any]:
    ctx.load("customer", customer)
    obj = resolve(ctx, payment_method, param="payment_method", in_path=True)
    if obj.get("customer") != customer:
        # Stripe's recorded answer for a PaymentMethod of another (or no) customer.
        raise InvalidRequestError("Invalid request", param="customer", status=404)
    return obj


def attach(ctx: RequestContext, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    obj = resolve(ctx, payment_method, param="payment_method", in_path=True)
    if not params.get("customer"):
        raise InvalidRequestError(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    customer = ctx.load("customer", params["customer"], param="customer", in_path=False)
    return check_and_attach(ctx, obj, customer)


def detach(ctx: RequestContext, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    obj = resolve(ctx, payment_method, param="payment_method", in_path=True)
    owner = obj.get("customer")
    if not owner:
        raise InvalidRequestError(
            "The payment method you provided is not attached to a customer so detachment "
            "is impossible."
        )
    obj["customer"] = None
    ctx.save(obj)
    mark_consumed(ctx, obj["id"])
    ctx.emit("payment_method.detached", obj, {"customer": owner})
    _forget_default(ctx, owner, obj["id"])
    return obj


def _forget_default(ctx: RequestContext, customer_id: str, payment_method_id: str) -> None:
    """A detached PaymentMethod stops being its customer's invoice default."""
    customer = ctx.find("customer", customer_id)
    if customer is None or customer.get("deleted"):
        return
    settings = customer.get("invoice_settings") or {}
    if settings.get("default_payment_method") == payment_method_id:
        settings["default_payment_method"] = None
        ctx.save(customer)
        ctx.emit(
            "customer.updated",
            tax_ids.customer_in_event(customer),
            {"invoice_settings": {"default_payment_method": payment_method_id}},
        )


def customer_payment_method(
    ctx: RequestContext,
    value: Any,
    customer_id: str | None,
    *,
    param: str = "default_payment_method",
) -> str | None:
    """A PaymentMethod id given as a default for a customer (its invoices, subscriptions,
    invoice settings) must name one attached to that customer; None for no value."""
    if not value:
        return None
    found = ctx.load("payment_method", value, param=param, noun="PaymentMethod", in_path=False)
    if customer_id is None or found.get("customer") != customer_id:
        raise InvalidRequestError(
            f"The customer does not have a payment method with the ID {value}. The payment "
            "method must be attached to the customer.",
            param=param,
        )
    return str(found["id"])


ROUTES = [
    Route("POST", "/v1/payment_methods", create),
    Route("GET", "/v1/payment_methods", list_),
    Route("GET", "/v1/payment_methods/{payment_method}", retrieve),
    Route("POST", "/v1/payment_methods/{payment_method}", update),
    Route("POST", "/v1/payment_methods/{payment_method}/attach", attach),
    Route("POST", "/v1/payment_methods/{payment_method}/detach", detach),
    Route(
        "GET",
        "/v1/customers/{customer}/payment_methods",
        customer_list,
        permission="payment_methods",
    ),
    Route(
        "GET",
        "/v1/customers/{customer}/payment_methods/{payment_method}",
        customer_retrieve,
        permission="payment_methods",
    ),
]
