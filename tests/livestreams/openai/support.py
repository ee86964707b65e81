"""Helpers of the OpenAI engine tests: the catalog they use, an engine built against the fake, answers."""

from __future__ import annotations

import json
from typing import Any

import redis

from livestreams.intent.circuit import CircuitBreaker
from livestreams.intent.openai_engine import COMMENT_END, COMMENT_START, OpenAIIntentEngine
from livestreams.intent.types import CatalogProduct, LiveContext
from tests.fakes.openai_server import FakeOpenAI, Messages

CONTEXT = LiveContext(
    products=(
        CatalogProduct(code="A12", name="Blusa floral", variants=("S", "M", "L")),
        CatalogProduct(code="B7", name="Jeans mom", variants=()),
        CatalogProduct(code="C3", name="Vestido largo", variants=("Rojo", "Azul")),
    ),
    featured="A12",
)
TIMEOUT = 0.5
RETRIES = 1
MAX_QTY = 3


def make_engine(
    fake: FakeOpenAI,
    redis_client: redis.Redis,
    circuit: CircuitBreaker,
    *,
    max_retries: int = RETRIES,
    budget: int = 1_000_000,
    api_key: str | None = None,
) -> OpenAIIntentEngine:
    return OpenAIIntentEngine(
        api_key=api_key or fake.api_key,
        base_url=fake.base_url,
        model="gpt-test-nano",
        timeout_seconds=TIMEOUT,
        max_retries=max_retries,
        daily_token_budget=budget,
        redis_client=redis_client,
        circuit=circuit,
        seller_circuit=lambda _schema: circuit,  # one breaker for both: the tests look at it
    )


def answer(intent: str, items: list[tuple[str, str | None, int]], confidence: float = 0.9) -> dict[str, Any]:
    return {
        "intent": intent,
        "items": [{"code": c, "variant": v, "qty": q} for c, v, q in items],
        "confidence": confidence,
    }


def comment_sent(messages: Messages) -> str:
    """The comment as the fake received it: the JSON string between the delimiters of the user message."""
    user = messages[-1]["content"]
    quoted = user.split(COMMENT_START + "\n", 1)[1].rsplit("\n" + COMMENT_END, 1)[0]
    return str(json.loads(quoted))


def classify(engine: OpenAIIntentEngine, text: str, schema_name: str) -> Any:
    return engine.classify(text=text, context=CONTEXT, schema_name=schema_name, max_qty=MAX_QTY)
