"""Host names are case-insensitive: a seller's host and the public host answer in any letter case."""

from __future__ import annotations

from django.test import Client

from tenants.models import Seller


def test_a_sellers_host_in_upper_case_letters_is_that_sellers_dashboard(seller_a: Seller) -> None:
    response = Client(HTTP_HOST="Seller-A.LOCALHOST").get("/login/")

    assert response.status_code == 200
    assert response.wsgi_request.tenant.schema_name == seller_a.schema_name  # type: ignore[attr-defined]


def test_the_public_host_in_upper_case_letters_is_the_platform_admin(db: None) -> None:
    response = Client(HTTP_HOST="LocalHost").get("/admin/login/")

    assert response.status_code == 200
    assert response.wsgi_request.tenant.schema_name == "public"  # type: ignore[attr-defined]
    assert "plataforma" in response.content.decode()
