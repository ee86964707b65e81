"""The store stage and the consumer runtime: once in effect, in order, surviving crashes and poison."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from livestreams.ingest import queue_delivery
from livestreams.meta_events import parse_delivery
from livestreams.meta_payloads import encode, feed_comment_change, live_video_change, page_delivery, sign
from livestreams.models import Comment, LiveSession
from livestreams.streams import keys
from livestreams.streams.connection import get_redis
from livestreams.streams.consumer import StreamConsumer
from livestreams.streams.stages import get_stage
from tenants.models import Seller
from tests.processes import ManageProcess, WebServer, wait_until


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


def comment(seller: Seller, n: int, text: str = "mío") -> dict[str, Any]:
    return feed_comment_change(
        page_id=page_of(seller), comment_id=f"c{n}", author_id=f"psid-{n % 7}", author_name=f"Viewer {n}", text=text
    )


def drain(stage: str = "store", rounds: int = 20) -> None:
    """Run a consumer until two rounds in a row find nothing to do."""
    consumer = StreamConsumer(get_stage(stage), block_ms=10)
    idle = 0
    try:
        for _ in range(rounds):
            idle = 0 if consumer.run_once() else idle + 1
            if idle == 2:
                break
    finally:
        consumer.release_shards()


def claims_entries(schema: str) -> list[dict[str, str]]:
    return [f for _id, f in get_redis().xrange(keys.stage_stream("claims", keys.shard_of(schema)))]


def test_store_stage_saves_comments_in_the_live_and_hands_candidates_on(
    seller_a: Seller, django_capture_on_commit_callbacks: Any
) -> None:
    accept(
        seller_a,
        [
            live_video_change(video_id="v1", status="live"),
            comment(seller_a, 1, "mío"),
            comment(seller_a, 2, "hermosa ❤️"),
        ],
    )

    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        drain()

    with schema_context("seller_a"):
        live = LiveSession.objects.get(platform_video_id="v1")
        assert live.status == "live"
        stored = list(Comment.objects.order_by("id").values_list("external_id", "live_session_id", "is_candidate"))
        assert stored == [("c1", live.pk, True), ("c2", live.pk, False)]
        first = Comment.objects.get(external_id="c1")
    assert [(e["schema"], e["comment_id"]) for e in claims_entries("seller_a")] == [("seller_a", str(first.pk))]


def test_live_stopped_ends_the_live(seller_a: Seller) -> None:
    accept(seller_a, [live_video_change(video_id="v1", status="live")])
    drain()
    accept(seller_a, [live_video_change(video_id="v1", status="live_stopped")])
    drain()

    with schema_context("seller_a"):
        live = LiveSession.objects.get(platform_video_id="v1")
        assert (live.status, live.ended_at is not None) == ("ended", True)


def test_an_event_redelivered_by_redis_is_stored_once(seller_a: Seller) -> None:
    accept(seller_a, [comment(seller_a, 1)])
    entry = get_redis().xrange(keys.stage_stream("store", keys.shard_of("seller_a")))[0][1]
    get_redis().xadd(keys.stage_stream("store", keys.shard_of("seller_a")), entry)  # at-least-once delivery

    drain()

    with schema_context("seller_a"):
        assert Comment.objects.filter(external_id="c1").count() == 1


def test_poison_event_goes_to_dead_letters_after_n_tries_while_the_rest_flows(seller_a: Seller, settings: Any) -> None:
    settings.STREAM_VISIBILITY_TIMEOUT = 0.05
    settings.STREAM_MAX_DELIVERIES = 3
    stream = keys.stage_stream("store", keys.shard_of("seller_a"))
    accept(seller_a, [comment(seller_a, 1)])
    get_redis().xadd(stream, {"type": "meta_event.v1", "schema": "seller_a", "kind": "comment"})  # poison
    accept(seller_a, [comment(seller_a, 2)])

    consumer = StreamConsumer(get_stage("store"), block_ms=10)
    deadline = time.monotonic() + 10
    while get_redis().xlen(keys.dead_letter_stream(keys.shard_of("seller_a"))) == 0 and time.monotonic() < deadline:
        consumer.run_once()
        time.sleep(0.06)
    consumer.release_shards()

    with schema_context("seller_a"):
        assert sorted(Comment.objects.values_list("external_id", flat=True)) == ["c1", "c2"]
    dead = get_redis().xrange(keys.dead_letter_stream(keys.shard_of("seller_a")))
    assert len(dead) == 1
    assert dead[0][1]["dead.stage"] == "store" and dead[0][1]["dead.deliveries"] == "3"
    assert get_redis().xpending(stream, "store")["pending"] == 0


def test_entry_without_a_schema_never_runs_in_public(seller_a: Seller, settings: Any) -> None:
    settings.STREAM_VISIBILITY_TIMEOUT = 60
    stream = keys.stage_stream("store", keys.shard_of("seller_a"))
    get_redis().xadd(stream, {"type": "meta_event.v1", "kind": "comment", "external_id": "x"})

    drain(rounds=3)

    assert get_redis().xpending(stream, "store")["pending"] == 1  # refused, left for retry and dead letters


def test_a_shard_is_owned_by_one_consumer_at_a_time(seller_a: Seller, settings: Any) -> None:
    settings.STREAM_SHARD_LEASE = 0.3  # leases are renewed, and shards rebalanced, every lease / 3
    first = StreamConsumer(get_stage("store"), consumer_name="first", block_ms=10)
    second = StreamConsumer(get_stage("store"), consumer_name="second", block_ms=10)

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


def test_consumer_killed_mid_batch_loses_and_doubles_nothing(committed_seller: Seller) -> None:
    total = 600
    accept(committed_seller, [live_video_change(video_id="v1", status="live")])
    for start in range(0, total, 100):
        accept(committed_seller, [comment(committed_seller, n) for n in range(start, start + 100)])
    env = {"STREAM_VISIBILITY_TIMEOUT": "1", "STREAM_SHARD_LEASE": "1"}
    schema = committed_seller.schema_name

    def stored() -> int:
        with schema_context(schema):
            return Comment.objects.count()

    victim = ManageProcess("run_consumer", "store", "--batch-size", "500", **env)
    wait_until(lambda: stored() > 50, what="the first consumer to store some comments")
    victim.kill()
    assert stored() < total  # it died in the middle of the work

    rescuer = ManageProcess("run_consumer", "store", **env)
    try:
        wait_until(lambda: stored() == total, timeout=60, what="the second consumer to finish the work")
        wait_until(
            lambda: get_redis().xpending(keys.stage_stream("store", keys.shard_of(schema)), "store")["pending"] == 0,
            what="all acknowledged",
        )
    finally:
        assert rescuer.terminate() == 0  # a graceful stop
    with schema_context(schema):
        ids = list(Comment.objects.values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == total
    handed_on = {e["comment_id"] for e in claims_entries(schema)}
    assert len(handed_on) == total  # every candidate reached the claims stage (duplicates there are harmless)
