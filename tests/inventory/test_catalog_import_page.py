"""The CSV import page as a seller uses it: files as spreadsheets save them, the preview, the confirm step."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from inventory.catalog_csv import COLUMNS, parse_catalog_csv
from inventory.models import Product, StockMovement, Variant
from inventory.services import stock_adjust
from payments.templatetags.payments_tags import money
from tests.factories import make_product

SEMICOLON_CSV = (
    "\ufeffcode;name;price;currency;variant;sku;stock\r\n"
    "A12;Blusa satinada;249,90;MXN;M;A12-M;8\r\n"
    "A12;Blusa satinada;249,90;MXN;G;A12-G;4\r\n"
    "B7;Vestido de lino;1.349,00;MXN;;B7;2\r\n"
)


def upload(client: Client, data: bytes, *, language: str = "en", name: str = "catalogo.csv") -> str:
    response = client.post(
        "/products/import/", {"file": SimpleUploadedFile(name, data, "text/csv")}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content.decode()


def text_of(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name} on the page"
    return found.group(1)


def test_checking_without_a_file_asks_to_choose_one(owner_client: Client) -> None:
    response = owner_client.post("/products/import/", {}, HTTP_ACCEPT_LANGUAGE="en")

    page = text_of(response.content.decode())
    assert response.status_code == 200
    assert "Choose a CSV file first" in page
    assert "missing column" not in page


def test_an_empty_file_is_called_empty(owner_client: Client) -> None:
    page = text_of(upload(owner_client, b""))

    assert "The file is empty" in page
    assert "missing column" not in page


def test_an_excel_semicolon_file_with_decimal_commas_and_a_bom_is_previewed_with_its_prices(
    owner_client: Client,
) -> None:
    page = text_of(upload(owner_client, SEMICOLON_CSV.encode("utf-8")))

    with translation.override("en"):
        assert money(24990, "MXN") in page
        assert money(134900, "MXN") in page
    assert "3 rows ready" in page
    with schema_context("seller_a"):
        assert not Product.objects.exists()


def test_a_windows_excel_file_in_cp1252_is_read_with_its_accents(owner_client: Client) -> None:
    csv = "code;name;price;currency;variant;sku;stock\r\nA20;Suéter de algodón niño;399,00;MXN;único;;3\r\n"

    page = text_of(upload(owner_client, csv.encode("cp1252")))

    assert "Suéter de algodón niño" in page and "único" in page
    assert "1 row ready" in page


def test_the_preview_says_stock_replaces_the_count_and_shows_each_change_before_confirming(
    owner_client: Client,
) -> None:
    with schema_context("seller_a"):
        make_product(code="A12", name="Blusa satinada", price_minor=29900, variants={"M": 5})

    page = text_of(upload(owner_client, SEMICOLON_CSV.encode("utf-8")))

    assert "replaces the units on hand" in page
    assert "5 → 8 (+3)" in page  # A12 M exists with 5 on hand
    assert "new → 4" in page  # A12 G is a new variant
    with translation.override("en"):
        assert f"was {money(29900, 'MXN')}" in page
    with schema_context("seller_a"):
        assert Variant.objects.get(product__code="A12", label="M").stock_on_hand == 5


def test_confirming_imports_what_the_preview_showed(owner_client: Client) -> None:
    preview = upload(owner_client, SEMICOLON_CSV.encode("utf-8"))

    confirmed = owner_client.post(
        "/products/import/",
        {
            "csv_text": hidden(preview, "csv_text"),
            "on_hand_fingerprint": hidden(preview, "on_hand_fingerprint"),
            "confirm": "1",
        },
    )

    assert confirmed.status_code == 302
    with schema_context("seller_a"):
        assert dict(Variant.objects.values_list("sku", "stock_on_hand")) == {"A12-M": 8, "A12-G": 4, "B7": 2}
        assert Product.objects.get(code="B7").price_minor == 134900


def test_a_confirm_after_the_stock_changed_shows_the_new_counts_and_writes_nothing(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A12", name="Blusa satinada", price_minor=29900, variants={"M": 5}).variants.get()
    preview = upload(owner_client, SEMICOLON_CSV.encode("utf-8"))
    with schema_context("seller_a"):
        stock_adjust(variant_id=variant.pk, on_hand_delta=-1, actor="staff@a", note="sold at the counter")

    response = owner_client.post(
        "/products/import/",
        {
            "csv_text": hidden(preview, "csv_text"),
            "on_hand_fingerprint": hidden(preview, "on_hand_fingerprint"),
            "confirm": "1",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    page = text_of(response.content.decode())
    assert response.status_code == 200
    assert "stock changed since you checked the file" in page
    assert "4 → 8 (+4)" in page
    with schema_context("seller_a"):
        assert Variant.objects.get(pk=variant.pk).stock_on_hand == 4
        assert not Product.objects.filter(code="B7").exists()
        assert StockMovement.objects.filter(reason="import").count() == 0


def test_the_sample_csv_downloads_and_the_import_accepts_it_as_it_is(owner_client: Client) -> None:
    response = owner_client.get("/products/import/sample.csv", HTTP_ACCEPT_LANGUAGE="pt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = parse_catalog_csv(text)
    assert len(rows) >= 6
    assert {row.currency for row in rows} == {"MXN"}  # seller A's currency
    assert len({row.code for row in rows}) >= 3
    assert any(row.variant == "" for row in rows), "the sample shows a product with a single variant"
    page = text_of(upload(owner_client, response.content, language="pt"))
    assert "linhas prontas" in page


def test_the_import_page_links_the_sample_and_explains_the_columns(owner_client: Client) -> None:
    page = owner_client.get("/products/import/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert 'href="/products/import/sample.csv"' in page
    assert "punto y coma" in text_of(page)


def test_a_confirm_that_did_not_come_from_a_preview_shows_the_preview_and_writes_nothing(
    owner_client: Client,
) -> None:
    response = owner_client.post(
        "/products/import/", {"csv_text": SEMICOLON_CSV, "confirm": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "3 rows ready" in text_of(response.content.decode())
    with schema_context("seller_a"):
        assert not Product.objects.exists()
