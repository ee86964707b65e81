"""The claims stage run by its consumer, from what ingest queued: every comment stored, every candidate decided
and reserved in arrival order, the dashboard told after commit (redelivery, poison and crashes:
test_claims_consumer_faults.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from demo.meta_payloads import live_video_change
from livestreams.models import Comment, LiveSession
from payments.models import Reservation
from tenants.models import Seller
from tests.factories import make_live, make_product, stock_conservation_errors
from tests.livestreams.stage_support import (
    DashboardListener,
    _empty_streams,  # noqa: F401 (an autouse fixture)
    accept,
    comment,
    drain,
    page_of,
    payments_entries,
)


@pytest.fixture
def dashboard_a() -> Iterator[DashboardListener]:
    listener = DashboardListener("seller_a")
    try:
        yield listener
    finally:
        listener.close()


def test_claims_stage_stores_every_comment_in_the_live_it_follows_and_reserves_for_the_candidates(
    seller_a: Seller, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A12", variants={"": 3}).variants.get()
    accept(
        seller_a,
        [
            live_video_change(video_id="v1", status="live"),
            comment(seller_a, 1, "quiero la A12"),
            comment(seller_a, 2, "hermosa ❤️"),
        ],
    )

    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        drain()

    with schema_context("seller_a"):
        live = LiveSession.objects.get(platform_video_id="v1")
        assert live.status == "live"
        stored = list(
            Comment.objects.order_by("id").values_list("external_id", "live_session_id", "is_candidate", "intent")
        )
        assert stored == [("c1", live.pk, True, "purchase"), ("c2", live.pk, False, "other")]
        first, chatter = Comment.objects.get(external_id="c1"), Comment.objects.get(external_id="c2")
        assert first.decided_at is not None and chatter.decided_at is not None  # chatter is final, not pending
        reservation = Reservation.objects.get()
        assert (reservation.source_comment_id, reservation.variant_id, reservation.quantity, reservation.status) == (
            first.pk,
            variant.pk,
            1,
            "reserved",
        )
        assert stock_conservation_errors(initial={variant.pk: 3}) == []
    [entry] = payments_entries("seller_a")
    assert (entry["type"], entry["comment_id"], entry["intent"]) == ("claim_decided.v1", str(first.pk), "purchase")
    assert json.loads(entry["decision"])["items"][0]["status"] == "reserved"


def comment_statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements of a drain that touch the comments table, by kind (INSERT, UPDATE, SELECT)."""
    table = Comment._meta.db_table
    return [q["sql"].split(None, 1)[0] for q in queries.captured_queries if table in q["sql"]]


def test_chatter_is_stored_final_as_not_a_claim_without_extra_statements(
    seller_a: Seller, dashboard_a: DashboardListener, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context("seller_a"):
        make_product(code="A12", variants={"": 5})
        live = make_live(page_external_id=page_of(seller_a))
    accept(seller_a, [comment(seller_a, 1, "quiero la A12")])
    with CaptureQueriesContext(connection) as claim_alone, django_capture_on_commit_callbacks(execute=True):
        drain()
    dashboard_a.heard()
    accept(seller_a, [comment(seller_a, 2, "quiero la A12"), *(comment(seller_a, n, "hermosa ❤️") for n in (3, 4, 5))])

    with CaptureQueriesContext(connection) as with_chatter, django_capture_on_commit_callbacks(execute=True):
        drain()
    heard = dashboard_a.heard()

    with schema_context("seller_a"):
        chatter = list(Comment.objects.filter(is_candidate=False).values_list("intent", "decided_at", "parse_result"))
    assert [(intent, decided_at is not None) for intent, decided_at, _ in chatter] == [("other", True)] * 3
    assert [(parse_result or {}).get("engine") for _, _, parse_result in chatter] == ["prefilter"] * 3
    # Stored with their decision in the comments' one INSERT: no statement on the comments table is added.
    assert comment_statements(with_chatter) == comment_statements(claim_alone)
    shown = [payload for event, payload in heard if event == "comment" and not payload["is_candidate"]]
    assert [(p["intent"], p["engine"], p["live_id"]) for p in shown] == [("other", "prefilter", live.pk)] * 3
    assert not [p for event, p in heard if event == "decision" and p["comment_id"] in {c["id"] for c in shown}]


def test_claims_stage_hands_nothing_on_before_commit(seller_a: Seller, django_capture_on_commit_callbacks: Any) -> None:
    with schema_context("seller_a"):
        make_product(code="A12", variants={"": 3})
        make_live(page_external_id=page_of(seller_a))
    accept(seller_a, [comment(seller_a, 1, "quiero la A12")])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        drain()
        assert payments_entries("seller_a") == []  # decided and reserved, but not committed yet

    assert callbacks
    for callback in callbacks:
        callback()
    assert len(payments_entries("seller_a")) == 1


def test_the_dashboard_hears_the_comment_then_its_decision_then_the_stock_after_commit(
    seller_a: Seller, dashboard_a: DashboardListener, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A12", variants={"": 3}).variants.get()
        live = make_live(page_external_id=page_of(seller_a))
    accept(seller_a, [comment(seller_a, 1, "quiero la A12")])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        drain()
    assert dashboard_a.heard() == []  # the dashboard only ever shows committed facts
    for callback in callbacks:
        callback()
    heard = dashboard_a.heard()

    assert [event for event, _ in heard] == ["comment", "decision", "stock"]
    (_, feed), (_, decision), (_, stock) = heard
    with schema_context("seller_a"):
        stored = Comment.objects.get(external_id="c1")
    assert (feed["id"], feed["live_id"], feed["text"], feed["is_candidate"]) == (
        stored.pk,
        live.pk,
        "quiero la A12",
        True,
    )
    assert (decision["comment_id"], decision["live_id"], decision["intent"], decision["needs_review"]) == (
        stored.pk,
        live.pk,
        "purchase",
        False,
    )
    assert [item["status"] for item in decision["items"]] == ["reserved"]
    assert decision["latency_ms"] is not None and decision["latency_ms"] >= 0
    assert [(v["variant_id"], v["available"], v["reserved"]) for v in stock["variants"]] == [(variant.pk, 2, 1)]


def test_live_stopped_ends_the_live(seller_a: Seller) -> None:
    accept(seller_a, [live_video_change(video_id="v1", status="live")])
    drain()
    accept(seller_a, [live_video_change(video_id="v1", status="live_stopped")])
    drain()

    with schema_context("seller_a"):
        live = LiveSession.objects.get(platform_video_id="v1")
        assert (live.status, live.ended_at is not None) == ("ended", True)
