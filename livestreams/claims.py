"""The claims stage's work for one comment: decide its intent, act on stock, and tell the next stages.

Claims of one seller arrive in comment order (one shard, one consumer), so "the first N valid claims win".
The decision is stored on the comment the first time; a redelivered comment reuses it (an OpenAI answer is
never asked twice) and the reservation services replay their own decision, so nothing happens twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.models import Product
from inventory.stock_gate import StockGate, stock_gate_rebuild
from livestreams.intent.decide import Decision, decide_intent
from livestreams.intent.openai_engine import OpenAIIntentEngine
from livestreams.intent.types import CatalogProduct, ClaimItem, Intent, IntentResult, LiveContext
from livestreams.live_events import publish_live_event
from livestreams.models import Comment, FeaturedProductChange, LiveSession
from livestreams.services import live_session_current
from livestreams.streams.connection import get_redis
from livestreams.streams.events import ClaimDecided
from livestreams.streams.publish import publish
from payments.holds import holds_due_mark
from payments.models import Buyer
from payments.reservations import claim_policy_for, claim_reserve, hold_expires_at, reservation_cancel
from payments.selectors import stock_snapshot
from tenants.models import IntentEngine, Seller


@dataclass(frozen=True)
class ClaimOutcome:
    intent: str
    needs_review: bool
    decision: dict[str, Any] | None  # ClaimDecision / ReleaseSummary as a dict, when stock was touched


def comment_claim(*, schema_name: str, comment_id: int, received_time: float) -> ClaimOutcome:
    """Decide one stored comment and act on it. Caller runs inside schema_context and a transaction."""
    comment = Comment.objects.select_related("live_session__featured_product").get(pk=comment_id)
    seller = Seller.objects.get(schema_name=schema_name)
    now = timezone.now()
    live = comment.live_session or _live_of_message(comment)
    if comment.kind == Comment.Kind.MESSAGE:
        _buyer_wrote(comment, now)
    context = (
        live_context(live, at=comment.received_at) if live is not None else LiveContext(products=(), featured=None)
    )
    result, needs_review, review_reason = _decision_for(comment, context=context, seller=seller)
    latency_ms = max(0.0, (time.time() - received_time) * 1000) if received_time else None
    if comment.decided_at is None:
        Comment.objects.filter(pk=comment.pk, decided_at__isnull=True).update(
            intent=result.intent,
            parse_result=_result_as_json(result, latency_ms=latency_ms),
            needs_review=needs_review,
            review_reason=review_reason or "",
            decided_at=now,
        )

    decision: dict[str, Any] | None = None
    touched_variants: list[int] = []
    if live is not None and not needs_review and result.intent == "purchase" and result.items:
        policy = claim_policy_for(seller=seller, live=live)
        claim = claim_reserve(comment=comment, items=result.items, policy=policy, now=now, gate=_gate(schema_name))
        decision = claim.as_dict()
        touched_variants = [item.variant_id for item in claim.items if item.variant_id]
        if any(item.reserved for item in claim.items):
            hold_ends = hold_expires_at(policy=policy, live=live, now=now)
            transaction.on_commit(lambda: holds_due_mark(schema_name=schema_name, at=hold_ends))
    elif live is not None and not needs_review and result.intent == "cancel":
        summary = reservation_cancel(comment=comment, items=result.items or None, now=now, gate=_gate(schema_name))
        decision = {**summary.as_dict(), "order_id": _order_of(summary)}
        touched_variants = sorted({r.variant_id for r in summary.released})

    event = ClaimDecided(
        schema=schema_name,
        comment_id=str(comment.pk),
        intent=result.intent,
        decision=json.dumps(decision) if decision is not None else "",
        needs_review="1" if needs_review else "0",
        received_time=repr(received_time),
    )
    live_id = live.pk if live is not None else None
    transaction.on_commit(
        lambda: _after_commit(
            event, schema_name, live_id, result, needs_review, decision, touched_variants, latency_ms, comment.pk
        )
    )
    return ClaimOutcome(intent=result.intent, needs_review=needs_review, decision=decision)


def _decision_for(comment: Comment, *, context: LiveContext, seller: Seller) -> tuple[IntentResult, bool, str | None]:
    """The stored decision if there is one (redelivery), else a fresh one."""
    if comment.decided_at is not None and comment.parse_result:
        stored = comment.parse_result
        items = tuple(ClaimItem(code=i["code"], variant=i["variant"], qty=int(i["qty"])) for i in stored["items"])
        result = IntentResult(
            intent=cast(Intent, comment.intent or "other"),
            items=items,
            confidence=float(stored["confidence"]),
            engine=str(stored["engine"]),
        )
        return result, comment.needs_review, comment.review_reason or None
    engine = _openai_engine() if seller.intent_engine == IntentEngine.LOCAL_OPENAI else None
    decided: Decision = decide_intent(
        text=comment.text,
        context=context,
        schema_name=seller.schema_name,
        max_qty=seller.max_units_per_claim,
        openai_engine=engine,
        threshold=settings.INTENT_CONFIDENCE_THRESHOLD,
    )
    return decided.result, decided.needs_review, decided.review_reason


def live_context(live: LiveSession, *, at: datetime | None = None) -> LiveContext:
    """The live's catalog (active products and their variant labels) and the product that was on camera at
    `at` (when the comment arrived), or now."""
    featured = live.featured_product.code if live.featured_product_id and live.featured_product else None
    if at is not None:
        change = (
            FeaturedProductChange.objects.filter(live_session=live, changed_at__lte=at)
            .select_related("product")
            .order_by("-changed_at", "-id")
            .first()
        )
        if change is not None:
            featured = change.product.code if change.product else None
        elif live.featured_changes.exists():  # switched only after this comment arrived
            featured = None
    return LiveContext(products=_catalog(_catalog_version()), featured=featured)


def _catalog_version() -> int:
    # The catalog is re-read at most once a second per process: claims in a burst share it.
    return int(time.monotonic())


@lru_cache(maxsize=64)
def _catalog_cached(schema_name: str, version: int) -> tuple[CatalogProduct, ...]:
    products = Product.objects.filter(active=True).prefetch_related("variants").order_by("code")
    return tuple(
        CatalogProduct(code=p.code, name=p.name, variants=tuple(v.label for v in p.variants.all() if v.label))
        for p in products
    )


def _catalog(version: int) -> tuple[CatalogProduct, ...]:
    from django.db import connection

    return _catalog_cached(connection.schema_name, version)  # type: ignore[attr-defined]


def _live_of_message(comment: Comment) -> LiveSession | None:
    """A Messenger message belongs to the page's live on air, else to the buyer's latest live with a cart."""
    live = live_session_current(platform=comment.platform, page_external_id=comment.page_external_id)
    if live is not None:
        return live
    return (
        LiveSession.objects.filter(
            orders__buyer__platform=comment.platform, orders__buyer__platform_user_id=comment.author_platform_id
        )
        .order_by("-created_at")
        .first()
    )


def _buyer_wrote(comment: Comment, now: Any) -> None:
    """A message from the buyer opens Meta's 24-hour window for messages to them."""
    buyer, _ = Buyer.objects.get_or_create(
        platform=comment.platform,
        platform_user_id=comment.author_platform_id,
        defaults={"name": comment.author_name},
    )
    Buyer.objects.filter(pk=buyer.pk).update(last_message_at=now)


def _order_of(summary: Any) -> int | None:
    return summary.released[0].order_id if summary.released else None


def _result_as_json(result: IntentResult, *, latency_ms: float | None) -> dict[str, Any]:
    return {
        "items": [{"code": i.code, "variant": i.variant, "qty": i.qty} for i in result.items],
        "confidence": result.confidence,
        "engine": result.engine,
        "latency_ms": round(latency_ms, 1) if latency_ms is not None else None,
    }


def _after_commit(
    event: ClaimDecided,
    schema_name: str,
    live_id: int | None,
    result: IntentResult,
    needs_review: bool,
    decision: dict[str, Any] | None,
    touched_variants: list[int],
    latency_ms: float | None,
    comment_id: int,
) -> None:
    publish(stage="payments", schema_name=schema_name, fields=event.to_fields())
    items = decision.get("items", []) if decision else []
    publish_live_event(
        schema_name=schema_name,
        event="decision",
        payload={
            "comment_id": comment_id,
            "live_id": live_id,
            "intent": result.intent,
            "engine": result.engine,
            "confidence": result.confidence,
            "needs_review": needs_review,
            "items": items,
            "latency_ms": round(latency_ms, 1) if latency_ms is not None else None,
        },
    )
    if touched_variants:
        from django_tenants.utils import schema_context

        with schema_context(schema_name):
            publish_live_event(
                schema_name=schema_name,
                event="stock",
                payload={"variants": list(stock_snapshot(variant_ids=touched_variants))},
            )


_gates: dict[str, StockGate] = {}


def _gate(schema_name: str) -> StockGate:
    """The seller's Redis stock gate, rebuilt from PostgreSQL the first time this process uses it."""
    gate = _gates.get(schema_name)
    if gate is None:
        stock_gate_rebuild(schema_name=schema_name, redis_client=get_redis(), prefix=settings.STREAM_KEY_PREFIX)
        gate = _gates[schema_name] = StockGate(get_redis(), schema_name, prefix=settings.STREAM_KEY_PREFIX)
    return gate


@lru_cache(maxsize=1)
def _openai_engine() -> OpenAIIntentEngine | None:
    return OpenAIIntentEngine.from_settings()
