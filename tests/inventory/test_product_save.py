"""Saving a product from the dashboard (`product_save`): it locks only the product it saves, and a code already
in use, even one another session is creating at that moment, is refused by the UNIQUE index with a message that
names the product holding it, writing nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from inventory.models import Product, Variant
from inventory.services import ProductDetailsError, product_save
from tenants.models import Seller
from tests.conftest import database_url_of_test_db
from tests.factories import make_product

ACTOR = "staff@seller.test"

# Another session runs one statement in the seller's schema and keeps its transaction open for a while.
HOLD = """
import sys, time, psycopg
from psycopg import sql
url, schema, statement, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with psycopg.connect(url) as conn:
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    conn.execute(statement)
    print("holding", flush=True)
    time.sleep(seconds)
"""


@contextmanager
def another_session_holding(seller: Seller, statement: str, *, seconds: float) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, database_url_of_test_db(), seller.schema_name, statement, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0


def fields(**changes: Any) -> dict[str, Any]:
    return {
        "code": "A12",
        "name": "Blusa satinada",
        "price_minor": 25000,
        "currency": "MXN",
        "description": "",
        "image_url": "",
        "active": True,
        **changes,
    }


def test_saving_one_product_waits_for_no_lock_on_another(committed_seller: Seller) -> None:
    with schema_context(committed_seller.schema_name):
        a12 = make_product(code="A12", name="Blusa satinada")
        make_product(code="B7", name="Vestido lino")

    with (
        another_session_holding(
            committed_seller, "SELECT * FROM inventory_product WHERE code = 'B7' FOR UPDATE", seconds=8
        ),
        schema_context(committed_seller.schema_name),
    ):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting for B7 would end here in an error
        try:
            saved = product_save(
                product_id=a12.pk,
                fields=fields(name="Blusa satén"),
                variants=[{"label": "XL", "sku": "", "stock": 3}],
                actor=ACTOR,
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")

    with schema_context(committed_seller.schema_name):
        assert Product.objects.get(pk=saved.pk).name == "Blusa satén"
        assert sorted(Variant.objects.filter(product=a12).values_list("label", flat=True)) == ["M", "XL"]


def test_a_new_product_with_a_code_in_use_is_refused_and_the_other_product_is_left_as_it_was(
    in_seller_a: Seller,
) -> None:
    existing = make_product(code="A12", name="Blusa satinada")

    with pytest.raises(ProductDetailsError) as refused:
        product_save(
            product_id=None,
            fields=fields(code="a12", name="Otra blusa", price_minor=1),
            variants=[{"label": "S", "sku": "", "stock": 9}],
            actor=ACTOR,
        )

    assert refused.value.field == "code"
    assert "A12 Blusa satinada" in refused.value.message
    product = Product.objects.get()
    assert (product.pk, product.name, product.price_minor) == (existing.pk, "Blusa satinada", existing.price_minor)
    assert list(Variant.objects.filter(product=product).values_list("label", flat=True)) == ["M"]


def test_two_sessions_creating_the_same_code_at_once_one_is_told_which_product_won(committed_seller: Seller) -> None:
    insert = (
        "INSERT INTO inventory_product (code, name, price_minor, currency, description, image_url, active,"
        " created_at, updated_at) VALUES ('N1', 'Collar', 900, 'MXN', '', '', true, now(), now())"
    )
    with (
        another_session_holding(committed_seller, insert, seconds=1),
        schema_context(committed_seller.schema_name),
        pytest.raises(ProductDetailsError) as refused,
    ):
        product_save(product_id=None, fields=fields(code="n1", name="Pulsera"), variants=[], actor=ACTOR)

    assert refused.value.field == "code" and "N1 Collar" in refused.value.message
    assert refused.value.__cause__ is not None  # met in the UNIQUE index once the other session committed
    with schema_context(committed_seller.schema_name):
        assert list(Product.objects.values_list("code", "name")) == [("N1", "Collar")]
