"""The public API v1 on a seller's host: API keys (hashed, scoped, revocable), products with cursor pagination,
stock adjustments with a reason, the OpenAPI schema and its docs page."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command
from django.test import Client, override_settings
from django_tenants.utils import schema_context
from drf_spectacular.validation import validate_schema

from api.models import ApiKey
from api.services import api_key_create, api_key_hash, api_key_revoke
from inventory.models import StockMovement, Variant
from tenants.models import Seller
from tests.factories import make_product

HOST_A, HOST_B = "seller-a.localhost", "seller-b.localhost"


def key_of(seller: Seller, *, scope: str) -> str:
    with schema_context(seller.schema_name):
        return api_key_create(name="ERP", scope=scope, created_by="owner@test").plaintext


def api(host: str, key: str) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_key_is_stored_only_as_its_hash(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        created = api_key_create(name="Shop", scope="read", created_by="owner@test")
        stored = ApiKey.objects.get(pk=created.api_key.pk)
        every_column = json.dumps(list(ApiKey.objects.values()), default=str)

    assert created.plaintext.startswith("lss_") and len(created.plaintext) > 40
    assert stored.key_hash == api_key_hash(created.plaintext)
    assert created.plaintext not in every_column


def test_products_are_listed_page_by_page_with_a_cursor(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        for n in range(5):
            make_product(code=f"P{n}", name=f"Producto {n}", variants={"M": n})
    client = api(HOST_A, key_of(seller_a, scope="read"))

    first = client.get("/api/v1/products/?page_size=2").json()
    second = client.get(first["next"]).json()
    rest = client.get(second["next"]).json()

    codes = [p["code"] for page in (first, second, rest) for p in page["results"]]
    assert codes == ["P0", "P1", "P2", "P3", "P4"]
    assert rest["next"] is None
    assert first["results"][1]["variants"] == [
        {
            "id": first["results"][1]["variants"][0]["id"],
            "label": "M",
            "sku": "P1-M",
            "stock_on_hand": 1,
            "reserved": 0,
            "available": 1,
        }
    ]


def test_another_sellers_key_opens_nothing_here(seller_a: Seller, seller_b: Seller) -> None:
    with schema_context(seller_a.schema_name):
        make_product(code="A1", variants={"M": 1})
    key_b = key_of(seller_b, scope="write")

    response = api(HOST_A, key_b).get("/api/v1/products/")

    assert response.status_code == 401
    assert "A1" not in response.content.decode()
    assert api(HOST_B, key_b).get("/api/v1/products/").status_code == 200


def test_no_key_a_wrong_key_and_a_revoked_key_are_refused(seller_a: Seller) -> None:
    key = key_of(seller_a, scope="read")
    with schema_context(seller_a.schema_name):
        assert api_key_revoke(api_key_id=ApiKey.objects.get(key_hash=api_key_hash(key)).pk)

    assert Client(HTTP_HOST=HOST_A).get("/api/v1/products/").status_code == 401
    assert api(HOST_A, "lss_not-a-key").get("/api/v1/products/").status_code == 401
    revoked = api(HOST_A, key).get("/api/v1/products/")
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == "Unknown or revoked API key."


def test_a_read_key_cannot_adjust_stock_and_a_write_key_can_with_its_reason(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        variant = make_product(code="A12", variants={"M": 2}).variants.get()
    path = f"/api/v1/variants/{variant.pk}/stock-adjustments/"
    body = {"on_hand_delta": 3, "reason": "delivery from the workshop"}

    refused = api(HOST_A, key_of(seller_a, scope="read")).post(path, body, content_type="application/json")
    done = api(HOST_A, key_of(seller_a, scope="write")).post(path, body, content_type="application/json")

    assert refused.status_code == 403
    assert done.status_code == 200, done.content
    assert done.json()["stock_on_hand"] == 5
    with schema_context(seller_a.schema_name):
        assert Variant.objects.get(pk=variant.pk).stock_on_hand == 5
        movement = StockMovement.objects.filter(variant_id=variant.pk).latest("id")
        assert (movement.on_hand_delta, movement.note, movement.actor) == (3, "delivery from the workshop", "api:ERP")


def test_removing_more_than_is_free_is_a_clear_400_and_changes_nothing(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        variant = make_product(code="A12", variants={"M": 2}).variants.get()
    response = api(HOST_A, key_of(seller_a, scope="write")).post(
        f"/api/v1/variants/{variant.pk}/stock-adjustments/",
        {"on_hand_delta": -5, "reason": "count"},
        content_type="application/json",
    )

    assert response.status_code == 400
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert (problem["type"], problem["title"], problem["status"]) == ("about:blank", "Bad Request", 400)
    assert "Cannot remove 5" in problem["errors"]["on_hand_delta"][0]
    with schema_context(seller_a.schema_name):
        assert Variant.objects.get(pk=variant.pk).stock_on_hand == 2


def test_the_schema_is_openapi_3_with_every_operation_and_the_docs_page_works_offline(seller_a: Seller) -> None:
    client = Client(HTTP_HOST=HOST_A)

    schema = client.get("/api/v1/schema/?format=json")
    docs = client.get("/api/v1/docs/")

    assert schema.status_code == 200
    document = json.loads(schema.content)
    assert document["openapi"].startswith("3.")
    validate_schema(document)  # against the OpenAPI 3 JSON Schema drf-spectacular ships; raises when invalid
    assert set(document["paths"]) == {
        "/api/v1/buyers/",
        "/api/v1/buyers/{buyer_id}/",
        "/api/v1/comments/",
        "/api/v1/comments/{comment_id}/",
        "/api/v1/orders/",
        "/api/v1/orders/{order_id}/",
        "/api/v1/orders/{order_id}/cancel/",
        "/api/v1/orders/{order_id}/mark-paid/",
        "/api/v1/lives/",
        "/api/v1/lives/{live_id}/",
        "/api/v1/lives/{live_id}/start/",
        "/api/v1/lives/{live_id}/end/",
        "/api/v1/lives/{live_id}/featured-product/",
        "/api/v1/products/",
        "/api/v1/products/{code}/",
        "/api/v1/products/{code}/variants/",
        "/api/v1/variants/{variant_id}/",
        "/api/v1/variants/{variant_id}/stock-adjustments/",
        "/api/v1/webhook-endpoints/",
        "/api/v1/webhook-endpoints/{endpoint_id}/",
        "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/",
    }
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()
    assert "//" not in docs.content.decode().split("swagger-ui-bundle.js")[0].rsplit('src="', 1)[-1]


@override_settings(API_RATE_PER_KEY="3/min")
def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_go_on(seller_a: Seller) -> None:
    busy, calm = api(HOST_A, key_of(seller_a, scope="read")), api(HOST_A, key_of(seller_a, scope="read"))

    statuses = [busy.get("/api/v1/products/").status_code for _ in range(4)]
    refused = busy.get("/api/v1/products/")

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert calm.get("/api/v1/products/").status_code == 200


def test_a_post_replayed_with_its_idempotency_key_returns_the_first_answer_and_changes_nothing(
    seller_a: Seller,
) -> None:
    with schema_context(seller_a.schema_name):
        variant = make_product(code="A12", variants={"M": 2}).variants.get()
    client = api(HOST_A, key_of(seller_a, scope="write"))
    path = f"/api/v1/variants/{variant.pk}/stock-adjustments/"
    body = {"on_hand_delta": 3, "reason": "delivery 1001"}

    first = client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="delivery-1001")
    again = client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="delivery-1001")
    other_body = client.post(
        path, {**body, "on_hand_delta": 4}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="delivery-1001"
    )
    new_key = client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="delivery-1002")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert new_key.json()["stock_on_hand"] == 8
    with schema_context(seller_a.schema_name):
        assert Variant.objects.get(pk=variant.pk).stock_on_hand == 8
        assert StockMovement.objects.filter(variant_id=variant.pk, note="delivery 1001").count() == 2


def test_errors_are_rfc_9457_problem_details(seller_a: Seller) -> None:
    client = api(HOST_A, key_of(seller_a, scope="read"))

    missing = client.get("/api/v1/products/NOPE/")
    unauthenticated = Client(HTTP_HOST=HOST_A).get("/api/v1/products/")
    read_only = client.post("/api/v1/variants/1/stock-adjustments/", {}, content_type="application/json")

    for response, status in ((missing, 404), (unauthenticated, 401), (read_only, 403)):
        assert response.status_code == status
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status and problem["type"] == "about:blank" and problem["title"]
        assert problem["detail"]
    assert missing.json()["detail"] == "No product with code 'NOPE'."


def test_the_schema_generates_without_a_warning(tmp_path: Path) -> None:
    """drf-spectacular's own check: every view, serializer and authenticator is described (a warning fails)."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/orders/{order_id}/mark-paid/" in (tmp_path / "schema.yaml").read_text()


def test_an_address_no_operation_answers_is_a_404_problem_and_a_missing_slash_still_redirects(
    seller_a: Seller,
) -> None:
    client = api(HOST_A, key_of(seller_a, scope="write"))

    not_a_number = client.get("/api/v1/lives/first/")
    posted = client.post("/api/v1/orders/-1/cancel/")  # no operation: a 404, not a CSRF refusal
    no_slash = client.get("/api/v1/products")

    for response in (not_a_number, posted):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == "No API operation at this address: see /api/v1/docs/."
    assert (no_slash.status_code, no_slash["Location"]) == (301, "/api/v1/products/")
