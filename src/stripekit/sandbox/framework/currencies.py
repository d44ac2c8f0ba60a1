"""Currency facts the sandbox needs: which currencies a (US) Stripe account can charge in,
and which have no minor unit. Amounts are always integers in the smallest unit (cents;
yen)."""

from __future__ import annotations

from typing import Any

from .errors import InvalidRequestError

# The presentment currencies of a US account, in the order Stripe's error lists them.
_CODES = """
usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd
bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp
gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf
krw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn
nad ngn nio nok npr nzd pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr
sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv
wst xaf xcd xof xpf yer zar zmw
"""
SUPPORTED = tuple(_CODES.split())
_SUPPORTED = frozenset(SUPPORTED)

# Stripe's zero-decimal currencies: `amount=500` in jpy is ¥500, not ¥5.
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)


def check(value: Any, param: str = "currency") -> str:
    """The currency code, lower-cased (Stripe accepts `USD`), or Stripe's error."""
    code = str(value).lower()
    if code not in _SUPPORTED:
        raise InvalidRequestError(
            f"Invalid currency: {value}. Stripe currently supports these currencies: "
            + ", ".join(SUPPORTED),
            param=param,
        )
    return code


def check_key(key: str, param: str) -> str:
    """A currency used as a map's key (`currency_options[eur]`): as `check`, except that
    Stripe wants it lower-case already."""
    if key != key.lower() and key.lower() in _SUPPORTED:
        raise InvalidRequestError(
            "Currencies must be lowercase when used as keys in a map. "
            f"Use `{key.lower()}` instead of `{key}`.",
            param=param,
        )
    return check(key, param)


def minor_units(currency: str) -> int:
    """Decimal places of the currency's smallest unit (0 for jpy, 2 for usd)."""
    return 0 if currency.lower() in ZERO_DECIMAL else 2
