"""ACH Direct Debit PaymentMethods (`type=us_bank_account`): a US bank account by its
routing and account numbers.

Stripe requires the account holder's name (`billing_details[name]`), a routing number and
an account number. The stored `us_bank_account` hash shows the bank's name (Stripe's test
routing number is "STRIPE TEST BANK"), the routing number, the last four digits and a
fingerprint; the account number itself is never stored. Which test account a
PaymentMethod was made from (and so how its debits end) is found again from its
fingerprint (`bank_account_of`).

Manually entered accounts are verified with microdeposits: the sandbox has no Financial
Connections, so every confirmation asks for them (as Stripe does when instant
verification is unavailable). `check_microdeposits` judges what the customer enters
against Stripe's test values.
"""

from __future__ import annotations

from typing import Any

from ...framework import testcards
from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from ...framework.testcards import TestUsBankAccount

TYPE = "us_bank_account"
_BY_FINGERPRINT = {
    account.fingerprint: account for account in testcards.TEST_US_BANK_ACCOUNTS.values()
}
_TEST_BANK_NAME = "STRIPE TEST BANK"
# Stripe allows three wrong answers before the verification fails (its ACH guide).
MICRODEPOSIT_ATTEMPTS = 3
# Side record (not a Stripe object, never served): a bank account's microdeposit
# verification, by PaymentMethod id (`attempts` made, `verified`).
VERIFICATION = "sandbox.microdeposit_verification"


def _missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def bank_account_from_params(
    params: dict[str, Any], billing: dict[str, Any]
) -> tuple[TestUsBankAccount, dict[str, Any]]:
    """Check `us_bank_account[...]` and the holder's name; the account and its shown
    holder and account types."""
    given = params.get(TYPE)
    given = given if isinstance(given, dict) else {}
    if given.get("financial_connections_account"):
        raise InvalidRequestError(
            "The sandbox has no Financial Connections accounts; give the routing and "
            "account numbers instead.",  # the sandbox's sentence
            param="us_bank_account[financial_connections_account]",
        )
    for field in ("routing_number", "account_number"):
        if not given.get(field):
            raise _missing(f"us_bank_account[{field}]")
    routing = str(given["routing_number"]).strip()
    if not testcards.routing_number_valid(routing):
        # Stripe's error code for a bad routing number; the sentence is the sandbox's.
        raise InvalidRequestError(
            f"Invalid routing number: {routing}.",
            param="us_bank_account[routing_number]",
            code="routing_number_invalid",
        )
    number = str(given["account_number"]).strip()
    if not number.isdigit() or not 4 <= len(number) <= 17:
        raise InvalidRequestError(  # the sandbox's sentence
            "The account number must be between 4 and 17 digits.",
            param="us_bank_account[account_number]",
            code="account_number_invalid",
        )
    if not billing.get("name"):
        raise _missing("billing_details[name]")
    shown = {
        "account_holder_type": given.get("account_holder_type") or "individual",
        "account_type": given.get("account_type") or "checking",
    }
    return testcards.us_bank_account_for(routing, number), shown


def details(account: TestUsBankAccount, shown: dict[str, Any]) -> dict[str, Any]:
    """The `us_bank_account` hash of a PaymentMethod."""
    return {
        "account_holder_type": shown["account_holder_type"],
        "account_type": shown["account_type"],
        "bank_name": _TEST_BANK_NAME
        if account.routing_number == testcards.ACH_TEST_ROUTING_NUMBER
        else None,
        "financial_connections_account": None,
        "fingerprint": account.fingerprint,
        "last4": account.last4,
        "networks": {"preferred": "ach", "supported": ["ach"]},
        "routing_number": account.routing_number,
        "status_details": {},
    }


def new(
    ctx: RequestContext,
    account: TestUsBankAccount,
    shown: dict[str, Any],
    billing: dict[str, Any],
    meta: dict[str, str],
) -> dict[str, Any]:
    """Store a new us_bank_account PaymentMethod. Stripe sends no event for a creation."""
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
        TYPE: details(account, shown),
        "type": TYPE,
    }
    return ctx.insert(payment_method)


def bank_account_of(payment_method: dict[str, Any]) -> TestUsBankAccount:
    """The test account a us_bank_account PaymentMethod (or a charge's details) was made
    from; any other account succeeds."""
    shown = payment_method.get(TYPE) or {}
    known = _BY_FINGERPRINT.get(shown.get("fingerprint") or "")
    if known is not None:
        return known
    return TestUsBankAccount(shown.get("routing_number") or "", shown.get("last4") or "0000")


# -- microdeposit verification ------------------------------------------------------------


def verification_action(ctx: RequestContext, intent_id: str, kind: str) -> dict[str, Any]:
    """`next_action` of an intent waiting for its microdeposits: Stripe sends them at
    once in test mode and shows when they land (the sandbox says the next day)."""
    return {
        "type": "verify_with_microdeposits",
        "verify_with_microdeposits": {
            "arrival_date": ctx.now + 86400,
            "hosted_verification_url": (
                f"{_page_base(ctx)}/_sandbox/pages/microdeposits/{ctx.account}/{intent_id}"
            ),
            "microdeposit_type": kind,
        },
    }


def _page_base(ctx: RequestContext) -> str:
    # Payment intents import this package: imported here.
    from ..payment_intents import charging

    return charging.page_base(ctx)


def options(given: Any) -> dict[str, Any]:
    """`payment_method_options[us_bank_account]` of an intent: how the account is verified
    (the sandbox has no Financial Connections, so `automatic` falls back to
    microdeposits)."""
    given = given if isinstance(given, dict) else {}
    return {"verification_method": given.get("verification_method") or "automatic"}


def is_verified(ctx: RequestContext, payment_method_id: str) -> bool:
    record = ctx.find(VERIFICATION, payment_method_id)
    return bool(record and record["verified"])


def begin_verification(ctx: RequestContext, payment_method_id: str, mandate_id: str | None) -> None:
    """Microdeposits are on their way to the account; the debit waiting for them will be
    made under `mandate_id`."""
    record = ctx.find(VERIFICATION, payment_method_id)
    if record is None:
        record = {"id": payment_method_id, "object": VERIFICATION, "created": ctx.now}
        ctx.insert({**record, "attempts": 0, "verified": False, "mandate": mandate_id})
    else:
        record["mandate"] = mandate_id
        ctx.save(record)


def verification_mandate(ctx: RequestContext, payment_method_id: str) -> str | None:
    record = ctx.find(VERIFICATION, payment_method_id)
    return record["mandate"] if record else None


def verify(
    ctx: RequestContext, payment_method_id: str, params: dict[str, Any], microdeposit_type: str
) -> InvalidRequestError | None:
    """Judge the values entered for a PaymentMethod's microdeposits: None once verified,
    the error that ends the verification (attempts exhausted, timed out), or raise the
    mismatch error of a wrong guess (the attempt is counted, so the error keeps writes)."""
    outcome = check_microdeposits(params, microdeposit_type)
    record = ctx.find(VERIFICATION, payment_method_id)
    if record is None:
        begin_verification(ctx, payment_method_id, None)
        record = ctx.find(VERIFICATION, payment_method_id) or {}
    if outcome == testcards.MICRODEPOSITS_VERIFIED:
        record["verified"] = True
        ctx.save(record)
        return None
    if outcome == testcards.MICRODEPOSITS_TIMEOUT:
        return timeout_error()
    record["attempts"] += 1
    ctx.save(record)
    remaining = MICRODEPOSIT_ATTEMPTS - record["attempts"]
    if outcome == testcards.MICRODEPOSITS_ATTEMPTS_EXCEEDED or remaining <= 0:
        return attempts_exceeded_error()
    error = mismatch_error(params, remaining)
    error.keep_writes = True
    raise error


def verify_intent(
    ctx: RequestContext, intent: dict[str, Any], params: dict[str, Any], state_code: str
) -> tuple[dict[str, Any], InvalidRequestError | None]:
    """Judge the values entered for a PaymentIntent's or SetupIntent's microdeposits:
    its PaymentMethod and what `verify` says. An intent not waiting for them is refused
    with `state_code` (`payment_intent_unexpected_state` / `setup_intent_unexpected_state`)."""
    action = intent.get("next_action") or {}
    payment_method = ctx.find("payment_method", intent["payment_method"] or "")
    if action.get("type") != "verify_with_microdeposits" or payment_method is None:
        noun = "PaymentIntent" if intent["object"] == "payment_intent" else "SetupIntent"
        # Stripe's code; the sentence is the sandbox's.
        raise InvalidRequestError(
            f"This {noun} is not waiting for microdeposit verification (its status is "
            f"{intent['status']}).",
            code=state_code,
        )
    kind = action["verify_with_microdeposits"]["microdeposit_type"]
    return payment_method, verify(ctx, payment_method["id"], params, kind)


def failed_verification(
    ended: InvalidRequestError, payment_method: dict[str, Any]
) -> dict[str, Any]:
    """The intent's `last_payment_error` / `last_setup_error` once verification failed."""
    from ..payment_intents import charging  # payment intents import this package

    body = ended.body()["error"]
    return {
        "code": body["code"],
        "doc_url": charging.doc_url(body["code"]),
        "message": body["message"],
        "payment_method": payment_method,
        "payment_method_type": TYPE,
        "type": "invalid_request_error",
    }


def check_microdeposits(params: dict[str, Any], microdeposit_type: str) -> str | None:
    """What the values entered do: Stripe's test outcome, or None when they are wrong.
    Refuses values of the wrong kind (amounts where a descriptor code was sent)."""
    amounts = params.get("amounts")
    code = params.get("descriptor_code")
    if amounts is not None and code is not None:
        raise InvalidRequestError(  # the sandbox's sentence
            "Provide either amounts or descriptor_code, not both.", param="amounts"
        )
    if code is not None:
        return testcards.MICRODEPOSIT_TEST_DESCRIPTOR_CODES.get(str(code).upper())
    if amounts is None:
        param = "descriptor_code" if microdeposit_type == "descriptor_code" else "amounts"
        raise _missing(param)
    if len(amounts) != 2:
        raise InvalidRequestError(  # the sandbox's sentence
            "amounts must contain exactly two microdeposit amounts.",
            param="amounts",
        )
    pair = (int(amounts[0]), int(amounts[1]))
    return testcards.MICRODEPOSIT_TEST_AMOUNTS.get(pair)


def mismatch_error(params: dict[str, Any], remaining: int) -> InvalidRequestError:
    """Stripe's error for wrong microdeposit values (codes from its error code list)."""
    if params.get("descriptor_code") is not None:
        return InvalidRequestError(
            "The descriptor code provided does not match the code that was sent to the bank "
            f"account. You have {remaining} verification attempts remaining.",
            param="descriptor_code",
            code="payment_method_microdeposit_verification_descriptor_code_mismatch",
        )
    return InvalidRequestError(
        "The amounts provided do not match the amounts that were sent to the bank account. "
        f"You have {remaining} verification attempts remaining.",
        param="amounts",
        code="payment_method_microdeposit_verification_amounts_mismatch",
    )


def attempts_exceeded_error() -> InvalidRequestError:
    return InvalidRequestError(
        "You have exceeded the number of allowed verification attempts.",
        code="payment_method_microdeposit_verification_attempts_exceeded",
    )


def timeout_error() -> InvalidRequestError:
    return InvalidRequestError(
        "Microdeposits were failed to be verified within the allowed time.",
        code="payment_method_microdeposit_verification_timeout",
    )
