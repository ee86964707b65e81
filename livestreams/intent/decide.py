"""Which engine's answer a comment gets, and whether the seller must look at it before anything is reserved."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings

from livestreams.intent.engine import parse_comment
from livestreams.intent.openai_engine import OpenAIIntentEngine, OpenAIOutcome
from livestreams.intent.types import IntentResult, LiveContext

_ACTS_ON_STOCK = ("purchase", "cancel")


@dataclass(frozen=True, slots=True)
class Decision:
    """`needs_review`: do not auto-reserve or auto-cancel; put the comment on the seller's review list with
    `review_reason` ("low_confidence", or why OpenAI gave no answer: "timeout", "circuit_open", ...)."""

    result: IntentResult
    needs_review: bool
    review_reason: str | None


def decide_intent(
    *,
    text: str,
    context: LiveContext,
    schema_name: str,
    max_qty: int,
    openai_engine: OpenAIIntentEngine | None,
    threshold: float,
) -> Decision:
    """The local engine decides when it is sure (confidence >= threshold) or OpenAI is disabled; otherwise
    OpenAI is asked. When OpenAI gives no answer, an unsure question/other stands as is, and an unsure
    purchase/cancel goes to review rather than acting on a guess. Bounded in time by the OpenAI engine's
    timeout and retries; never raises for OpenAI failures."""
    (decision,) = decide_intents(
        [(text, context)], schema_name=schema_name, max_qty=max_qty, openai_engine=openai_engine, threshold=threshold
    )
    return decision


def decide_intents(
    comments: list[tuple[str, LiveContext]],
    *,
    schema_name: str,
    max_qty: int,
    openai_engine: OpenAIIntentEngine | None,
    threshold: float,
) -> list[Decision]:
    """`decide_intent` for a batch of one seller's comments (text, context), in order. The unsure ones are asked
    of OpenAI all at once, and a batch waits for OpenAI at most OPENAI_TIMEOUT_SECONDS whatever its size: an
    answer not back by then is a timeout (the comment is decided as if OpenAI were down) and a question not yet
    sent is never sent. So a hanging OpenAI delays a seller's batch by one deadline at most, and the seller's
    breaker then skips it; the sellers after it on the shard wait for nothing more."""
    locals_ = [parse_comment(text, context) for text, context in comments]
    unsure = [n for n, local in enumerate(locals_) if openai_engine is not None and local.confidence < threshold]
    outcomes: dict[int, OpenAIOutcome] = {}
    if unsure:
        assert openai_engine is not None
        futures: dict[int, Future[OpenAIOutcome]] = {
            n: _openai_pool().submit(
                openai_engine.classify,
                text=comments[n][0],
                context=comments[n][1],
                schema_name=schema_name,
                max_qty=max_qty,
                mentioned=tuple(item.code for item in locals_[n].items),
            )
            for n in unsure
        }
        wait(futures.values(), timeout=settings.OPENAI_TIMEOUT_SECONDS)
        for n, future in futures.items():
            if future.done():
                outcomes[n] = future.result()  # Redis errors of the budget or breaker propagate, as before
            else:
                future.cancel()  # not started: never sent; running: its answer comes too late and is dropped
                outcomes[n] = OpenAIOutcome(result=None, unavailable_reason="timeout")
    return [_decided(local, outcomes.get(n), threshold) for n, local in enumerate(locals_)]


def _decided(local: IntentResult, outcome: OpenAIOutcome | None, threshold: float) -> Decision:
    if outcome is None:
        return _reviewed_if_unsure(local, threshold)
    if outcome.result is not None:
        return _reviewed_if_unsure(outcome.result, threshold)
    if local.intent not in _ACTS_ON_STOCK:
        return Decision(result=local, needs_review=False, review_reason=None)
    return Decision(result=local, needs_review=True, review_reason=outcome.unavailable_reason)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _openai_pool() -> ThreadPoolExecutor:
    """The threads OpenAI calls run on (HTTP only, no database), shared by the process's consumers."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.OPENAI_CONCURRENCY, thread_name_prefix="openai")
        return _pool


def _reviewed_if_unsure(result: IntentResult, threshold: float) -> Decision:
    if result.confidence < threshold and result.intent in _ACTS_ON_STOCK:
        return Decision(result=result, needs_review=True, review_reason="low_confidence")
    return Decision(result=result, needs_review=False, review_reason=None)
