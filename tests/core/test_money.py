"""core.money: one table of currency exponents, parsing prices into minor units, and writing amounts for
people (CLDR formats through Babel) and for form inputs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from core.money import AmountError, amount_decimal, exponent, format_amount, input_amount, parse_amount
from tests.processes import ROOT


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        *[("CLP", 0), ("PYG", 0), ("ISK", 0), ("JPY", 0), ("KRW", 0), ("MXN", 2), ("COP", 2), ("BRL", 2)],
        *[("USD", 2), ("BHD", 3), ("KWD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3), ("CLF", 4), ("clp", 0)],
        ("ZZZ", 2),
    ],
)
def test_exponents_follow_iso_4217(currency: str, digits: int) -> None:
    assert exponent(currency) == digits


@pytest.mark.parametrize(
    ("raw", "currency", "minor"),
    [
        *[("249.90", "MXN", 24990), ("249.9", "MXN", 24990), ("15000", "CLP", 15000), ("5000", "ISK", 5000)],
        *[("1.234", "BHD", 1234), ("0", "USD", 0), (" 10 ", "COP", 1000)],
    ],
)
def test_a_decimal_price_becomes_minor_units_of_its_currency(raw: str, currency: str, minor: int) -> None:
    assert parse_amount(raw, currency) == minor


@pytest.mark.parametrize(
    ("raw", "currency", "message"),
    [
        ("abc", "MXN", "price 'abc' is not a number such as 249.90 or 249,90"),
        ("-1", "MXN", "price '-1' must be zero or more"),
        ("NaN", "MXN", "price 'NaN' is not a number such as 249.90 or 249,90"),
        ("10.9999", "MXN", "price '10.9999' has more than 2 decimals for MXN"),
        ("5000.5", "CLP", "price '5000.5' has more than 0 decimals for CLP"),
        ("1.2345", "BHD", "price '1.2345' has more than 3 decimals for BHD"),
    ],
)
def test_a_price_the_currency_cannot_hold_is_refused_with_the_reason(raw: str, currency: str, message: str) -> None:
    with translation.override("en"), pytest.raises(AmountError) as error:
        parse_amount(raw, currency)
    assert str(error.value) == message
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    ("minor", "currency", "value"),
    [
        *[(44900, "MXN", "449.00"), (44950, "MXN", "449.50"), (0, "MXN", "0.00"), (5000, "CLP", "5000")],
        *[(5000, "ISK", "5000"), (1234, "BHD", "1.234"), (1000, "BHD", "1.000"), (7, "COP", "0.07")],
    ],
)
def test_form_inputs_show_every_decimal_of_the_currency(minor: int, currency: str, value: str) -> None:
    assert input_amount(minor, currency) == value
    assert parse_amount(value, currency) == minor
    assert str(amount_decimal(minor, currency)) == value


@pytest.mark.parametrize(
    ("minor", "currency", "language", "text"),
    [
        # Exponent 2, in the language as spoken where the currency is at home.
        (134700, "MXN", "es", "$1,347.00 MXN"),
        (134700, "MXN", "pt", "MX$ 1.347,00"),
        (134700, "MXN", "en", "MX$1,347.00"),
        (134750, "COP", "es", "$1.347,50 COP"),
        (134700, "BRL", "pt", "R$ 1.347,00"),
        (134700, "BRL", "es", "R$1,347.00"),
        (134700, "USD", "en", "$1,347.00 USD"),
        # Exponent 0: whole units, never divided by 100.
        (5000, "CLP", "es", "$5.000 CLP"),
        (5000, "CLP", "pt", "CLP 5.000"),
        (5000, "CLP", "en", "CLP 5,000"),
        (5000, "ISK", "es", "ISK 5,000"),
        (5000, "ISK", "pt", "ISK 5.000"),
        (5000, "ISK", "en", "ISK 5,000"),
        (5000, "PYG", "es", "Gs. 5.000"),
        # Exponent 3.
        (1234, "BHD", "es", "BHD 1.234"),
        (1234, "BHD", "pt", "BHD 1,234"),
        (1234567, "KWD", "en", "KWD 1,234.567"),
        # Negative amounts and a cart without a currency yet.
        (-2500, "MXN", "es", "-$25.00 MXN"),
        (134700, "", "pt", "1.347,00"),
    ],
)
def test_amounts_read_the_way_each_language_writes_money(minor: int, currency: str, language: str, text: str) -> None:
    assert format_amount(minor, currency, language=language).replace("\xa0", " ") == text


def test_the_active_language_is_used_when_none_is_given() -> None:
    with translation.override("pt"):
        assert format_amount(5000, "CLP").replace("\xa0", " ") == "CLP 5.000"
    with translation.override("pt-br"):
        assert format_amount(134700, "BRL").replace("\xa0", " ") == "R$ 1.347,00"
    with translation.override("fr"):  # a language we do not speak: Spanish, our default
        assert format_amount(134700, "MXN").replace("\xa0", " ") == "$1,347.00 MXN"


def test_core_imports_no_domain_app() -> None:
    domain_apps = {"tenants", "inventory", "livestreams", "payments", "messenger"}
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not {name.split(".")[0] for name in names} & domain_apps, f"{path} imports a domain app"
