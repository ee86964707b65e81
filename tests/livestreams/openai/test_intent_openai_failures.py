"""The OpenAI fallback engine when the provider fails: rate limits, quota, server errors, timeouts, bad answers,
the circuit breaker shared through Redis, and the per-seller daily token budget."""

from __future__ import annotations

import time

import redis
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings

from livestreams.intent.circuit import CircuitBreaker
from livestreams.intent.openai_engine import OpenAIIntentEngine
from livestreams.intent.types import ClaimItem
from tests.fakes.openai_server import FakeOpenAI
from tests.livestreams.openai.support import (
    RETRIES,
    TIMEOUT,
    answer,
    classify,
    make_engine,
)


# --- provider failures ---------------------------------------------------------------------------------------
def test_rate_limit_returns_rate_limited_within_the_timeout_budget(
    fake: FakeOpenAI, engine: OpenAIIntentEngine, schema_name: str
) -> None:
    fake.mode = "rate_limit"

    started = time.monotonic()
    outcome = classify(engine, "quiero la A12", schema_name)
    elapsed = time.monotonic() - started

    assert (outcome.result, outcome.unavailable_reason) == (None, "rate_limited")
    assert fake.calls() == RETRIES + 1
    assert elapsed < TIMEOUT * (RETRIES + 1) + 1


def test_insufficient_quota_is_not_retried_and_opens_the_circuit(
    fake: FakeOpenAI, engine: OpenAIIntentEngine, circuit: CircuitBreaker, schema_name: str
) -> None:
    fake.mode = "insufficient_quota"

    first = classify(engine, "quiero la A12", schema_name)
    second = classify(engine, "quiero la B7", schema_name)

    assert first.unavailable_reason == "quota_exhausted"
    assert second.unavailable_reason == "circuit_open"
    assert fake.calls() == 1
    assert circuit.state() == "open"


def test_server_error_returns_server_error(fake: FakeOpenAI, engine: OpenAIIntentEngine, schema_name: str) -> None:
    fake.fail_with_server_errors()

    outcome = classify(engine, "quiero la A12", schema_name)

    assert (outcome.result, outcome.unavailable_reason) == (None, "server_error")
    assert fake.calls() == RETRIES + 1


def test_one_server_error_is_absorbed_by_the_bounded_retry(
    fake: FakeOpenAI, engine: OpenAIIntentEngine, schema_name: str
) -> None:
    fake.set_answer(answer("purchase", [("B7", None, 1)]))
    fake.fail_with_server_errors(times=1)

    outcome = classify(engine, "quiero el B7", schema_name)

    assert outcome.result is not None
    assert outcome.result.items == (ClaimItem("B7", None, 1),)
    assert fake.calls() == 2


def test_slow_answer_times_out_within_timeout_times_attempts(
    fake: FakeOpenAI, engine: OpenAIIntentEngine, schema_name: str
) -> None:
    fake.be_slow(5.0)

    started = time.monotonic()
    outcome = classify(engine, "quiero la A12", schema_name)
    elapsed = time.monotonic() - started

    assert (outcome.result, outcome.unavailable_reason) == (None, "timeout")
    assert elapsed < TIMEOUT * (RETRIES + 1) + 1


def test_unreachable_server_is_connection_error(
    redis_client: redis.Redis, circuit: CircuitBreaker, schema_name: str
) -> None:
    with FakeOpenAI() as gone:
        base_url = gone.base_url
    engine = OpenAIIntentEngine(
        api_key="sk-x",
        base_url=base_url,
        model="gpt-test-nano",
        timeout_seconds=TIMEOUT,
        max_retries=0,
        daily_token_budget=1_000_000,
        redis_client=redis_client,
        circuit=circuit,
    )

    outcome = classify(engine, "quiero la A12", schema_name)

    assert outcome.unavailable_reason == "connection_error"


def test_malformed_answer_is_invalid_answer(fake: FakeOpenAI, engine: OpenAIIntentEngine, schema_name: str) -> None:
    fake.mode = "malformed"

    outcome = classify(engine, "quiero la A12", schema_name)

    assert (outcome.result, outcome.unavailable_reason) == (None, "invalid_answer")


def test_answer_off_schema_is_invalid_answer(fake: FakeOpenAI, engine: OpenAIIntentEngine, schema_name: str) -> None:
    fake.set_answer({"intent": "purchase", "items": [{"code": "A12", "variant": None, "qty": "2"}], "confidence": 1})

    outcome = classify(engine, "quiero la A12", schema_name)

    assert outcome.unavailable_reason == "invalid_answer"


def test_refusal_is_refused_and_does_not_count_as_an_outage(
    fake: FakeOpenAI, engine: OpenAIIntentEngine, circuit: CircuitBreaker, schema_name: str
) -> None:
    fake.mode = "refusal"

    outcomes = [classify(engine, "algo feo", schema_name) for _ in range(circuit.failure_threshold + 1)]

    assert {o.unavailable_reason for o in outcomes} == {"refused"}
    assert circuit.state() == "closed"


def test_rejected_api_key_is_terminal_and_opens_the_circuit(
    fake: FakeOpenAI, redis_client: redis.Redis, circuit: CircuitBreaker, schema_name: str
) -> None:
    engine = make_engine(fake, redis_client, circuit, api_key="sk-wrong")

    first = classify(engine, "quiero la A12", schema_name)
    second = classify(engine, "quiero la A12", schema_name)

    assert first.unavailable_reason == "server_error"
    assert second.unavailable_reason == "circuit_open"
    assert fake.calls() == 1


# --- circuit breaker -----------------------------------------------------------------------------------------
def test_circuit_opens_after_threshold_failures_skips_http_and_half_opens_after_reset(
    fake: FakeOpenAI, redis_client: redis.Redis, circuit: CircuitBreaker, schema_name: str
) -> None:
    engine = make_engine(fake, redis_client, circuit, max_retries=0)
    fake.fail_with_server_errors()

    failures = [classify(engine, "quiero la A12", schema_name) for _ in range(circuit.failure_threshold)]
    skipped = classify(engine, "quiero la A12", schema_name)

    assert {o.unavailable_reason for o in failures} == {"server_error"}
    assert skipped.unavailable_reason == "circuit_open"
    assert fake.calls() == circuit.failure_threshold
    assert circuit.state() == "open"

    time.sleep(circuit.reset_after_seconds + 0.1)
    assert circuit.state() == "half_open"
    fake.set_answer(answer("purchase", [("A12", None, 1)]))
    probe = classify(engine, "quiero la A12", schema_name)

    assert probe.result is not None
    assert fake.calls() == circuit.failure_threshold + 1
    assert circuit.state() == "closed"


def test_half_open_lets_one_probe_through_and_its_failure_reopens(circuit: CircuitBreaker) -> None:
    circuit.record_failure(open_for=0.2)
    assert circuit.allow() is False

    time.sleep(circuit.reset_after_seconds + 0.1)

    assert circuit.allow() is True
    assert circuit.allow() is False  # a second caller while the probe is out
    circuit.record_failure()
    assert circuit.state() == "open"


def test_circuit_state_is_shared_between_breakers_of_the_same_name(
    redis_client: redis.Redis, circuit: CircuitBreaker
) -> None:
    other_connection = redis.Redis.from_url(django_settings.REDIS_URL)
    try:
        twin = CircuitBreaker(circuit.name, failure_threshold=3, reset_after_seconds=1.0, redis_client=other_connection)
        for _ in range(3):
            twin.record_failure()

        assert circuit.allow() is False
    finally:
        other_connection.close()


def test_success_resets_the_failure_count(circuit: CircuitBreaker) -> None:
    circuit.record_failure()
    circuit.record_failure()
    circuit.record_success()
    circuit.record_failure()
    circuit.record_failure()

    assert circuit.state() == "closed"
    assert circuit.allow() is True


# --- budget --------------------------------------------------------------------------------------------------
def test_budget_exhausted_makes_no_http_call(
    fake: FakeOpenAI, redis_client: redis.Redis, circuit: CircuitBreaker, schema_name: str
) -> None:
    engine = make_engine(fake, redis_client, circuit, budget=10_000)
    redis_client.set(engine.budget_key(schema_name), 10_000)

    outcome = classify(engine, "quiero la A12", schema_name)

    assert outcome.unavailable_reason == "budget_exhausted"
    assert fake.calls() == 0
    assert engine.tokens_used_today(schema_name) == 10_000


def test_tokens_used_are_counted_per_seller_and_utc_day(
    fake: FakeOpenAI, engine: OpenAIIntentEngine, redis_client: redis.Redis, schema_name: str
) -> None:
    fake.set_answer(answer("purchase", [("A12", None, 1)]))

    classify(engine, "quiero la A12", schema_name)

    [request] = fake.requests
    sent_tokens = max(1, len(request.raw_body) // 4)
    used = engine.tokens_used_today(schema_name)
    assert sent_tokens < used < sent_tokens + 100
    key = engine.budget_key(schema_name)
    assert key.startswith(f"{django_settings.STREAM_KEY_PREFIX}:{{{schema_name}}}:openai:tokens:20")
    assert 0 < redis_client.ttl(key) <= 2 * 24 * 3600
    assert engine.tokens_used_today(f"{schema_name}_other") == 0


def test_failed_call_spends_no_budget(fake: FakeOpenAI, engine: OpenAIIntentEngine, schema_name: str) -> None:
    fake.fail_with_server_errors()

    classify(engine, "quiero la A12", schema_name)

    assert engine.tokens_used_today(schema_name) == 0


def test_from_settings_is_none_without_api_key(settings: Settings) -> None:
    settings.OPENAI_API_KEY = ""

    assert OpenAIIntentEngine.from_settings() is None


def test_from_settings_builds_an_engine_with_an_api_key(settings: Settings) -> None:
    settings.OPENAI_API_KEY = "sk-configured"
    settings.OPENAI_TIMEOUT_SECONDS = 2.5

    engine = OpenAIIntentEngine.from_settings()

    assert engine is not None
    assert engine.timeout_seconds == 2.5
