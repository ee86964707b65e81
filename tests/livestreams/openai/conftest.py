"""Fixtures of the OpenAI engine tests: a real HTTP fake of OpenAI driven through the real SDK, and the real
(shared) Redis under keys unique to each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings as django_settings

from livestreams.intent.circuit import CircuitBreaker
from livestreams.intent.openai_engine import OpenAIIntentEngine
from tests.fakes.openai_server import FakeOpenAI
from tests.livestreams.openai.support import make_engine


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def schema_name(redis_client: redis.Redis) -> Iterator[str]:
    name = f"t_intent_{uuid.uuid4().hex[:12]}"
    yield name
    for key in redis_client.scan_iter(match=f"{django_settings.STREAM_KEY_PREFIX}:{{{name}}}:*"):
        redis_client.delete(key)


@pytest.fixture
def circuit(redis_client: redis.Redis) -> Iterator[CircuitBreaker]:
    breaker = CircuitBreaker(
        f"openai-test-{uuid.uuid4().hex[:12]}", failure_threshold=3, reset_after_seconds=1.0, redis_client=redis_client
    )
    yield breaker
    redis_client.delete(*breaker.keys)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def engine(fake: FakeOpenAI, redis_client: redis.Redis, circuit: CircuitBreaker) -> OpenAIIntentEngine:
    return make_engine(fake, redis_client, circuit)
