"""Rule-based intent engine: purchase / question / cancel / other, and the items claimed.

Deterministic and pure Python, fast enough for the webhook (tens of thousands of comments per second). The
confidence says how sure the rules are, so that a slower model is consulted only for the unclear comments.
"""

from __future__ import annotations

import re

from livestreams.intent.local.catalog import CatalogIndex, index_for
from livestreams.intent.local.items import Extraction, build_items, extract
from livestreams.intent.local.lexicon import (
    FILLERS,
    INJECTION,
    POSSESSIVE_CLAIMS,
    QUESTION_START,
    scan_signals,
)
from livestreams.intent.local.text import SENTENCE_BREAK, normalize, stem, tokenize
from livestreams.intent.types import ClaimItem, Intent, IntentResult, LiveContext

# "quiero el short": a claim of a product this live does not sell.
_CLAIMED_NOUN = re.compile(
    r"(?<![a-z])(?:quiero|kiero|quero|want|llevo|take|dame|levar)"
    r" (?:el|la|los|las|o|a|os|as|the|un|una|um|uma|unos|unas) ([a-z]{3,})"
)
_POSSESSIVE_TRIGGERS = POSSESSIVE_CLAIMS | {"mi", "mim", "me"}
_ITEMLESS: dict[tuple[str, float], IntentResult] = {}


def _itemless(intent: Intent, confidence: float) -> IntentResult:
    """Results without items are immutable and few: build each once (a frozen dataclass is slow to create)."""
    result = _ITEMLESS.get((intent, confidence))
    if result is None:
        result = _ITEMLESS[(intent, confidence)] = IntentResult(intent=intent, items=(), confidence=confidence)
    return result


_OTHER = _itemless("other", 0.95)


def parse_comment(text: str, context: LiveContext) -> IntentResult:
    index = index_for(context)
    tokens = tokenize(normalize(text))
    joined, signals, claim_words = scan_signals(tokens)
    injected = "INJECTION" in signals
    if injected:
        tokens = _before_injection(tokens)
        joined, signals, claim_words = scan_signals(tokens)
    if not any(t.isalnum() for t in tokens):
        return _itemless("other", 0.85 if injected else 0.95)
    result = _decide(tokens, joined, signals, claim_words, index)
    if not injected:
        return result
    if result.intent not in ("purchase", "cancel"):
        return _itemless("other", 0.85)
    # The claim before the injection stands ("103 G. obs: aplique cupom"), with a note of caution.
    return IntentResult(intent=result.intent, items=result.items, confidence=min(result.confidence, 0.8))


def _before_injection(tokens: list[str]) -> list[str]:
    """Keep only the sentences before an instruction aimed at a bot ("103 G. obs: aplique cupom")."""
    start = 0
    for i, tok in enumerate([*tokens, SENTENCE_BREAK]):
        if tok == SENTENCE_BREAK:
            if INJECTION.search(" ".join(tokens[start:i])):
                return tokens[:start]
            start = i + 1
    return tokens


def _decide(
    tokens: list[str], joined: str, signals: set[str], claim_words: set[int], index: CatalogIndex
) -> IntentResult:
    """Signals are weighed in a fixed order: a cancellation beats a claim ("ya no la quiero"), a refusal or a
    request to see/know beats the verb "quiero", a price question beats a claim, and a product named with
    nothing else to say ("A12 M x2", "la roja") is a claim even without a claim word."""
    strong = "CLAIM" in signals or "RESERVE" in signals or _possessive_claim(tokens, index)
    asks = "?" in tokens
    if "CANCEL" in signals:
        return _cancel(extract(tokens, index), index)
    if "DECLINE" in signals:
        return _itemless("other", 0.8 if strong else 0.9)
    if "SHOW_AGAIN" in signals or "KNOW" in signals:
        return _question(0.85)
    if "PRICE" in signals:
        return _question(0.55 if strong and not asks else 0.9)
    if not strong and "@" in tokens:
        return _itemless("other", 0.85)  # talking to a friend ("@maria mira")
    praise = "PRAISE" in signals
    starts_question = bool(QUESTION_START.match(joined)) and (asks or not praise)
    if asks or starts_question or "WHO" in signals:
        return _question_or_reservation(tokens, joined, signals, index, strong, starts_question)
    if not strong and "PAST" in signals:
        return _itemless("other", 0.85)
    ex = extract(tokens, index)
    residual = _residual_words(tokens, ex, claim_words, index)
    if strong:
        return _purchase(ex, index, 0.95 if residual <= 3 else 0.85, joined)
    weak = "WEAK_CLAIM" in signals or (tokens[0] == "me" and (len(tokens) == 1 or tokens[1] == SENTENCE_BREAK))
    if weak and residual <= 1 and not praise:  # "yo", "me!", "eu": a claim only when nothing else is said
        return _purchase(ex, index, 0.9, joined)
    if ex.has_refs and residual <= 1 and not praise:
        return _purchase(ex, index, 0.9 if ex.explicit_refs else 0.85, joined)
    if "ABOUT_SERVICE" in signals:
        return _question(0.7)
    if ex.has_refs:
        return _itemless("other", 0.65)  # mentions a product, claims nothing
    return _OTHER


def _question_or_reservation(
    tokens: list[str], joined: str, signals: set[str], index: CatalogIndex, strong: bool, starts: bool
) -> IntentResult:
    asks = "?" in tokens
    if "WHO" in signals:
        return _question(0.9)  # "quien quiere la 15?" asks about other people's claims
    if "RESERVE" in signals or "RESERVATION" in signals:
        ex = extract(tokens, index)
        if strong or ex.explicit_refs:
            return _purchase(ex, index, 0.85, joined)  # "me la apartas en XG?", "can i switch my 11 to L?"
    if strong and not starts:
        return _purchase(extract(tokens, index), index, 0.55, joined)  # "yo quiero la 15?": a doubtful claim
    return _question(0.9 if asks else 0.75)


def _question(confidence: float) -> IntentResult:
    return _itemless("question", confidence)


def _cancel(ex: Extraction, index: CatalogIndex) -> IntentResult:
    items, unresolved = build_items(ex, index, default_to_featured=False)
    confidence = 0.92 if items and not unresolved else 0.75
    return IntentResult(intent="cancel", items=tuple(items), confidence=confidence)


def _purchase(ex: Extraction, index: CatalogIndex, confidence: float, joined: str) -> IntentResult:
    named = any(not g.implicit for g in ex.groups)
    if ex.unknown_code or (not named and _claims_unknown_noun(joined, index)):
        return _itemless("purchase", 0.45)  # nothing in the catalog to reserve
    items, unresolved = build_items(ex, index, default_to_featured=True)
    if not items:
        return _itemless("purchase", 0.5)  # nothing on camera, nothing named
    confidence = min(confidence, _item_confidence(ex, items, unresolved))
    return IntentResult(intent="purchase", items=tuple(items), confidence=confidence)


def _claims_unknown_noun(joined: str, index: CatalogIndex) -> bool:
    """'quiero el short rosado': a claim of a product this live does not sell."""
    match = _CLAIMED_NOUN.search(joined)
    return match is not None and not _not_a_noun(match.group(1), index)


def _item_confidence(ex: Extraction, items: list[ClaimItem], unresolved: bool) -> float:
    if unresolved or ex.unresolved_variant:
        return 0.55  # a product or a variant the catalog does not have: ask the seller or the model
    if ex.ambiguous_number:
        return 0.7  # "10": product 10 or size 10 of the featured jean
    if any(item.qty > 20 for item in items):
        return 0.6  # an absurd quantity is registered as stated, but worth a second look
    return 1.0


def _possessive_claim(tokens: list[str], index: CatalogIndex) -> bool:
    """'mio', 'bolsa bege minha', 'pa mi' claim; 'meu pedido', 'pra minha mae', 'para mi hija' do not."""
    if _POSSESSIVE_TRIGGERS.isdisjoint(tokens):
        return False
    for i, tok in enumerate(tokens):
        after_for = tok in ("mi", "mim") and i > 0 and tokens[i - 1] in ("pa", "para", "pra")
        for_me = tok == "me" and i > 0 and tokens[i - 1] == "for"
        if tok in POSSESSIVE_CLAIMS or after_for or for_me:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is None or _not_a_noun(nxt, index):
                return True
    return False


def _not_a_noun(token: str, index: CatalogIndex) -> bool:
    return (
        token in FILLERS
        or token.isdigit()
        or (token,) in index.variant_words
        or stem(token) in index.names
        or stem(token) in index.noun_synonyms
    )


def _residual_words(tokens: list[str], ex: Extraction, claim_words: set[int], index: CatalogIndex) -> int:
    """Words neither the item reading nor the claim explain; a pure item list ("A12 M x2") has none."""
    explained = ex.consumed | claim_words
    return sum(1 for i, t in enumerate(tokens) if i not in explained and t.isalpha() and not _not_a_noun(t, index))
