"""The claims stage run by its consumer, from what ingest queued: every comment stored, every candidate decided
and reserved in arrival order — once in effect, in order, surviving redelivery, crashes and poison."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.live_events import live_group
from core.streams import keys
from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from demo.meta_payloads import encode, feed_comment_change, live_video_change, page_delivery, sign
from inventory.models import Product
from livestreams.ingest import queue_delivery
from livestreams.meta_events import parse_delivery
from livestreams.models import Comment, LiveSession
from payments.models import Reservation
from pipeline.stages import get_stage
from tenants.models import Seller
from tests.factories import make_live, make_product, stock_conservation_errors
from tests.processes import CrashPoint, ManageProcess, WebServer, wait_until


@pytest.fixture(autouse=True)
def _empty_streams() -> Iterator[None]:
    yield
    client = get_redis()
    for key in client.scan_iter(match=f"{settings.STREAM_KEY_PREFIX}:*"):
        client.delete(key)


def page_of(seller: Seller) -> str:
    return seller.page_bindings.get(platform="facebook").external_id


def accept(seller: Seller, changes: list[dict[str, Any]]) -> None:
    payload = page_delivery(page_id=page_of(seller), changes=changes)
    queue_delivery(parse_delivery(payload), received_time=time.time())


def comment(seller: Seller, n: int, text: str = "mío", *, author: str | None = None) -> dict[str, Any]:
    return feed_comment_change(
        page_id=page_of(seller),
        comment_id=f"c{n}",
        author_id=author or f"psid-{n % 7}",
        author_name=f"Viewer {n}",
        text=text,
    )


def claims_stream(schema: str) -> str:
    return keys.stage_stream("claims", keys.shard_of(schema))


def drain(rounds: int = 20, *, stage: str = "claims") -> None:
    """Run one consumer of `stage` until two rounds in a row find nothing to do."""
    consumer = StreamConsumer(get_stage(stage), block_ms=10)
    idle = 0
    try:
        for _ in range(rounds):
            idle = 0 if consumer.run_once() else idle + 1
            if idle == 2:
                break
    finally:
        consumer.release_shards()


def payments_entries(schema: str) -> list[dict[str, str]]:
    return [f for _id, f in get_redis().xrange(keys.stage_stream("payments", keys.shard_of(schema)))]


class DashboardListener:
    """A channel in the seller's dashboard group: what an open control room is sent, one event at a time (as
    `LiveControlConsumer` hands a group message of one or several events to the browser)."""

    def __init__(self, schema: str) -> None:
        self.layer = get_channel_layer()
        # A plain channel name (no "!"): received by BRPOP, so each `heard` may run on its own event loop.
        self.channel = f"test-dashboard.{uuid.uuid4().hex}"
        self.group = live_group(schema)
        async_to_sync(self.layer.group_add)(self.group, self.channel)

    def heard(self, quiet_seconds: float = 0.5) -> list[tuple[str, dict[str, Any]]]:
        """Every event that arrives until none has for `quiet_seconds`."""

        async def collect() -> list[tuple[str, dict[str, Any]]]:
            events: list[tuple[str, dict[str, Any]]] = []
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), quiet_seconds)
                except TimeoutError:
                    return events
                if message["type"] == "live.event":
                    events.append((message["event"], message["payload"]))
                else:
                    assert message["type"] == "live.events", message
                    events += [(e["event"], e["payload"]) for e in message["events"]]

        return async_to_sync(collect)()

    def close(self) -> None:
        async_to_sync(self.layer.group_discard)(self.group, self.channel)


@pytest.fixture
def dashboard_a() -> Iterator[DashboardListener]:
    listener = DashboardListener("seller_a")
    try:
        yield listener
    finally:
        listener.close()


def live_featuring(seller: Seller, product: Product) -> LiveSession:
    """A live on air on the seller's page with `product` on camera; call inside the seller's schema."""
    live = make_live(page_external_id=page_of(seller))
    LiveSession.objects.filter(pk=live.pk).update(featured_product=product)
    live.refresh_from_db()
    return live


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


def test_an_event_redelivered_by_redis_is_stored_decided_and_reserved_once(seller_a: Seller) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A12", variants={"": 3}).variants.get()
        make_live(page_external_id=page_of(seller_a))
    accept(seller_a, [comment(seller_a, 1, "quiero la A12")])
    stream = claims_stream("seller_a")
    entry = get_redis().xrange(stream)[0][1]

    get_redis().xadd(stream, entry)  # at-least-once delivery: the same event twice in one batch
    drain()
    with schema_context("seller_a"):
        decided_at = Comment.objects.get(external_id="c1").decided_at
    get_redis().xadd(stream, entry)  # and once more, after the first was handled and acknowledged
    drain()

    with schema_context("seller_a"):
        assert Comment.objects.filter(external_id="c1").count() == 1
        assert decided_at is not None and Comment.objects.get(external_id="c1").decided_at == decided_at
        reservations = Reservation.objects.values_list("source_comment__external_id", "quantity", "status")
        assert list(reservations) == [("c1", 1, "reserved")]
        assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_poison_event_goes_to_dead_letters_after_n_tries_while_the_rest_flows(seller_a: Seller, settings: Any) -> None:
    settings.STREAM_VISIBILITY_TIMEOUT = 0.05
    settings.STREAM_MAX_DELIVERIES = 3
    stream = claims_stream("seller_a")
    accept(seller_a, [comment(seller_a, 1)])
    get_redis().xadd(stream, {"type": "meta_event.v1", "schema": "seller_a", "kind": "comment"})  # poison
    accept(seller_a, [comment(seller_a, 2)])

    consumer = StreamConsumer(get_stage("claims"), block_ms=10)
    deadline = time.monotonic() + 10
    while get_redis().xlen(keys.dead_letter_stream(keys.shard_of("seller_a"))) == 0 and time.monotonic() < deadline:
        consumer.run_once()
        time.sleep(0.06)
    consumer.release_shards()

    with schema_context("seller_a"):
        assert sorted(Comment.objects.values_list("external_id", flat=True)) == ["c1", "c2"]
    dead = get_redis().xrange(keys.dead_letter_stream(keys.shard_of("seller_a")))
    assert len(dead) == 1
    assert dead[0][1]["dead.stage"] == "claims" and dead[0][1]["dead.deliveries"] == "3"
    assert get_redis().xpending(stream, "claims")["pending"] == 0


def test_entry_without_a_schema_never_runs_in_public(seller_a: Seller, settings: Any) -> None:
    settings.STREAM_VISIBILITY_TIMEOUT = 60
    stream = claims_stream("seller_a")
    get_redis().xadd(stream, {"type": "meta_event.v1", "kind": "comment", "external_id": "x"})

    drain(rounds=3)

    assert get_redis().xpending(stream, "claims")["pending"] == 1  # refused, left for retry and dead letters


def test_entries_of_the_template_schema_or_a_suspended_seller_never_run(seller_a: Seller, settings: Any) -> None:
    settings.STREAM_VISIBILITY_TIMEOUT = 60
    with schema_context("seller_a"):
        make_live(page_external_id=page_of(seller_a))
    accept(seller_a, [comment(seller_a, 1)])
    stream = claims_stream("seller_a")
    (_entry_id, fields), *_ = get_redis().xrange(stream)
    get_redis().xadd(claims_stream("tenant_template"), {**fields, "schema": "tenant_template"})
    Seller.objects.filter(pk=seller_a.pk).update(status=Seller.Status.SUSPENDED)
    settings.SELLER_CACHE_SECONDS = 0

    drain(rounds=3)

    with schema_context("tenant_template"):
        assert not Comment.objects.exists()
    with schema_context("seller_a"):
        assert not Comment.objects.exists()
    assert get_redis().xpending(stream, "claims")["pending"] == 1  # refused, left for retry and dead letters


def test_a_shard_is_owned_by_one_consumer_at_a_time(seller_a: Seller, settings: Any) -> None:
    settings.STREAM_SHARD_LEASE = 0.3  # leases are renewed, and shards rebalanced, every lease / 3
    first = StreamConsumer(get_stage("claims"), consumer_name="first", block_ms=10)
    second = StreamConsumer(get_stage("claims"), consumer_name="second", block_ms=10)

    for consumer in (first, second, first, second):
        consumer.run_once()
        time.sleep(0.11)

    try:
        assert first.owned and second.owned
        assert not first.owned & second.owned
        assert first.owned | second.owned == set(range(settings.STREAM_SHARDS))
    finally:
        first.release_shards()
        second.release_shards()


def test_duplicate_deliveries_over_http_also_concurrent_store_one_comment(committed_seller: Seller) -> None:
    server = WebServer()
    try:
        body = encode(page_delivery(page_id=page_of(committed_seller), changes=[comment(committed_seller, 1)]))
        headers = {
            "X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET),
            "Content-Type": "application/json",
        }
        import concurrent.futures

        with httpx.Client(base_url=server.url) as client:
            sequential = [client.post("/webhooks/meta/", content=body, headers=headers).status_code for _ in range(5)]
            with concurrent.futures.ThreadPoolExecutor(5) as pool:
                concurrent_statuses = list(
                    pool.map(
                        lambda _: httpx.post(f"{server.url}/webhooks/meta/", content=body, headers=headers).status_code,
                        range(5),
                    )
                )
    finally:
        server.stop()
    drain()

    assert sequential + concurrent_statuses == [200] * 10
    with schema_context(committed_seller.schema_name):
        assert Comment.objects.filter(external_id="c1").count() == 1


def test_consumer_killed_mid_batch_loses_and_doubles_no_comment_and_decides_each(committed_seller: Seller) -> None:
    total = 600
    accept(committed_seller, [live_video_change(video_id="v1", status="live")])
    for start in range(0, total, 100):
        accept(committed_seller, [comment(committed_seller, n) for n in range(start, start + 100)])
    env = {"STREAM_VISIBILITY_TIMEOUT": "1", "STREAM_SHARD_LEASE": "1"}
    schema = committed_seller.schema_name

    def stored() -> int:
        with schema_context(schema):
            return Comment.objects.count()

    crash = CrashPoint("claims.before_ack")  # its first batch of 500 committed, none of it acknowledged
    victim = ManageProcess("run_consumer", "claims", "--batch-size", "500", **env, **crash.env)
    committed = crash.wait(victim)
    victim.kill()
    assert committed == 500
    assert stored() == committed - 1 < total  # it died in the middle of the work (one entry started the live)
    assert get_redis().xpending(claims_stream(schema), "claims")["pending"] == committed  # to be delivered again

    rescuer = ManageProcess("run_consumer", "claims", **env)
    try:
        wait_until(lambda: stored() == total, timeout=60, what="the second consumer to finish the work")
        wait_until(
            lambda: get_redis().xpending(claims_stream(schema), "claims")["pending"] == 0,
            what="all acknowledged",
        )
    finally:
        assert rescuer.terminate() == 0  # a graceful stop
    with schema_context(schema):
        ids = list(Comment.objects.values_list("external_id", flat=True))
        assert Comment.objects.filter(decided_at__isnull=False).count() == total  # every candidate decided
        comment_ids = {str(pk) for pk in Comment.objects.values_list("pk", flat=True)}
    assert len(ids) == len(set(ids)) == total
    handed_on = {e["comment_id"] for e in payments_entries(schema)}
    assert handed_on == comment_ids  # every decision reached the payments stage (duplicates there are harmless)


def test_claims_consumer_killed_mid_batch_loses_and_doubles_no_claim_and_keeps_arrival_order(
    committed_seller: Seller,
) -> None:
    schema = committed_seller.schema_name
    total, stock = 300, 50
    with schema_context(schema):
        product = make_product(code="B1", variants={"": stock})
        variant = product.variants.get()
        live_featuring(committed_seller, product)
    for start in range(0, total, 100):
        accept(
            committed_seller,
            [comment(committed_seller, n, "mío", author=f"psid-{n}") for n in range(start, start + 100)],
        )
    env = {"STREAM_VISIBILITY_TIMEOUT": "1", "STREAM_SHARD_LEASE": "1"}

    def decided() -> int:
        with schema_context(schema):
            return Comment.objects.filter(decided_at__isnull=False).count()

    crash = CrashPoint("claims.before_ack", after=21)  # stops after its third batch of 10 committed, unacknowledged
    victim = ManageProcess("run_consumer", "claims", "--batch-size", "10", **env, **crash.env)
    committed = crash.wait(victim)
    victim.kill()
    assert decided() == committed == 30 < total
    assert get_redis().xpending(claims_stream(schema), "claims")["pending"] == 10  # the last batch comes again

    rescuer = ManageProcess("run_consumer", "claims", **env)
    try:
        wait_until(lambda: decided() == total, timeout=90, what="the second consumer to decide every comment")
        wait_until(
            lambda: get_redis().xpending(claims_stream(schema), "claims")["pending"] == 0,
            what="every claim acknowledged",
        )
    finally:
        assert rescuer.terminate() == 0
    with schema_context(schema):
        assert Comment.objects.count() == total  # every comment stored once
        assert Reservation.objects.filter(part=0).count() == total  # one decision per comment, none doubled
        assert Reservation.objects.filter(status="reserved").count() == stock
        first_fifty = {f"c{n}" for n in range(stock)}
        winners = set(
            Reservation.objects.filter(status="reserved").values_list("source_comment__external_id", flat=True)
        )
        assert winners == first_fifty  # first come, first served, across the crash
        assert stock_conservation_errors(initial={variant.pk: stock}) == []
