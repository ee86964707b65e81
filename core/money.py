"""Money: amounts are integers in the currency's minor units everywhere (database, streams, Stripe); this is the
one place that knows how many minor units a currency has, reads a decimal price into them and writes them for
people to read.

- `exponent("MXN") == 2`, `exponent("CLP") == 0`, `exponent("BHD") == 3` (ISO 4217, one table below).
- `parse_amount("249,90", "MXN") == 24990` (a decimal comma or point, thousands separators); more decimals
  than the currency has is an `AmountError`.
- `input_amount(44900, "MXN") == "449.00"`: the value a form field or a CSV cell shows (never "449.0").
- `format_amount(134700, "MXN", language="es") == "$1,347.00 MXN"`: CLDR's currency format (Babel) of the
  language as spoken where the currency is at home (es + MXN → es-MX, es + COP → es-CO, pt → pt-BR, ...).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, localedata
from babel.numbers import NumberPattern, get_currency_symbol, parse_pattern
from django.utils import translation
from django.utils.translation import gettext as _

# ISO 4217 minor-unit exponents that are not 2 (the list maintained by SIX, 2024 amendments). Every other code,
# known or not, has two decimals. Payment providers may disagree (Stripe's own rules), and their gateway
# converts; our amounts always follow this table.
ISO_4217_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
DEFAULT_EXPONENT = 2

# The region a language is read in when the currency's own country does not speak it (an ISK price for a
# Spanish-speaking buyer): our buyers are mostly Latin American.
DEFAULT_REGION = {"es": "419", "pt": "BR", "en": "US"}
DEFAULT_LANGUAGE = "es"

# A bare "$" names a dozen pesos and dollars; the ISO code after it says which (CLDR gives "$" for the local
# currency in es-MX, es-CO, es-CL, es-AR, en-US...).
AMBIGUOUS_SYMBOLS = frozenset({"$"})
# CLDR's currency spacing: letters of a code or symbol never touch the digits ("ISK 5,000", not "ISK5,000").
_LETTER_TOUCHING_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


# Amounts are bigints in the database; a price this large is a typo, refused before PostgreSQL would.
MAX_AMOUNT_MINOR = 10**12
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_GROUPED_INTEGER = re.compile(r"^[1-9]\d{0,2}(?P<sep>[.,])\d{3}((?P=sep)\d{3})*$")
_DOTS_THEN_DECIMAL_COMMA = re.compile(r"^\d{1,3}(\.\d{3})+,\d+$")
_COMMAS_THEN_DECIMAL_DOT = re.compile(r"^\d{1,3}(,\d{3})+\.\d+$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")


class AmountError(ValueError):
    """A price that is not a valid amount of its currency; the message says why (shown to sellers)."""


def exponent(currency: str) -> int:
    """How many decimals the currency has (ISO 4217): 0 for CLP, 2 for MXN, 3 for BHD."""
    return ISO_4217_EXPONENTS.get(currency.strip().upper(), DEFAULT_EXPONENT)


def parse_amount(raw: str, currency: str) -> int:
    """A price as sellers and spreadsheets write it, in minor units: '249.90' or '249,90' MXN → 24990,
    '1.249,90' or '1,249.90' → 124990, '15.000' CLP → 15000, '1.234' BHD → 1234. A separator followed by exactly
    three digits groups thousands unless the currency has three decimals; two different separators mean the
    last one is the decimal one. Raises AmountError with a reason the seller can act on (active language)."""
    text = _normalized(_SPACES.sub("", str(raw).strip()), exponent(currency))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise AmountError(_("price %(price)r is not a number such as 249.90 or 249,90") % {"price": raw}) from None
    if not amount.is_finite():
        raise AmountError(_("price %(price)r is not a number such as 249.90 or 249,90") % {"price": raw})
    if amount < 0:
        raise AmountError(_("price %(price)r must be zero or more") % {"price": raw})
    digits = exponent(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise AmountError(
            _("price %(price)r has more than %(decimals)s decimals for %(currency)s")
            % {"price": raw, "decimals": digits, "currency": currency}
        )
    if minor > MAX_AMOUNT_MINOR:
        raise AmountError(_("price %(price)r is too large") % {"price": raw})
    return int(minor)


def _normalized(text: str, digits: int) -> str:
    """`text` with a decimal point and no grouping (see `parse_amount`)."""
    if digits != 3 and _GROUPED_INTEGER.match(text):
        return text.replace(".", "").replace(",", "")
    if _DOTS_THEN_DECIMAL_COMMA.match(text):
        return text.replace(".", "").replace(",", ".")
    if _COMMAS_THEN_DECIMAL_DOT.match(text):
        return text.replace(",", "")
    if _DECIMAL_COMMA.match(text):
        return text.replace(",", ".")
    return text


def amount_decimal(amount_minor: int, currency: str) -> Decimal:
    """24990 MXN → Decimal('249.90'), with exactly the currency's decimals."""
    digits = exponent(currency)
    return Decimal(int(amount_minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def input_amount(amount_minor: int, currency: str) -> str:
    """The amount as a form input or a CSV cell holds it: '449.00' MXN, '5000' CLP, '1.234' BHD."""
    return f"{amount_decimal(amount_minor, currency):f}"


def format_amount(amount_minor: int, currency: str, *, language: str | None = None) -> str:
    """The amount for people to read in `language` (default: the active one), e.g. es "$1,347.00 MXN",
    es "$5.000 CLP", pt "R$ 1.347,00", en "ISK 5,000". Without a currency, only the number."""
    code = (currency or "").strip().upper()
    locale = _locale(_language(language), code)
    digits = exponent(code)
    if not code:
        return _pattern(str(locale.decimal_formats[None].pattern), digits).apply(
            amount_decimal(amount_minor, code), locale
        )
    pattern = _pattern(str(locale.currency_formats["standard"].pattern), digits)
    text = pattern.apply(amount_decimal(amount_minor, code), locale, currency=code, currency_digits=False)
    text = _LETTER_TOUCHING_DIGIT.sub("\xa0", text)
    if get_currency_symbol(code, locale) in AMBIGUOUS_SYMBOLS:
        text = f"{text}\xa0{code}"
    return text


def _language(language: str | None) -> str:
    code = (language or translation.get_language() or DEFAULT_LANGUAGE).split("-")[0].split("_")[0].lower()
    return code if code in DEFAULT_REGION else DEFAULT_LANGUAGE


@lru_cache(maxsize=256)
def _locale(language: str, currency: str) -> Locale:
    """The language as written in the currency's home country (ISO 4217 codes of national currencies begin
    with the country's ISO 3166 code), when CLDR knows that locale; else the language's default region."""
    home = f"{language}_{currency[:2]}"
    if len(currency) == 3 and localedata.exists(home):
        return Locale.parse(home)
    return Locale.parse(f"{language}_{DEFAULT_REGION[language]}")


@lru_cache(maxsize=256)
def _pattern(pattern: str, digits: int) -> NumberPattern:
    """The locale's pattern with the currency's decimals (CLDR's own digits table differs from ISO 4217)."""
    parsed = parse_pattern(pattern)
    parsed.frac_prec = (digits, digits)
    return parsed
