"""Variants in the public API v1: a write key adds a variant to a product with its initial stock (a movement with
its reason) and renames it; stock never changes through PATCH; duplicates are a 409; a read key changes
nothing, another seller's key sees nothing, and a POST replayed with its Idempotency-Key returns the first
answer."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from inventory.models import StockMovement, Variant
from tenants.models import Seller
from tests.api.support import HOST_B, api_client
from tests.factories import make_product

NEW_L = {"label": "L", "sku": "A12-L", "stock": 4, "reason": "delivery 1001"}


def a12(seller: Seller) -> int:
    """Product A12 with its variant M (2 units); returns M's id."""
    with schema_context(seller.schema_name):
        return make_product(code="A12", variants={"M": 2}).variants.get().pk


def post(client: Client, path: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(path, body, content_type="application/json", **headers)


def patch(client: Client, variant_id: int, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/variants/{variant_id}/", body, content_type="application/json")


def test_a_write_key_adds_a_variant_with_its_initial_stock_and_reason(seller_a: Seller) -> None:
    a12(seller_a)
    client = api_client(seller_a, scope="write")

    created = post(client, "/api/v1/products/a12/variants/", NEW_L)

    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("product_code", "label", "sku", "stock_on_hand", "reserved", "available")} == {
        "product_code": "A12",
        "label": "L",
        "sku": "A12-L",
        "stock_on_hand": 4,
        "reserved": 0,
        "available": 4,
    }
    assert client.get(f"/api/v1/variants/{body['id']}/").json() == body
    listed = client.get("/api/v1/products/?code=A12").json()["results"][0]["variants"]
    assert [v["label"] for v in listed] == ["M", "L"]
    with schema_context(seller_a.schema_name):
        movement = StockMovement.objects.get(variant_id=body["id"])
        assert (movement.reason, movement.on_hand_delta, movement.note, movement.actor) == (
            "adjustment",
            4,
            "delivery 1001",
            "api:Tool",
        )


def test_a_label_or_sku_already_taken_is_a_409_problem_naming_the_field(seller_a: Seller) -> None:
    a12(seller_a)
    client = api_client(seller_a, scope="write")

    same_label = post(client, "/api/v1/products/A12/variants/", {"label": "m"})
    same_sku = post(client, "/api/v1/products/A12/variants/", {"label": "XL", "sku": "A12-M"})

    assert (same_label.status_code, same_sku.status_code) == (409, 409), same_label.content
    assert same_label["Content-Type"] == "application/problem+json"
    assert same_label.json()["detail"] == "A12 already has the variant 'M'."
    assert same_label.json()["errors"] == {"label": ["A12 already has the variant 'M'."]}
    assert list(same_sku.json()["errors"]) == ["sku"] and "A12 M" in same_sku.json()["detail"]
    with schema_context(seller_a.schema_name):
        assert Variant.objects.filter(product__code="A12").count() == 1


def test_invalid_input_is_a_400_and_an_unknown_product_a_404(seller_a: Seller) -> None:
    a12(seller_a)
    client = api_client(seller_a, scope="write")

    no_reason = post(client, "/api/v1/products/A12/variants/", {"label": "L", "stock": 3})
    negative = post(client, "/api/v1/products/A12/variants/", {"label": "L", "stock": -1, "reason": "count"})
    no_label = post(client, "/api/v1/products/A12/variants/", {"label": "  "})
    unknown = post(client, "/api/v1/products/Z9/variants/", {"label": "L"})

    assert (no_reason.status_code, list(no_reason.json()["errors"])) == (400, ["reason"])
    assert (negative.status_code, list(negative.json()["errors"])) == (400, ["stock"])
    assert (no_label.status_code, list(no_label.json()["errors"])) == (400, ["label"])
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "No product with code 'Z9'.")


def test_patch_renames_a_variant_and_never_changes_its_stock(seller_a: Seller) -> None:
    medium = a12(seller_a)
    client = api_client(seller_a, scope="write")

    renamed = patch(client, medium, {"label": "Mediana", "sku": "A12-MED"})
    stock = patch(client, medium, {"stock_on_hand": 50})
    unknown_field = patch(client, medium, {"colour": "red"})
    missing = patch(client, medium + 1000, {"label": "S"})

    assert renamed.status_code == 200, renamed.content
    assert (renamed.json()["label"], renamed.json()["sku"], renamed.json()["stock_on_hand"]) == (
        "Mediana",
        "A12-MED",
        2,
    )
    assert stock.status_code == 400 and "stock-adjustments" in stock.json()["errors"]["stock_on_hand"][0]
    assert (unknown_field.status_code, list(unknown_field.json()["errors"])) == (400, ["colour"])
    assert missing.status_code == 404
    with schema_context(seller_a.schema_name):
        assert Variant.objects.get(pk=medium).stock_on_hand == 2
        assert not StockMovement.objects.filter(variant_id=medium).exists()


def test_a_rename_to_a_label_the_product_has_is_a_409(seller_a: Seller) -> None:
    medium = a12(seller_a)
    client = api_client(seller_a, scope="write")
    large = post(client, "/api/v1/products/A12/variants/", {"label": "L"}).json()["id"]

    clash = patch(client, large, {"label": "M"})

    assert clash.status_code == 409 and clash.json()["errors"] == {"label": ["A12 already has the variant 'M'."]}
    with schema_context(seller_a.schema_name):
        assert sorted(Variant.objects.filter(pk__in=[medium, large]).values_list("label", flat=True)) == ["L", "M"]


def test_a_read_key_can_read_a_variant_but_not_create_or_change_one(seller_a: Seller) -> None:
    medium = a12(seller_a)
    client = api_client(seller_a, scope="read")

    assert client.get(f"/api/v1/variants/{medium}/").status_code == 200
    assert post(client, "/api/v1/products/A12/variants/", NEW_L).status_code == 403
    assert patch(client, medium, {"label": "Mediana"}).status_code == 403
    with schema_context(seller_a.schema_name):
        assert list(Variant.objects.values_list("label", flat=True)) == ["M"]


def test_another_sellers_key_cannot_see_create_or_change_this_sellers_variants(
    seller_a: Seller, seller_b: Seller
) -> None:
    medium = a12(seller_a)
    here = api_client(seller_b, scope="write")  # seller B's key on seller A's host
    at_home = api_client(seller_b, scope="write", host=HOST_B)

    assert here.get(f"/api/v1/variants/{medium}/").status_code == 401
    assert post(here, "/api/v1/products/A12/variants/", NEW_L).status_code == 401
    assert patch(here, medium, {"label": "Hacked"}).status_code == 401
    assert at_home.get(f"/api/v1/variants/{medium}/").status_code == 404
    assert post(at_home, "/api/v1/products/A12/variants/", NEW_L).status_code == 404
    assert patch(at_home, medium, {"label": "Hacked"}).status_code == 404
    with schema_context(seller_a.schema_name):
        assert list(Variant.objects.values_list("label", flat=True)) == ["M"]


def test_a_create_replayed_with_its_idempotency_key_returns_the_first_answer_and_adds_nothing(
    seller_a: Seller,
) -> None:
    a12(seller_a)
    client = api_client(seller_a, scope="write")
    path = "/api/v1/products/A12/variants/"

    first = post(client, path, NEW_L, HTTP_IDEMPOTENCY_KEY="add-L")
    again = post(client, path, NEW_L, HTTP_IDEMPOTENCY_KEY="add-L")
    other_body = post(client, path, {**NEW_L, "label": "XL"}, HTTP_IDEMPOTENCY_KEY="add-L")
    without_key = post(client, path, NEW_L)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert without_key.status_code == 409  # not a replay: the label is taken by the first
    with schema_context(seller_a.schema_name):
        assert list(Variant.objects.filter(product__code="A12").values_list("label", flat=True)) == ["M", "L"]
        assert StockMovement.objects.filter(note="delivery 1001").count() == 1


def test_a_product_code_postgresql_cannot_hold_is_a_404_not_a_500(seller_a: Seller) -> None:
    client = api_client(seller_a, scope="write")

    assert client.get("/api/v1/products/A%0012/").status_code == 404
    assert post(client, "/api/v1/products/A%0012/variants/", {"label": "L"}).status_code == 404
