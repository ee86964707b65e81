"""OpenAI is never on the path that orders claims: with OpenAI hanging for one seller's comments, the claims stage
(one consumer, every shard, as `run_pipeline` runs it) still decides another seller's claims within a second,
and the hanging seller's unsure claims go to review with "timeout" instead of holding the shard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from core.streams import keys
from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from livestreams.intent.openai_engine import OpenAIIntentEngine
from livestreams.intent.types import CatalogProduct, LiveContext
from livestreams.models import Comment
from pipeline.stages import get_stage
from tenants.models import IntentEngine, Seller
from tests.factories import make_product
from tests.fakes.openai_server import FakeOpenAI
from tests.livestreams.openai.support import answer
from tests.livestreams.stage_support import (
    _empty_streams,  # noqa: F401 (an autouse fixture)
    accept,
    comment,
    live_featuring,
)


@pytest.fixture
def openai_on(settings: Any) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        settings.OPENAI_API_KEY = fake.api_key
        settings.OPENAI_BASE_URL = fake.base_url
        settings.INTENT_CONFIDENCE_THRESHOLD = 0.99  # every comment is "unsure": each one asks OpenAI
        yield fake
    client = get_redis()
    for name in ("openai", "openai:seller_a", "openai:seller_b"):
        for key in client.scan_iter(match=f"{keys.circuit(name)}*"):
            client.delete(key)


def uses_openai(seller: Seller) -> None:
    with schema_context("public"):
        Seller.objects.filter(pk=seller.pk).update(intent_engine=IntentEngine.LOCAL_OPENAI)


def mentions(code: str) -> Any:
    return lambda messages: any(code in str(m.get("content", "")) for m in messages)


def test_a_seller_whose_openai_hangs_delays_no_other_sellers_claims(
    seller_a: Seller, seller_b: Seller, openai_on: FakeOpenAI
) -> None:
    hanging, other = seller_b, seller_a
    # One consumer handles the shards in order: the hanging seller's entries are handled before the other's.
    assert keys.shard_of(hanging.schema_name) < keys.shard_of(other.schema_name)
    for seller in (hanging, other):
        uses_openai(seller)
    with schema_context(hanging.schema_name):
        live_featuring(hanging, make_product(code="HANG1", variants={"": 50}))
    with schema_context(other.schema_name):
        live_featuring(other, make_product(code="B7", variants={"": 50}))
    openai_on.hang_when(mentions("HANG1"))  # the hanging seller's prompts carry its catalog
    openai_on.set_answer(answer("purchase", [("B7", None, 1)], 0.99))
    consumer = StreamConsumer(get_stage("claims"), consumer_name="all-shards", block_ms=10)
    latencies = []
    try:
        for round_ in range(6):
            accept(
                hanging,
                [comment(hanging, 10 * round_ + n, "quiero HANG1", author=f"h-{round_}-{n}") for n in range(3)],
            )
            accept(other, [comment(other, round_, "quiero B7", author=f"o-{round_}")])
            for _ in range(50):
                consumer.run_once()
                with schema_context(other.schema_name):
                    decided = Comment.objects.filter(external_id=f"c{round_}", decided_at__isnull=False).first()
                if decided is not None:
                    break
            assert decided is not None, f"the other seller's claim of round {round_} was never decided"
            assert decided.decided_at is not None
            latencies.append((decided.decided_at - decided.received_at).total_seconds())
            assert (decided.intent, decided.needs_review) == ("purchase", False)
    finally:
        consumer.release_shards()

    assert max(latencies) < 1.0, f"the other seller's decision latencies (s): {latencies}"
    assert latencies[0] > 0.5  # the first round did wait for the hanging seller's deadline (this test measures it)
    with schema_context(hanging.schema_name):
        assert not Comment.objects.filter(decided_at__isnull=True).exists()
        reasons = set(Comment.objects.values_list("review_reason", flat=True))
    assert reasons <= {"timeout", "circuit_open"} and "timeout" in reasons
    assert settings.OPENAI_MAX_RETRIES == 0


def test_one_sellers_timeouts_open_only_that_sellers_breaker(openai_on: FakeOpenAI) -> None:
    engine = OpenAIIntentEngine.from_settings()
    assert engine is not None
    openai_on.hang_when(mentions("HANG1"))
    openai_on.set_answer(answer("purchase", [("B7", None, 1)], 0.99))
    hanging = LiveContext(products=(CatalogProduct(code="HANG1", name="Blusa", variants=()),), featured="HANG1")
    calm = LiveContext(products=(CatalogProduct(code="B7", name="Falda", variants=()),), featured="B7")

    reasons = [
        engine.classify(text="quiero", context=hanging, schema_name="seller_b", max_qty=3).unavailable_reason
        for _ in range(4)
    ]
    sent = openai_on.calls()
    other = engine.classify(text="quiero", context=calm, schema_name="seller_a", max_qty=3)

    assert reasons == ["timeout", "timeout", "timeout", "circuit_open"]  # no retry; the fourth is not even sent
    assert sent == 3
    assert (engine.circuit_for("seller_b").state(), engine.circuit_for("seller_a").state()) == ("open", "closed")
    assert engine.circuit.state() == "closed"  # the platform's breaker: for quota and key errors only
    assert other.result is not None and other.result.items[0].code == "B7"
