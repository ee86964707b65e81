"""Two sellers with the same product code and the same buyer id never see each other's rows."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from inventory.models import Product
from inventory.selectors import product_get_by_code, product_list
from payments.models import Buyer
from tenants.models import Seller
from tests.conftest import OWNER_PASSWORD
from tests.factories import make_product


def given_both_sellers_have_a12_and_buyer_psid_1(seller_a: Seller, seller_b: Seller) -> None:
    with schema_context(seller_a.schema_name):
        make_product(code="A12", name="Blusa de A", variants={"M": 1})
        Buyer.objects.create(platform="facebook", platform_user_id="psid-1", name="Ana en A")
    with schema_context(seller_b.schema_name):
        make_product(code="A12", name="Blusa de B", variants={"M": 9})
        Buyer.objects.create(platform="facebook", platform_user_id="psid-1", name="Ana en B")


def test_selectors_return_only_the_current_sellers_rows(seller_a: Seller, seller_b: Seller) -> None:
    given_both_sellers_have_a12_and_buyer_psid_1(seller_a, seller_b)

    with schema_context("seller_a"):
        product = product_get_by_code(code="a12")
        assert product is not None and product.name == "Blusa de A"
        assert [p.name for p in product_list()] == ["Blusa de A"]
        assert Buyer.objects.get(platform_user_id="psid-1").name == "Ana en A"
    with schema_context("seller_b"):
        product = product_get_by_code(code="A12")
        assert product is not None and product.name == "Blusa de B"
        assert Buyer.objects.get(platform_user_id="psid-1").name == "Ana en B"


def test_raw_schema_switching_sees_only_that_schema(seller_a: Seller, seller_b: Seller) -> None:
    given_both_sellers_have_a12_and_buyer_psid_1(seller_a, seller_b)

    connection.set_tenant(seller_b)  # type: ignore[attr-defined]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM inventory_product")
            assert cursor.fetchall() == [("Blusa de B",)]
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('inventory_product')")
        assert cursor.fetchone() == (None,)  # the public schema has no catalog tables at all


def test_admin_shows_a_seller_only_its_own_catalog(seller_a: Seller, seller_b: Seller) -> None:
    given_both_sellers_have_a12_and_buyer_psid_1(seller_a, seller_b)
    client = Client(HTTP_HOST="seller-a.localhost")
    client.post("/admin/login/", {"username": "owner@seller-a.localhost", "password": OWNER_PASSWORD})

    page = client.get("/admin/inventory/product/")

    assert page.status_code == 200
    assert "Blusa de A" in page.content.decode()
    assert "Blusa de B" not in page.content.decode()
    with schema_context("seller_a"):
        assert Product.objects.count() == 1


def test_a_sellers_login_does_not_work_on_another_sellers_host(seller_a: Seller, seller_b: Seller) -> None:
    client = Client(HTTP_HOST="seller-b.localhost")

    response = client.post("/admin/login/", {"username": "owner@seller-a.localhost", "password": OWNER_PASSWORD})

    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].non_field_errors()
    assert client.get("/admin/inventory/product/").status_code == 302


def test_platform_admin_lives_on_the_public_host_only(seller_a: Seller, public_client: Client) -> None:
    assert public_client.get("/admin/tenants/seller/").status_code == 302  # login first
    seller_client = Client(HTTP_HOST="seller-a.localhost")
    seller_client.post("/admin/login/", {"username": "owner@seller-a.localhost", "password": OWNER_PASSWORD})
    assert seller_client.get("/admin/").status_code == 200
    assert seller_client.get("/admin/tenants/seller/").status_code == 404
