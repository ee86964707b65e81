"""The OpenAI engine's answer, checked: a JSON document of the `comment_intent` schema (`parse_answer`), and
only items the live's catalog has, within the seller's quantity limit (`validate_against_catalog`)."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection
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


def validate_against_catalog(
    answer: RawAnswer,
    *,
    context: LiveContext,
    max_qty: int,
    text: str | None = None,
    mentioned: Collection[str] = (),
) -> IntentResult:
    """Keep only what the catalog allows. Codes and variants match case-insensitively and come back in the
    catalog's spelling; unknown codes are dropped; an unknown variant becomes None; qty is capped to
    [1, max_qty], also after merging repeats of the same code and variant. Items are kept only for purchase
    and cancel (as the local engine does); a purchase left with no valid item stays a purchase with none.
    With the comment's `text`, an item is kept only if the comment supports it (`supported_codes`): the model
    may not pick a product the buyer never named ("quiero Z99" is not five J5). `mentioned`: codes the local
    engine read in the comment (spelled out, spaced), which count as named."""
    products = {p.code.strip().casefold(): p for p in context.products}
    supported = None if text is None else supported_codes(text, context) | {c.casefold() for c in mentioned}
    merged: dict[tuple[str, str | None], int] = {}
    if answer.intent in ("purchase", "cancel"):
        for item in answer.items:
            product = products.get(item.code.strip().casefold())
            if product is None or (supported is not None and product.code.strip().casefold() not in supported):
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


def supported_codes(text: str, context: LiveContext) -> set[str]:
    """The catalog codes (case-folded) a comment can mean: the product on camera, every product whose code the
    comment contains (any case, spaced or hyphenated: "a 12", "sku-9"), and every product a word of whose name
    (four letters or more, accents ignored) the comment contains."""
    words = _words(text)
    joined = set(words)
    for size in (2, 3):
        joined |= {"".join(words[n : n + size]) for n in range(len(words) - size + 1)}
    supported = {context.featured.strip().casefold()} if context.featured else set()
    for product in context.products:
        code = "".join(_words(product.code))
        if code in joined or any(len(w) >= 4 and w in joined for w in _words(product.name)):
            supported.add(product.code.strip().casefold())
    return supported


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.findall(r"[0-9a-z]+", plain)
