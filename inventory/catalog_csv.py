"""Parse and validate a catalog CSV (`code,name,price,currency,variant,sku,stock`, one row per variant).

Every row is checked and every problem reported with its line number before anything is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from core.money import parse_amount

COLUMNS = ("code", "name", "price", "currency", "variant", "sku", "stock")


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


def parse_catalog_csv(text: str) -> list[CatalogRow]:
    """Return the rows, or raise CatalogFileError listing every problem found."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise CatalogFileError([RowError(1, f"missing column(s): {', '.join(missing)}; expected {','.join(COLUMNS)}")])
    reader.fieldnames = header

    rows: list[CatalogRow] = []
    errors: list[RowError] = []
    seen_variants: dict[tuple[str, str], int] = {}
    seen_skus: dict[str, int] = {}
    product_first_row: dict[str, CatalogRow] = {}
    for line, record in enumerate(reader, start=2):
        row_errors, row = _parse_row(line, record)
        if row is None:
            errors.extend(row_errors)
            continue
        key = (row.code.lower(), row.variant.lower())
        if key in seen_variants:
            errors.append(
                RowError(line, f"product {row.code} variant {row.variant!r} repeats line {seen_variants[key]}")
            )
        seen_variants.setdefault(key, line)
        if row.sku:
            if row.sku in seen_skus:
                errors.append(RowError(line, f"sku {row.sku!r} repeats line {seen_skus[row.sku]}"))
            seen_skus.setdefault(row.sku, line)
        first = product_first_row.setdefault(row.code.lower(), row)
        if (first.name, first.price_minor, first.currency) != (row.name, row.price_minor, row.currency):
            errors.append(
                RowError(line, f"product {row.code} has another name, price or currency on line {first.line}")
            )
        rows.append(row)
    if not rows and not errors:
        errors.append(RowError(1, "the file has a header but no rows"))
    if errors:
        raise CatalogFileError(errors)
    return rows


def _parse_row(line: int, record: dict[str, str | None]) -> tuple[list[RowError], CatalogRow | None]:
    def field(name: str) -> str:
        return (record.get(name) or "").strip()

    errors: list[RowError] = []
    if None in record:
        errors.append(RowError(line, "more fields than columns"))
    code, name, currency = field("code"), field("name"), field("currency").upper()
    variant, sku = field("variant"), field("sku")
    if not code:
        errors.append(RowError(line, "code is empty"))
    elif len(code) > 32 or any(ch.isspace() for ch in code):
        errors.append(RowError(line, f"code {code!r} must be at most 32 characters without spaces"))
    if not name:
        errors.append(RowError(line, "name is empty"))
    elif len(name) > 200:
        errors.append(RowError(line, "name is longer than 200 characters"))
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        errors.append(RowError(line, f"currency {field('currency')!r} must be a 3-letter ISO code such as MXN"))
    if len(variant) > 64:
        errors.append(RowError(line, "variant is longer than 64 characters"))
    if len(sku) > 64:
        errors.append(RowError(line, "sku is longer than 64 characters"))
    price_minor = 0
    try:
        price_minor = parse_amount(field("price"), currency)
    except ValueError as exc:
        errors.append(RowError(line, str(exc)))
    stock = 0
    try:
        stock = int(field("stock"))
        if stock < 0:
            errors.append(RowError(line, f"stock {stock} must be zero or more"))
    except ValueError:
        errors.append(RowError(line, f"stock {field('stock')!r} is not a whole number"))
    if errors:
        return errors, None
    return [], CatalogRow(line, code, name, price_minor, currency, variant, sku, stock)
