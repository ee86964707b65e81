"""Helpers of the claims stage tests: deliveries queued as ingest queues them, a consumer drained, the seller's
dashboard group listened to, and every stream emptied after each test (`_empty_streams`, autouse where imported)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from core.live_events import live_group
from core.streams import keys
from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from demo.meta_payloads import feed_comment_change, page_delivery
from inventory.models import Product
from livestreams.ingest import queue_delivery
from livestreams.meta_events import parse_delivery
from livestreams.models import LiveSession
from pipeline.stages import get_stage
from tenants.models import Seller
from tests.factories import make_live


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


def live_featuring(seller: Seller, product: Product) -> LiveSession:
    """A live on air on the seller's page with `product` on camera; call inside the seller's schema."""
    live = make_live(page_external_id=page_of(seller))
    LiveSession.objects.filter(pk=live.pk).update(featured_product=product)
    live.refresh_from_db()
    return live
