"""The payments stage: turns each decided comment into the buyer's reply with their cart link, written to
the outbox (the sender delivers it).

It never calls a payment provider (a Stripe session is created only when the buyer presses Pay), so a slow
or failing provider cannot delay claims or their answers.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from config.db_rows import one_round_trip
from core.streams.events import ClaimDecided, ReplyWork
from messenger.compose import ComposeContext
from messenger.models import OutboundMessage
from messenger.services import idempotency_key_for, reply_works_enqueue
from payments.models import Order
from payments.selectors import Cart, cart_of_order, carts_of_orders_later, orders_with_buyer_and_live_later
from payments.services.replies import cart_detail, cart_url, reply_work_for_promotion
from tenants.selectors import seller_of_schema

logger = logging.getLogger(__name__)


def handle_claim_decided(fields: dict[str, str]) -> None:
    """Stage handler for one entry (inside `schema_context(fields["schema"])` and a transaction)."""
    handle_claims_decided([fields])


def handle_claims_decided(entries: list[dict[str, str]]) -> None:
    """Payments stage, for consecutive decisions of one seller, in one transaction and a fixed number of
    queries: each buyer's reply with their cart link goes to the outbox. Idempotent per comment: the reply's
    outbox row (UNIQUE idempotency key) is written in this transaction, so a redelivered entry finds it and
    adds nothing."""
    events = [ClaimDecided.from_fields(fields) for fields in entries]
    decisions: list[dict[str, Any]] = [json.loads(event.decision) if event.decision else {} for event in events]
    order_ids = {int(d["order_id"]) for d in decisions if d.get("order_id")}
    comment_ids = {int(event.comment_id) for event in events if event.comment_id.isdigit()}
    with one_round_trip():  # the carts, their lines, their first replies and the comments: one wait
        read_orders = orders_with_buyer_and_live_later(order_ids=order_ids)
        read_carts = carts_of_orders_later(order_ids=order_ids)
        read_context = ComposeContext.read_later(order_ids=order_ids, comment_ids=comment_ids)
        orders = read_orders()
        carts = read_carts(list(orders.values()))
        context = read_context(orders)
    works: list[ReplyWork] = []
    promoted: dict[str, list[int]] = {}  # idempotency key of a cancel/swap reply -> the reservations it promoted
    for event, decision in zip(events, decisions, strict=True):
        order = orders.get(int(decision["order_id"])) if decision.get("order_id") else None
        work = reply_for_decision(
            event=event, decision=decision, order=order, cart=carts.get(order.pk) if order else None
        )
        if work is None:
            continue
        works.append(work)
        if event.intent in ("cancel", "purchase") and decision.get("promoted_ids"):  # a cancel or a swap
            promoted[idempotency_key_for(work=work)] = [int(pk) for pk in decision["promoted_ids"]]
    told = (
        set(OutboundMessage.objects.filter(idempotency_key__in=promoted).values_list("idempotency_key", flat=True))
        if promoted
        else set()
    )
    reply_works_enqueue(works=works, context=context)
    for key, reservation_ids in promoted.items():
        if key not in told:  # a cancel gave units to buyers in the waitlist: tell them (as the expiry scheduler does)
            reply_work_for_promotion(reservation_ids=reservation_ids)


def reply_for_decision(
    *, event: ClaimDecided, decision: dict[str, Any], order: Order | None, cart: Cart | None
) -> ReplyWork | None:
    """What to tell the buyer about a decided comment (`order` and `cart`: the cart its decision names);
    None when nothing (the seller reviews it, or it was not for us)."""
    if event.needs_review == "1":
        return None
    if event.intent == "purchase":
        return _purchase_reply(event=event, decision=decision, order=order, cart=cart)
    if event.intent == "cancel":
        return _reply(event=event, reason="cancelled", order=order, cart=cart, decision=decision)
    if event.intent == "question":
        return _reply(event=event, reason="question", order=None, cart=None, decision=decision)
    return None


def _purchase_reply(
    *, event: ClaimDecided, decision: dict[str, Any], order: Order | None, cart: Cart | None
) -> ReplyWork:
    items = decision.get("items", [])
    if any(item.get("reserved") for item in items):
        reason = "claim"
    elif any(item.get("waitlisted") for item in items):
        reason = "waitlisted"
    else:
        reason = "claim_rejected"
    why = sorted({str(item.get("reason")) for item in items if item.get("status") == "rejected" and item.get("reason")})
    extra = {"rejected_reasons": why or ["nothing_reservable"]} if reason == "claim_rejected" else {}
    return _reply(event=event, reason=reason, order=order, cart=cart, decision=decision, extra=extra)


def _reply(
    *,
    event: ClaimDecided,
    reason: str,
    order: Order | None,
    cart: Cart | None,
    decision: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> ReplyWork:
    seller = seller_of_schema(event.schema)
    detail: dict[str, Any] = {"language": seller.default_language, "seller_name": seller.name, "decision": decision}
    link = ""
    if order is not None:
        link = cart_url(seller=seller, order=order)
        detail.update(cart_detail(seller=seller, cart=cart if cart is not None else cart_of_order(order=order)))
    detail.update(extra or {})
    return ReplyWork(
        schema=event.schema,
        reason=reason,
        comment_id=event.comment_id,
        order_id=str(order.pk) if order is not None else "",
        cart_url=link,
        detail=json.dumps(detail, default=str),
    )
