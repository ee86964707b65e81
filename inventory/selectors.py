"""Reads on the catalog."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from inventory.catalog_csv import CatalogRow, RowError
from inventory.models import Product, Variant

VariantKey = tuple[str, str]  # (lower-cased product code, lower-cased variant label): how an import finds a variant


def product_get_by_code(*, code: str) -> Product | None:
    return Product.objects.annotate(code_lower=Lower("code")).filter(code_lower=code.lower()).first()


def product_list(*, search: str = "", active: bool | None = None) -> QuerySet[Product]:
    """Products with their variants, by code; `active` True: on sale only, False: off sale only, None: all."""
    products = Product.objects.prefetch_related("variants")
    if search:
        products = products.filter(code__icontains=search) | products.filter(name__icontains=search)
    if active is not None:
        products = products.filter(active=active)
    return products.order_by("code")


def variant_key(row: CatalogRow) -> VariantKey:
    return (row.code.lower(), row.variant.lower())


def catalog_conflicts(*, rows: list[CatalogRow], variants: Mapping[VariantKey, Variant]) -> list[RowError]:
    """What the database refuses in an import: stock below the units buyers hold, a SKU another variant uses.
    `variants`: every variant of the seller by `variant_key`, with its product."""
    errors: list[RowError] = []
    sku_owner = {v.sku: key for key, v in variants.items() if v.sku}
    for row in rows:
        key = variant_key(row)
        existing = variants.get(key)
        if existing is not None and row.stock < existing.reserved:
            errors.append(
                RowError(
                    row.line,
                    _("stock %(stock)s is below the %(reserved)s unit(s) reserved for buyers")
                    % {"stock": row.stock, "reserved": existing.reserved},
                )
            )
        owner = sku_owner.get(row.sku) if row.sku else None
        if owner is not None and owner != key:
            errors.append(
                RowError(
                    row.line,
                    _("sku %(sku)r already belongs to product %(code)s %(variant)r")
                    % {"sku": row.sku, "code": owner[0].upper(), "variant": owner[1]},
                )
            )
    return errors


def on_hand_fingerprint(*, rows: list[CatalogRow], variants: Mapping[VariantKey, Variant]) -> str:
    """A digest of the on-hand counts an import would replace (and of which variants exist yet): what the
    seller saw in the preview. The import compares it under lock, so a sale or adjustment made between the
    preview and the confirmation is never overwritten unseen."""
    seen = sorted({variant_key(row) for row in rows})
    parts = [
        f"{code}\x1f{label}\x1f{variants[(code, label)].stock_on_hand if (code, label) in variants else '-'}"
        for code, label in seen
    ]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:32]


def catalog_variants_by_key() -> dict[VariantKey, Variant]:
    return {(v.product.code.lower(), v.label.lower()): v for v in Variant.objects.select_related("product")}


@dataclass(frozen=True)
class PreviewRow:
    """One row of the file and what confirming it does to the catalog."""

    row: CatalogRow
    product_exists: bool
    variant_exists: bool
    on_hand_before: int | None  # None: a new variant
    reserved: int
    price_before_minor: int | None  # set when the product exists with another price or currency
    currency_before: str
    name_before: str  # set when the product exists with another name

    @property
    def on_hand_change(self) -> int:
        return self.row.stock - (self.on_hand_before or 0)


@dataclass(frozen=True)
class ImportPreview:
    rows: list[PreviewRow]
    conflicts: list[RowError]
    fingerprint: str

    @property
    def products_new(self) -> int:
        return len({p.row.code.lower() for p in self.rows if not p.product_exists})

    @property
    def variants_new(self) -> int:
        return sum(1 for p in self.rows if not p.variant_exists)

    @property
    def stock_changes(self) -> int:
        return sum(1 for p in self.rows if p.variant_exists and p.on_hand_change)


def catalog_import_preview(*, rows: list[CatalogRow]) -> ImportPreview:
    """What importing `rows` would do, read without locks (the import checks again under lock). Two queries."""
    variants = catalog_variants_by_key()
    products = {p.code.lower(): p for p in Product.objects.all()}
    preview = []
    for row in rows:
        product = products.get(row.code.lower())
        variant = variants.get(variant_key(row))
        price_changed = product is not None and (product.price_minor, product.currency) != (
            row.price_minor,
            row.currency,
        )
        preview.append(
            PreviewRow(
                row=row,
                product_exists=product is not None,
                variant_exists=variant is not None,
                on_hand_before=variant.stock_on_hand if variant is not None else None,
                reserved=variant.reserved if variant is not None else 0,
                price_before_minor=product.price_minor if product is not None and price_changed else None,
                currency_before=product.currency if product is not None else "",
                name_before=product.name if product is not None and product.name != row.name else "",
            )
        )
    return ImportPreview(
        rows=preview,
        conflicts=catalog_conflicts(rows=rows, variants=variants),
        fingerprint=on_hand_fingerprint(rows=rows, variants=variants),
    )
