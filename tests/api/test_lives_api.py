"""Lives in the public API v1: list by status, start a scheduled live, set the product on camera, end it;
a read-only key changes nothing, another seller's key sees nothing."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from api.services import api_key_create
from livestreams.models import FeaturedProductChange, LiveSession
from tenants.models import Seller
from tests.factories import make_product

HOST_A = "seller-a.localhost"


def api_client(seller: Seller, *, scope: str, host: str = HOST_A) -> Client:
    with schema_context(seller.schema_name):
        key = api_key_create(name="Tool", scope=scope, created_by="owner@test").plaintext
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {key}")


def scheduled_live(seller: Seller) -> LiveSession:
    with schema_context(seller.schema_name):
        make_product(code="B7", variants={"M": 2})
        return LiveSession.objects.create(platform="facebook", page_external_id="9001", title="Domingo")


def test_a_write_key_starts_a_live_features_a_product_and_ends_it(seller_a: Seller) -> None:
    live = scheduled_live(seller_a)
    client = api_client(seller_a, scope="write")
    base = f"/api/v1/lives/{live.pk}"

    scheduled = client.get("/api/v1/lives/?status=scheduled").json()["results"]
    started = client.post(f"{base}/start/")
    featured = client.post(f"{base}/featured-product/", {"product_code": "b7"}, content_type="application/json")
    unknown = client.post(f"{base}/featured-product/", {"product_code": "Z9"}, content_type="application/json")
    ended = client.post(f"{base}/end/")
    restart = client.post(f"{base}/start/")

    assert [row["id"] for row in scheduled] == [live.pk]
    assert started.status_code == 200 and started.json()["status"] == "live"
    assert featured.json()["featured_product_code"] == "B7"
    assert unknown.status_code == 400 and "Z9" in str(unknown.json()["errors"]["product_code"])
    assert ended.json()["status"] == "ended" and ended.json()["ended_at"]
    assert restart.status_code == 400
    with schema_context(seller_a.schema_name):
        assert FeaturedProductChange.objects.filter(live_session_id=live.pk).count() == 1


def test_a_read_key_lists_lives_but_cannot_start_one(seller_a: Seller) -> None:
    live = scheduled_live(seller_a)
    client = api_client(seller_a, scope="read")

    assert client.get(f"/api/v1/lives/{live.pk}/").json()["title"] == "Domingo"
    assert client.post(f"/api/v1/lives/{live.pk}/start/").status_code == 403
    with schema_context(seller_a.schema_name):
        assert LiveSession.objects.get(pk=live.pk).status == "scheduled"


def test_another_sellers_key_cannot_see_or_start_this_sellers_live(seller_a: Seller, seller_b: Seller) -> None:
    live = scheduled_live(seller_a)
    client = api_client(seller_b, scope="write")

    assert client.get(f"/api/v1/lives/{live.pk}/").status_code == 401
    assert client.post(f"/api/v1/lives/{live.pk}/start/").status_code == 401
    with schema_context(seller_a.schema_name):
        assert LiveSession.objects.get(pk=live.pk).status == "scheduled"
