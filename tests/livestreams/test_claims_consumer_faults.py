"""The claims stage under faults: an event redelivered by Redis, a poison event, entries that must never run (no
schema, the template, a suspended seller), one owner per shard, duplicate deliveries, consumers killed mid-batch —
once in effect and in arrival order."""

from __future__ import annotations

import time
from typing import Any

import httpx
from django.conf import settings
from django_tenants.utils import schema_context

from core.streams import keys
from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from demo.meta_payloads import encode, live_video_change, page_delivery, sign
from livestreams.models import Comment
from payments.models import Reservation
from pipeline.stages import get_stage
from tenants.models import Seller
from tests.factories import make_live, make_product, stock_conservation_errors
from tests.livestreams.stage_support import (
    _empty_streams,  # noqa: F401 (an autouse fixture)
    accept,
    claims_stream,
    comment,
    drain,
    live_featuring,
    page_of,
    payments_entries,
)
from tests.processes import CrashPoint, ManageProcess, WebServer, wait_until


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
