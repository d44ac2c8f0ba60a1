"""Stripe's test card numbers and test payment method ids, and what each one does.

The sandbox answers a payment with the outcome Stripe's test mode gives the same card:
`pm_card_visa`/`tok_visa`/4242424242424242 succeed, `pm_card_chargeDeclined` declines
with `card_declined`/`generic_decline`, `pm_card_authenticationRequired` asks for 3-D
Secure, and so on. Any other number that passes the Luhn check behaves like 4242 with the
brand its prefix names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

SUCCEED = "succeed"
DECLINE = "decline"
AUTHENTICATE = "authenticate"  # 3-D Secure on every payment
AUTHENTICATE_UNLESS_SET_UP = "authenticate_unless_set_up"  # not once saved for off-session
DISPUTE = "dispute"  # succeeds, then the cardholder disputes it
REFUND_FAIL = "refund_fail"  # succeeds; refunds fail after a while
CHARGE_CUSTOMER_FAIL = "charge_customer_fail"  # attaches fine; every charge declines
BYPASS_PENDING = "bypass_pending"  # funds available at once


@dataclass(frozen=True, slots=True)
class TestCard:
    __test__ = False  # a card, not a pytest test class

    number: str
    brand: str
    funding: str = "credit"
    country: str = "US"
    outcome: str = SUCCEED
    error_code: str | None = None  # the card_error `code` of a decline
    decline_code: str | None = None
    dispute_reason: str = "fraudulent"

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        return hashlib.blake2b(self.number.encode(), digest_size=8).hexdigest()


def _declined(number: str, decline_code: str, error_code: str = "card_declined") -> TestCard:
    return TestCard(
        number, "visa", outcome=DECLINE, error_code=error_code, decline_code=decline_code
    )


CARDS: dict[str, TestCard] = {
    card.number: card
    for card in (
        TestCard("4242424242424242", "visa"),
        TestCard("4000056655665556", "visa", "debit"),
        TestCard("5555555555554444", "mastercard"),
        TestCard("5200828282828210", "mastercard", "debit"),
        TestCard("5105105105105100", "mastercard", "prepaid"),
        TestCard("378282246310005", "amex"),
        TestCard("6011111111111117", "discover"),
        TestCard("3056930009020004", "diners"),
        TestCard("3566002020360505", "jcb"),
        TestCard("6200000000000005", "unionpay"),
        TestCard("4000000000000077", "visa", outcome=BYPASS_PENDING),
        _declined("4000000000000002", "generic_decline"),
        _declined("4000000000009995", "insufficient_funds"),
        _declined("4000000000009987", "lost_card"),
        _declined("4000000000009979", "stolen_card"),
        _declined("4000000000006975", "card_velocity_exceeded"),
        _declined("4100000000000019", "fraudulent"),
        _declined("4000000000000069", "expired_card", "expired_card"),
        _declined("4000000000000127", "incorrect_cvc", "incorrect_cvc"),
        _declined("4000000000000119", "processing_error", "processing_error"),
        TestCard(
            "4000000000000341",
            "visa",
            outcome=CHARGE_CUSTOMER_FAIL,
            error_code="card_declined",
            decline_code="generic_decline",
        ),
        TestCard("4000002760003184", "visa", outcome=AUTHENTICATE),
        TestCard("4000000000003220", "visa", outcome=AUTHENTICATE),
        TestCard("4000002500003155", "visa", outcome=AUTHENTICATE_UNLESS_SET_UP),
        TestCard("4000000000003055", "visa"),  # 3-D Secure supported, not required
        TestCard("4000000000000259", "visa", outcome=DISPUTE),
        TestCard(
            "4000000000002685", "visa", outcome=DISPUTE, dispute_reason="product_not_received"
        ),
        TestCard("4000000000001976", "visa", outcome=DISPUTE, dispute_reason="general"),
        TestCard("4000000000005126", "visa", outcome=REFUND_FAIL),
    )
}

# `pm_card_<name>` and `tok_<name>` stand for these numbers.
MAGIC_NAMES: dict[str, str] = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "mastercard_debit": "5200828282828210",
    "mastercard_prepaid": "5105105105105100",
    "amex": "378282246310005",
    "discover": "6011111111111117",
    "diners": "3056930009020004",
    "jcb": "3566002020360505",
    "unionpay": "6200000000000005",
    "bypassPending": "4000000000000077",
    "chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "chargeDeclinedFraudulent": "4100000000000019",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
    "chargeCustomerFail": "4000000000000341",
    "authenticationRequired": "4000002760003184",
    "threeDSecure2Required": "4000000000003220",
    "authenticationRequiredOnSetup": "4000002500003155",
    "threeDSecureOptional": "4000000000003055",
    "createDispute": "4000000000000259",
    "createDisputeProductNotReceived": "4000000000002685",
    "createDisputeInquiry": "4000000000001976",
    "refundFail": "4000000000005126",
}

# Stripe's customer-facing messages for each decline.
DECLINE_MESSAGES: dict[str, str] = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "fraudulent": "Your card was declined.",
    "card_velocity_exceeded": "Your card was declined for making repeated attempts too "
    "frequently or exceeding its amount limit.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}


# What the card network says with each decline: (network_decline_code, advice_code,
# seller_message). One table for payment intents, charges, setup intents and attach.
DECLINE_NETWORK: dict[str, tuple[str | None, str | None, str]] = {
    "generic_decline": (
        "01",
        "try_again_later",
        "The bank did not return any further details with this decline.",
    ),
    "insufficient_funds": ("51", "try_again_later", ""),
    "lost_card": ("41", "do_not_try_again", ""),
    "stolen_card": ("43", "do_not_try_again", ""),
    "card_velocity_exceeded": ("61", "try_again_later", ""),
    "expired_card": ("54", "confirm_card_data", ""),  # with network advice 03
    "incorrect_cvc": ("N7", "confirm_card_data", ""),
    "processing_error": ("96", "try_again_later", ""),
    "authentication_required": (None, None, ""),
}
# The card field a decline blames, as Stripe's `param`.
DECLINE_PARAMS = {"expired_card": "exp_month", "incorrect_cvc": "cvc"}
AUTH_REQUIRED_MESSAGE = "Your card was declined. This transaction requires authentication."


def decline_message(decline_code: str) -> str:
    if decline_code == "authentication_required":
        return AUTH_REQUIRED_MESSAGE
    return DECLINE_MESSAGES.get(decline_code, "Your card was declined.")


def decline_details(card: TestCard, *, code: str | None = None) -> dict[str, Any]:
    """A decline as the error, `last_payment_error` and the charge show it: code,
    decline_code, message, and where Stripe gives them param/advice/network codes."""
    decline_code = card.decline_code or "generic_decline"
    network, advice, _ = DECLINE_NETWORK.get(decline_code, (None, None, ""))
    out: dict[str, Any] = {
        "code": code or card.error_code or "card_declined",
        "decline_code": decline_code,
        "message": decline_message(decline_code),
    }
    if decline_code == "fraudulent":
        return out  # blocked by Radar before the network: no network code, no advice
    if advice:
        out["advice_code"] = advice
    if network:
        out["network_decline_code"] = network
    if decline_code == "expired_card":
        out["network_advice_code"] = "03"
    if decline_code in DECLINE_PARAMS:
        out["param"] = DECLINE_PARAMS[decline_code]
    return out


def seller_message(decline_code: str) -> str:
    seller = DECLINE_NETWORK.get(decline_code, (None, None, ""))[2]
    return seller or f"The bank returned the decline code `{decline_code}`."


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    if number.startswith(("36", "30", "38")):
        return "diners"
    if number.startswith("35"):
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


def card_for_number(number: str) -> TestCard | None:
    """The test card a number stands for, or None when it fails the Luhn check."""
    number = number.replace(" ", "").replace("-", "")
    known = CARDS.get(number)
    if known is not None:
        return known
    if not luhn_valid(number):
        return None
    return TestCard(number, brand_of(number))


def card_for_magic(name: str) -> TestCard | None:
    """`visa` (from `pm_card_visa` / `tok_visa`) -> its test card."""
    number = MAGIC_NAMES.get(name)
    return CARDS[number] if number is not None else None
