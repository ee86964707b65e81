"""Prices as sellers type them and as forms show them: text ↔ minor units (cents) of the product's currency.

Sellers in Latin America write "249,90" as often as "249.90", and spreadsheets add thousands separators
("1.249,90", "1,249.90", "15.000" CLP). A price is read the one way that is a valid amount of its currency:
a separator followed by exactly three digits is a thousands separator (three decimals exist in none of our
currencies), any other is the decimal separator; both kinds together mean the last one is the decimal one.
Displaying prices is the `money` template filter's job; this module only round-trips the price input.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# ISO 4217 currencies without minor units; everything else has two decimals.
ZERO_DECIMAL_CURRENCIES = frozenset({"CLP", "JPY", "KRW", "PYG", "VND", "ISK", "UGX", "XAF", "XOF"})
# Product.price_minor is a bigint; a price this large is a typo, refused before PostgreSQL would.
MAX_PRICE_MINOR = 10**12

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_GROUPED_INTEGER = re.compile(r"^[1-9]\d{0,2}(?P<sep>[.,])\d{3}((?P=sep)\d{3})*$")
_DOTS_THEN_DECIMAL_COMMA = re.compile(r"^\d{1,3}(\.\d{3})+,\d+$")
_COMMAS_THEN_DECIMAL_DOT = re.compile(r"^\d{1,3}(,\d{3})+\.\d+$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")


def currency_exponent(currency: str) -> int:
    """Digits after the decimal separator: 0 for CLP, 2 for MXN."""
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def price_input_value(*, price_minor: int, currency: str) -> str:
    """The value of a price input: 44900 MXN → "449.00", 5000 CLP → "5000" (no grouping, a dot)."""
    exponent = currency_exponent(currency)
    return f"{Decimal(price_minor).scaleb(-exponent):.{exponent}f}"


def _normalized(raw: str) -> str:
    text = _SPACES.sub("", raw)
    if _GROUPED_INTEGER.match(text):
        return text.replace(".", "").replace(",", "")
    if _DOTS_THEN_DECIMAL_COMMA.match(text):
        return text.replace(".", "").replace(",", ".")
    if _COMMAS_THEN_DECIMAL_DOT.match(text):
        return text.replace(",", "")
    if _DECIMAL_COMMA.match(text):
        return text.replace(",", ".")
    return text


def price_to_minor(raw: str, currency: str) -> int:
    """'249.90' or '249,90' MXN → 24990; '15.000' CLP → 15000. Raises ValueError with a reason the seller
    can act on (in the active language)."""
    text = _normalized(raw.strip())
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("price %(price)r is not a number such as 249.90 or 249,90") % {"price": raw}) from None
    if not amount.is_finite():
        raise ValueError(_("price %(price)r is not a number such as 249.90 or 249,90") % {"price": raw})
    if amount < 0:
        raise ValueError(_("price %(price)r must be zero or more") % {"price": raw})
    exponent = currency_exponent(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(
            _("price %(price)r has more than %(decimals)s decimals for %(currency)s")
            % {"price": raw, "decimals": exponent, "currency": currency}
        )
    if minor > MAX_PRICE_MINOR:
        raise ValueError(_("price %(price)r is too large") % {"price": raw})
    return int(minor)
