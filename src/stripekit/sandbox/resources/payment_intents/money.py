"""Amount and currency rules shared by PaymentIntents, Charges and Refunds: Stripe's
minimum charge amounts and how Stripe writes an amount in a message (`$0.50`, `¥50`)."""

from __future__ import annotations

from ...framework.currencies import ZERO_DECIMAL
from ...framework.errors import InvalidRequestError

# Stripe's minimum charge per settlement currency, in the minor unit. Other currencies
# must convert to at least 50 US cents; with no exchange rates the sandbox asks 50 units.
MINIMUM_AMOUNTS = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}
DEFAULT_MINIMUM = 50
# Eight digits: Stripe's usual maximum ($999,999.99 for two-decimal currencies).
MAXIMUM_AMOUNT = 99_999_999
_SYMBOLS = {
    "usd": "$",
    "aud": "$",
    "cad": "$",
    "nzd": "$",
    "sgd": "$",
    "hkd": "$",
    "mxn": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "inr": "₹",
    "brl": "R$",
}


def format_amount(amount: int, currency: str) -> str:
    """`1500, "usd"` -> `$15.00`; `500, "jpy"` -> `¥500` (the way Stripe's messages do)."""
    symbol = _SYMBOLS.get(currency, "")
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if currency in ZERO_DECIMAL:
        return f"{sign}{symbol}{amount:,}"
    return f"{sign}{symbol}{amount // 100:,}.{amount % 100:02d}"


def minimum_amount(currency: str) -> int:
    return MINIMUM_AMOUNTS.get(currency, DEFAULT_MINIMUM)


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    """Stripe's refusals of a payment amount: zero or less, under the currency's minimum,
    over the eight-digit maximum."""
    if amount < 1:
        raise InvalidRequestError(
            "The amount must be greater than or equal to the minimum charge amount allowed "
            "for your account and the currency set "
            "(https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).  If you "
            "want to save a Payment Method for future use without an immediate payment, use a "
            "Setup Intent instead: https://docs.stripe.com/payments/setup-intents",
            param=param,
            code="parameter_invalid_integer",
        )
    minimum = minimum_amount(currency)
    if amount < minimum:
        raise InvalidRequestError(
            f"Amount must be at least {format_amount(minimum, currency)} {currency}",
            param=param,
            code="amount_too_small",
        )
    if amount > MAXIMUM_AMOUNT:
        raise InvalidRequestError(
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)} {currency}",
            param=param,
            code="amount_too_large",
        )
