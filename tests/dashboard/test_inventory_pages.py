"""Catalog pages: list with stock per variant, create/edit, stock adjustments, CSV import and export."""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from inventory.models import Product, StockMovement, Variant
from tests.factories import make_product

PRODUCT_LIST_QUERIES = 7  # tenant + session + user (5), products, variants


def test_product_list_runs_the_same_queries_for_two_or_twenty_products(
    owner_client: Client, count_queries: Callable
) -> None:
    with schema_context("seller_a"):
        make_product(code="A1", variants={"M": 1, "L": 2})
        make_product(code="A2", variants={"M": 1, "L": 2})
    with count_queries() as few:
        owner_client.get("/products/")
    with schema_context("seller_a"):
        for i in range(3, 21):
            make_product(code=f"A{i}", variants={"S": 1, "M": 1, "L": 2})
    with count_queries() as many:
        response = owner_client.get("/products/")

    assert response.status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries) == PRODUCT_LIST_QUERIES


def test_product_search_matches_code_or_name(owner_client: Client) -> None:
    with schema_context("seller_a"):
        make_product(code="A12", name="Blusa satinada")
        make_product(code="B7", name="Vestido lino")

    page = owner_client.get("/products/", {"q": "lino"}, HTTP_HX_REQUEST="true").content.decode()

    assert "B7" in page and "A12" not in page


def test_creating_a_product_with_two_variants_records_their_initial_stock(owner_client: Client) -> None:
    response = owner_client.post(
        "/products/new/",
        {
            "code": "B7",
            "name": "Vestido lino",
            "price": "450.00",
            "currency": "mxn",
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "0",
            "variants-0-label": "M",
            "variants-0-stock": "3",
            "variants-1-label": "L",
            "variants-1-stock": "2",
        },
    )

    assert response.status_code == 302
    with schema_context("seller_a"):
        product = Product.objects.get(code="B7")
        assert (product.price_minor, product.currency) == (45000, "MXN")
        assert dict(product.variants.values_list("label", "stock_on_hand")) == {"M": 3, "L": 2}
        assert StockMovement.objects.filter(variant__product=product, reason="import").count() == 2


def test_editing_a_product_keeps_stock_and_adds_a_variant(owner_client: Client) -> None:
    with schema_context("seller_a"):
        make_product(code="B7", price_minor=45000, variants={"M": 3})

    owner_client.post(
        "/products/B7/",
        {
            "code": "B7",
            "active": "on",
            "name": "Vestido de lino",
            "price": "499.00",
            "currency": "MXN",
            "variants-TOTAL_FORMS": "1",
            "variants-INITIAL_FORMS": "0",
            "variants-0-label": "XL",
            "variants-0-stock": "1",
        },
    )

    with schema_context("seller_a"):
        product = Product.objects.get(code="B7")
        assert (product.name, product.price_minor) == ("Vestido de lino", 49900)
        assert dict(product.variants.values_list("label", "stock_on_hand")) == {"M": 3, "XL": 1}


def test_stock_adjustment_with_a_reason_is_a_movement(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="B7", variants={"M": 3}).variants.get()

    owner_client.post("/products/stock/", {"variant_id": variant.pk, "delta": "-2", "note": "damaged"})

    with schema_context("seller_a"):
        assert Variant.objects.get(pk=variant.pk).stock_on_hand == 1
        movement = StockMovement.objects.get(variant=variant, reason="adjustment")
        assert (movement.on_hand_delta, movement.note, movement.actor) == (-2, "damaged", "owner@seller-a.localhost")


def test_stock_cannot_be_adjusted_below_what_buyers_hold(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="B7", variants={"M": 3}).variants.get()
        Variant.objects.filter(pk=variant.pk).update(reserved=2)

    response = owner_client.post(
        "/products/stock/", {"variant_id": variant.pk, "delta": "-2", "note": "count"}, follow=True
    )

    assert "reserved" in response.content.decode()
    with schema_context("seller_a"):
        assert Variant.objects.get(pk=variant.pk).stock_on_hand == 3


def test_csv_import_lists_every_bad_row_and_writes_nothing(owner_client: Client) -> None:
    csv = "code,name,price,currency,variant,sku,stock\nA1,Top,10.00,MXN,M,,2\nA2,,abc,MXN,M,,-1\n"

    response = owner_client.post(
        "/products/import/", {"file": SimpleUploadedFile("c.csv", csv.encode())}, HTTP_ACCEPT_LANGUAGE="en"
    )

    page = response.content.decode()
    assert "name is empty" in page and "is not a number" in page and "must be zero or more" in page
    with schema_context("seller_a"):
        assert not Product.objects.exists()


def test_csv_import_shows_the_rows_then_writes_them_on_confirm(owner_client: Client) -> None:
    csv = "code,name,price,currency,variant,sku,stock\nA1,Top,10.00,MXN,M,A1-M,2\nA1,Top,10.00,MXN,L,A1-L,1\n"

    preview = owner_client.post("/products/import/", {"file": SimpleUploadedFile("c.csv", csv.encode())})
    with schema_context("seller_a"):
        assert not Product.objects.exists()
    fingerprint = preview.context["preview"].fingerprint
    confirmed = owner_client.post(
        "/products/import/", {"csv_text": csv, "on_hand_fingerprint": fingerprint, "confirm": "1"}
    )

    assert "A1-L" in preview.content.decode()
    assert confirmed.status_code == 302
    with schema_context("seller_a"):
        assert dict(Variant.objects.values_list("sku", "stock_on_hand")) == {"A1-M": 2, "A1-L": 1}


def test_export_is_a_csv_the_import_accepts(owner_client: Client) -> None:
    with schema_context("seller_a"):
        make_product(code="A12", price_minor=29900, variants={"M": 5, "L": 1})

    response = owner_client.get("/products/export.csv")

    lines = response.content.decode().splitlines()
    assert lines[0] == "code,name,price,currency,variant,sku,stock"
    assert "A12,Blusa satinada,299.00,MXN,M,A12-M,5" in lines
