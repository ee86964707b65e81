"""Writes on the catalog. Every stock change is a conditional update plus a StockMovement row."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, F, Value
from django.db.models.functions import Cast, Lower
from django.utils.translation import gettext as _

from inventory.catalog_csv import CatalogFileError, CatalogRow
from inventory.models import Product, StockMovement, Variant
from inventory.selectors import VariantKey, catalog_conflicts, on_hand_fingerprint
from tenants.selectors import current_schema

logger = logging.getLogger(__name__)

PRODUCT_CODE_MAX_LENGTH = 32
PRODUCT_DESCRIPTION_MAX_LENGTH = 2000
PRODUCT_IMAGE_URL_MAX_LENGTH = 200  # Product.image_url is a URLField of Django's default length
UNIQUE_VIOLATION = "23505"
STOCK_MAX = 2**31 - 1  # Variant.stock_on_hand and reserved are PostgreSQL integers
# What product_details_update sets; the rest of a product (name, price, currency, variants) is catalog_import's.
PRODUCT_DETAIL_FIELDS = ("code", "description", "image_url", "active")


class StockError(Exception):
    """A stock change that would break `0 <= reserved <= stock_on_hand`."""


class CatalogChangedError(Exception):
    """The stock on hand changed between the import's preview and its confirmation: nothing was written."""


class ProductDetailsError(Exception):
    """Product details that cannot be saved. `field` names the input at fault (None: the product itself)."""

    def __init__(self, message: str, *, field: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ImportSummary:
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int


def catalog_import(*, rows: list[CatalogRow], actor: str, expected_fingerprint: str | None = None) -> ImportSummary:
    """Upsert products and variants by code + variant label; stock is set to the file's value (it replaces the
    units on hand; reserved units stay reserved).

    All rows are checked against the database first; on any problem nothing is written and
    CatalogFileError lists every problem with its line number. `expected_fingerprint`: the
    `on_hand_fingerprint` of the preview the seller confirmed; if the counts it covers changed since (a sale,
    an adjustment), CatalogChangedError is raised and nothing is written.
    """
    with transaction.atomic():
        products, variants = _lock_products_of(rows)
        if expected_fingerprint is not None and expected_fingerprint != on_hand_fingerprint(
            rows=rows, variants=variants
        ):
            raise CatalogChangedError
        conflicts = catalog_conflicts(rows=rows, variants=variants)
        if conflicts:
            raise CatalogFileError(conflicts)

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


def _lock_products_of(rows: list[CatalogRow]) -> tuple[dict[str, Product], dict[VariantKey, Variant]]:
    """Lock the products the rows name and their variants (in code order, then variant order, as every import
    does), so editing one product waits for no other. Every other variant is read unlocked, for the SKU check
    (its UNIQUE index stays the arbiter). Returns products by lower-cased code and variants by `variant_key`."""
    codes = sorted({row.code.lower() for row in rows})
    named = Product.objects.alias(code_lower=Lower("code")).filter(code_lower__in=codes)
    products: dict[str, Product] = {p.code.lower(): p for p in named.select_for_update()}
    ids = [p.pk for p in products.values()]
    locked = Variant.objects.filter(product_id__in=ids).select_related("product").select_for_update(of=("self",))
    others = Variant.objects.exclude(product_id__in=ids).select_related("product")
    variants = {(v.product.code.lower(), v.label.lower()): v for v in [*locked, *others]}
    return products, variants


def stock_adjust(*, variant_id: int, on_hand_delta: int, actor: str, note: str = "") -> Variant:
    """Add (or remove, if negative) units on hand. Refuses to go below what is reserved, or above STOCK_MAX
    (the column is a PostgreSQL integer: the guard is compared in bigint, so no value overflows it)."""
    if on_hand_delta == 0:
        raise StockError("A stock adjustment must change the stock.")
    if abs(on_hand_delta) > STOCK_MAX:
        raise StockError(f"A stock adjustment changes at most {STOCK_MAX} units.")
    with transaction.atomic():
        updated = (
            Variant.objects.alias(reserved_big=Cast("reserved", BigIntegerField()))
            .filter(
                pk=variant_id,
                stock_on_hand__gte=F("reserved_big") - on_hand_delta,
                stock_on_hand__lte=STOCK_MAX - on_hand_delta,
            )
            .update(stock_on_hand=F("stock_on_hand") + on_hand_delta)
        )
        if updated != 1:
            variant = Variant.objects.filter(pk=variant_id).first()
            if variant is None:
                raise StockError(f"Variant {variant_id} does not exist.")
            if on_hand_delta > 0:
                raise StockError(
                    f"Cannot add {on_hand_delta} unit(s) of {variant}: {variant.stock_on_hand} on hand, "
                    f"and a variant holds at most {STOCK_MAX}."
                )
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


def product_details_update(
    *, product_id: int, code: str, description: str, image_url: str, active: bool, actor: str
) -> Product:
    """Set a product's live code, description, image URL and whether it is on sale; returns the product.

    Name, price, currency and variants stay with `catalog_import`. The code is trimmed; it must be 1 to 32
    characters without spaces and no other product of this seller may use it in any case. After a rename,
    comments must use the new code (those with the old one no longer match); reservations point at variants,
    so they stay. An inactive product leaves what the claims stage matches within a second (it re-reads the
    active catalog every second); its reservations stay. Raises ProductDetailsError, writing nothing, when
    an input is refused. The change is logged with the actor after the commit (products have no history
    table; stock keeps its own in StockMovement).
    """
    code = _clean_code(code)
    description = description.strip()
    if len(description) > PRODUCT_DESCRIPTION_MAX_LENGTH:
        raise ProductDetailsError(
            _("Keep the description to %(max)s characters or fewer.") % {"max": PRODUCT_DESCRIPTION_MAX_LENGTH},
            field="description",
        )
    image_url = _clean_image_url(image_url)
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise ProductDetailsError(_("This product no longer exists."), field=None)
        clash = _other_product_with_code(code=code, product_id=product_id)
        if clash is not None:
            raise _code_taken(code=code, clash=clash)
        wanted = {"code": code, "description": description, "image_url": image_url, "active": active}
        changes = {f: (getattr(product, f), new) for f, new in wanted.items() if getattr(product, f) != new}
        if not changes:
            return product
        for field, (_old, new) in changes.items():
            setattr(product, field, new)
        try:
            # A savepoint: a concurrent rename to the same code, committed after the check above, ends here
            # on the UNIQUE constraint, and the transaction must stay usable to name the winner.
            with transaction.atomic():
                product.save(update_fields=[*changes, "updated_at"])
        except IntegrityError as error:
            if not _is_code_clash(error):
                raise
            raise _code_taken(code=code, clash=_other_product_with_code(code=code, product_id=product_id)) from error
        schema_name = current_schema()
        transaction.on_commit(
            lambda: logger.info(
                "product %s details updated by %s in %s: %s",
                product_id,
                actor,
                schema_name,
                _describe(changes),
                extra={"schema": schema_name, "product_id": product_id, "actor": actor, "changed": sorted(changes)},
            )
        )
    return product


def product_save(
    *, product_id: int | None, fields: Mapping[str, Any], variants: Sequence[Mapping[str, Any]], actor: str
) -> Product:
    """Create a product (`product_id` None) or save one from the dashboard's form: name, price, currency and
    variants through `catalog_import` (the one writer of those), then code, description, image and the
    on-sale flag through `product_details_update`, in one transaction: a refused detail writes nothing.
    `fields`: the form's cleaned data; `variants`: new variant lines (label, sku, stock).

    A new product is inserted first, so the code's UNIQUE index decides between two sellers' staff creating
    the same code at once (the loser is told, nothing of theirs is written). An edited product is locked
    alone; its import is given its code under that lock, so a concurrent rename cannot make a second product,
    and its existing variants keep their stock (changes go through adjustments, with a reason).
    Raises ProductDetailsError or CatalogFileError, writing nothing."""
    with transaction.atomic():
        if product_id is None:
            product = _product_insert(fields)
        else:
            found = Product.objects.select_for_update().filter(pk=product_id).first()
            if found is None:
                raise ProductDetailsError(_("This product no longer exists."), field=None)
            product = found
        existing = list(Variant.objects.select_for_update().filter(product=product)) if product_id else []
        lines: list[Mapping[str, Any]] = [{"label": v.label, "sku": v.sku} for v in existing] + list(variants)
        current_stock = {v.label.lower(): v.stock_on_hand for v in existing}
        rows = [
            _form_row(line, code=product.code, fields=fields, variant=variant, current_stock=current_stock)
            for line, variant in enumerate(lines or [{"label": "", "sku": "", "stock": 0}], start=1)
        ]
        catalog_import(rows=rows, actor=actor)
        details = {field: fields[field] for field in PRODUCT_DETAIL_FIELDS}
        return product_details_update(product_id=product.pk, **details, actor=actor)


def _form_row(
    line: int, *, code: str, fields: Mapping[str, Any], variant: Mapping[str, Any], current_stock: dict[str, int]
) -> CatalogRow:
    """A variant line of the form as a line of the CSV import; a variant that exists keeps its stock."""
    label = str(variant.get("label") or "").strip()
    stock = current_stock.get(label.lower())
    return CatalogRow(
        line=line,
        code=code,
        name=fields["name"],
        price_minor=fields["price_minor"],
        currency=fields["currency"],
        variant=label,
        sku=str(variant.get("sku") or "").strip(),
        stock=stock if stock is not None else int(variant.get("stock") or 0),
    )


def _product_insert(fields: Mapping[str, Any]) -> Product:
    code = _clean_code(fields["code"])
    try:
        with transaction.atomic():  # a savepoint: the transaction stays usable to name the product that won
            return Product.objects.create(
                code=code, name=fields["name"], price_minor=fields["price_minor"], currency=fields["currency"]
            )
    except IntegrityError as error:
        if not _is_code_clash(error):
            raise
        raise _code_taken(code=code, clash=_other_product_with_code(code=code, product_id=0)) from error


def _clean_code(raw: str) -> str:
    code = raw.strip()
    if not code:
        raise ProductDetailsError(_("Enter the code viewers type in comments."), field="code")
    if len(code) > PRODUCT_CODE_MAX_LENGTH or any(ch.isspace() for ch in code):
        raise ProductDetailsError(
            _("A code has at most %(max)s characters and no spaces.") % {"max": PRODUCT_CODE_MAX_LENGTH},
            field="code",
        )
    return code


def _clean_image_url(raw: str) -> str:
    url = raw.strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ProductDetailsError(
            _("Enter the image's web address, starting with http:// or https://."), field="image_url"
        ) from None
    if len(url) > PRODUCT_IMAGE_URL_MAX_LENGTH:
        raise ProductDetailsError(
            _("The image address is longer than %(max)s characters.") % {"max": PRODUCT_IMAGE_URL_MAX_LENGTH},
            field="image_url",
        )
    return url


def _other_product_with_code(*, code: str, product_id: int) -> Product | None:
    """Compared with PostgreSQL's lower(), like the UNIQUE index `product_code_unique_ci`."""
    return (
        Product.objects.alias(code_lower=Lower("code"))
        .filter(code_lower=Lower(Value(code)))
        .exclude(pk=product_id)
        .first()
    )


def _code_taken(*, code: str, clash: Product | None) -> ProductDetailsError:
    if clash is None:
        return ProductDetailsError(_("Another product already uses the code %(code)s.") % {"code": code}, field="code")
    return ProductDetailsError(
        _("The code %(code)s is already used by %(product)s.")
        % {"code": code, "product": f"{clash.code} {clash.name}"},
        field="code",
    )


def _is_code_clash(error: IntegrityError) -> bool:
    """A UNIQUE violation on the product table, whose one UNIQUE index is the code's. Matched by table, not
    constraint name: schemas cloned from the template carry PostgreSQL-generated constraint names."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "sqlstate", None) == UNIQUE_VIOLATION and getattr(diag, "table_name", None) == (
        Product._meta.db_table
    )


def _describe(changes: dict[str, tuple[object, object]]) -> str:
    """The log's view of a change: old and new code and flag; long texts only as 'changed'."""
    parts = []
    for field, (old, new) in sorted(changes.items()):
        parts.append(f"{field} {old!r} -> {new!r}" if field in ("code", "active") else f"{field} changed")
    return ", ".join(parts)
