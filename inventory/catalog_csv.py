"""Parse and validate a catalog CSV (`code,name,price,currency,variant,sku,stock`, one row per variant).

Every row is checked and every problem reported with its line number before anything is written. Files come
as spreadsheets save them: UTF-8 with or without a BOM, UTF-16 ("Unicode text"), or Windows-1252 (Excel's
"CSV" on Windows in Spanish or Portuguese); separated by commas, semicolons (Excel where the decimal
separator is a comma) or tabs; prices with a decimal point or comma (see `core.money.parse_amount`). Messages are in
the active language: the seller reads them on the import page.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.money import parse_amount

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "CatalogFileError",
    "CatalogRow",
    "RowError",
    "decode_catalog_bytes",
    "parse_catalog_csv",
]

COLUMNS = ("code", "name", "price", "currency", "variant", "sku", "stock")
DELIMITERS = (",", ";", "\t")
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class CatalogRow:
    line: int
    code: str
    name: str
    price_minor: int
    currency: str
    variant: str
    sku: str
    stock: int


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CatalogFileError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) in the catalog file")


def decode_catalog_bytes(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8 (BOM or not), UTF-16 with its BOM, else Windows-1252, the encoding
    of Excel's plain "CSV" on Windows. Raises CatalogFileError when it is empty or none of those."""
    if not raw.strip():
        raise CatalogFileError([RowError(1, _("The file is empty."))])
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CatalogFileError([RowError(1, _("The file is not text we can read: save it as “CSV UTF-8”."))])


def _delimiter_of(text: str) -> str:
    """The separator that splits the header into the most of our column names (a comma when none does)."""
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""

    def known_columns(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return len({cell.strip().lower() for cell in cells} & set(COLUMNS))

    return max(DELIMITERS, key=known_columns)


def parse_catalog_csv(text: str) -> list[CatalogRow]:
    """Return the rows, or raise CatalogFileError listing every problem found."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter_of(text))
    header = [column.strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        message = ngettext(
            "missing column: %(missing)s; the first line must name the columns %(expected)s",
            "missing columns: %(missing)s; the first line must name the columns %(expected)s",
            len(missing),
        ) % {"missing": ", ".join(missing), "expected": ",".join(COLUMNS)}
        raise CatalogFileError([RowError(1, message)])
    reader.fieldnames = header

    rows: list[CatalogRow] = []
    errors: list[RowError] = []
    seen_variants: dict[tuple[str, str], int] = {}
    seen_skus: dict[str, int] = {}
    product_first_row: dict[str, CatalogRow] = {}
    for line, record in enumerate(reader, start=2):
        if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
            continue  # a blank line (spreadsheets often end with some): nothing to import, nothing wrong
        row_errors, row = _parse_row(line, record)
        if row is None:
            errors.extend(row_errors)
            continue
        key = (row.code.lower(), row.variant.lower())
        if key in seen_variants:
            errors.append(
                RowError(
                    line,
                    _("product %(code)s variant %(variant)r repeats line %(line)s")
                    % {"code": row.code, "variant": row.variant, "line": seen_variants[key]},
                )
            )
        seen_variants.setdefault(key, line)
        if row.sku:
            if row.sku in seen_skus:
                errors.append(
                    RowError(
                        line, _("sku %(sku)r repeats line %(line)s") % {"sku": row.sku, "line": seen_skus[row.sku]}
                    )
                )
            seen_skus.setdefault(row.sku, line)
        first = product_first_row.setdefault(row.code.lower(), row)
        if (first.name, first.price_minor, first.currency) != (row.name, row.price_minor, row.currency):
            errors.append(
                RowError(
                    line,
                    _("product %(code)s has another name, price or currency on line %(line)s")
                    % {"code": row.code, "line": first.line},
                )
            )
        rows.append(row)
    if not rows and not errors:
        errors.append(RowError(1, _("the file has a header but no rows")))
    if errors:
        raise CatalogFileError(errors)
    return rows


def _parse_row(line: int, record: dict[str, str | None]) -> tuple[list[RowError], CatalogRow | None]:
    def field(name: str) -> str:
        return (record.get(name) or "").strip()

    errors: list[RowError] = []
    if None in record:
        errors.append(RowError(line, _("more fields than columns")))
    code, name, currency = field("code"), field("name"), field("currency").upper()
    variant, sku = field("variant"), field("sku")
    if not code:
        errors.append(RowError(line, _("code is empty")))
    elif len(code) > 32 or any(ch.isspace() for ch in code):
        errors.append(RowError(line, _("code %(code)r must be at most 32 characters without spaces") % {"code": code}))
    if not name:
        errors.append(RowError(line, _("name is empty")))
    elif len(name) > 200:
        errors.append(RowError(line, _("name is longer than 200 characters")))
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        errors.append(
            RowError(
                line,
                _("currency %(currency)r must be a 3-letter ISO code such as MXN") % {"currency": field("currency")},
            )
        )
    if len(variant) > 64:
        errors.append(RowError(line, _("variant is longer than 64 characters")))
    if len(sku) > 64:
        errors.append(RowError(line, _("sku is longer than 64 characters")))
    price_minor = 0
    try:
        price_minor = parse_amount(field("price"), currency)
    except ValueError as exc:
        errors.append(RowError(line, str(exc)))
    stock = 0
    try:
        stock = int(field("stock"))
        if stock < 0:
            errors.append(RowError(line, _("stock %(stock)s must be zero or more") % {"stock": stock}))
    except ValueError:
        errors.append(RowError(line, _("stock %(stock)r is not a whole number") % {"stock": field("stock")}))
    if errors:
        return errors, None
    return [], CatalogRow(line, code, name, price_minor, currency, variant, sku, stock)
