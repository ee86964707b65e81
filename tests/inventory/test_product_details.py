"""product_details_update: a product's live code, description, image URL and on-sale flag."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from inventory.models import Product, Variant
from inventory.services import ProductDetailsError, product_details_update
from livestreams.decisions import catalog_cache_clear, live_context
from livestreams.intent.types import ClaimItem
from livestreams.models import LiveSession
from payments.models import Reservation
from payments.reservations import ClaimPolicy, claim_reserve
from payments.reservations.types import ItemDecision
from tenants.models import Seller
from tests.conftest import database_url_of_test_db
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors

ACTOR = "owner@seller-a.localhost"
POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


def update(product: Product, **changes: Any) -> Product:
    """Save the product's details as they are, except `changes`."""
    details = {
        "code": product.code,
        "description": product.description,
        "image_url": product.image_url,
        "active": product.active,
        **changes,
    }
    return product_details_update(product_id=product.pk, actor=ACTOR, **details)


def claim_one(live: LiveSession, external_id: str, code: str) -> ItemDecision:
    """A buyer's comment claiming one unit of `code` size M, decided by the claims service."""
    comment = make_comment(live=live, external_id=external_id, author=f"psid-{external_id}")
    return claim_reserve(comment=comment, items=[ClaimItem(code, "M", 1)], policy=POLICY, now=timezone.now()).items[0]


def test_renamed_code_is_what_claims_match_and_open_reservations_stay(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 5})
    variant = product.variants.get()
    live = make_live()
    assert claim_one(live, "c1", "A12").status == "reserved"

    update(product, code="B12")

    assert claim_one(live, "c2", "A12").reason == "unknown_product"
    assert claim_one(live, "c3", "b12").status == "reserved"
    assert Reservation.objects.get(source_comment__external_id="c1").status == "reserved"
    assert Variant.objects.get(pk=variant.pk).reserved == 2
    assert stock_conservation_errors(initial={variant.pk: 5}) == []


def test_a_code_another_product_uses_is_refused_in_any_case_naming_that_product(in_seller_a: Seller) -> None:
    make_product(code="A12", name="Blusa satinada")
    other = make_product(code="B7", name="Vestido lino")

    with pytest.raises(ProductDetailsError) as refused:
        update(other, code=" a12 ", description="nueva")

    assert refused.value.field == "code"
    assert "A12 Blusa satinada" in refused.value.message
    assert Product.objects.values_list("code", "description").get(pk=other.pk) == ("B7", "")


def test_a_product_may_change_the_case_of_its_own_code(in_seller_a: Seller) -> None:
    product = make_product(code="a12")

    update(product, code="A12")

    assert Product.objects.get(pk=product.pk).code == "A12"


def test_the_code_is_trimmed_before_it_is_saved(in_seller_a: Seller) -> None:
    product = make_product(code="A12")

    saved = update(product, code="  C3 ")

    assert saved.code == Product.objects.get(pk=product.pk).code == "C3"


@pytest.mark.parametrize("code", ["", "   ", "A 12", "X" * 33])
def test_an_empty_spaced_or_too_long_code_is_refused(in_seller_a: Seller, code: str) -> None:
    product = make_product(code="A12")

    with pytest.raises(ProductDetailsError) as refused:
        update(product, code=code)

    assert refused.value.field == "code"
    assert Product.objects.get(pk=product.pk).code == "A12"


@pytest.mark.parametrize(
    "image_url",
    ["ftp://cdn.example.com/a.jpg", "javascript:alert(1)", "cdn.example.com/a.jpg", "https://", "file:///etc/passwd"],
)
def test_an_image_url_that_is_not_http_or_https_is_refused(in_seller_a: Seller, image_url: str) -> None:
    product = make_product(code="A12")

    with pytest.raises(ProductDetailsError) as refused:
        update(product, image_url=image_url, active=False)

    assert refused.value.field == "image_url"
    assert Product.objects.values_list("image_url", "active").get(pk=product.pk) == ("", True)


def test_an_http_or_https_image_url_is_saved_and_an_empty_one_clears_it(in_seller_a: Seller) -> None:
    product = make_product(code="A12")

    update(product, image_url=" https://cdn.example.com/a12.jpg ")
    assert Product.objects.get(pk=product.pk).image_url == "https://cdn.example.com/a12.jpg"
    update(Product.objects.get(pk=product.pk), image_url="http://cdn.example.com/a12.png")
    assert Product.objects.get(pk=product.pk).image_url == "http://cdn.example.com/a12.png"
    update(Product.objects.get(pk=product.pk), image_url="")
    assert Product.objects.get(pk=product.pk).image_url == ""


def test_a_description_longer_than_2000_characters_is_refused(in_seller_a: Seller) -> None:
    product = make_product(code="A12")

    with pytest.raises(ProductDetailsError) as refused:
        update(product, description="x" * 2001)

    assert refused.value.field == "description"
    assert Product.objects.get(pk=product.pk).description == ""


def test_an_off_sale_product_leaves_the_live_catalog_and_new_claims_but_keeps_its_reservations(
    in_seller_a: Seller,
) -> None:
    product = make_product(code="A12", variants={"M": 5})
    variant = product.variants.get()
    live = make_live()
    assert claim_one(live, "c1", "A12").status == "reserved"

    update(product, active=False)
    catalog_cache_clear()  # the claims stage re-reads the active catalog every second

    assert "A12" not in [p.code for p in live_context(live).products]
    assert claim_one(live, "c2", "A12").reason == "unknown_product"
    assert Reservation.objects.get(source_comment__external_id="c1").status == "reserved"
    assert Variant.objects.get(pk=variant.pk).reserved == 1
    assert stock_conservation_errors(initial={variant.pk: 5}) == []


def test_a_product_back_on_sale_is_claimed_again(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 5})
    live = make_live()
    update(product, active=False)

    update(Product.objects.get(pk=product.pk), active=True)
    catalog_cache_clear()

    assert "A12" in [p.code for p in live_context(live).products]
    assert claim_one(live, "c1", "A12").status == "reserved"


def test_each_change_is_logged_with_its_actor_once_committed(
    in_seller_a: Seller, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    product = make_product(code="A12")
    caplog.set_level(logging.INFO, logger="inventory.services")

    with django_capture_on_commit_callbacks(execute=True):
        update(product, code="B12", active=False, description="Satén")
    with django_capture_on_commit_callbacks(execute=True):
        update(Product.objects.get(pk=product.pk))

    [record] = [r for r in caplog.records if r.name == "inventory.services"]
    message = record.getMessage()
    assert ACTOR in message and "seller_a" in message
    assert "code 'A12' -> 'B12'" in message and "active True -> False" in message and "description changed" in message
    assert (record.actor, record.schema, record.changed) == (ACTOR, "seller_a", ["active", "code", "description"])  # type: ignore[attr-defined]


# Another session renames A12 to X1 and holds its transaction open, so the rename under test cannot see X1
# when it checks, and meets it only in the UNIQUE index once that session commits.
HOLD_RENAME = """
import sys, time, psycopg
from psycopg import sql
url, schema, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
with psycopg.connect(url) as conn:
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    conn.execute("UPDATE inventory_product SET code = 'X1' WHERE code = 'A12'")
    print("holding", flush=True)
    time.sleep(seconds)
"""


def test_a_concurrent_rename_to_the_same_code_is_refused_by_the_unique_index_with_a_clear_error(
    committed_seller: Seller,
) -> None:
    with schema_context(committed_seller.schema_name):
        make_product(code="A12", name="Blusa satinada")
        other = make_product(code="B7", name="Vestido lino")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RENAME, database_url_of_test_db(), committed_seller.schema_name, "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"

        with schema_context(committed_seller.schema_name), pytest.raises(ProductDetailsError) as refused:
            update(other, code="x1")
    finally:
        holder.wait(timeout=30)

    assert holder.returncode == 0
    assert refused.value.field == "code"
    assert "X1 Blusa satinada" in refused.value.message
    assert refused.value.__cause__ is not None  # met in the index, after the check saw no X1
    with schema_context(committed_seller.schema_name):
        assert sorted(Product.objects.values_list("code", flat=True)) == ["B7", "X1"]
