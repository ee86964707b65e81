"""Shard leases are fenced: a claims consumer frozen mid-batch past its lease (a GC pause, a stopped VM) cannot let
the consumer that took its shard decide later claims first, nor commit for a shard it lost; and a consumer whose
batch is merely slow keeps its lease (a keeper thread renews it)."""

from __future__ import annotations

import os
import signal
import time

from django_tenants.utils import schema_context

from core.streams import keys
from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from livestreams.models import Comment
from payments.models import Reservation
from pipeline.stages import get_stage
from tenants.fencing import SHARD_FENCES
from tenants.models import Seller
from tests.factories import make_product, stock_conservation_errors
from tests.livestreams.stage_support import (
    _empty_streams,  # noqa: F401 (an autouse fixture)
    accept,
    claims_stream,
    comment,
    live_featuring,
)
from tests.processes import CrashPoint, ManageProcess, wait_until


def test_a_consumer_frozen_past_its_lease_commits_first_and_the_new_owner_decides_later_claims_after(
    committed_seller: Seller,
) -> None:
    schema = committed_seller.schema_name
    stock = 3
    with schema_context(schema):
        product = make_product(code="B1", variants={"": stock})
        variant = product.variants.get()
        live_featuring(committed_seller, product)
    accept(committed_seller, [comment(committed_seller, n, "mío", author=f"psid-{n}") for n in range(5)])
    env = {"STREAM_SHARD_LEASE": "1", "STREAM_VISIBILITY_TIMEOUT": "60"}
    owner_key = keys.shard_owner_key("claims", keys.shard_of(schema))

    def decided() -> int:
        with schema_context(schema):
            return Comment.objects.filter(decided_at__isnull=False).count()

    pause = CrashPoint("claims.batch_fenced", after=2, pause=True)  # the batch of the five first claims
    frozen = ManageProcess("run_consumer", "claims", **env, **pause.env)
    rival = None
    try:
        pause.wait(frozen)  # inside the batch's transaction, its fence checked, nothing decided yet
        first_owner = get_redis().get(owner_key)
        os.kill(frozen.process.pid, signal.SIGSTOP)  # the whole process, its lease keeper too
        rival = ManageProcess("run_consumer", "claims", **env)
        wait_until(lambda: get_redis().get(owner_key) not in (None, first_owner), what="the rival to take the shard")
        accept(committed_seller, [comment(committed_seller, n, "mío", author=f"psid-{n}") for n in range(5, 10)])

        os.kill(frozen.process.pid, signal.SIGCONT)
        pause.resume()
        wait_until(lambda: decided() == 10, timeout=60, what="every claim decided")
        wait_until(lambda: get_redis().xpending(claims_stream(schema), "claims")["pending"] == 0, what="all acked")
    finally:
        os.kill(frozen.process.pid, signal.SIGCONT)
        pause.resume()
        assert frozen.terminate() == 0
        if rival is not None:
            assert rival.terminate() == 0

    with schema_context(schema):
        winners = set(
            Reservation.objects.filter(status="reserved").values_list("source_comment__external_id", flat=True)
        )
        assert winners == {"c0", "c1", "c2"}  # first come, first served across the lease change
        assert Reservation.objects.filter(part=0).count() == 10  # one decision per claim, none doubled
        assert stock_conservation_errors(initial={variant.pk: stock}) == []


def test_a_batch_slower_than_the_lease_keeps_its_shard(committed_seller: Seller) -> None:
    schema = committed_seller.schema_name
    with schema_context(schema):
        live_featuring(committed_seller, make_product(code="B1", variants={"": 5}))
    accept(committed_seller, [comment(committed_seller, n, "mío", author=f"psid-{n}") for n in range(3)])
    env = {"STREAM_SHARD_LEASE": "1", "STREAM_VISIBILITY_TIMEOUT": "60"}
    owner_key = keys.shard_owner_key("claims", keys.shard_of(schema))

    pause = CrashPoint("claims.batch_fenced", after=2, pause=True)
    slow = ManageProcess("run_consumer", "claims", **env, **pause.env)
    rival = None
    try:
        pause.wait(slow)
        owner = get_redis().get(owner_key)
        rival = ManageProcess("run_consumer", "claims", **env)
        wait_until(lambda: get_redis().zcard(keys.consumers_key("claims")) == 2, what="the rival to start")
        # Three lease periods with the batch stuck: without the keeper the lease lapses after one and the rival,
        # trying every third of a lease, takes the shard.
        owners = []
        deadline = time.monotonic() + 3 * 1.0
        while time.monotonic() < deadline:
            owners.append(get_redis().get(owner_key))
            time.sleep(0.05)
        assert set(owners) == {owner}
        assert get_redis().get(owner_key) == owner
    finally:
        pause.resume()
        assert slow.terminate() == 0
        if rival is not None:
            assert rival.terminate() == 0


def test_a_consumer_whose_fencing_token_is_old_commits_nothing_and_leaves_the_entries_pending(
    seller_a: Seller,
) -> None:
    consumer = StreamConsumer(get_stage("claims"), consumer_name="stale", block_ms=10)
    try:
        consumer.run_once()  # takes every shard, with a token each
        shard = keys.shard_of("seller_a")
        assert shard in consumer.owned
        SHARD_FENCES.advance(stage="claims", shard=shard)  # another consumer took the shard meanwhile
        accept(seller_a, [comment(seller_a, n) for n in range(3)])

        consumer.run_once()

        with schema_context("seller_a"):
            assert not Comment.objects.exists()  # nothing committed for a shard it lost
        assert shard not in consumer.owned
        assert get_redis().xpending(claims_stream("seller_a"), "claims")["pending"] == 3  # left to the new owner
    finally:
        consumer.release_shards()
