"""Orders in the public API v1: filters, detail with lines and trail, record a cash payment, cancel; a read key
changes nothing and another seller's key sees nothing."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from api.services import api_key_create
from inventory.models import Variant
from livestreams.intent.types import ClaimItem
from payments.models import Order
from payments.reservations import ClaimPolicy, claim_reserve
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product

HOST_A = "seller-a.localhost"
POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


def api_client(seller: Seller, *, scope: str, host: str = HOST_A) -> Client:
    with schema_context(seller.schema_name):
        key = api_key_create(name="ERP", scope=scope, created_by="owner@test").plaintext
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {key}")


def two_orders(seller: Seller) -> tuple[int, int, int]:
    """Two buyers' carts on one live: (live id, order of psid-ana, order of psid-bea)."""
    with schema_context(seller.schema_name):
        make_product(code="A12", variants={"M": 5})
        live = make_live()
        orders = []
        for n, buyer in enumerate(("psid-ana", "psid-bea")):
            decision = claim_reserve(
                comment=make_comment(live=live, external_id=f"c{n}", author=buyer, text="quiero A12 M"),
                items=(ClaimItem("A12", "M", 1),),
                policy=POLICY,
                now=timezone.now(),
            )
            assert decision.order_id is not None
            orders.append(decision.order_id)
        return live.pk, orders[0], orders[1]


def test_orders_filter_by_live_status_buyer_and_date(seller_a: Seller) -> None:
    live_id, ana, bea = two_orders(seller_a)
    client = api_client(seller_a, scope="read")

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/orders/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(f"live={live_id}") == [ana, bea]
    assert ids("buyer=psid-bea") == [bea]
    assert ids("status=open") == [ana, bea]
    assert ids("status=paid") == []
    assert ids("created_after=2000-01-01T00:00:00Z") == [ana, bea]
    assert ids("created_before=2000-01-01T00:00:00Z") == []
    assert client.get("/api/v1/orders/?status=lost").status_code == 400
    assert client.get("/api/v1/orders/?created_after=yesterday").status_code == 400


def test_order_detail_has_its_lines_and_trail(seller_a: Seller) -> None:
    _, ana, _ = two_orders(seller_a)

    detail = api_client(seller_a, scope="read").get(f"/api/v1/orders/{ana}/").json()

    assert detail["buyer_platform_user_id"] == "psid-ana"
    assert [(line["product_code"], line["variant_label"], line["status"]) for line in detail["lines"]] == [
        ("A12", "M", "reserved")
    ]
    assert detail["trail"]["reservations"][0]["comment_text"] == "quiero A12 M"
    assert detail["trail"]["reservations"][0]["movements"][0]["reason"] == "reservation"


def test_a_write_key_records_a_cash_payment_and_cancels_another_order(seller_a: Seller) -> None:
    _, ana, bea = two_orders(seller_a)
    client = api_client(seller_a, scope="write")

    paid = client.post(f"/api/v1/orders/{ana}/mark-paid/")
    cancelled = client.post(f"/api/v1/orders/{bea}/cancel/")
    paid_again = client.post(f"/api/v1/orders/{bea}/mark-paid/")

    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.content
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.content
    assert paid_again.status_code == 400
    with schema_context(seller_a.schema_name):
        variant = Variant.objects.get(product__code="A12")
        assert (variant.stock_on_hand, variant.reserved) == (4, 0)
        assert Order.objects.get(pk=ana).status == "paid"


def test_a_read_key_cannot_cancel_and_another_sellers_key_sees_nothing(seller_a: Seller, seller_b: Seller) -> None:
    _, ana, _ = two_orders(seller_a)

    assert api_client(seller_a, scope="read").post(f"/api/v1/orders/{ana}/cancel/").status_code == 403
    other = api_client(seller_b, scope="write")
    assert other.get(f"/api/v1/orders/{ana}/").status_code == 401
    assert other.post(f"/api/v1/orders/{ana}/cancel/").status_code == 401
    with schema_context(seller_a.schema_name):
        assert Order.objects.get(pk=ana).status == "open"


def test_buyers_are_listed_with_their_order_counts_and_only_this_sellers(seller_a: Seller, seller_b: Seller) -> None:
    two_orders(seller_a)
    client = api_client(seller_a, scope="read")

    listed = client.get("/api/v1/buyers/?platform=facebook").json()["results"]
    one = client.get(f"/api/v1/buyers/{listed[0]['id']}/").json()

    assert [(b["platform_user_id"], b["order_count"]) for b in listed] == [("psid-ana", 1), ("psid-bea", 1)]
    assert one["platform_user_id"] == "psid-ana"
    assert client.get("/api/v1/buyers/?platform=tiktok").status_code == 400
    other = api_client(seller_b, scope="read", host="seller-b.localhost")
    assert other.get("/api/v1/buyers/").json()["results"] == []


def test_a_cancel_replayed_with_its_idempotency_key_returns_the_first_answer(seller_a: Seller) -> None:
    """The detail holds dates (the trail's): the stored answer is the JSON the first request got."""
    _, ana, _ = two_orders(seller_a)
    client = api_client(seller_a, scope="write")

    path = f"/api/v1/orders/{ana}/cancel/"

    first = client.post(path, content_type="application/json", HTTP_IDEMPOTENCY_KEY="cancel-ana")  # no body
    again = client.post(path, content_type="application/json", HTTP_IDEMPOTENCY_KEY="cancel-ana")
    without_key = client.post(path)

    assert first.status_code == 200, first.content
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and first.json()["status"] == "cancelled"
    assert without_key.status_code == 400  # a second cancel, not a replay
