"""Lives, the control room's HTTP side (featured switch, recovery read, review list) and the order pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django_tenants.utils import schema_context

from dashboard import control
from livestreams.models import Comment, LiveSession
from payments.models import Order, Reservation
from tenants.models import PageBinding, Seller
from tests.factories import make_comment, make_live, make_order, make_product

LIVE_LIST_QUERIES = 10  # 5 for tenant and login, page bindings, lives, comment, order and money aggregates
CONTROL_ROOM_QUERIES = 17
ORDER_LIST_QUERIES = 8  # 5 for tenant and login, the totals (and count), the page of orders, the lives filter


def _claim(live: LiveSession, *, external_id: str, author: str, variant_id: int, quantity: int = 1) -> Comment:
    comment = make_comment(live=live, external_id=external_id, author=author, text="quiero")
    control.review_resolve(comment_id=comment.pk, variant_id=variant_id, quantity=quantity, actor="test")
    return comment


def _busy_live(code: str, video: str, *, buyers: int) -> LiveSession:
    variant = make_product(code=code, variants={"M": 50}).variants.get()
    live = make_live(video_id=video)
    for n in range(buyers):
        _claim(live, external_id=f"{video}-c{n}", author=f"{video}-p{n}", variant_id=variant.pk)
    LiveSession.objects.filter(pk=live.pk).update(status=LiveSession.Status.ENDED, ended_at=live.started_at)
    return live


def test_live_list_with_results_runs_the_same_queries_for_any_number_of_lives(
    owner_client: Client, count_queries: Callable
) -> None:
    with schema_context("seller_a"):
        _busy_live("A1", "v1", buyers=2)
    with count_queries() as few:
        owner_client.get("/lives/")
    with schema_context("seller_a"):
        for n in range(2, 7):
            _busy_live(f"A{n}", f"v{n}", buyers=3)
    with count_queries() as many:
        page = owner_client.get("/lives/").content.decode()

    assert len(few.captured_queries) == len(many.captured_queries) == LIVE_LIST_QUERIES
    assert page.count('class="badge status-ended"') == 6


def test_scheduling_on_a_bound_page_then_starting_puts_the_live_on_air(owner_client: Client, seller_a: Seller) -> None:
    binding = PageBinding.objects.get(seller=seller_a)

    response = owner_client.post("/lives/", {"page": binding.pk, "title": "Viernes", "platform_video_id": "555"})
    with schema_context("seller_a"):
        live = LiveSession.objects.get(title="Viernes")
        assert (live.status, live.page_external_id, live.platform_video_id) == ("scheduled", "9001", "555")
    owner_client.post(f"/lives/{live.pk}/start/")

    assert response.status_code == 302
    with schema_context("seller_a"):
        live.refresh_from_db()
        assert live.status == "live" and live.started_at is not None


def test_another_sellers_page_cannot_be_chosen_for_a_live(owner_client: Client, seller_b: Seller) -> None:
    other = PageBinding.objects.get(seller=seller_b)

    response = owner_client.post("/lives/", {"page": other.pk, "title": "Nope"})

    assert response.status_code == 200
    with schema_context("seller_a"):
        assert not LiveSession.objects.exists()


def test_control_room_runs_the_same_queries_for_a_small_or_busy_live(
    owner_client: Client, count_queries: Callable
) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 50, "L": 5}).variants.first()
        assert variant is not None
        live = make_live()
        _claim(live, external_id="c1", author="p1", variant_id=variant.pk)
    with count_queries() as few:
        owner_client.get(f"/lives/{live.pk}/")
    with schema_context("seller_a"):
        for n in range(2, 10):
            make_product(code=f"B{n}", variants={"S": 1, "M": 2})
            _claim(live, external_id=f"c{n}", author=f"p{n}", variant_id=variant.pk)
    with count_queries() as many:
        response = owner_client.get(f"/lives/{live.pk}/")

    assert response.status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries) == CONTROL_ROOM_QUERIES


def test_featured_switch_persists_and_tells_every_open_dashboard(
    owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context("seller_a"):
        product = make_product(code="B7")
        live = make_live()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("live.seller_a", channel)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/lives/{live.pk}/feature/", {"product_id": product.pk}, HTTP_HX_REQUEST="true")

    message = async_to_sync(layer.receive)(channel)
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    assert message["event"] == "featured" and message["payload"]["product_id"] == product.pk
    with schema_context("seller_a"):
        assert LiveSession.objects.get(pk=live.pk).featured_product_id == product.pk


def test_recovery_read_returns_comments_after_the_last_seen_one_and_current_stock(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 5}).variants.get()
        live = make_live()
        seen = make_comment(live=live, external_id="c1", author="p1")
        _claim(live, external_id="c2", author="p2", variant_id=variant.pk, quantity=2)

    state = owner_client.get(f"/lives/{live.pk}/state.json", {"after": seen.pk}).json()

    missed = [c for c in state["comments"] if c["id"] > seen.pk]
    assert [c["intent"] for c in missed] == ["purchase"]
    assert missed[0]["items"][0]["status"] == "reserved"
    assert {"variant_id": variant.pk, "available": 3, "reserved_in_live": 2}.items() <= next(
        v for v in state["variants"] if v["variant_id"] == variant.pk
    ).items()


def test_resolving_a_review_reserves_through_the_claim_service(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 5}).variants.get()
        live = make_live()
        unsure = make_comment(live=live, external_id="c1", text="me lo llevo")
        Comment.objects.filter(pk=unsure.pk).update(needs_review=True, review_reason="low_confidence")

    response = owner_client.post(
        f"/lives/{live.pk}/review/{unsure.pk}/resolve/",
        {"variant_id": variant.pk, "quantity": 2},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    with schema_context("seller_a"):
        unsure.refresh_from_db()
        assert unsure.parse_result is not None and unsure.parse_result["engine"] == "seller"
        assert (unsure.needs_review, unsure.intent) == (False, "purchase")
        assert Reservation.objects.get(source_comment=unsure).quantity == 2


def test_dismissing_a_review_marks_the_comment_as_noise(owner_client: Client) -> None:
    with schema_context("seller_a"):
        live = make_live()
        unsure = make_comment(live=live, external_id="c1", text="???")
        Comment.objects.filter(pk=unsure.pk).update(needs_review=True)

    owner_client.post(f"/lives/{live.pk}/review/{unsure.pk}/dismiss/")

    with schema_context("seller_a"):
        unsure.refresh_from_db()
        assert (unsure.needs_review, unsure.intent) == (False, "other")
        assert not Reservation.objects.exists()


def test_order_list_runs_the_same_queries_for_any_number_of_orders(
    owner_client: Client, count_queries: Callable
) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 50}).variants.get()
        live = make_live()
        _claim(live, external_id="c1", author="p1", variant_id=variant.pk)
    with count_queries() as few:
        owner_client.get("/orders/")
    with schema_context("seller_a"):
        for n in range(2, 15):
            _claim(live, external_id=f"c{n}", author=f"p{n}", variant_id=variant.pk, quantity=2)
    with count_queries() as many:
        page = owner_client.get("/orders/", {"live": str(live.pk), "status": "open"}).content.decode()

    assert len(few.captured_queries) == len(many.captured_queries) == ORDER_LIST_QUERIES
    assert page.count("/orders/") >= 14


def test_order_page_shows_the_trail_from_comment_to_reservation(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A12", variants={"M": 5}).variants.get()
        live = make_live()
        _claim(live, external_id="c-trail", author="p1", variant_id=variant.pk)
        order = Order.objects.get()

    page = owner_client.get(f"/orders/{order.pk}/").content.decode()

    assert "c-trail" in page and "A12 M" in page and "Apartado" in page  # the reservation's status, in Spanish


def test_cancelling_an_order_releases_its_units_and_closes_it(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A12", variants={"M": 5}).variants.get()
        live = make_live()
        _claim(live, external_id="c1", author="p1", variant_id=variant.pk, quantity=2)
        order = Order.objects.get()
        untouched = make_order(live=live, buyer_id="p2")

    owner_client.post(f"/orders/{order.pk}/cancel/")

    with schema_context("seller_a"):
        order.refresh_from_db()
        variant.refresh_from_db()
        assert order.status == "cancelled"
        assert (variant.reserved, variant.stock_on_hand) == (0, 5)
        assert Reservation.objects.get(order=order).status == "released"
        assert Order.objects.get(pk=untouched.pk).status == "open"
