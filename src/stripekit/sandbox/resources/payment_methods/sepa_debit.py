"""SEPA Direct Debit PaymentMethods (`type=sepa_debit`): a bank account by its IBAN.

Stripe requires the account holder's name and email (`billing_details`) and a valid IBAN
of a SEPA country. The stored `sepa_debit` hash shows the bank and branch codes, the
country, a fingerprint and the last four characters; the IBAN itself is never stored.
Which test IBAN a PaymentMethod was made from (and so how its debits end) is found again
from its fingerprint (`bank_account_of`).
"""

from __future__ import annotations

from typing import Any

from ...framework import testcards
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from ...framework.testcards import TestIban

TYPE = "sepa_debit"
_BY_FINGERPRINT = {account.fingerprint: account for account in testcards.TEST_IBANS.values()}


def _missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def bank_account_from_params(params: dict[str, Any], billing: dict[str, Any]) -> TestIban:
    """Check `sepa_debit[iban]` and the billing name and email Stripe requires."""
    given = params.get("sepa_debit")
    iban = given.get("iban") if isinstance(given, dict) else None
    if not iban:
        raise _missing("sepa_debit[iban]")
    account = testcards.iban_for(str(iban))
    if account is None:
        # Stripe's error code for a bad IBAN; the sentence is the sandbox's.
        raise InvalidRequestError(
            "The IBAN you provided is invalid.",
            param="sepa_debit[iban]",
            code="invalid_bank_account_iban",
        )
    for field in ("name", "email"):
        if not billing.get(field):
            raise _missing(f"billing_details[{field}]")
    return account


def details(account: TestIban) -> dict[str, Any]:
    """The `sepa_debit` hash of a PaymentMethod."""
    return {
        "bank_code": account.bank_code,
        "branch_code": account.branch_code,
        "country": account.country,
        "fingerprint": account.fingerprint,
        "generated_from": {"charge": None, "setup_attempt": None},
        "last4": account.last4,
    }


def new(
    ctx: RequestContext,
    account: TestIban,
    billing: dict[str, Any],
    meta: dict[str, str],
) -> dict[str, Any]:
    """Store a new sepa_debit PaymentMethod. Stripe sends no event for a creation."""
    payment_method = {
        "id": ctx.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing,
        "created": ctx.now,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": meta,
        "sepa_debit": details(account),
        "type": TYPE,
    }
    return ctx.insert(payment_method)


def bank_account_of(payment_method: dict[str, Any]) -> TestIban:
    """The test IBAN a sepa_debit PaymentMethod (or a charge's details) was made from;
    any other IBAN succeeds."""
    shown = payment_method.get(TYPE) or {}
    known = _BY_FINGERPRINT.get(shown.get("fingerprint") or "")
    if known is not None:
        return known
    return TestIban(f"{shown.get('country') or 'DE'}00{shown.get('last4') or '0000'}")
