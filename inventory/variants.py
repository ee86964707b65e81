"""Writes on one variant at a time: create a variant of a product with its initial stock (kept as a stock
movement with its reason), change its label or SKU. Stock changes afterwards go through `stock_adjust`.

Duplicates are decided by the UNIQUE indexes (a label once per product in any case, a SKU once per seller), not
by a check before the write: a concurrent insert of the same label loses on the index, and the refusal names
the variant that holds it. Messages are English, like stock_adjust's (the API's language)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower

from inventory.models import Product, StockMovement, Variant
from inventory.services import STOCK_MAX, UNIQUE_VIOLATION
from tenants.selectors import current_schema

logger = logging.getLogger(__name__)

LABEL_MAX_LENGTH = 64  # Variant.label
SKU_MAX_LENGTH = 64  # Variant.sku
VARIANT_FIELDS = ("label", "sku")  # what variant_update sets; stock is stock_adjust's


class VariantError(Exception):
    """A variant that cannot be written as asked. `field` names the input at fault (None: the variant or its
    product); `conflict`: another variant holds the label or SKU (the database refused the duplicate)."""

    def __init__(self, message: str, *, field: str | None, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.conflict = conflict


def variant_create(*, product_id: int, label: str, sku: str, stock: int, reason: str, actor: str) -> Variant:
    """A new variant of the product with `stock` units on hand; a stock above 0 needs a `reason`, kept in its
    stock movement (like every later change). The product is locked, as the catalog import locks it, so an
    import of the same product waits. Raises VariantError, writing nothing."""
    label, sku, reason = _clean_label(label), _clean_sku(sku), reason.strip()
    if not 0 <= stock <= STOCK_MAX:
        raise VariantError(f"Units on hand go from 0 to {STOCK_MAX}.", field="stock")
    if stock and not reason:
        raise VariantError("Say why these units are on hand (kept in the stock movement).", field="reason")
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise VariantError("This product no longer exists.", field=None)
        variant = Variant(product=product, label=label, sku=sku, stock_on_hand=stock)
        _save_or_explain(variant, insert=True)
        if stock:
            StockMovement.objects.create(
                variant=variant, reason=StockMovement.Reason.ADJUSTMENT, on_hand_delta=stock, actor=actor, note=reason
            )
        _log_on_commit("created", variant, actor=actor, changed=["label", "sku", "stock_on_hand"])
    return variant


def variant_update(*, variant_id: int, changes: Mapping[str, str], actor: str) -> Variant:
    """Set the given fields of VARIANT_FIELDS (label, SKU); returns the variant. A new label is what comments
    name from now on; reservations point at the variant, so they stay. Raises VariantError, writing nothing."""
    unknown = sorted(set(changes) - set(VARIANT_FIELDS))
    if unknown:
        raise VariantError("Only the label and the SKU of a variant can be changed here.", field=unknown[0])
    cleaners = {"label": _clean_label, "sku": _clean_sku}
    wanted = {field: cleaners[field](value) for field, value in changes.items()}
    with transaction.atomic():
        variant = Variant.objects.select_for_update().select_related("product").filter(pk=variant_id).first()
        if variant is None:
            raise VariantError("This variant no longer exists.", field=None)
        changed = [field for field, value in wanted.items() if getattr(variant, field) != value]
        if not changed:
            return variant
        for field in changed:
            setattr(variant, field, wanted[field])
        _save_or_explain(variant, insert=False, fields=changed)
        _log_on_commit("updated", variant, actor=actor, changed=changed)
    return variant


def _clean_label(raw: str) -> str:
    label = raw.strip()
    if not label:
        raise VariantError("Name the variant (its size or colour, as viewers write it).", field="label")
    if len(label) > LABEL_MAX_LENGTH:
        raise VariantError(f"A label has at most {LABEL_MAX_LENGTH} characters.", field="label")
    return label


def _clean_sku(raw: str) -> str:
    sku = raw.strip()
    if len(sku) > SKU_MAX_LENGTH:
        raise VariantError(f"A SKU has at most {SKU_MAX_LENGTH} characters.", field="sku")
    return sku


def _save_or_explain(variant: Variant, *, insert: bool, fields: list[str] | None = None) -> None:
    try:
        # A savepoint: after a UNIQUE violation the transaction must stay usable to name the holder.
        with transaction.atomic():
            if insert:
                variant.save(force_insert=True)
            else:
                variant.save(update_fields=[*(fields or []), "updated_at"])
    except IntegrityError as error:
        diag = getattr(error.__cause__, "diag", None)
        if getattr(diag, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        raise _duplicate(variant) from error


def _duplicate(variant: Variant) -> VariantError:
    """Which UNIQUE index refused the write, found by looking for the holder: the label of this product (in
    any case), else the SKU. Matched by what holds it, not by constraint name (schemas cloned from the
    template carry PostgreSQL-generated names)."""
    others = Variant.objects.exclude(pk=variant.pk).select_related("product")
    same_label = (
        others.alias(label_lower=Lower("label"))
        .filter(product_id=variant.product_id, label_lower=Lower(Value(variant.label)))
        .first()
    )
    if same_label is not None:
        return VariantError(
            f"{variant.product.code} already has the variant {same_label.label!r}.",
            field="label",
            conflict=True,
        )
    holder = others.filter(sku=variant.sku).first() if variant.sku else None
    where = f"{holder.product.code} {holder.label}".strip() if holder else "another variant"
    return VariantError(
        f"The SKU {variant.sku!r} is already used by {where}.",
        field="sku",
        conflict=True,
    )


def _log_on_commit(what: str, variant: Variant, *, actor: str, changed: list[str]) -> None:
    schema_name, variant_id, product_id = current_schema(), variant.pk, variant.product_id
    transaction.on_commit(
        lambda: logger.info(
            "variant %s of product %s %s by %s in %s: %s",
            variant_id,
            product_id,
            what,
            actor,
            schema_name,
            ", ".join(sorted(changed)),
            extra={"schema": schema_name, "variant_id": variant_id, "actor": actor, "changed": sorted(changed)},
        )
    )
