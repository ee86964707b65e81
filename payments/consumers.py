"""The payments stage: turns each decided comment into reply work carrying the buyer's cart link.

It never calls a payment provider (a Stripe session is created only when the buyer presses Pay), so a slow
or failing provider cannot delay claims or their answers.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from livestreams.streams.events import ClaimDecided, ReplyWork
from livestreams.streams.publish import publish
from payments.models import ClaimReply, Order
from payments.selectors import cart_of_order
from payments.services.replies import cart_detail, cart_url, reply_work_for_promotion, seller_of_schema

logger = logging.getLogger(__name__)


def handle_claim_decided(fields: dict[str, str]) -> None:
    """Stage handler (inside `schema_context(fields["schema"])` and a transaction). Idempotent per comment:
    a ClaimReply row (UNIQUE comment) records the hand-off; a redelivered entry whose ReplyWork was not
    published yet (Redis failed after commit) publishes it again, one that was published does nothing."""
    event = ClaimDecided.from_fields(fields)
    work = reply_for_decision(event=event)
    if work is None:
        return
    comment_id = int(event.comment_id)
    try:
        with transaction.atomic():
            reply = ClaimReply.objects.create(comment_id=comment_id, reason=work.reason)
    except IntegrityError:
        reply = ClaimReply.objects.get(comment_id=comment_id)
        if reply.published_at is not None:
            logger.info("claim reply for comment %s already handed off", comment_id, extra={"schema": event.schema})
            return
    else:
        _notify_promotions(event=event)

    def hand_off() -> None:
        publish(stage="replies", schema_name=work.schema, fields=work.to_fields())
        ClaimReply.objects.filter(pk=reply.pk, published_at__isnull=True).update(published_at=timezone.now())

    transaction.on_commit(hand_off)


def reply_for_decision(*, event: ClaimDecided) -> ReplyWork | None:
    """What to tell the buyer about a decided comment; None when nothing (the seller reviews it, or it was
    not for us)."""
    if event.needs_review == "1":
        return None
    decision: dict[str, Any] = json.loads(event.decision) if event.decision else {}
    if event.intent == "purchase":
        return _purchase_reply(event=event, decision=decision)
    if event.intent == "cancel":
        return _reply(event=event, reason="cancelled", order_id=decision.get("order_id"), decision=decision)
    if event.intent == "question":
        return _reply(event=event, reason="question", order_id=None, decision=decision)
    return None


def _purchase_reply(*, event: ClaimDecided, decision: dict[str, Any]) -> ReplyWork:
    items = decision.get("items", [])
    if any(item.get("reserved") for item in items):
        reason = "claim"
    elif any(item.get("waitlisted") for item in items):
        reason = "waitlisted"
    else:
        reason = "claim_rejected"
    why = sorted({str(item.get("reason")) for item in items if item.get("status") == "rejected" and item.get("reason")})
    extra = {"rejected_reasons": why or ["nothing_reservable"]} if reason == "claim_rejected" else {}
    return _reply(event=event, reason=reason, order_id=decision.get("order_id"), decision=decision, extra=extra)


def _reply(
    *,
    event: ClaimDecided,
    reason: str,
    order_id: int | None,
    decision: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> ReplyWork:
    seller = seller_of_schema(event.schema)
    detail: dict[str, Any] = {"language": seller.default_language, "seller_name": seller.name, "decision": decision}
    link = ""
    order = Order.objects.filter(pk=order_id).first() if order_id else None
    if order is not None:
        link = cart_url(seller=seller, order=order)
        detail.update(cart_detail(seller=seller, cart=cart_of_order(order=order)))
    detail.update(extra or {})
    return ReplyWork(
        schema=event.schema,
        reason=reason,
        comment_id=event.comment_id,
        order_id=str(order.pk) if order is not None else "",
        cart_url=link,
        detail=json.dumps(detail, default=str),
    )


def _notify_promotions(*, event: ClaimDecided) -> None:
    """A cancel gave units to buyers in the waitlist: tell them (the expiry scheduler does the same)."""
    if event.intent != "cancel" or not event.decision:
        return
    promoted = [int(pk) for pk in json.loads(event.decision).get("promoted_ids", [])]
    if promoted:
        reply_work_for_promotion(reservation_ids=promoted)
