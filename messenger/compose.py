"""What to tell a buyer for one piece of reply work: the recipient, the kind of message and its words.

Reads only (the caller writes the outbox row). `detail` is written by another stage, so it is parsed
defensively: whatever is missing is taken from the database or left out of the text.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from config.db_rows import one_round_trip
from core.money import format_amount
from core.streams.events import ReplyWork
from inventory.models import Product
from livestreams.models import Comment, LiveSession
from livestreams.selectors import comments_with_live_later
from messenger import texts
from messenger.detail import DetailFacts, ItemFact, parse_detail
from messenger.models import OutboundMessage
from messenger.selectors import FIRST_REPLY_REASONS, first_replies_of_orders_later
from payments.models import Order, Reservation
from payments.selectors import orders_with_buyer_and_live_later
from tenants.models import PageBinding, Seller
from tenants.selectors import seller_of_schema

logger = logging.getLogger(__name__)

MESSAGING_WINDOW = timedelta(hours=24)
# Reasons a buyer hears about; anything else (chatter, "other") gets no message at all.
REASONS = frozenset(
    {"claim", "waitlisted", "claim_rejected", "promoted", "cancelled", "question", "paid", "expired", "refund_due"}
)
WITH_CART_BUTTON = frozenset({"claim", "claim_added", "waitlisted", "promoted"})
ITEMS_FALLBACK = {"es": "tu pedido", "en": "your order", "pt": "seu pedido"}


@dataclass(frozen=True, slots=True)
class ComposedReply:
    """An outbox row to write. `skip_code` set: record it as not sent (e.g. the 24-hour window is closed)."""

    reason: str
    kind: str
    platform: str
    page_external_id: str
    recipient_id: str
    text: str
    body: dict[str, Any]
    comment_id: int | None
    order_id: int | None
    skip_code: str = ""
    values: dict[str, object] = field(default_factory=dict)


DELIVERED_OR_DUE = ("queued", "sending", "sent")  # a failed first reply never reached the buyer


@dataclass
class ComposeContext:
    """The rows a batch of replies needs, read once for all of them: their comments and carts, and per cart
    the comments whose first claim reply is queued or sent (a later claim gets the short "added" reply)."""

    comments: dict[int, Comment]
    orders: dict[int, Order]
    answered: dict[int, set[int | None]]

    @classmethod
    def read(cls, *, works: list[ReplyWork], now: datetime, orders: dict[int, Order] | None = None) -> ComposeContext:
        comment_ids = {pk for work in works if (pk := _id(work.comment_id)) is not None}
        order_ids = {pk for work in works if (pk := _id(work.order_id)) is not None}
        known = {pk: order for pk, order in (orders or {}).items() if pk in order_ids}
        with one_round_trip():
            read_orders = orders_with_buyer_and_live_later(order_ids=order_ids - set(known))
            read = cls.read_later(order_ids=order_ids, comment_ids=comment_ids)
            known.update(read_orders())
            return read(known)

    @classmethod
    def read_later(
        cls, *, order_ids: Collection[int], comment_ids: Collection[int]
    ) -> Callable[[dict[int, Order]], ComposeContext]:
        """`read` in two steps: the statements are sent now; calling the result with the carts (read with
        their buyer and live) reads them. Inside `one_round_trip`, with the caller's own reads."""
        read_answered = first_replies_of_orders_later(order_ids=order_ids, statuses=DELIVERED_OR_DUE)
        read_comments = comments_with_live_later(comment_ids=comment_ids)

        def context(orders: dict[int, Order]) -> ComposeContext:
            answered: dict[int, set[int | None]] = {pk: set() for pk in order_ids}
            for order_id, comment_id in read_answered():
                answered[order_id].add(comment_id)
            return cls(comments=read_comments(), orders=orders, answered=answered)

        return context

    def note_queued(self, composed: ComposedReply) -> None:
        """A reply of the batch is about to be queued: later ones in the batch see it as sent."""
        if composed.reason in FIRST_REPLY_REASONS and composed.order_id is not None:
            self.answered.setdefault(composed.order_id, set()).add(composed.comment_id)


def items_text(items: list[tuple[ItemFact, int]]) -> str:
    parts = []
    for item, quantity in items:
        label = f"{item.code} {item.variant_label}".strip()
        parts.append(f"{label} x{quantity}" if quantity > 1 else label)
    return ", ".join(part for part in parts if part)


def compose_reply(*, work: ReplyWork, now: datetime, context: ComposeContext | None = None) -> ComposedReply | None:
    """Decide what, if anything, the buyer receives for `work`. None: nothing to say (chatter, unknown).
    `context`: the rows it needs, read for a whole batch (`ComposeContext.read`); read here when None."""
    if work.reason not in REASONS:
        return None
    seller = seller_of_schema(work.schema)
    facts = parse_detail(work.detail)
    language = texts.language_of(facts.language, fallback=texts.language_of(seller.default_language))
    comment_pk, order_pk = _id(work.comment_id), _id(work.order_id)
    context = context or ComposeContext.read(works=[work], now=now)
    comment = context.comments.get(comment_pk) if comment_pk else None
    order = context.orders.get(order_pk) if order_pk else None
    reason = work.reason
    values: dict[str, object] = {
        "seller": seller.name,
        "cart_url": work.cart_url,
        "buyer": (order.buyer.name if order else "") or (comment.author_name if comment else ""),
    }

    if reason == "question":
        text = _question_answer(seller=seller, facts=facts, comment=comment, order=order, language=language)
        if text is None:
            return None
    else:
        text = _reason_text(
            reason=reason,
            seller=seller,
            facts=facts,
            order=order,
            comment=comment,
            language=language,
            values=values,
            now=now,
            context=context,
        )
        if text is None:
            return None
        reason = str(values.pop("_reason", reason))
    return _addressed(
        reason=reason,
        text=text,
        seller=seller,
        comment=comment,
        order=order,
        cart_url=work.cart_url,
        language=language,
        values=values,
        now=now,
    )


def _id(raw: str) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _reason_text(
    *,
    reason: str,
    seller: Seller,
    facts: DetailFacts,
    order: Order | None,
    comment: Comment | None,
    language: str,
    values: dict[str, object],
    now: datetime,
    context: ComposeContext,
) -> str | None:
    reserved = [(item, item.reserved) for item in facts.items if item.reserved]
    waitlisted = [(item, item.waitlisted) for item in facts.items if item.waitlisted]
    everything = [(item, item.requested or item.reserved or item.waitlisted) for item in facts.items]
    position = next((i.waitlist_position for i, _ in waitlisted if i.waitlist_position), None)
    values["minutes"] = _minutes_left(facts=facts, order=order, seller=seller, now=now)
    values["position"] = position if position is not None else "?"
    values["why"] = texts.rejection_hint(reasons=facts.rejected_reasons, language=language)
    overrides = seller.message_templates

    def fill(name: str, items: list[tuple[ItemFact, int]]) -> str:
        return texts.render(
            name=name,
            language=language,
            overrides=overrides,
            values={**values, "items": items_text(items) or ITEMS_FALLBACK[language]},
        )

    if reason == "claim" and not reserved and waitlisted:
        reason = "waitlisted"
    if reason == "claim" and not reserved:
        reason = "claim_rejected"
    if reason == "claim" and _buyer_already_answered(order=order, comment=comment, context=context):
        reason = "claim_added"
    values["_reason"] = reason
    values["replaced"] = ", ".join(facts.replaced)
    if facts.replaced and reason in ("claim", "claim_added", "waitlisted"):
        # a swap: one reply says what changed ("M → L"); the cart link and the hold stay as they were
        return fill("swapped" if reserved else "swapped_waitlisted", reserved or waitlisted or everything)
    if reason in ("claim", "claim_added"):
        text = fill(reason, reserved)
        if waitlisted:  # a partial claim: say both in the one reply the comment allows
            text = f"{text} {fill('waitlisted', waitlisted)}"
        return text
    if reason == "waitlisted":
        return fill("waitlisted", waitlisted or everything)
    if reason == "promoted":
        return fill("promoted", reserved or everything)
    if reason in ("claim_rejected", "cancelled", "expired", "refund_due"):
        return fill(reason, everything)
    if reason == "paid":
        return fill("paid", everything)
    return None


def _minutes_left(*, facts: DetailFacts, order: Order | None, seller: Seller, now: datetime) -> int:
    hold = facts.hold_expires_at
    if hold is None and order is not None:
        hold = (
            Reservation.objects.filter(order=order, status=Reservation.Status.RESERVED, hold_expires_at__gt=now)
            .order_by("hold_expires_at")
            .values_list("hold_expires_at", flat=True)
            .first()
        )
    if hold is None:
        return int(seller.hold_minutes)
    return max(1, math.ceil((hold - now).total_seconds() / 60))


def _buyer_already_answered(*, order: Order | None, comment: Comment | None, context: ComposeContext) -> bool:
    """A later claim in the same live: the buyer already got the long first reply for this cart."""
    if order is None:
        return False
    mine = comment.pk if comment is not None else None
    return any(other != mine or mine is None for other in context.answered.get(order.pk, ()))


def _question_answer(
    *, seller: Seller, facts: DetailFacts, comment: Comment | None, order: Order | None, language: str
) -> str | None:
    """Price and availability from the catalog, only when the seller turned answers on. A buyer asking about
    their own order in Messenger ("pagado?") is told its state."""
    overrides = seller.message_templates
    asks_about_order = not facts.codes and not facts.items
    if comment is not None and comment.kind == Comment.Kind.MESSAGE and order is not None and asks_about_order:
        status = texts.order_status_words(status=order.status, language=language)
        return texts.render(
            name="order_status",
            language=language,
            overrides=overrides,
            values={"seller": seller.name, "status": status},
        )
    if not seller.answer_questions:
        return None
    codes = list(facts.codes) or [item.code for item in facts.items if item.code]
    live = comment.live_session if comment is not None else None
    query = Product.objects.filter(active=True).prefetch_related("variants")
    product = None
    if codes:
        product = query.filter(code__iexact=codes[0]).first()
    elif isinstance(live, LiveSession) and live.featured_product_id:
        product = query.filter(pk=live.featured_product_id).first()
    if product is None:
        return None
    free = [v for v in product.variants.all() if v.stock_on_hand - v.reserved > 0]
    if free:
        labels = ", ".join(v.label for v in free if v.label) or str(sum(v.stock_on_hand - v.reserved for v in free))
        availability = texts.render(
            name="question_available", language=language, overrides=overrides, values={"variants": labels}
        )
    else:
        availability = texts.render(name="question_sold_out", language=language, overrides=overrides, values={})
    price = format_amount(product.price_minor, product.currency, language=language)
    return texts.render(
        name="question",
        language=language,
        overrides=overrides,
        values={"product": f"{product.code} {product.name}", "price": price, "availability": availability},
    )


def _addressed(
    *,
    reason: str,
    text: str,
    seller: Seller,
    comment: Comment | None,
    order: Order | None,
    cart_url: str,
    language: str,
    values: dict[str, object],
    now: datetime,
) -> ComposedReply | None:
    """Private reply to the comment; a message when the buyer wrote in Messenger or when there is no comment
    (only inside the 24-hour window: outside it the row is recorded as not sent)."""
    skip_code = ""
    if comment is not None and comment.kind == Comment.Kind.COMMENT:
        kind, recipient = OutboundMessage.Kind.PRIVATE_REPLY, comment.external_id
        platform, page_id = comment.platform, comment.page_external_id
    elif comment is not None:
        kind, recipient = OutboundMessage.Kind.MESSAGE, comment.author_platform_id
        platform, page_id = comment.platform, comment.page_external_id
    elif order is not None:
        kind, recipient = OutboundMessage.Kind.MESSAGE, order.buyer.platform_user_id
        platform, page_id = order.buyer.platform, order.live_session.page_external_id
        last = order.buyer.last_message_at
        if last is None or last < now - MESSAGING_WINDOW:
            skip_code = "window_closed"
    else:
        return None
    live = comment.live_session if comment is not None else (order.live_session if order else None)
    page_id = page_id or (live.page_external_id if live is not None else "") or _page_of(seller, platform)
    body = _body(
        text=text,
        cart_url=cart_url if reason in WITH_CART_BUTTON else "",
        platform=platform,
        language=language,
        overrides=seller.message_templates,
        reason=reason,
    )
    return ComposedReply(
        reason=reason,
        kind=kind,
        platform=platform,
        page_external_id=page_id,
        recipient_id=recipient,
        text=text,
        body=body,
        comment_id=comment.pk if comment is not None else None,
        order_id=order.pk if order is not None else None,
        skip_code=skip_code,
        values=values,
    )


def _page_of(seller: Seller, platform: str) -> str:
    binding = PageBinding.objects.filter(Q(seller=seller) & Q(platform=platform)).order_by("pk").first()
    return binding.external_id if binding else ""


def _body(*, text: str, cart_url: str, platform: str, language: str, overrides: object, reason: str) -> dict[str, Any]:
    """The Send API `message` object: a button template with the cart link on Facebook; Instagram gets the
    link in the text (its support for button templates is not confirmed for private replies)."""
    if not cart_url:
        return {"text": text}
    if platform == "instagram":
        return {"text": f"{text}\n{cart_url}"[: texts.TEXT_MAX]}
    title = texts.render(
        name="button_pay" if reason != "waitlisted" else "button_cart",
        language=language,
        overrides=overrides,
        values={},
        limit=20,
    )
    short = text if len(text) <= texts.BUTTON_TEXT_MAX else text[: texts.BUTTON_TEXT_MAX - 1] + "…"
    button = {"type": "web_url", "url": cart_url, "title": title}
    return {
        "attachment": {"type": "template", "payload": {"template_type": "button", "text": short, "buttons": [button]}}
    }
