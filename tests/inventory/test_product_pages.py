"""The product edit page and the product list on a seller's host: details, rename, off sale, who may edit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from inventory.models import Product
from payments.templatetags.payments_tags import money
from tenants.models import Seller
from tests.dashboard.conftest import HOST_A
from tests.factories import make_product


def edit_form(**changes: str) -> dict[str, Any]:
    """What the edit page of the test product A12 posts when the seller changes `changes`."""
    form = {
        "code": "A12",
        "name": "Blusa satinada",
        "price": "299.00",
        "currency": "MXN",
        "description": "",
        "image_url": "",
        "active": "on",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        **changes,
    }
    return form


def product_a12() -> Product:
    with schema_context("seller_a"):
        return Product.objects.get(name="Blusa satinada")


@pytest.fixture
def a12(seller_a: Seller) -> Product:
    with schema_context("seller_a"):
        return make_product(code="A12", name="Blusa satinada", price_minor=29900, variants={"M": 5})


def test_owner_sets_description_image_and_new_code_and_lands_on_the_renamed_page(
    owner_client: Client, a12: Product
) -> None:
    response = owner_client.post(
        "/products/A12/",
        edit_form(code="B12", description="Satén, manga larga", image_url="https://cdn.example.com/b12.jpg"),
    )

    assert response.status_code == 302
    assert response["Location"] == "/products/B12/"
    product = product_a12()
    assert (product.code, product.description, product.image_url) == (
        "B12",
        "Satén, manga larga",
        "https://cdn.example.com/b12.jpg",
    )
    assert product.variants.get().stock_on_hand == 5


def test_after_a_rename_the_seller_is_told_comments_with_the_old_code_no_longer_match(
    owner_client: Client, a12: Product
) -> None:
    page = owner_client.post(
        "/products/A12/", edit_form(code="B12"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "comments with A12 no longer match this product" in page


def test_the_edit_page_says_what_a_rename_and_off_sale_do_to_comments_and_reservations(
    owner_client: Client, a12: Product
) -> None:
    with schema_context("seller_a"):
        a12.variants.update(reserved=2)

    page = owner_client.get("/products/A12/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "comments with A12 no longer match this product; reservations already made stay" in page
    assert "comments stop matching it within a second. Reservations already made stay." in page
    assert "2 units are reserved for buyers" in page


def test_owner_takes_a_product_off_sale_and_the_page_says_reservations_stay(owner_client: Client, a12: Product) -> None:
    form = edit_form()
    del form["active"]  # an unticked checkbox is not posted

    response = owner_client.post("/products/A12/", form, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert product_a12().active is False
    assert "It is off sale: comments no longer match it. Reservations already made stay." in page
    assert "This product is off sale" in page


def test_a_code_another_product_uses_is_shown_next_to_the_code_and_nothing_changes(
    owner_client: Client, a12: Product
) -> None:
    with schema_context("seller_a"):
        make_product(code="B7", name="Vestido lino")

    response = owner_client.post(
        "/products/A12/", edit_form(code="b7", name="Otro nombre", description="nueva"), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["The code b7 is already used by B7 Vestido lino."]
    assert 'class="field has-error"' in response.content.decode()
    product = product_a12()
    assert (product.code, product.name, product.description) == ("A12", "Blusa satinada", "")


def test_an_image_url_that_is_not_http_or_https_is_shown_next_to_the_field_and_nothing_changes(
    owner_client: Client, a12: Product
) -> None:
    response = owner_client.post(
        "/products/A12/",
        edit_form(code="B12", name="Otro nombre", image_url="javascript:alert(1)"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["image_url"]
    assert "starting with http:// or https://" in response.content.decode()
    product = product_a12()
    assert (product.code, product.name, product.image_url) == ("A12", "Blusa satinada", "")


def test_a_code_with_spaces_is_refused_by_the_form_and_nothing_changes(owner_client: Client, a12: Product) -> None:
    response = owner_client.post("/products/A12/", edit_form(code="A 12"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["A code has at most 32 characters and no spaces."]
    assert product_a12().code == "A12"


def test_a_new_product_can_be_created_off_sale_with_a_description_and_image(owner_client: Client) -> None:
    response = owner_client.post(
        "/products/new/",
        {
            "code": "N1",
            "name": "Collar",
            "price": "120",
            "currency": "MXN",
            "description": "Plata",
            "image_url": "https://cdn.example.com/n1.jpg",
            "variants-TOTAL_FORMS": "1",
            "variants-INITIAL_FORMS": "0",
            "variants-0-stock": "4",
        },
    )

    assert response.status_code == 302
    with schema_context("seller_a"):
        product = Product.objects.get(code="N1")
        assert (product.active, product.description, product.image_url) == (
            False,
            "Plata",
            "https://cdn.example.com/n1.jpg",
        )
        assert product.variants.get().stock_on_hand == 4


def test_another_sellers_product_cannot_be_reached_from_this_sellers_host(
    owner_client: Client, seller_b: Seller
) -> None:
    with schema_context("seller_b"):
        make_product(code="Z9", name="Falda de B")

    assert owner_client.get("/products/Z9/").status_code == 404
    assert owner_client.post("/products/Z9/", edit_form(code="Z10")).status_code == 404
    with schema_context("seller_b"):
        assert Product.objects.values_list("code", "active").get() == ("Z9", True)


def test_staff_may_edit_product_details_like_the_other_catalog_pages(staff_client: Client, a12: Product) -> None:
    response = staff_client.post("/products/A12/", edit_form(description="Por staff"))

    assert response.status_code == 302
    assert product_a12().description == "Por staff"


def test_a_user_who_is_not_staff_gets_403_and_changes_nothing(a12: Product) -> None:
    client = Client(HTTP_HOST=HOST_A)
    with schema_context("seller_a"):
        user = get_user_model().objects.create_user(username="buyer@seller-a.localhost", is_staff=False)
        client.force_login(user)

    assert client.get("/products/A12/").status_code == 403
    assert client.post("/products/A12/", edit_form(code="B12")).status_code == 403
    assert product_a12().code == "A12"


def test_an_anonymous_visitor_is_sent_to_log_in_and_changes_nothing(a12: Product) -> None:
    response = Client(HTTP_HOST=HOST_A).post("/products/A12/", edit_form(code="B12"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert product_a12().code == "A12"


def test_product_list_marks_off_sale_products_and_filters_by_on_or_off_sale(owner_client: Client, a12: Product) -> None:
    with schema_context("seller_a"):
        make_product(code="B7", name="Vestido lino")
        Product.objects.filter(code="B7").update(active=False)

    everything = owner_client.get("/products/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    off_sale = owner_client.get("/products/", {"status": "inactive"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    on_sale = owner_client.get(
        "/products/", {"status": "active", "q": "a1"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Vestido lino" in everything and "Blusa satinada" in everything
    assert '<tr class="off-sale">' in everything and everything.count("Off sale</span>") == 1
    assert "Vestido lino" in off_sale and "Blusa satinada" not in off_sale
    assert "Blusa satinada" in on_sale and "Vestido lino" not in on_sale
    assert "Fuera de venta</span>" in owner_client.get("/products/", HTTP_ACCEPT_LANGUAGE="es").content.decode()


def test_the_edit_form_shows_the_price_with_the_currencys_decimals(owner_client: Client, seller_a: Seller) -> None:
    with schema_context("seller_a"):
        make_product(code="A14", name="Jeans mom fit", price_minor=44900)
        Product.objects.create(code="C1", name="Polera", price_minor=5000, currency="CLP")

    jeans = owner_client.get("/products/A14/").content.decode()
    polera = owner_client.get("/products/C1/").content.decode()

    assert re.search(r'<input[^>]*name="price"[^>]*value="449.00"', jeans), "the price input should read 449.00"
    assert re.search(r'<input[^>]*name="price"[^>]*value="5000"', polera), "a CLP price has no decimals"


def test_a_price_typed_with_a_decimal_comma_is_saved(owner_client: Client, a12: Product) -> None:
    response = owner_client.post("/products/A12/", edit_form(price="459,90"))

    assert response.status_code == 302
    with schema_context("seller_a"):
        assert Product.objects.get(code="A12").price_minor == 45990


def test_the_product_list_shows_prices_as_money_in_the_sellers_language(owner_client: Client, a12: Product) -> None:
    with schema_context("seller_a"):
        make_product(code="B9", name="Chamarra", price_minor=134700)

    page = owner_client.get("/products/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    with translation.override("es"):
        assert money(134700, "MXN") in page
        assert money(29900, "MXN") in page
