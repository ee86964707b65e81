"""What a comment means, in the context of its live: the live's catalog (re-read at most once a second per
process) and the product on camera when the comment arrived, and the comment's intent, the stored decision on a
redelivery, else a fresh one from the intent engine(s). The claims stage (`pipeline.claims`) acts on it."""

from __future__ import annotations

import bisect
import functools
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.utils import timezone

from config.db_rows import columns, select_models
from inventory.models import Product, Variant
from livestreams.intent.decide import decide_intents
from livestreams.intent.openai_engine import OpenAIIntentEngine
from livestreams.intent.types import CatalogProduct, ClaimItem, Intent, IntentResult, LiveContext
from livestreams.models import Comment, FeaturedProductChange, LiveSession
from tenants.models import IntentEngine, Seller
from tenants.selectors import current_schema

# The decision of a comment the prefilter let through to the feed only: not a claim, final.
CHATTER = IntentResult(intent="other", items=(), confidence=1.0, engine="prefilter")


def comment_intent(comment: Comment, *, context: LiveContext, seller: Seller) -> tuple[IntentResult, bool, str | None]:
    """The stored decision if there is one (redelivery), else a fresh one."""
    (decided,) = comment_intents([(comment, context)], seller=seller)
    return decided


def comment_intents(
    comments: list[tuple[Comment, LiveContext]], *, seller: Seller
) -> list[tuple[IntentResult, bool, str | None]]:
    """`comment_intent` for a batch of the seller's comments, in order: the fresh ones decided together, so the
    unsure ones wait for OpenAI once for the whole batch (livestreams.intent.decide.decide_intents)."""
    fresh = [(n, comment, context) for n, (comment, context) in enumerate(comments) if not _stored(comment)]
    engine = _openai_engine() if fresh and seller.intent_engine == IntentEngine.LOCAL_OPENAI else None
    decided = decide_intents(
        [(comment.text, context) for _, comment, context in fresh],
        schema_name=seller.schema_name,
        max_qty=seller.max_units_per_claim,
        openai_engine=engine,
        threshold=settings.INTENT_CONFIDENCE_THRESHOLD,
    )
    by_position = {n: (d.result, d.needs_review, d.review_reason) for (n, _, _), d in zip(fresh, decided, strict=True)}
    return [by_position[n] if n in by_position else _stored_intent(comment) for n, (comment, _) in enumerate(comments)]


def _stored(comment: Comment) -> bool:
    return comment.decided_at is not None and bool(comment.parse_result)


def _stored_intent(comment: Comment) -> tuple[IntentResult, bool, str | None]:
    stored: dict[str, Any] = comment.parse_result or {}
    items = tuple(ClaimItem(code=i["code"], variant=i["variant"], qty=int(i["qty"])) for i in stored["items"])
    replaces = tuple(
        ClaimItem(code=i["code"], variant=i["variant"], qty=int(i["qty"])) for i in stored.get("replaces", [])
    )
    result = IntentResult(
        intent=cast(Intent, comment.intent or "other"),
        items=items,
        confidence=float(stored["confidence"]),
        engine=str(stored["engine"]),
        replaces=replaces,
    )
    return result, comment.needs_review, comment.review_reason or None


def featured_at(comments: list[Comment], lives: list[LiveSession | None]) -> list[str | None]:
    """The product that was on camera when each comment arrived (however late it is decided), in order;
    `lives`: each comment's live. A live read with its featured history (`LiveSession.featured_history`)
    needs no query."""
    history: dict[int, list[tuple[datetime, str | None]]] = {}
    unread: set[int] = set()
    for live in lives:
        if live is None:
            continue
        if live.featured_history is not None:
            history[live.pk] = live.featured_history
        else:
            unread.add(live.pk)
    if unread:
        for change, product in select_models(  # read for every batch: SQL, not a queryset (config.db_rows)
            f"SELECT {columns(FeaturedProductChange, 'f')}, {columns(Product, 'p')}"  # noqa: S608 (our tables)
            f" FROM {FeaturedProductChange._meta.db_table} f"
            f" LEFT JOIN {Product._meta.db_table} p ON p.id = f.product_id"
            " WHERE f.live_session_id = ANY(%s) ORDER BY f.changed_at, f.id",
            [sorted(unread)],
            [FeaturedProductChange, Product],
        ):
            assert isinstance(change, FeaturedProductChange)
            code = product.code if isinstance(product, Product) else None
            history.setdefault(change.live_session_id, []).append((change.changed_at, code))
    featured: list[str | None] = []
    for comment, live in zip(comments, lives, strict=True):
        if live is None:
            featured.append(None)
            continue
        changes = history.get(live.pk)
        if not changes:
            featured.append(live.featured_product.code if live.featured_product else None)
            continue
        at = bisect.bisect_right([changed_at for changed_at, _ in changes], comment.received_at) - 1
        featured.append(changes[at][1] if at >= 0 else None)
    return featured


def live_context(live: LiveSession, *, at: datetime | None = None) -> LiveContext:
    """The live's catalog and the product on camera at `at` (or now)."""
    probe = Comment(received_at=at or timezone.now())
    probe.pk = 0
    [featured] = featured_at([probe], [live])
    return LiveContext(products=catalog_products(current_schema()), featured=featured)


@dataclass(frozen=True)
class Catalog:
    products: tuple[CatalogProduct, ...]  # what the intent engine matches against
    variants_by_code: dict[str, list[Variant]]  # lower-cased code -> active variants in id order (reservations)
    variant_names: dict[int, tuple[str, str]]  # variant id -> (product code, variant label)


def catalog_products(schema_name: str) -> tuple[CatalogProduct, ...]:
    return catalog_now(schema_name).products


def catalog_now(schema_name: str) -> Catalog:
    # Re-read at most once a second per process: the claims of a burst share it.
    return _catalog_cached(schema_name, int(time.monotonic()))


@lru_cache(maxsize=64)
def _catalog_cached(schema_name: str, second: int) -> Catalog:
    products = list(Product.objects.filter(active=True).prefetch_related("variants").order_by("code"))
    variants_by_code: dict[str, list[Variant]] = {}
    for product in products:
        variants = sorted(product.variants.all(), key=lambda v: v.pk)
        for variant in variants:
            variant.product = product
        if variants:
            variants_by_code.setdefault(product.code.lower(), []).extend(variants)
    return Catalog(
        products=tuple(
            CatalogProduct(code=p.code, name=p.name, variants=tuple(v.label for v in p.variants.all() if v.label))
            for p in products
        ),
        variants_by_code=variants_by_code,
        variant_names={v.pk: (v.product.code, v.label) for vs in variants_by_code.values() for v in vs},
    )


def catalog_cache_clear() -> None:
    _catalog_cached.cache_clear()


def decision_as_json(result: IntentResult, *, latency_ms: float | None) -> dict[str, Any]:
    return {
        "items": [{"code": i.code, "variant": i.variant, "qty": i.qty} for i in result.items],
        # a swap ("la L en vez de la M"): what the items replace, so a stored decision acts as a fresh one
        **(
            {"replaces": [{"code": i.code, "variant": i.variant, "qty": i.qty} for i in result.replaces]}
            if result.replaces
            else {}
        ),
        "confidence": result.confidence,
        "engine": result.engine,
        "latency_ms": round(latency_ms, 1) if latency_ms is not None else None,
    }


@lru_cache(maxsize=1)
def _openai_engine() -> OpenAIIntentEngine | None:
    """One engine per process and configuration: its HTTP client keeps its connections to OpenAI open."""
    return _engine_for(
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_MODEL,
        settings.OPENAI_TIMEOUT_SECONDS,
        settings.OPENAI_MAX_RETRIES,
        settings.OPENAI_DAILY_TOKEN_BUDGET,
        settings.REDIS_URL,
    )


@functools.lru_cache(maxsize=4)
def _engine_for(*configuration: object) -> OpenAIIntentEngine | None:
    return OpenAIIntentEngine.from_settings()
