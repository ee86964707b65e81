"""The Meta webhook: verified, routed, deduplicated, queued — answered fast, and never losing an event."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from config.asgi import application
from core.streams import keys
from core.streams.connection import get_redis, reset_clients
from core.streams.consumer import StreamConsumer
from core.webhooks import LocalRateThrottle
from demo.meta_payloads import (
    encode,
    feed_comment_change,
    instagram_comment_change,
    live_video_change,
    messenger_delivery,
    page_delivery,
    sign,
)
from livestreams.ingest import inbox_relay
from livestreams.models import Comment
from pipeline.stages import get_stage
from tenants.models import InboxDelivery, Seller
from tests.asgi import asgi_request
from tests.processes import PrivateRedis

PAGE_A = "9001"  # bound to seller_a in tests/conftest.py


def post(payload: dict[str, Any] | bytes, *, signature: str | None = None) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else encode(payload)
    if signature is None:
        signature = sign(body, app_secret=settings.META_APP_SECRET)
    return asgi_request("POST", "/webhooks/meta/", content=body, headers={"X-Hub-Signature-256": signature})


def comment(comment_id: str, text: str = "mío", author: str = "psid-1", verb: str = "add") -> dict[str, Any]:
    return feed_comment_change(
        page_id=PAGE_A, comment_id=comment_id, author_id=author, author_name="Ana", text=text, verb=verb
    )


def claims_entries(schema: str = "seller_a") -> list[dict[str, str]]:
    stream = keys.stage_stream("claims", keys.shard_of(schema))
    return [fields for _id, fields in get_redis().xrange(stream)]


@pytest.fixture(autouse=True)
def _empty_streams() -> Iterator[None]:
    yield
    client = get_redis()
    for key in client.scan_iter(match=f"{settings.STREAM_KEY_PREFIX}:*"):
        client.delete(key)


@pytest.fixture
def private_redis(settings: Any) -> Iterator[PrivateRedis]:
    """A Redis server of the test's own, that it may stop and start."""
    private = PrivateRedis()
    settings.REDIS_URL = private.url
    settings.REDIS_SOCKET_TIMEOUT = 0.5
    reset_clients()
    try:
        yield private
    finally:
        private.stop()
        settings.REDIS_URL = settings.REDIS_URL  # restored by the settings fixture after the test
        reset_clients()


def test_handshake_echoes_the_challenge_with_the_right_token(db: None) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": settings.META_VERIFY_TOKEN, "hub.challenge": "1158201444"}

    response = asgi_request("GET", "/webhooks/meta/", params=params)

    assert response.status_code == 200
    assert response.content == b"1158201444"


def test_handshake_with_a_wrong_token_is_forbidden(db: None) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}

    assert asgi_request("GET", "/webhooks/meta/", params=params).status_code == 403


def test_webhook_is_not_served_on_a_sellers_host(seller_a: Seller) -> None:
    response = asgi_request("POST", "/webhooks/meta/", host="seller-a.localhost", content=b"{}")

    assert response.status_code == 404


@pytest.mark.parametrize("signature", ["", "sha256=", "sha256=" + "0" * 64, "sha1=abc"])
def test_missing_or_wrong_signature_is_forbidden_and_queues_nothing(seller_a: Seller, signature: str) -> None:
    response = post(page_delivery(page_id=PAGE_A, changes=[comment("c1")]), signature=signature)

    assert response.status_code == 403
    assert claims_entries() == []


def test_body_changed_by_one_byte_after_signing_is_forbidden(seller_a: Seller) -> None:
    body = encode(page_delivery(page_id=PAGE_A, changes=[comment("c1", text="mio")]))
    signature = sign(body, app_secret=settings.META_APP_SECRET)
    tampered = body.replace(b'"mio"', b'"mia"')

    response = post(tampered, signature=signature)

    assert response.status_code == 403
    assert claims_entries() == []


def test_oversized_body_gets_413_even_without_a_content_length(seller_a: Seller, settings: Any) -> None:
    settings.META_WEBHOOK_MAX_BYTES = 1000
    body = encode(page_delivery(page_id=PAGE_A, changes=[comment("c1", text="x" * 2000)]))
    headers = {"X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET)}

    async def in_two_chunks_without_length() -> AsyncIterator[bytes]:
        yield body[:600]
        yield body[600:]

    declared = asgi_request("POST", "/webhooks/meta/", content=body, headers=headers)
    streamed = asgi_request("POST", "/webhooks/meta/", content=in_two_chunks_without_length(), headers=headers)

    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert claims_entries() == []


def test_signed_malformed_json_gets_400(seller_a: Seller) -> None:
    assert post(b'{"entry": [').status_code == 400
    assert post(b'["not", "an", "envelope"]').status_code == 400


def test_batch_of_entries_and_changes_queues_every_event(seller_a: Seller) -> None:
    payload = page_delivery(
        page_id=PAGE_A,
        changes=[
            comment("c1", "mío"),
            comment("c2", "quiero 2 talla M de la A12"),
            comment("c3", "❤️❤️"),
            live_video_change(video_id="v9", status="live"),
            {"field": "ratings", "value": {"x": 1}},
        ],
    )
    payload["entry"].append(page_delivery(page_id=PAGE_A, changes=[comment("c4", "eu quero a 15")])["entry"][0])

    response = post(payload)

    assert response.status_code == 200
    entries = claims_entries()
    assert [(e["kind"], e["external_id"]) for e in entries] == [
        ("comment", "c1"),
        ("comment", "c2"),
        ("comment", "c3"),
        ("live_video", "v9"),
        ("comment", "c4"),
    ]
    assert {e["schema"] for e in entries} == {"seller_a"}
    assert [e["candidate"] for e in entries if e["kind"] == "comment"] == ["1", "1", "0", "1"]


def test_the_pages_own_comments_and_unbound_pages_are_dropped_and_counted(seller_a: Seller) -> None:
    own = feed_comment_change(page_id=PAGE_A, comment_id="own1", author_id=PAGE_A, author_name="Shop", text="Hola")
    post(page_delivery(page_id=PAGE_A, changes=[own]))
    post(page_delivery(page_id="424242", changes=[comment("c1")]))

    assert claims_entries() == []
    counters = get_redis().hgetall(keys.ingest_counters(None))
    assert (counters["unbound"], counters["skipped"]) == ("1", "1")


def test_the_same_delivery_five_times_is_queued_once(seller_a: Seller) -> None:
    payload = page_delivery(page_id=PAGE_A, changes=[comment("c1")])

    statuses = [post(payload).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert len(claims_entries()) == 1


def test_an_edit_is_a_new_event_but_its_retry_is_not(seller_a: Seller) -> None:
    post(page_delivery(page_id=PAGE_A, changes=[comment("c1", "mío")]))
    for _ in range(2):
        post(page_delivery(page_id=PAGE_A, changes=[comment("c1", "mío en M", verb="edited")]))

    assert [e["verb"] for e in claims_entries()] == ["add", "edited"]


def test_instagram_live_comments_and_messenger_messages_are_queued(seller_a: Seller) -> None:
    seller_a.page_bindings.create(platform="instagram", external_id="17841999")
    change = instagram_comment_change(comment_id="ig1", author_id="igsid-1", username="ana.b", text="eu quero a 15")
    instagram = {"object": "instagram", "entry": [{"id": "17841999", "time": 1, "changes": [change]}]}

    post(instagram)
    post(messenger_delivery(page_id=PAGE_A, sender_id="psid-7", mid="m_1", text="cancelar"))

    assert [(e["platform"], e["kind"], e["author_name"] or e["author_id"]) for e in claims_entries()] == [
        ("instagram", "comment", "ana.b"),
        ("facebook", "message", "psid-7"),
    ]


def test_webhook_runs_one_insert_of_its_record_and_no_other_sql_with_a_warm_routing_cache(seller_a: Seller) -> None:
    post(page_delivery(page_id=PAGE_A, changes=[comment("warm")]))
    body = encode(page_delivery(page_id=PAGE_A, changes=[comment("c1"), comment("c2")]))

    with CaptureQueriesContext(connection) as queries:
        response = post(body)
        retried = post(body)  # Meta's retry: nothing new, nothing written

    assert response.status_code == retried.status_code == 200
    assert [e["external_id"] for e in claims_entries()] == ["warm", "c1", "c2"]
    assert [q["sql"].split()[:3] for q in queries.captured_queries] == [["INSERT", "INTO", '"tenants_inboxdelivery"']]
    kept = InboxDelivery.objects.order_by("id").last()
    assert kept is not None and bytes(kept.body) == body and kept.relayed_at is not None


def test_redis_down_keeps_the_delivery_in_the_inbox_and_relays_it_once_when_back(
    seller_a: Seller, private_redis: PrivateRedis
) -> None:
    private_redis.stop()
    response = post(page_delivery(page_id=PAGE_A, changes=[comment("c1"), comment("c2")]))
    assert response.status_code == 200
    assert InboxDelivery.objects.filter(relayed_at__isnull=True).count() == 1
    assert inbox_relay() == 0  # still down: kept, in order

    private_redis.start()
    assert inbox_relay() == 1
    assert inbox_relay() == 0

    assert get_redis().connection_pool.connection_kwargs["port"] == private_redis.port
    assert [e["external_id"] for e in claims_entries()] == ["c1", "c2"]
    assert InboxDelivery.objects.get().relayed_at is not None


def test_neither_redis_nor_postgresql_gets_503(seller_a: Seller, private_redis: PrivateRedis) -> None:
    private_redis.stop()
    with connection.cursor() as cursor:  # the inbox cannot take rows: as good as PostgreSQL being down
        cursor.execute("LOCK TABLE tenants_inboxdelivery IN ACCESS EXCLUSIVE MODE NOWAIT")
    result: dict[str, int] = {}

    def post_from_another_connection() -> None:
        from django.db import connection as thread_connection

        try:
            with thread_connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '300ms'")
            result["status"] = post(page_delivery(page_id=PAGE_A, changes=[comment("c9")])).status_code
        finally:
            thread_connection.close()

    thread = threading.Thread(target=post_from_another_connection)
    thread.start()
    thread.join(timeout=30)

    assert result["status"] == 503


def test_queued_event_carries_the_typed_fields(seller_a: Seller) -> None:
    post(page_delivery(page_id=PAGE_A, changes=[comment("c1", text="quiero la A12 💕")]))

    entry = claims_entries()[0]
    assert entry["type"] == "meta_event.v1"
    assert {k: entry[k] for k in ("schema", "platform", "page_id", "external_id", "author_id", "text")} == {
        "schema": "seller_a",
        "platform": "facebook",
        "page_id": PAGE_A,
        "external_id": "c1",
        "author_id": "psid-1",
        "text": "quiero la A12 💕",
    }
    assert float(entry["received_time"]) > 0 and json.loads(entry["platform_time"]) > 0


def test_text_postgresql_refuses_is_cleaned_at_ingest_so_the_comment_is_stored(seller_a: Seller) -> None:
    payload = page_delivery(
        page_id=PAGE_A,
        changes=[
            comment("n1", text="quiero\x00 la A12", author="psid-\x00nul"),
            comment("n2", text="mío \ud83d"),  # a lone surrogate: valid JSON (an escape), no UTF-8 can carry it
        ],
    )
    body = json.dumps(payload).encode()  # ASCII with \u escapes, as a sender may write it

    response = post(body)

    assert response.status_code == 200
    consumer = StreamConsumer(get_stage("claims"), block_ms=10)
    try:
        for _ in range(3):
            consumer.run_once()
    finally:
        consumer.release_shards()
    with schema_context("seller_a"):
        stored = {c.external_id: (c.text, c.author_platform_id) for c in Comment.objects.all()}
    assert stored == {"n1": ("quiero la A12", "psid-nul"), "n2": ("mío \ufffd", "psid-1")}


def test_a_stampede_of_500_deliveries_is_queued_with_none_diverted_to_the_inbox(seller_a: Seller) -> None:
    bodies = [encode(page_delivery(page_id=PAGE_A, changes=[comment(f"s{n}", author=f"psid-{n}")])) for n in range(500)]

    async def stampede() -> list[int]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/webhooks/meta/",
                        content=body,
                        headers={"X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET)},
                    )
                    for body in bodies
                )
            )
        return [r.status_code for r in responses]

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        statuses = async_to_sync(stampede)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    assert statuses == [200] * 500
    assert InboxDelivery.objects.filter(relayed_at__isnull=True).count() == 0  # none waits for a relay
    assert len(claims_entries()) == 500


def test_after_a_redis_restart_the_next_delivery_is_queued_not_diverted(
    seller_a: Seller, private_redis: PrivateRedis
) -> None:
    def signed(external_id: str) -> tuple[bytes, dict[str, str]]:
        body = encode(page_delivery(page_id=PAGE_A, changes=[comment(external_id)]))
        return body, {"X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET)}

    async def restart_between_two_deliveries() -> list[int]:  # one event loop: one pool, as in a web worker
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            body, headers = signed("before")
            before = await client.post("/webhooks/meta/", content=body, headers=headers)
            private_redis.stop()  # every pooled connection is now dead
            private_redis.start()
            body, headers = signed("after")
            after = await client.post("/webhooks/meta/", content=body, headers=headers)
        return [before.status_code, after.status_code]

    assert async_to_sync(restart_between_two_deliveries)() == [200, 200]
    assert InboxDelivery.objects.filter(relayed_at__isnull=True).count() == 0  # not diverted to the inbox
    assert [e["external_id"] for e in claims_entries()] == ["after"]  # (the restart lost "before")


def test_refusals_are_in_drf_error_format(seller_a: Seller) -> None:
    unsigned = post(page_delivery(page_id=PAGE_A, changes=[comment("c1")]), signature="sha256=" + "0" * 64)
    malformed = post(b'{"entry": [')

    assert (unsigned.status_code, unsigned.json()) == (403, {"detail": "missing or invalid X-Hub-Signature-256"})
    assert malformed.status_code == 400
    assert malformed.json()["detail"].startswith("malformed delivery")


def test_a_flood_from_one_address_is_throttled_with_429_and_only_accepted_deliveries_are_queued(
    seller_a: Seller, settings: Any
) -> None:
    settings.WEBHOOK_RATES = {**settings.WEBHOOK_RATES, "meta": 2}
    LocalRateThrottle._windows.clear()  # earlier tests' requests in this second do not count
    # Five requests span at most two one-second windows, so at most four get through.
    responses = [post(page_delivery(page_id=PAGE_A, changes=[comment(f"f{n}")])) for n in range(5)]

    statuses = [response.status_code for response in responses]
    assert 429 in statuses
    assert set(statuses) == {200, 429}
    assert all(r.headers["Retry-After"] == "1" for r in responses if r.status_code == 429)
    assert len(claims_entries()) == statuses.count(200)
