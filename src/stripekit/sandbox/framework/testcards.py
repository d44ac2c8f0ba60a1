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


# -- SEPA Direct Debit: Stripe's test IBANs ---------------------------------------------
#
# A debit never settles at confirmation: the PaymentIntent is `processing` and its charge
# `pending` until the bank answers. Stripe's test IBANs answer at once or "after at least
# three minutes" (the `Delayed` ones), succeed, fail with a failure code, or succeed and
# are disputed straight away. Any other valid IBAN succeeds at once.

SEPA_SUCCEED = "succeed"
SEPA_FAIL = "fail"
SEPA_DISPUTE = "dispute"
SEPA_DELAY_SECONDS = 180  # "after at least three minutes"


@dataclass(frozen=True, slots=True)
class TestIban:
    __test__ = False  # a bank account, not a pytest test class

    iban: str
    outcome: str = SEPA_SUCCEED
    failure_code: str | None = None  # the charge's `failure_code` when the debit fails
    delayed: bool = False

    @property
    def country(self) -> str:
        return self.iban[:2]

    @property
    def last4(self) -> str:
        return self.iban[-4:]

    @property
    def fingerprint(self) -> str:
        return hashlib.blake2b(self.iban.encode(), digest_size=8).hexdigest()

    @property
    def bank_code(self) -> str | None:
        start, bank, _ = _IBAN_CODES.get(self.country, (0, 0, 0))
        return self.iban[4 + start : 4 + start + bank] or None

    @property
    def branch_code(self) -> str:
        start, bank, branch = _IBAN_CODES.get(self.country, (0, 0, 0))
        begin = 4 + start + bank
        return self.iban[begin : begin + branch]


# Where the bank and branch codes sit in a country's BBAN: (offset, bank length, branch
# length). Countries not listed show no bank code.
_IBAN_CODES: dict[str, tuple[int, int, int]] = {
    "AT": (0, 5, 0),
    "BE": (0, 3, 0),
    "DE": (0, 8, 0),
    "EE": (0, 2, 0),
    "ES": (0, 4, 4),
    "FI": (0, 3, 0),
    "FR": (0, 5, 5),
    "HR": (0, 7, 0),
    "IE": (0, 4, 6),
    "IT": (1, 5, 5),
    "LU": (0, 3, 0),
    "NL": (0, 4, 0),
    "PT": (0, 4, 4),
}

# IBAN lengths of the SEPA countries (the scheme's members that use IBANs).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip

# Stripe's test IBANs, country by country, in the order of its tables: succeeds,
# succeeds late, fails, fails late, disputed, over the weekly volume limit, over the
# transaction limit, insufficient funds.
_SEPA_TEST_TABLE: dict[str, tuple[str, ...]] = {
    "AT": (
        "AT611904300234573201", "AT321904300235473204", "AT861904300235473202",
        "AT051904300235473205", "AT591904300235473203", "AT981904300000343434",
        "AT601904300000121212", "AT981904300002222227",
    ),
    "BE": (
        "BE62510007547061", "BE78510007547064", "BE68539007547034", "BE51510007547065",
        "BE08510007547063", "BE90510000343434", "BE52510000121212", "BE90510002222227",
    ),
    "DE": (
        "DE89370400440532013000", "DE08370400440532013003", "DE62370400440532013001",
        "DE78370400440532013004", "DE35370400440532013002", "DE65370400440000343434",
        "DE27370400440000121212", "DE65370400440002222227",
    ),
    "EE": (
        "EE382200221020145685", "EE222200221020145682", "EE762200221020145680",
        "EE922200221020145683", "EE492200221020145681", "EE672200000000343434",
        "EE292200000000121212", "EE672200000002222227",
    ),
    "FI": (
        "FI2112345600000785", "FI3712345600000788", "FI9112345600000786",
        "FI1012345600000789", "FI6412345600000787", "FI6712345600343434",
        "FI2912345600121212", "FI6712345602222227",
    ),
    "FR": (
        "FR1420041010050500013M02606", "FR3020041010050500013M02609",
        "FR8420041010050500013M02607", "FR7920041010050500013M02600",
        "FR5720041010050500013M02608", "FR9720041010050000000343434",
        "FR5920041010050000000121212", "FR9720041010050000002222227",
    ),
    "HR": (
        "HR7624020064583467589", "HR6323600002337876649", "HR2725000096983499248",
        "HR6723600004878117427", "HR8724840081455523553", "HR7424020060000343434",
        "HR3624020060000121212", "HR7424020060002222227",
    ),
}  # fmt: skip
# Stripe documents no failure code for the plain "fails" IBANs; this is the code its
# SEPA guide gives for a failure without a particular reason.
SEPA_GENERIC_FAILURE = "generic_could_not_process"


def _sepa_behaviours(ibans: tuple[str, ...]) -> tuple[TestIban, ...]:
    ok, ok_late, fail, fail_late, disputed, volume, per_debit, funds = ibans
    return (
        TestIban(ok),
        TestIban(ok_late, delayed=True),
        TestIban(fail, SEPA_FAIL, SEPA_GENERIC_FAILURE),
        TestIban(fail_late, SEPA_FAIL, SEPA_GENERIC_FAILURE, delayed=True),
        TestIban(disputed, SEPA_DISPUTE),
        TestIban(volume, SEPA_FAIL, "charge_exceeds_source_limit"),
        TestIban(per_debit, SEPA_FAIL, "charge_exceeds_weekly_limit"),
        TestIban(funds, SEPA_FAIL, "insufficient_funds"),
    )


TEST_IBANS: dict[str, TestIban] = {
    account.iban: account
    for ibans in _SEPA_TEST_TABLE.values()
    for account in _sepa_behaviours(ibans)
}

# What the charge's `failure_message` says for each failure code (Stripe's SEPA guide
# explains the codes; the sentences are the sandbox's).
SEPA_FAILURE_MESSAGES: dict[str, str] = {
    "generic_could_not_process": "The payment could not be processed.",
    "insufficient_funds": "The customer's account has insufficient funds to cover this payment.",
    "charge_exceeds_source_limit": "This payment would exceed the account's weekly payment "
    "volume limit.",
    "charge_exceeds_weekly_limit": "This payment exceeds the account's limit per transaction.",
}


def normalized_iban(value: str) -> str:
    return value.replace(" ", "").upper()


def iban_valid(iban: str) -> bool:
    """A SEPA country's IBAN of the right length whose check digits hold (mod 97)."""
    if len(iban) < 5 or not iban.isalnum() or not iban[2:4].isdigit():
        return False
    if IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def iban_for(value: str) -> TestIban | None:
    """The test bank account an IBAN stands for, or None when it is not a valid IBAN."""
    iban = normalized_iban(value)
    known = TEST_IBANS.get(iban)
    if known is not None:
        return known
    return TestIban(iban) if iban_valid(iban) else None


# -- ACH Direct Debit: Stripe's test US bank accounts --------------------------------------
#
# Stripe's test routing number and account numbers (its ACH guide, "Test account numbers").
# Like a SEPA debit, an ACH debit is `processing` until the bank answers; these accounts
# succeed, fail with a failure code, are disputed, or never settle. Any other account
# number at a valid routing number succeeds.

ACH_TEST_ROUTING_NUMBER = "110000000"
ACH_PROCESSING = "processing"  # "stays in processing indefinitely"
ACH_MICRODEPOSITS_FAIL = "microdeposits_fail"  # "fails to send microdeposits"


@dataclass(frozen=True, slots=True)
class TestUsBankAccount:
    __test__ = False  # a bank account, not a pytest test class

    routing_number: str
    account_number: str
    outcome: str = SEPA_SUCCEED
    failure_code: str | None = None  # the charge's `failure_code` when the debit fails
    delayed: bool = False  # the debits module's interface: Stripe's ACH tests settle at once

    @property
    def last4(self) -> str:
        return self.account_number[-4:]

    @property
    def fingerprint(self) -> str:
        key = f"{self.routing_number}:{self.account_number}"
        return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


TEST_US_BANK_ACCOUNTS: dict[str, TestUsBankAccount] = {
    account.account_number: account
    for account in (
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000123456789"),
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000111111113", SEPA_FAIL, "account_closed"),
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000111111116", SEPA_FAIL, "no_account"),
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000222222227", SEPA_FAIL, "insufficient_funds"),
        TestUsBankAccount(
            ACH_TEST_ROUTING_NUMBER, "000333333335", SEPA_FAIL, "debit_not_authorized"
        ),
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000444444440", SEPA_FAIL, "invalid_currency"),
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000666666661", ACH_MICRODEPOSITS_FAIL),
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000555555559", SEPA_DISPUTE),
        TestUsBankAccount(ACH_TEST_ROUTING_NUMBER, "000000000009", ACH_PROCESSING),
    )
}

# What the charge's `failure_message` says for each ACH failure code (Stripe's table names
# the reasons; the sentences are the sandbox's).
ACH_FAILURE_MESSAGES: dict[str, str] = {
    "account_closed": "The customer's bank account has been closed.",
    "no_account": "The customer's bank account could not be located.",
    "insufficient_funds": "The customer's account has insufficient funds to cover this payment.",
    "debit_not_authorized": "The customer has notified their bank that this payment was "
    "unauthorized.",
    "invalid_currency": "The bank was unable to process this payment because of its currency.",
}

# Stripe's test microdeposit values: (amounts, descriptor code) -> what verifying does.
MICRODEPOSITS_VERIFIED = "verified"
MICRODEPOSITS_ATTEMPTS_EXCEEDED = "attempts_exceeded"
MICRODEPOSITS_TIMEOUT = "timeout"
MICRODEPOSIT_TEST_AMOUNTS: dict[tuple[int, int], str] = {
    (32, 45): MICRODEPOSITS_VERIFIED,
    (10, 11): MICRODEPOSITS_ATTEMPTS_EXCEEDED,
    (40, 41): MICRODEPOSITS_TIMEOUT,
}
MICRODEPOSIT_TEST_DESCRIPTOR_CODES: dict[str, str] = {
    "SM11AA": MICRODEPOSITS_VERIFIED,
    "SM33CC": MICRODEPOSITS_ATTEMPTS_EXCEEDED,
    "SM44DD": MICRODEPOSITS_TIMEOUT,
}


def routing_number_valid(routing_number: str) -> bool:
    """Nine digits whose ABA checksum holds (3-7-1 weights, sum divisible by 10)."""
    if len(routing_number) != 9 or not routing_number.isdigit():
        return False
    digits = [int(char) for char in routing_number]
    weights = (3, 7, 1) * 3
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def us_bank_account_for(routing_number: str, account_number: str) -> TestUsBankAccount:
    """The test account behind these numbers (any other account succeeds)."""
    known = TEST_US_BANK_ACCOUNTS.get(account_number)
    if known is not None and routing_number == ACH_TEST_ROUTING_NUMBER:
        return known
    return TestUsBankAccount(routing_number, account_number)
