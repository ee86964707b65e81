"""Redis loses its data (FLUSHALL during a burst, SHUTDOWN NOSAVE with a backlog): every comment answered 200 is
still decided and replied to, once, by the same running processes (no restart). PostgreSQL is the record of
what was accepted; the consumers recreate their lost groups; the sweeps queue again what Redis lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from django.conf import settings
from django_tenants.utils import schema_context

from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from demo.meta_payloads import encode, feed_comment_change, page_delivery, sign
from livestreams.ingest import accepted_sweep, queue_delivery
from livestreams.meta_events import parse_delivery
from livestreams.models import Comment, LiveSession
from messenger.models import OutboundMessage
from pipeline.stages import get_stage
from pipeline.sweeps import decided_sweep
from tenants.models import InboxDelivery, PageBinding, Seller
from tenants.services import page_binding_set_token
from tests.asgi import asgi_request
from tests.factories import make_live, make_product
from tests.fakes.graph_server import FakeGraph
from tests.livestreams.stage_support import drain
from tests.processes import ManageProcess, PrivateRedis, WebServer, wait_until

PAGE_TOKEN = "page-token-redis-loss"
PAGE_A = "9001"  # bound to seller_a in tests/conftest.py


@pytest.fixture(autouse=True)
def _empty_streams() -> Iterator[None]:
    yield
    forget_everything()


def forget_everything() -> None:
    """What FLUSHALL does to this run's keys (the shared test Redis keeps other runs' keys)."""
    client = get_redis()
    for key in client.scan_iter(match=f"{settings.STREAM_KEY_PREFIX}:*"):
        client.delete(key)


def a_comment(n: int, page_id: str = PAGE_A) -> dict[str, Any]:
    return feed_comment_change(
        page_id=page_id, comment_id=f"r{n}", author_id=f"psid-r{n}", author_name=f"Buyer {n}", text="mío"
    )


def stored_in_seller_a() -> set[str]:
    with schema_context("seller_a"):
        return set(Comment.objects.values_list("external_id", flat=True))


def test_a_consumer_recreates_its_lost_consumer_group_at_once(seller_a: Seller) -> None:
    consumer = StreamConsumer(get_stage("claims"), block_ms=10)
    try:
        queue_delivery(parse_delivery(page_delivery(page_id=PAGE_A, changes=[a_comment(1)])), received_time=time.time())
        consumer.run_once()
        assert stored_in_seller_a() == {"r1"}
        forget_everything()  # the group, the stream, the lease: gone; ingest's XADD makes a stream with no group
        queue_delivery(parse_delivery(page_delivery(page_id=PAGE_A, changes=[a_comment(2)])), received_time=time.time())

        for _ in range(3):
            consumer.run_once()  # the same consumer, not restarted
    finally:
        consumer.release_shards()
    assert stored_in_seller_a() == {"r1", "r2"}


def test_the_sweep_queues_again_the_accepted_comments_redis_lost_and_confirms_the_stored(
    seller_a: Seller, settings: Any
) -> None:
    settings.INGEST_SWEEP_GRACE = 0
    body = encode(page_delivery(page_id=PAGE_A, changes=[a_comment(1), a_comment(2)]))
    response = asgi_request(
        "POST", "/webhooks/meta/", content=body, headers={"X-Hub-Signature-256": sign(body, app_secret="x")}
    )
    assert response.status_code == 403  # (a wrong signature is not accepted, so not recorded)
    response = asgi_request(
        "POST",
        "/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET)},
    )
    assert response.status_code == 200
    assert InboxDelivery.objects.filter(relayed_at__isnull=False, confirmed_at__isnull=True).count() == 1
    forget_everything()  # Redis lost the queued comments before any consumer read them

    assert accepted_sweep().requeued == 2
    drain(stage="claims")
    assert stored_in_seller_a() == {"r1", "r2"}
    report = accepted_sweep()
    assert (report.requeued, report.confirmed) == (0, 1)
    assert accepted_sweep().checked == 0  # confirmed deliveries are not looked at again


def test_the_sweep_hands_on_again_a_decided_claim_whose_hand_off_redis_lost(
    seller_a: Seller, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INGEST_SWEEP_GRACE = 0
    with schema_context("seller_a"):
        product = make_product(code="S1", variants={"": 5})
        live = make_live(page_external_id=PAGE_A)
        LiveSession.objects.filter(pk=live.pk).update(featured_product=product)
    queue_delivery(parse_delivery(page_delivery(page_id=PAGE_A, changes=[a_comment(1)])), received_time=time.time())
    drain(stage="claims")
    assert stored_in_seller_a() == {"r1"}
    forget_everything()  # the decision's hand-off to the payments stage: gone

    with django_capture_on_commit_callbacks(execute=True):  # (the test's transaction never commits)
        assert decided_sweep() == 1
    drain(stage="payments")
    with schema_context("seller_a"):
        replies = list(OutboundMessage.objects.values_list("comment__external_id", "reason"))
    assert replies == [("r1", "claim")]
    assert decided_sweep() == 0  # answered: not handed on again


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def on_air(committed_seller: Seller, graph: FakeGraph) -> str:
    """The seller's page with a token the fake Meta accepts and a live on air featuring a product with plenty of
    stock: every "mío" is a purchase that gets a private reply. Returns the page id."""
    binding = PageBinding.objects.get(seller=committed_seller, platform="facebook")
    page_binding_set_token(binding=binding, token=PAGE_TOKEN)
    graph.add_page(binding.external_id, token=PAGE_TOKEN)
    with schema_context(committed_seller.schema_name):
        product = make_product(code="R1", variants={"": 1000})
        live = make_live(page_external_id=binding.external_id)
        LiveSession.objects.filter(pk=live.pk).update(featured_product=product)
    return str(binding.external_id)


def pipeline_env(private: PrivateRedis, graph: FakeGraph) -> dict[str, str]:
    return {
        "REDIS_URL": private.url,
        "REDIS_SOCKET_TIMEOUT": "0.5",
        "MESSENGER_BACKEND": "graph",
        "META_GRAPH_URL": graph.base_url,
        "MESSENGER_SENDER_IDLE_SECONDS": "0.05",
        "INGEST_SWEEP_GRACE": "1",
        "STREAM_VISIBILITY_TIMEOUT": "1",
        "STREAM_SHARD_LEASE": "1",
    }


def deliver(client: httpx.Client, page_id: str, n: int) -> int:
    body = encode(page_delivery(page_id=page_id, changes=[a_comment(n, page_id)]))
    signature = sign(body, app_secret=settings.META_APP_SECRET)
    return client.post("/webhooks/meta/", content=body, headers={"X-Hub-Signature-256": signature}).status_code


def decided(schema: str) -> set[str]:
    with schema_context(schema):
        return set(Comment.objects.filter(decided_at__isnull=False).values_list("external_id", flat=True))


def everyone_replied_once(graph: FakeGraph, accepted: list[str]) -> bool:
    return all(graph.replies_to(comment_id) == 1 for comment_id in accepted)


def test_flushall_in_the_middle_of_a_burst_loses_no_accepted_claim(
    committed_seller: Seller, on_air: str, graph: FakeGraph
) -> None:
    schema = committed_seller.schema_name
    private = PrivateRedis(port=6400)
    env = pipeline_env(private, graph)
    web = WebServer(**env)
    pipeline = ManageProcess("run_pipeline", "--block-ms", "50", **env)
    accepted: list[str] = []
    flushed = threading.Event()
    try:
        with httpx.Client(base_url=web.url, timeout=10) as client:

            def burst() -> None:
                for n in range(120):
                    if deliver(client, on_air, n) == 200:
                        accepted.append(f"r{n}")
                    if n == 60:
                        flushed.wait(30)  # the rest of the burst comes after the flush

            sender = threading.Thread(target=burst)
            sender.start()
            wait_until(lambda: len(graph.delivered) >= 10, timeout=60, what="the first replies of the burst")
            redis.Redis(port=private.port).flushall()  # streams, consumer groups, hand-offs, dedupe keys: gone
            flushed.set()
            sender.join(timeout=60)
        assert len(accepted) == 120
        wait_until(lambda: everyone_replied_once(graph, accepted), timeout=90, what="a reply to every accepted claim")
        assert decided(schema) == set(accepted)
        assert pipeline.process.poll() is None  # the same process did it all
    finally:
        pipeline.terminate()
        web.stop()
        private.stop()
    assert len(graph.delivered) == len(accepted)  # nobody told twice


def test_shutdown_nosave_with_a_backlog_loses_no_accepted_claim(
    committed_seller: Seller, on_air: str, graph: FakeGraph
) -> None:
    schema = committed_seller.schema_name
    private = PrivateRedis(port=6401)
    env = pipeline_env(private, graph)
    web = WebServer(**env)
    try:
        with httpx.Client(base_url=web.url, timeout=10) as client:
            statuses = [deliver(client, on_air, n) for n in range(50)]
        assert statuses == [200] * 50
        assert decided(schema) == set()  # a backlog: nothing consumed yet
        private.shutdown_nosave()  # the backlog is gone with it
        private.start()
        pipeline = ManageProcess("run_pipeline", "--block-ms", "50", **env)
        try:
            accepted = [f"r{n}" for n in range(50)]
            with httpx.Client(base_url=web.url, timeout=10) as client:  # the same web server, after the restart
                assert [deliver(client, on_air, n) for n in range(50, 60)] == [200] * 10
            accepted += [f"r{n}" for n in range(50, 60)]
            wait_until(
                lambda: everyone_replied_once(graph, accepted), timeout=90, what="a reply to every accepted claim"
            )
            assert decided(schema) == set(accepted)
        finally:
            pipeline.terminate()
    finally:
        web.stop()
        private.stop()
    assert len(graph.delivered) == 60
