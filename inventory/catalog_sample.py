"""The sample catalog a seller downloads from the import page: the import's own columns, realistic rows.

Column names stay the canonical English ones (the import reads those in every language); product and variant
names follow the dashboard's language and prices the seller's currency, so the file reads like the seller's
own. It is written the way the import reads best everywhere: UTF-8 with a BOM (so Excel shows accents),
commas, a decimal point.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import get_language

from core.money import exponent as currency_exponent
from core.money import input_amount
from inventory.catalog_csv import COLUMNS

# (code, name per language, price in whole units of a two-decimal currency, [(variant per language, sku, stock)])
_PRODUCTS: list[tuple[str, dict[str, str], int, list[tuple[dict[str, str], str, int]]]] = [
    (
        "A12",
        {"es": "Blusa satinada", "pt": "Blusa de cetim", "en": "Satin blouse"},
        299,
        [
            ({"es": "CH", "pt": "P", "en": "S"}, "A12-CH", 4),
            ({"es": "M", "pt": "M", "en": "M"}, "A12-M", 6),
            ({"es": "G", "pt": "G", "en": "L"}, "A12-G", 3),
        ],
    ),
    (
        "B7",
        {"es": "Vestido de lino", "pt": "Vestido de linho", "en": "Linen dress"},
        449,
        [
            ({"es": "Beige", "pt": "Bege", "en": "Beige"}, "B7-BEI", 2),
            ({"es": "Negro", "pt": "Preto", "en": "Black"}, "B7-NEG", 5),
        ],
    ),
    (
        "J30",
        {"es": "Jeans mom fit", "pt": "Calça jeans mom", "en": "Mom jeans"},
        549,
        [
            ({"es": "28", "pt": "38", "en": "28"}, "J30-28", 3),
            ({"es": "30", "pt": "40", "en": "30"}, "J30-30", 4),
        ],
    ),
    # One size: the variant column stays empty.
    (
        "15",
        {"es": "Aretes de filigrana", "pt": "Brincos de filigrana", "en": "Filigree earrings"},
        189,
        [({}, "15", 10)],
    ),
]
# Prices of currencies without decimals (CLP, PYG…) are of another order: 299 → 14,950 CLP reads right.
_ZERO_DECIMAL_FACTOR = 50


def catalog_sample_csv(*, currency: str) -> str:
    """The sample file's text (with its BOM) in the active language and `currency`."""
    language = (get_language() or "es")[:2]
    if language not in ("es", "pt", "en"):
        language = "es"
    exponent = currency_exponent(currency)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for code, names, whole_units, variants in _PRODUCTS:
        price_minor = whole_units * 100 if exponent == 2 else whole_units * _ZERO_DECIMAL_FACTOR
        price = input_amount(price_minor, currency)
        for labels, sku, stock in variants:
            writer.writerow([code, names[language], price, currency, labels.get(language, ""), sku, stock])
    return out.getvalue()
