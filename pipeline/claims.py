"""The claims stage's work: decide each stored comment's intent, act on stock, and tell the next stages.

Claims of one seller arrive in comment order (one shard, one consumer), so "the first N valid claims win".
Consecutive comments are decided together: their intents one by one, their reservations in one batch, in
arrival order. The decision is stored on the comment the first time; a redelivered comment reuses it (an
OpenAI answer is never asked twice) and the reservation services replay their own decision.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.live_events import publish_live_events
from core.logs import get_logger
from core.streams.events import ClaimDecided
from core.streams.publish import publish_many
from livestreams.decisions import (
    CHATTER,
    catalog_now,
    catalog_products,
    comment_intents,
    decision_as_json,
    featured_at,
)
from livestreams.intent.types import ClaimItem, IntentResult, LiveContext
from livestreams.models import Comment, LiveSession
from livestreams.services import CommentDecision, comments_record_decisions, live_session_current
from payments.holds import holds_due_mark
from payments.models import Buyer
from payments.reservations import (
    ClaimDecision,
    ReleaseSummary,
    claim_policy_for,
    claims_reserve_batch,
    claims_swap_release,
    hold_expires_at,
    reservation_cancel,
    swap_keep_hold,
)
from payments.selectors import StockLevel, stock_levels
from tenants.models import Seller
from tenants.selectors import seller_of_schema

log = get_logger(__name__)


@dataclass
class ClaimOutcome:
    """What happened to one comment (returned in input order)."""

    comment_id: int
    intent: str
    needs_review: bool
    engine: str = "local"
    review_reason: str = ""
    confidence: float = 0.0
    latency_ms: float | None = None
    live_id: int | None = None
    decision: dict[str, Any] | None = None  # ClaimDecision / ReleaseSummary as a dict, when stock was touched
    touched_variants: list[int] = field(default_factory=list)


def comments_claim(
    *,
    schema_name: str,
    comments: list[Comment],
    stored_now: Collection[int] = (),
    feed: list[dict[str, object]] | None = None,
) -> list[ClaimOutcome]:
    """Decide and act on the given stored comments, in order. `stored_now`: ids of comments the caller stored
    in this transaction (nothing was decided for them yet); `feed`: their "comment" events for the dashboard,
    sent before the decisions. Caller runs inside schema_context and one transaction; everything the next
    stages and the dashboard hear is sent after it commits."""
    if not comments:
        if feed:
            transaction.on_commit(lambda: publish_live_events(schema_name=schema_name, events=_events("comment", feed)))
        return []
    now = timezone.now()
    seller = seller_of_schema(schema_name)
    lives = {c.pk: c.live_session or _live_of_message(c) for c in comments}
    undecided = [c for c in comments if c.decided_at is None]  # the others are replayed from what they stored
    on_camera = featured_at(undecided, [lives[c.pk] for c in undecided])
    featured = dict(zip([c.pk for c in undecided], on_camera, strict=True))
    outcomes: list[ClaimOutcome] = []
    results: dict[int, IntentResult] = {}
    decided_now: list[CommentDecision] = []
    contexts = [LiveContext(products=catalog_products(schema_name), featured=featured.get(c.pk)) for c in comments]
    intents = comment_intents(list(zip(comments, contexts, strict=True)), seller=seller)
    for comment, (result, needs_review, review_reason) in zip(comments, intents, strict=True):
        live = lives[comment.pk]
        if comment.kind == Comment.Kind.MESSAGE:
            _buyer_wrote(comment, now)
        outcome = ClaimOutcome(
            comment_id=comment.pk,
            intent=result.intent,
            needs_review=needs_review,
            engine=result.engine,
            review_reason=review_reason or "",
            confidence=result.confidence,
            latency_ms=_latency_ms(comment),
            live_id=live.pk if live is not None else None,
        )
        if comment.decided_at is None:
            _keep_decision(comment, result, needs_review, review_reason, latency_ms=outcome.latency_ms, now=now)
            decided_now.append(
                CommentDecision(
                    comment_id=comment.pk,
                    intent=result.intent,
                    parse_result=decision_as_json(result, latency_ms=outcome.latency_ms),
                    needs_review=needs_review,
                    review_reason=review_reason or "",
                )
            )
        results[comment.pk] = result
        outcomes.append(outcome)
    comments_record_decisions(decisions=decided_now, decided_at=now)
    # Registered before acting (the outcomes get their decisions there): on commit, the payments stage hears
    # first, before the hold timers and the dashboard.
    transaction.on_commit(lambda: _hand_off(schema_name, outcomes))
    stock = _act(
        schema_name=schema_name,
        seller=seller,
        comments=comments,
        lives=lives,
        results=results,
        outcomes=outcomes,
        now=now,
        stored_now=stored_now,
    )
    touched = sorted({v for outcome in outcomes for v in outcome.touched_variants})
    levels = _stock_levels(schema_name, touched, stock) if touched else []
    transaction.on_commit(lambda: _publish(schema_name, outcomes, levels, feed or []))
    return outcomes


def comments_decide(*, schema_name: str, comments: list[Comment]) -> None:
    """Decide comments on a live before they are stored (`comments_store(decide=…)`), so each is stored with its
    decision in the same statement: the claims stage's usual case. `comments_claim` then acts on the stored
    decision as it does for a redelivered comment. A comment the ingest prefilter let through to the feed only
    (not a candidate) is final at once: chatter (intent "other", engine "prefilter"), never "pending"."""
    if not comments:
        return
    now = timezone.now()
    candidates = []
    for comment in comments:
        if comment.is_candidate:
            candidates.append(comment)
        else:
            _keep_decision(comment, CHATTER, False, None, latency_ms=_latency_ms(comment), now=now)
    if not candidates:
        return
    seller = seller_of_schema(schema_name)
    featured = featured_at(candidates, [c.live_session for c in candidates])
    contexts = [LiveContext(products=catalog_products(schema_name), featured=f) for f in featured]
    intents = comment_intents(list(zip(candidates, contexts, strict=True)), seller=seller)  # OpenAI once a batch
    for comment, (result, needs_review, review_reason) in zip(candidates, intents, strict=True):
        _keep_decision(comment, result, needs_review, review_reason, latency_ms=_latency_ms(comment), now=now)


def _latency_ms(comment: Comment) -> float:
    return max(0.0, (time.time() - comment.received_at.timestamp()) * 1000)


def _keep_decision(
    comment: Comment,
    result: IntentResult,
    needs_review: bool,
    review_reason: str | None,
    *,
    latency_ms: float | None,
    now: datetime,
) -> None:
    comment.intent, comment.needs_review, comment.review_reason = result.intent, needs_review, review_reason or ""
    comment.parse_result, comment.decided_at = decision_as_json(result, latency_ms=latency_ms), now


def _act(
    *,
    schema_name: str,
    seller: Seller,
    comments: list[Comment],
    lives: dict[int, LiveSession | None],
    results: dict[int, IntentResult],
    outcomes: list[ClaimOutcome],
    now: datetime,
    stored_now: Collection[int],
) -> dict[int, tuple[int, int]]:
    """Reserve for runs of purchases (one batch each), cancel where asked, in arrival order. Returns the stock
    (on hand, reserved) the reservation batches left on the variants they locked, where no cancel moved it
    after them."""
    outcome_of = {o.comment_id: o for o in outcomes}
    run: list[tuple[Comment, tuple[ClaimItem, ...]]] = []
    stock: dict[int, tuple[int, int]] = {}

    def reserve_run() -> None:
        if not run:
            return
        decisions, locked_stock = claims_reserve_batch(
            claims=run,
            policy_for=lambda live: claim_policy_for(seller=seller, live=live),
            now=now,
            undecided_ids=stored_now,
            variants_by_code=catalog_now(schema_name).variants_by_code,
        )
        stock.update(locked_stock)
        for (comment, _), decision in zip(run, decisions, strict=True):
            _record_claim(
                outcome_of[comment.pk],
                decision,
                seller=seller,
                live=lives[comment.pk],
                now=now,
                schema_name=schema_name,
            )
        run.clear()

    for comment in comments:
        live, result, outcome = lives[comment.pk], results[comment.pk], outcome_of[comment.pk]
        if live is None or outcome.needs_review:
            continue
        if result.intent == "purchase" and result.items:
            if comment.live_session_id is None:  # a message: attach it to the live it is about
                comment.live_session = live
            if result.replaces:
                # A swap ("la L en vez de la M"): the old variant is released and the new one reserved in this
                # transaction, in arrival order with the claims around it; the new units keep the old hold.
                reserve_run()
                swap = claims_swap_release(comment=comment, replaces=result.replaces, keep=result.items, now=now)
                run.append((comment, result.items))
                reserve_run()
                swap_keep_hold(comment=comment, hold_expires_at=swap.hold_expires_at, now=now)
                _record_swap(outcome, swap.summary, schema_name=schema_name)
                for variant_id in {r.variant_id for r in swap.summary.released}:
                    stock.pop(variant_id, None)  # moved by the release: read again
                continue
            run.append((comment, result.items))
        elif result.intent == "cancel":
            reserve_run()
            summary = reservation_cancel(comment=comment, items=result.items or None, now=now)
            outcome.decision = {
                **summary.as_dict(),
                "order_id": summary.released[0].order_id if summary.released else None,
            }
            outcome.touched_variants = sorted({r.variant_id for r in summary.released})
            for variant_id in outcome.touched_variants:
                stock.pop(variant_id, None)  # moved by the cancel: read again
    reserve_run()
    return stock


def _stock_levels(schema_name: str, variant_ids: list[int], stock: dict[int, tuple[int, int]]) -> list[StockLevel]:
    """The dashboard's stock event for the variants a batch touched, as this transaction leaves them: from the
    reservation batches' locked rows where known, else read (under the variants' locks: what commits)."""
    names = catalog_now(schema_name).variant_names
    known = {pk: stock[pk] for pk in variant_ids if pk in stock and pk in names}
    levels = (
        stock_levels(variant_ids=[pk for pk in variant_ids if pk not in known]) if len(known) < len(variant_ids) else []
    )
    for pk, (on_hand, reserved) in known.items():
        code, label = names[pk]
        levels.append(
            StockLevel(
                variant_id=pk,
                code=code,
                variant=label,
                stock_on_hand=on_hand,
                reserved=reserved,
                available=on_hand - reserved,
            )
        )
    return sorted(levels, key=lambda level: (level["code"], level["variant_id"]))


def _record_claim(
    outcome: ClaimOutcome,
    decision: ClaimDecision,
    *,
    seller: Seller,
    live: LiveSession | None,
    now: datetime,
    schema_name: str,
) -> None:
    outcome.decision = decision.as_dict()
    outcome.touched_variants = [item.variant_id for item in decision.items if item.variant_id]
    if live is not None and any(item.reserved for item in decision.items) and not decision.replayed:
        hold_ends = hold_expires_at(policy=claim_policy_for(seller=seller, live=live), live=live, now=now)
        transaction.on_commit(lambda: holds_due_mark(schema_name=schema_name, at=hold_ends))


def _record_swap(outcome: ClaimOutcome, released: ReleaseSummary, *, schema_name: str) -> None:
    """The swap's decision is the new claim's, plus what it released (the reply says what changed) and the
    waitlisted reservations that got the released units (they are told too)."""
    names = catalog_now(schema_name).variant_names
    decision = dict(outcome.decision or {})
    decision["replaced"] = [
        {"code": names.get(r.variant_id, ("", ""))[0], "variant_label": names.get(r.variant_id, ("", ""))[1],
         "quantity": r.quantity, "previous_status": r.previous_status}
        for r in released.released
    ]  # fmt: skip
    decision["promoted_ids"] = list(released.promoted_ids)
    outcome.decision = decision
    outcome.touched_variants = sorted({*outcome.touched_variants, *(r.variant_id for r in released.released)})


def _live_of_message(comment: Comment) -> LiveSession | None:
    """A Messenger message belongs to the page's live on air, else to the buyer's latest live with a cart."""
    if comment.kind != Comment.Kind.MESSAGE:
        return None
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


def _buyer_wrote(comment: Comment, now: datetime) -> None:
    """A message from the buyer opens Meta's 24-hour window for messages to them."""
    buyer, _ = Buyer.objects.get_or_create(
        platform=comment.platform,
        platform_user_id=comment.author_platform_id,
        defaults={"name": comment.author_name},
    )
    Buyer.objects.filter(pk=buyer.pk).update(last_message_at=now)


def _hand_off(schema_name: str, outcomes: list[ClaimOutcome]) -> None:
    """Hand every decision to the payments stage (one round trip), and log the claims among them (committed)."""
    entries = []
    for outcome in outcomes:
        if outcome.intent in ("purchase", "cancel") or outcome.needs_review:
            decision = outcome.decision or {}
            log.info(
                "claim_decided",
                seller=schema_name,
                live_id=outcome.live_id,
                comment_id=outcome.comment_id,
                order_id=decision.get("order_id"),
                intent=outcome.intent,
                engine=outcome.engine,
                needs_review=outcome.needs_review,
                items=[f"{item.get('code')}:{item.get('status')}" for item in decision.get("items", [])],
                replayed=decision.get("replayed", False),
            )
        event = ClaimDecided(
            schema=schema_name,
            comment_id=str(outcome.comment_id),
            intent=outcome.intent,
            decision=json.dumps(outcome.decision) if outcome.decision is not None else "",
            needs_review="1" if outcome.needs_review else "0",
            received_time="",
        )
        entries.append(event.to_fields())
    publish_many(stage="payments", schema_name=schema_name, entries=entries)


def _publish(
    schema_name: str, outcomes: list[ClaimOutcome], levels: list[StockLevel], feed: list[dict[str, object]]
) -> None:
    """Show the batch on the dashboard (one message: the comments, their decisions, the stock they moved)."""
    decisions = [
        {
            "comment_id": outcome.comment_id,
            "live_id": outcome.live_id,
            "intent": outcome.intent,
            "engine": outcome.engine,
            "confidence": outcome.confidence,
            "needs_review": outcome.needs_review,
            "review_reason": outcome.review_reason,
            "items": (outcome.decision or {}).get("items", []),
            "latency_ms": round(outcome.latency_ms, 1) if outcome.latency_ms is not None else None,
        }
        for outcome in outcomes
    ]
    stock = [("stock", {"variants": levels})] if levels else []
    publish_live_events(
        schema_name=schema_name, events=_events("comment", feed) + _events("decision", decisions) + stock
    )


def _events(name: str, payloads: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, payload) for payload in payloads]
