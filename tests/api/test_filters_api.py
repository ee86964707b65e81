"""The list filters of the public API v1 (django-filter): each narrows its list, several statuses can be asked
at once, a value a filter cannot read is a 400 problem naming the parameter, and the schema lists them all."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from inventory.models import Product
from livestreams.models import LiveSession
from payments.models import Buyer, Order
from tenants.models import Seller
from tests.api.support import HOST_A, api_client, claim
from tests.factories import make_live, make_product


def ids(client: Client, path: str) -> list[int]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def codes(client: Client, query: str) -> list[str]:
    response = client.get(f"/api/v1/products/?{query}")
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_products_filter_by_code_search_and_on_sale(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        make_product(code="A12", name="Blusa satinada")
        make_product(code="B7", name="Falda plisada")
        make_product(code="C3", name="Blusa de lino")
        Product.objects.filter(code="C3").update(active=False)
    client = api_client(seller_a, scope="read")

    assert codes(client, "code=a12") == ["A12"]
    assert codes(client, "search=blusa") == ["A12", "C3"]
    assert codes(client, "search=b7") == ["B7"]
    assert codes(client, "active=true") == ["A12", "B7"]
    assert codes(client, "active=false") == ["C3"]
    assert codes(client, "search=blusa&active=true") == ["A12"]


def test_lives_filter_by_one_or_several_statuses_and_platform(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        on_air = make_live()
        scheduled = LiveSession.objects.create(platform="instagram", page_external_id="ig-1", title="Mañana")
        now = timezone.now()
        ended = LiveSession.objects.create(
            platform="facebook", page_external_id="9001", status="ended", started_at=now, ended_at=now
        )
    client = api_client(seller_a, scope="read")

    assert ids(client, "/api/v1/lives/?status=live") == [on_air.pk]
    assert ids(client, "/api/v1/lives/?status=live&status=ended") == [on_air.pk, ended.pk]
    assert ids(client, "/api/v1/lives/?platform=instagram") == [scheduled.pk]


def test_orders_filter_by_several_statuses_and_by_buyer_id(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        make_product(code="A12", variants={"M": 5})
        live = make_live()
        ana = claim(live, external_id="c1", buyer="psid-ana", code="A12", variant="M")[1].order_id
        bea = claim(live, external_id="c2", buyer="psid-bea", code="A12", variant="M")[1].order_id
        assert ana is not None and bea is not None
        Order.objects.filter(pk=bea).update(status="paid")
        bea_id = Buyer.objects.get(platform_user_id="psid-bea").pk
    client = api_client(seller_a, scope="read")

    assert ids(client, "/api/v1/orders/?status=open&status=paid") == [ana, bea]
    assert ids(client, "/api/v1/orders/?status=paid") == [bea]
    assert ids(client, f"/api/v1/orders/?buyer_id={bea_id}") == [bea]
    assert ids(client, f"/api/v1/orders/?live={live.pk}&status=open") == [ana]
    assert ids(client, f"/api/v1/orders/?live={live.pk + 1000}") == []


def test_buyers_filter_by_platform_user_id(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        Buyer.objects.create(platform="facebook", platform_user_id="psid-ana")
        bea = Buyer.objects.create(platform="instagram", platform_user_id="igsid-bea")
    client = api_client(seller_a, scope="read")

    assert ids(client, "/api/v1/buyers/?platform_user_id=igsid-bea") == [bea.pk]
    assert ids(client, "/api/v1/buyers/?platform=instagram") == [bea.pk]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/products/?active=maybe", "active"),
        ("/api/v1/lives/?status=paused", "status"),
        ("/api/v1/lives/?platform=tiktok", "platform"),
        ("/api/v1/orders/?status=open&status=lost", "status"),
        ("/api/v1/orders/?live=abc", "live"),
        ("/api/v1/orders/?live=0", "live"),
        ("/api/v1/orders/?live=99999999999999999999", "live"),
        ("/api/v1/orders/?buyer_id=-3", "buyer_id"),
        ("/api/v1/orders/?created_after=yesterday", "created_after"),
        ("/api/v1/orders/?buyer=psid%00ana", "buyer"),
        ("/api/v1/buyers/?platform=tiktok", "platform"),
        ("/api/v1/comments/?needs_review=perhaps", "needs_review"),
        ("/api/v1/comments/?intent=purchase&intent=gossip", "intent"),
        ("/api/v1/comments/?received_before=2026-13-01T00:00:00Z", "received_before"),
    ],
)
def test_a_filter_value_it_cannot_read_is_a_400_problem_naming_the_parameter(
    seller_a: Seller, path: str, parameter: str
) -> None:
    response = api_client(seller_a, scope="read").get(path)

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["title"]) == (400, "Bad Request")
    assert list(problem["errors"]) == [parameter], problem


def test_a_cursor_that_was_not_made_by_the_api_is_a_404_problem_not_a_500(seller_a: Seller) -> None:
    """A cursor is base64 of `p=<position>`: a forged one with a position that is not an id is refused."""
    client = api_client(seller_a, scope="read")

    forged = client.get("/api/v1/products/?cursor=cD1hYmM%3D")  # base64("p=abc")
    garbage = client.get("/api/v1/products/?cursor=not-a-cursor")

    assert (forged.status_code, garbage.status_code) == (404, 404), forged.content
    assert forged["Content-Type"] == "application/problem+json"


def test_the_schema_lists_every_filter_with_its_type(seller_a: Seller) -> None:
    document = json.loads(Client(HTTP_HOST=HOST_A).get("/api/v1/schema/?format=json").content)

    def parameters(path: str) -> dict[str, dict[str, object]]:
        return {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}

    orders = parameters("/api/v1/orders/")
    assert {"live", "status", "buyer", "buyer_id", "created_after", "created_before", "cursor"} <= set(orders)
    assert orders["status"]["type"] == "array" and orders["created_after"]["format"] == "date-time"
    assert orders["live"]["type"] == "integer"
    assert {"code", "search", "active"} <= set(parameters("/api/v1/products/"))
    assert parameters("/api/v1/products/")["active"]["type"] == "boolean"
    assert {"status", "platform"} <= set(parameters("/api/v1/lives/"))
    assert {"platform", "platform_user_id"} <= set(parameters("/api/v1/buyers/"))
    comments = parameters("/api/v1/comments/")
    assert {"live", "intent", "needs_review", "kind", "author", "received_after", "received_before"} <= set(comments)
