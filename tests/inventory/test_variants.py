"""One variant at a time (inventory.variants): created with its initial stock as a movement with its reason,
renamed or given another SKU; duplicates are refused by the UNIQUE indexes and the refusal names the holder."""

from __future__ import annotations

import pytest

from inventory.models import StockMovement, Variant
from inventory.services import STOCK_MAX
from inventory.variants import VariantError, variant_create, variant_update
from tenants.models import Seller
from tests.factories import make_product


def test_a_new_variant_starts_with_its_stock_recorded_as_a_movement_with_its_reason(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 2})

    variant = variant_create(
        product_id=product.pk, label=" L ", sku="A12-L", stock=4, reason="delivery 1001", actor="api:ERP"
    )

    stored = Variant.objects.get(pk=variant.pk)
    assert (stored.product_id, stored.label, stored.sku, stored.stock_on_hand, stored.reserved) == (
        product.pk,
        "L",
        "A12-L",
        4,
        0,
    )
    movement = StockMovement.objects.get(variant=variant)
    assert (movement.reason, movement.on_hand_delta, movement.note, movement.actor) == (
        "adjustment",
        4,
        "delivery 1001",
        "api:ERP",
    )


def test_a_variant_without_stock_needs_no_reason_and_leaves_no_movement(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 2})

    variant = variant_create(product_id=product.pk, label="XL", sku="", stock=0, reason="", actor="api:ERP")

    assert variant.stock_on_hand == 0
    assert not StockMovement.objects.filter(variant=variant).exists()


@pytest.mark.parametrize(
    ("label", "stock", "reason", "field"),
    [("", 0, "", "label"), ("   ", 0, "", "label"), ("L" * 65, 0, "", "label"), ("L", 3, " ", "reason"),
     ("L", -1, "count", "stock"), ("L", STOCK_MAX + 1, "count", "stock")],
)  # fmt: skip
def test_a_variant_it_cannot_create_is_refused_naming_the_field_and_writes_nothing(
    in_seller_a: Seller, label: str, stock: int, reason: str, field: str
) -> None:
    product = make_product(code="A12", variants={"M": 2})

    with pytest.raises(VariantError) as refused:
        variant_create(product_id=product.pk, label=label, sku="", stock=stock, reason=reason, actor="api:ERP")

    assert (refused.value.field, refused.value.conflict) == (field, False)
    assert Variant.objects.filter(product=product).count() == 1


def test_a_label_the_product_has_in_any_case_is_a_conflict_naming_the_variant(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 2})
    other = make_product(code="B7", variants={"S": 1})

    with pytest.raises(VariantError, match="A12 already has the variant 'M'") as refused:
        variant_create(product_id=product.pk, label="m", sku="", stock=0, reason="", actor="api:ERP")
    same_label_elsewhere = variant_create(product_id=other.pk, label="M", sku="", stock=0, reason="", actor="api:ERP")

    assert (refused.value.field, refused.value.conflict) == ("label", True)
    assert same_label_elsewhere.label == "M"
    assert Variant.objects.filter(product=product).count() == 1


def test_a_sku_another_variant_uses_is_a_conflict_naming_that_variant(in_seller_a: Seller) -> None:
    make_product(code="B7", variants={"S": 1})  # its SKU is B7-S
    product = make_product(code="A12", variants={"M": 2})

    with pytest.raises(VariantError, match="The SKU 'B7-S' is already used by B7 S") as refused:
        variant_create(product_id=product.pk, label="L", sku="B7-S", stock=3, reason="count", actor="api:ERP")

    assert (refused.value.field, refused.value.conflict) == ("sku", True)
    assert not Variant.objects.filter(product=product, label="L").exists()
    assert not StockMovement.objects.exists()


def test_a_variant_is_renamed_and_given_another_sku_and_its_stock_stays(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 2}).variants.get()

    updated = variant_update(variant_id=variant.pk, changes={"label": "Mediana", "sku": " "}, actor="api:ERP")

    stored = Variant.objects.get(pk=variant.pk)
    assert (updated.label, stored.label, stored.sku, stored.stock_on_hand) == ("Mediana", "Mediana", "", 2)


def test_a_rename_to_a_label_the_product_has_is_a_conflict_and_changes_nothing(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 2, "L": 1})
    large = product.variants.get(label="L")

    with pytest.raises(VariantError, match="A12 already has the variant 'M'") as refused:
        variant_update(variant_id=large.pk, changes={"label": "M", "sku": "A12-X"}, actor="api:ERP")

    assert refused.value.conflict
    assert (Variant.objects.get(pk=large.pk).label, Variant.objects.get(pk=large.pk).sku) == ("L", "A12-L")


def test_a_variant_may_change_the_case_of_its_own_label(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"m": 2}).variants.get()

    assert variant_update(variant_id=variant.pk, changes={"label": "M"}, actor="api:ERP").label == "M"


def test_only_the_label_and_sku_are_changed_here(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 2}).variants.get()

    with pytest.raises(VariantError) as refused:
        variant_update(variant_id=variant.pk, changes={"stock_on_hand": "9"}, actor="api:ERP")

    assert refused.value.field == "stock_on_hand"
    assert Variant.objects.get(pk=variant.pk).stock_on_hand == 2
