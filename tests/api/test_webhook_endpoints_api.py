"""Outgoing webhook endpoints in the public API v1: a write key registers one (the secret only in that answer),
the idempotent POST replayed returns the first answer, a read key cannot, another seller's key sees nothing, the
delivery log lists what was sent."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from api.services import api_key_create
from hooks.models import Endpoint
from hooks.services import hook_emit
from tenants.models import Seller

HOST_A = "seller-a.localhost"


def api_client(seller: Seller, *, scope: str, host: str = HOST_A) -> Client:
    with schema_context(seller.schema_name):
        key = api_key_create(name="Tool", scope=scope, created_by="owner@test").plaintext
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {key}")


BODY = {"url": "http://127.0.0.1:9/erp", "event_types": ["order.paid", "live.started"], "description": "ERP"}


def test_a_write_key_registers_an_endpoint_once_with_its_secret_shown_only_then(seller_a: Seller) -> None:
    client = api_client(seller_a, scope="write")
    headers = {"Idempotency-Key": "create-erp-1"}

    first = client.post("/api/v1/webhook-endpoints/", BODY, content_type="application/json", headers=headers)
    again = client.post("/api/v1/webhook-endpoints/", BODY, content_type="application/json", headers=headers)
    listed = client.get("/api/v1/webhook-endpoints/").json()["results"]
    detail = client.get(f"/api/v1/webhook-endpoints/{first.json()['id']}/").json()

    assert first.status_code == 201
    assert first.json()["secret"].startswith("whsec_")
    assert again.json() == first.json()
    assert [row["id"] for row in listed] == [first.json()["id"]]
    assert "secret" not in detail and detail["event_types"] == ["live.started", "order.paid"]
    with schema_context(seller_a.schema_name):
        assert Endpoint.objects.count() == 1


def test_bad_endpoints_are_refused_with_problem_details(seller_a: Seller) -> None:
    client = api_client(seller_a, scope="write")

    unknown = client.post(
        "/api/v1/webhook-endpoints/", BODY | {"event_types": ["order.shipped"]}, content_type="application/json"
    )
    empty = client.post("/api/v1/webhook-endpoints/", BODY | {"event_types": []}, content_type="application/json")
    nowhere = client.post(
        "/api/v1/webhook-endpoints/", BODY | {"url": "http://no-such-host.invalid/x"}, content_type="application/json"
    )

    assert (unknown.status_code, empty.status_code, nowhere.status_code) == (400, 400, 400)
    assert unknown["Content-Type"] == "application/problem+json"
    assert "no-such-host.invalid" in str(nowhere.json()["errors"]["url"])


def test_a_read_key_lists_but_cannot_register_change_or_delete(seller_a: Seller) -> None:
    writer, reader = api_client(seller_a, scope="write"), api_client(seller_a, scope="read")
    endpoint_id = writer.post("/api/v1/webhook-endpoints/", BODY, content_type="application/json").json()["id"]

    assert reader.get("/api/v1/webhook-endpoints/").status_code == 200
    assert reader.post("/api/v1/webhook-endpoints/", BODY, content_type="application/json").status_code == 403
    change = reader.patch(
        f"/api/v1/webhook-endpoints/{endpoint_id}/", {"is_active": False}, content_type="application/json"
    )
    assert change.status_code == 403
    assert reader.delete(f"/api/v1/webhook-endpoints/{endpoint_id}/").status_code == 403
    with schema_context(seller_a.schema_name):
        assert Endpoint.objects.get(pk=endpoint_id).is_active


def test_a_write_key_turns_an_endpoint_off_and_on_changes_its_events_and_deletes_it(seller_a: Seller) -> None:
    client = api_client(seller_a, scope="write")
    endpoint_id = client.post("/api/v1/webhook-endpoints/", BODY, content_type="application/json").json()["id"]
    url = f"/api/v1/webhook-endpoints/{endpoint_id}/"

    off = client.patch(url, {"is_active": False}, content_type="application/json").json()
    on = client.patch(url, {"is_active": True, "event_types": ["stock.low"]}, content_type="application/json").json()
    deleted = client.delete(url)

    assert (off["is_active"], off["disabled_reason"]) == (False, "Turned off through the API.")
    assert (on["is_active"], on["event_types"]) == (True, ["stock.low"])
    assert deleted.status_code == 204 and client.get(url).status_code == 404


def test_the_delivery_log_lists_what_was_written_for_the_endpoint(seller_a: Seller) -> None:
    client = api_client(seller_a, scope="read")
    writer = api_client(seller_a, scope="write")
    endpoint_id = writer.post("/api/v1/webhook-endpoints/", BODY, content_type="application/json").json()["id"]
    with schema_context(seller_a.schema_name):
        hook_emit([("order.paid", {"order_id": 7}), ("stock.low", {"variant_id": 1})])

    rows = client.get(f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries/").json()["results"]

    assert [(r["type"], r["payload"], r["status"], r["attempts"]) for r in rows] == [
        ("order.paid", {"order_id": 7}, "pending", 0)
    ]


def test_another_sellers_key_sees_none_of_this_sellers_endpoints(seller_a: Seller, seller_b: Seller) -> None:
    endpoint_id = (
        api_client(seller_a, scope="write")
        .post("/api/v1/webhook-endpoints/", BODY, content_type="application/json")
        .json()["id"]
    )
    other = api_client(seller_b, scope="write")

    assert other.get(f"/api/v1/webhook-endpoints/{endpoint_id}/").status_code == 401
    assert other.delete(f"/api/v1/webhook-endpoints/{endpoint_id}/").status_code == 401
    with schema_context(seller_a.schema_name):
        assert Endpoint.objects.filter(pk=endpoint_id).exists()
