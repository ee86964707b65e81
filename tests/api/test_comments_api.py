"""Comments in the public API v1: each with its author, live and decision (what the intent engine read and what
the claims stage did), filters by live, intent, review and received time; a read key suffices, nothing can be
written, and another seller's key sees nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from livestreams.models import Comment, LiveSession
from tenants.models import Seller
from tests.api.support import HOST_B, api_client, claim
from tests.factories import make_comment, make_live, make_product

EARLY = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def a_live_with_comments(seller: Seller) -> dict[str, int]:
    """One unit of A12 M: Ana reserves it, Bea waits in line, Caro asks a question, Dani's comment is not decided
    yet, Eva's is unclear (review), Fer claims a code that does not exist. Ana's comment arrived EARLY."""
    with schema_context(seller.schema_name):
        make_product(code="A12", variants={"M": 1})
        live = make_live()
        ana, _ = claim(live, external_id="c1", buyer="psid-ana", code="A12", variant="M")
        bea, _ = claim(live, external_id="c2", buyer="psid-bea", code="A12", variant="M")
        caro = make_comment(live=live, external_id="c3", author="psid-caro", text="¿cuánto cuesta?")
        dani = make_comment(live=live, external_id="c4", author="psid-dani", text="A12 M porfa")
        eva = make_comment(live=live, external_id="c5", author="psid-eva", text="la de antes")
        fer, _ = claim(live, external_id="c6", buyer="psid-fer", code="Z9", variant="M")
        decided = {"items": [], "confidence": 0.9, "engine": "local"}
        Comment.objects.filter(pk=caro.pk).update(intent="question", parse_result=decided, decided_at=EARLY)
        Comment.objects.filter(pk=eva.pk).update(
            intent="purchase", parse_result=decided, decided_at=EARLY, needs_review=True, review_reason="timeout"
        )
        Comment.objects.filter(pk=ana.pk).update(received_at=EARLY)
        return {"live": live.pk, "ana": ana.pk, "bea": bea.pk, "caro": caro.pk, "dani": dani.pk, "eva": eva.pk,
                "fer": fer.pk}  # fmt: skip


def listed(client: Client, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/comments/?{query}")
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_each_comment_says_what_the_engine_read_and_what_the_claims_stage_did(seller_a: Seller) -> None:
    ids = a_live_with_comments(seller_a)
    client = api_client(seller_a, scope="read")

    outcomes = [(c["id"], c["decision"]["outcome"]) for c in listed(client)]
    ana = client.get(f"/api/v1/comments/{ids['ana']}/").json()

    assert outcomes == [
        (ids["ana"], "reserved"),
        (ids["bea"], "waitlisted"),
        (ids["caro"], "not_a_claim"),
        (ids["dani"], "pending"),
        (ids["eva"], "review"),
        (ids["fer"], "rejected"),
    ]
    assert ana["text"] == "quiero A12 M" and ana["live_id"] == ids["live"] and ana["kind"] == "comment"
    assert ana["author"] == {"platform_user_id": "psid-ana", "name": "Ana"}
    assert ana["received_at"] == "2026-03-01T18:00:00Z"
    decision = ana["decision"]
    assert (decision["intent"], decision["engine"], decision["confidence"]) == ("purchase", "local", 0.97)
    assert decision["items"] == [{"code": "A12", "variant": "M", "qty": 1}]
    assert decision["needs_review"] is False and decision["review_reason"] is None
    [reservation] = decision["reservations"]
    assert (reservation["product_code"], reservation["variant_label"], reservation["quantity"]) == ("A12", "M", 1)
    assert reservation["status"] == "reserved" and reservation["order_id"] and reservation["hold_expires_at"]


def test_a_pending_and_a_review_comment_show_what_is_known_so_far(seller_a: Seller) -> None:
    ids = a_live_with_comments(seller_a)
    client = api_client(seller_a, scope="read")

    dani = client.get(f"/api/v1/comments/{ids['dani']}/").json()["decision"]
    eva = client.get(f"/api/v1/comments/{ids['eva']}/").json()["decision"]

    assert (dani["outcome"], dani["intent"], dani["decided_at"], dani["items"]) == ("pending", None, None, [])
    assert (eva["outcome"], eva["needs_review"], eva["review_reason"]) == ("review", True, "timeout")
    assert eva["reservations"] == []


def test_comments_filter_by_live_intent_review_author_and_received_time(seller_a: Seller) -> None:
    ids = a_live_with_comments(seller_a)
    with schema_context(seller_a.schema_name):
        other_live = LiveSession.objects.create(platform="facebook", page_external_id="9001", title="Otro")
        elsewhere = make_comment(live=other_live, external_id="x1", text="hola").pk
    client = api_client(seller_a, scope="read")

    def ids_of(query: str) -> list[int]:
        return [c["id"] for c in listed(client, query)]

    assert ids_of(f"live={other_live.pk}") == [elsewhere]
    assert ids_of("intent=question") == [ids["caro"]]
    assert ids_of(f"live={ids['live']}&intent=purchase&intent=question") == [
        ids["ana"], ids["bea"], ids["caro"], ids["eva"], ids["fer"]
    ]  # fmt: skip
    assert ids_of("needs_review=true") == [ids["eva"]]
    assert ids_of("author=psid-bea") == [ids["bea"]]
    assert ids_of("received_before=2026-03-01T18:00:01Z") == [ids["ana"]]
    assert ids["ana"] not in ids_of("received_after=2026-03-01T18:00:01Z")
    assert ids_of("kind=message") == []


def test_a_read_key_reads_comments_and_no_key_can_write_them(seller_a: Seller) -> None:
    ids = a_live_with_comments(seller_a)
    read, write = api_client(seller_a, scope="read"), api_client(seller_a, scope="write")

    assert read.get(f"/api/v1/comments/{ids['bea']}/").status_code == 200
    assert read.post("/api/v1/comments/", {}, content_type="application/json").status_code == 403
    assert write.post("/api/v1/comments/", {}, content_type="application/json").status_code == 405
    assert write.get("/api/v1/comments/999999/").status_code == 404


def test_another_sellers_key_sees_none_of_this_sellers_comments(seller_a: Seller, seller_b: Seller) -> None:
    ids = a_live_with_comments(seller_a)
    here = api_client(seller_b, scope="read")  # seller B's key, on seller A's host
    at_home = api_client(seller_b, scope="read", host=HOST_B)

    refused = here.get("/api/v1/comments/")

    assert refused.status_code == 401 and "quiero" not in refused.content.decode()
    assert here.get(f"/api/v1/comments/{ids['ana']}/").status_code == 401
    assert at_home.get("/api/v1/comments/").json()["results"] == []
    assert at_home.get(f"/api/v1/comments/{ids['ana']}/").status_code == 404
