"""The OpenAI engine's answer, checked: a JSON document of the `comment_intent` schema (`parse_answer`), and
only items the live's catalog has, within the seller's quantity limit (`validate_against_catalog`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from livestreams.intent.types import ClaimItem, Intent, IntentResult, LiveContext

INTENTS: tuple[Intent, ...] = ("purchase", "question", "cancel", "other")


class InvalidAnswer(ValueError):
    """The model's content is not a JSON document of the comment_intent schema."""


@dataclass(frozen=True, slots=True)
class RawItem:
    code: str
    variant: str | None
    qty: int


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """The answer as the model gave it: schema-valid, not yet checked against the catalog."""

    intent: Intent
    items: tuple[RawItem, ...]
    confidence: float


def _reject_constant(name: str) -> Any:
    raise InvalidAnswer(f"non-finite number {name}")


def parse_answer(content: str | None) -> RawAnswer:
    """Strict parse of the comment_intent schema: every key present, no extra key, exact types."""
    if not content:
        raise InvalidAnswer("empty content")
    try:
        data = json.loads(content, parse_constant=_reject_constant)
    except ValueError as error:
        raise InvalidAnswer(str(error)) from error
    if not isinstance(data, dict) or set(data) != {"intent", "items", "confidence"}:
        raise InvalidAnswer("not an object with exactly intent, items, confidence")
    intent, items, confidence = data["intent"], data["items"], data["confidence"]
    if intent not in INTENTS:
        raise InvalidAnswer(f"unknown intent {intent!r}")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not math.isfinite(confidence):
        raise InvalidAnswer("confidence is not a number")
    if not isinstance(items, list):
        raise InvalidAnswer("items is not a list")
    raw_items = []
    for item in items:
        if not isinstance(item, dict) or set(item) != {"code", "variant", "qty"}:
            raise InvalidAnswer("item is not an object with exactly code, variant, qty")
        code, variant, qty = item["code"], item["variant"], item["qty"]
        if not isinstance(code, str) or not (variant is None or isinstance(variant, str)):
            raise InvalidAnswer("item code/variant has the wrong type")
        if isinstance(qty, bool) or not isinstance(qty, int):
            raise InvalidAnswer("item qty is not an integer")
        raw_items.append(RawItem(code=code, variant=variant, qty=qty))
    return RawAnswer(intent=intent, items=tuple(raw_items), confidence=float(confidence))


def validate_against_catalog(answer: RawAnswer, *, context: LiveContext, max_qty: int) -> IntentResult:
    """Keep only what the catalog allows. Codes and variants match case-insensitively and come back in the
    catalog's spelling; unknown codes are dropped; an unknown variant becomes None; qty is capped to
    [1, max_qty], also after merging repeats of the same code and variant. Items are kept only for purchase
    and cancel (as the local engine does); a purchase left with no valid item stays a purchase with none."""
    products = {p.code.strip().casefold(): p for p in context.products}
    merged: dict[tuple[str, str | None], int] = {}
    if answer.intent in ("purchase", "cancel"):
        for item in answer.items:
            product = products.get(item.code.strip().casefold())
            if product is None:
                continue
            variant = None
            if item.variant is not None:
                wanted = item.variant.strip().casefold()
                variant = next((v for v in product.variants if v.strip().casefold() == wanted), None)
            key = (product.code, variant)
            merged[key] = min(max_qty, merged.get(key, 0) + max(1, item.qty))
    items = tuple(ClaimItem(code=code, variant=variant, qty=qty) for (code, variant), qty in merged.items())
    confidence = min(1.0, max(0.0, answer.confidence))
    return IntentResult(intent=answer.intent, items=items, confidence=confidence, engine="openai")
