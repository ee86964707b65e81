"""Which engine's answer a comment gets, and whether the seller must look at it before anything is reserved."""

from __future__ import annotations

from dataclasses import dataclass

from livestreams.intent.engine import parse_comment
from livestreams.intent.openai_engine import OpenAIIntentEngine
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
    local = parse_comment(text, context)
    if local.confidence >= threshold or openai_engine is None:
        return _reviewed_if_unsure(local, threshold)

    outcome = openai_engine.classify(text=text, context=context, schema_name=schema_name, max_qty=max_qty)
    if outcome.result is not None:
        return _reviewed_if_unsure(outcome.result, threshold)
    if local.intent not in _ACTS_ON_STOCK:
        return Decision(result=local, needs_review=False, review_reason=None)
    return Decision(result=local, needs_review=True, review_reason=outcome.unavailable_reason)


def _reviewed_if_unsure(result: IntentResult, threshold: float) -> Decision:
    if result.confidence < threshold and result.intent in _ACTS_ON_STOCK:
        return Decision(result=result, needs_review=True, review_reason="low_confidence")
    return Decision(result=result, needs_review=False, review_reason=None)
