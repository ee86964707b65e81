from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django_tenants.utils import schema_context

from core.money import parse_amount
from inventory.catalog_csv import CatalogFileError, parse_catalog_csv
from inventory.models import Product, StockMovement, Variant
from inventory.services import STOCK_MAX, StockError, catalog_import, stock_adjust
from tenants.models import Seller
from tests.factories import make_product

HEADER = "code,name,price,currency,variant,sku,stock\n"
GOOD = HEADER + (
    "A12,Blusa satinada,299.00,MXN,M,A12-M,3\nA12,Blusa satinada,299.00,MXN,G,A12-G,5\nA17,Aretes,189.5,MXN,,A17,10\n"
)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "catalog.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_good_file_creates_products_variants_and_import_movements(seller_a: Seller, tmp_path: Path) -> None:
    call_command("import_catalog", write(tmp_path, GOOD), schema="seller_a", verbosity=0)

    with schema_context("seller_a"):
        assert list(Product.objects.values_list("code", "price_minor")) == [("A12", 29900), ("A17", 18950)]
        assert Variant.objects.get(product__code="A12", label="G").stock_on_hand == 5
        assert Variant.objects.get(product__code="A17").label == ""
        assert StockMovement.objects.filter(reason="import").count() == 3


def test_reimport_sets_stock_and_records_only_the_difference(seller_a: Seller, tmp_path: Path) -> None:
    call_command("import_catalog", write(tmp_path, GOOD), schema="seller_a", verbosity=0)
    call_command("import_catalog", write(tmp_path, GOOD.replace("A12-G,5", "A12-G,8")), schema="seller_a", verbosity=0)

    with schema_context("seller_a"):
        assert Variant.objects.get(product__code="A12", label="G").stock_on_hand == 8
        movements = StockMovement.objects.filter(variant__label="G").order_by("id")
        assert [m.on_hand_delta for m in movements] == [5, 3]
        assert Product.objects.count() == 2


def test_bad_file_reports_every_error_with_line_numbers_and_writes_nothing(seller_a: Seller, tmp_path: Path) -> None:
    bad = HEADER + (
        "A12,Blusa satinada,299.00,MXN,M,A12-M,3\n"
        ",Sin codigo,10,MXN,M,,1\n"
        "A13,Falda,abc,MXN,M,,1\n"
        "A14,Jeans,10.9999,MXN,5,,-2\n"
        "A12,Blusa satinada,299.00,MXN,m,A12-M2,1\n"
    )
    with translation.override("en"), pytest.raises(CatalogFileError) as error:
        parse_catalog_csv(bad)
    assert [str(e) for e in error.value.errors] == [
        "line 3: code is empty",
        "line 4: price 'abc' is not a number such as 249.90 or 249,90",
        "line 5: price '10.9999' has more than 2 decimals for MXN",
        "line 5: stock -2 must be zero or more",
        "line 6: product A12 variant 'm' repeats line 2",
    ]

    with pytest.raises(CommandError, match="5 error"):
        call_command("import_catalog", write(tmp_path, bad), schema="seller_a", verbosity=0)
    with schema_context("seller_a"):
        assert not Product.objects.exists()


def test_missing_columns_are_reported_on_line_1() -> None:
    with translation.override("en"), pytest.raises(CatalogFileError) as error:
        parse_catalog_csv("code,name,price\nA1,x,1\n")
    assert str(error.value.errors[0]) == (
        "line 1: missing columns: currency, variant, sku, stock; "
        "the first line must name the columns code,name,price,currency,variant,sku,stock"
    )


def test_stock_below_reserved_units_is_refused(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 5})
    Variant.objects.filter(product=product).update(reserved=4)

    rows = parse_catalog_csv(HEADER + "A12,Blusa satinada,299.00,MXN,M,A12-M,3\n")
    with translation.override("en"), pytest.raises(CatalogFileError, match="error") as error:
        catalog_import(rows=rows, actor="test")
    assert str(error.value.errors[0]) == "line 2: stock 3 is below the 4 unit(s) reserved for buyers"


def test_sku_of_another_variant_is_refused(in_seller_a: Seller) -> None:
    make_product(code="A12", variants={"M": 5})

    rows = parse_catalog_csv(HEADER + "B1,Otro,10,MXN,M,A12-M,3\n")
    with translation.override("en"), pytest.raises(CatalogFileError) as error:
        catalog_import(rows=rows, actor="test")
    assert "sku 'A12-M' already belongs to product A12 'm'" in str(error.value.errors[0])


def test_unknown_schema_and_missing_file_exit_with_a_sentence(seller_a: Seller, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No seller has the schema 'nobody'"):
        call_command("import_catalog", write(tmp_path, GOOD), schema="nobody")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_catalog", str(tmp_path / "missing.csv"), schema="seller_a")


def test_stock_adjustment_is_recorded_and_cannot_go_below_reserved(in_seller_a: Seller) -> None:
    variant = make_product(variants={"M": 5}).variants.get()
    Variant.objects.filter(pk=variant.pk).update(reserved=3)

    stock_adjust(variant_id=variant.pk, on_hand_delta=-2, actor="owner@a", note="damaged")
    with pytest.raises(StockError, match="3 on hand, 3 reserved"):
        stock_adjust(variant_id=variant.pk, on_hand_delta=-1, actor="owner@a")

    variant.refresh_from_db()
    assert (variant.stock_on_hand, variant.reserved) == (3, 3)
    movement = StockMovement.objects.get(reason="adjustment")
    assert (movement.on_hand_delta, movement.actor, movement.note) == (-2, "owner@a", "damaged")


def test_a_stock_adjustment_beyond_what_a_variant_holds_is_refused_not_a_database_error(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 2}).variants.get()
    Variant.objects.filter(pk=variant.pk).update(reserved=1)

    with pytest.raises(StockError, match="holds at most"):
        stock_adjust(variant_id=variant.pk, on_hand_delta=STOCK_MAX - 1, actor="owner@a")
    with pytest.raises(StockError, match="at most"):
        stock_adjust(variant_id=variant.pk, on_hand_delta=-(STOCK_MAX + 1), actor="owner@a")
    with pytest.raises(StockError, match="Cannot remove 2147483647"):
        stock_adjust(variant_id=variant.pk, on_hand_delta=-STOCK_MAX, actor="owner@a")
    stock_adjust(variant_id=variant.pk, on_hand_delta=STOCK_MAX - 2, actor="owner@a", note="count")

    assert Variant.objects.get(pk=variant.pk).stock_on_hand == STOCK_MAX


def test_a_semicolon_file_with_decimal_commas_as_excel_writes_it_in_spanish_is_read() -> None:
    excel = (
        "\ufeffcode;name;price;currency;variant;sku;stock\r\n"
        "A12;Blusa satinada;249,90;MXN;M;A12-M;3\r\n"
        'A14;"Jeans mom fit; tiro alto";1.249,50;MXN;7;A14-7;2\r\n'
        "15;Aretes;5.000;CLP;;;10\r\n"
    )

    rows = parse_catalog_csv(excel)

    assert [(r.code, r.name, r.price_minor, r.currency, r.variant, r.stock) for r in rows] == [
        ("A12", "Blusa satinada", 24990, "MXN", "M", 3),
        ("A14", "Jeans mom fit; tiro alto", 124950, "MXN", "7", 2),
        ("15", "Aretes", 5000, "CLP", "", 10),
    ]


def test_a_tab_separated_file_is_read_and_a_header_it_cannot_split_names_the_columns() -> None:
    rows = parse_catalog_csv("code\tname\tprice\tcurrency\tvariant\tsku\tstock\nA1\tTop\t10.5\tMXN\tM\t\t2\n")
    assert (rows[0].code, rows[0].price_minor) == ("A1", 1050)

    with translation.override("en"), pytest.raises(CatalogFileError) as error:
        parse_catalog_csv("code|name|price\nA1|Top|10\n")
    assert str(error.value.errors[0]).startswith("line 1: missing columns: code, name, price")


@pytest.mark.parametrize(
    ("raw", "currency", "minor"),
    [
        ("249,90", "MXN", 24990),
        ("249,9", "BRL", 24990),
        ("1.249,90", "BRL", 124990),
        ("1,249.90", "USD", 124990),
        ("1 249,90", "EUR", 124990),
        ("1.234.567", "COP", 123456700),
        ("1,249", "MXN", 124900),
        ("15.000", "CLP", 15000),
        ("15000", "CLP", 15000),
    ],
)
def test_prices_with_decimal_commas_and_thousands_separators_become_minor_units(
    raw: str, currency: str, minor: int
) -> None:
    assert parse_amount(raw, currency) == minor


@pytest.mark.parametrize("raw", ["0.125", "1,24,9", "1.249.90", "12,3456", "abc", ""])
def test_a_price_with_no_single_clear_reading_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(raw, "USD")


def test_the_command_reads_a_semicolon_file_saved_by_excel_on_windows(seller_a: Seller, tmp_path: Path) -> None:
    path = tmp_path / "catalogo.csv"
    path.write_bytes(
        "code;name;price;currency;variant;sku;stock\r\nA20;Suéter niño;399,90;MXN;único;;3\r\n".encode("cp1252")
    )

    call_command("import_catalog", str(path), schema="seller_a", verbosity=0)

    with schema_context("seller_a"):
        product = Product.objects.get(code="A20")
        assert (product.name, product.price_minor) == ("Suéter niño", 39990)
        assert product.variants.get().label == "único"
