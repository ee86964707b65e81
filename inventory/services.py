"""Writes on the catalog. Every stock change is a conditional update plus a StockMovement row."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from inventory.catalog_csv import CatalogFileError, CatalogRow, RowError
from inventory.models import Product, StockMovement, Variant


class StockError(Exception):
    """A stock change that would break `0 <= reserved <= stock_on_hand`."""


@dataclass(frozen=True)
class ImportSummary:
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int


def catalog_import(*, rows: list[CatalogRow], actor: str) -> ImportSummary:
    """Upsert products and variants by code + variant label; stock is set to the file's value.

    All rows are checked against the database first; on any problem nothing is written and
    CatalogFileError lists every problem with its line number.
    """
    with transaction.atomic():
        products = {p.code.lower(): p for p in Product.objects.select_for_update()}
        variants = {
            (v.product.code.lower(), v.label.lower()): v
            for v in Variant.objects.select_related("product").select_for_update(of=("self",))
        }
        _check_against_database(rows=rows, variants=variants)

        products_created = products_updated = variants_created = variants_updated = 0
        for row in rows:
            product = products.get(row.code.lower())
            if product is None:
                product = Product.objects.create(
                    code=row.code, name=row.name, price_minor=row.price_minor, currency=row.currency
                )
                products[row.code.lower()] = product
                products_created += 1
            elif (product.name, product.price_minor, product.currency) != (row.name, row.price_minor, row.currency):
                Product.objects.filter(pk=product.pk).update(
                    name=row.name, price_minor=row.price_minor, currency=row.currency
                )
                product.name, product.price_minor, product.currency = row.name, row.price_minor, row.currency
                products_updated += 1

            variant = variants.get((row.code.lower(), row.variant.lower()))
            if variant is None:
                variant = Variant.objects.create(
                    product=product, label=row.variant, sku=row.sku, stock_on_hand=row.stock
                )
                variants[(row.code.lower(), row.variant.lower())] = variant
                variants_created += 1
                if row.stock:
                    _movement(
                        variant, StockMovement.Reason.IMPORT, on_hand=row.stock, actor=actor, note=f"line {row.line}"
                    )
                continue
            delta = row.stock - variant.stock_on_hand
            if delta or variant.sku != row.sku:
                Variant.objects.filter(pk=variant.pk).update(stock_on_hand=F("stock_on_hand") + delta, sku=row.sku)
                variants_updated += 1
            if delta:
                _movement(variant, StockMovement.Reason.IMPORT, on_hand=delta, actor=actor, note=f"line {row.line}")
    return ImportSummary(products_created, products_updated, variants_created, variants_updated)


def _check_against_database(*, rows: list[CatalogRow], variants: dict[tuple[str, str], Variant]) -> None:
    errors: list[RowError] = []
    sku_owner = {v.sku: key for key, v in variants.items() if v.sku}
    for row in rows:
        key = (row.code.lower(), row.variant.lower())
        existing = variants.get(key)
        if existing is not None and row.stock < existing.reserved:
            errors.append(
                RowError(row.line, f"stock {row.stock} is below the {existing.reserved} unit(s) reserved for buyers")
            )
        owner = sku_owner.get(row.sku) if row.sku else None
        if owner is not None and owner != key:
            errors.append(
                RowError(row.line, f"sku {row.sku!r} already belongs to product {owner[0].upper()} {owner[1]!r}")
            )
    if errors:
        raise CatalogFileError(errors)


def stock_adjust(*, variant_id: int, on_hand_delta: int, actor: str, note: str = "") -> Variant:
    """Add (or remove, if negative) units on hand. Refuses to go below what is reserved."""
    if on_hand_delta == 0:
        raise StockError("A stock adjustment must change the stock.")
    with transaction.atomic():
        updated = Variant.objects.filter(pk=variant_id, stock_on_hand__gte=F("reserved") - on_hand_delta).update(
            stock_on_hand=F("stock_on_hand") + on_hand_delta
        )
        if updated != 1:
            variant = Variant.objects.filter(pk=variant_id).first()
            if variant is None:
                raise StockError(f"Variant {variant_id} does not exist.")
            raise StockError(
                f"Cannot remove {-on_hand_delta} unit(s) of {variant}: {variant.stock_on_hand} on hand, "
                f"{variant.reserved} reserved for buyers."
            )
        variant = Variant.objects.select_related("product").get(pk=variant_id)
        _movement(variant, StockMovement.Reason.ADJUSTMENT, on_hand=on_hand_delta, actor=actor, note=note)
    return variant


def _movement(
    variant: Variant,
    reason: str,
    *,
    actor: str,
    on_hand: int = 0,
    reserved: int = 0,
    note: str = "",
    reservation_id: int | None = None,
) -> None:
    StockMovement.objects.create(
        variant=variant,
        reason=reason,
        on_hand_delta=on_hand,
        reserved_delta=reserved,
        actor=actor,
        note=note,
        reservation_id=reservation_id,
    )
