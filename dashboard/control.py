"""Writes from the seller's live control room: scheduling and starting lives, the featured product, and the
"needs review" resolutions. Each publishes a live event after commit so every open dashboard follows.

Preconditions: inside the seller's schema (a request on the seller's host, or `schema_context`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.live_events import publish_live_event
from inventory.models import Product, Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, FeaturedProductChange, LiveSession
from livestreams.services import live_session_end, log_live_change
from payments.models import Order, Reservation
from payments.reservations import ReleaseSummary, claim_policy_for, claim_reserve, reservation_cancel
from payments.selectors import stock_levels
from payments.services import order_refresh_status
from tenants.models import PageBinding, Seller
from tenants.selectors import current_schema, current_seller

logger = logging.getLogger(__name__)

RELEASABLE = [Reservation.Status.RESERVED, Reservation.Status.WAITLISTED]


class ControlError(Exception):
    """A control-room action that cannot be done; the message is shown to the seller."""


def _publish_on_commit(event: str, payload: dict[str, Any]) -> None:
    schema_name = current_schema()
    transaction.on_commit(lambda: publish_live_event(schema_name=schema_name, event=event, payload=payload))


def _publish_stock_on_commit(variant_ids: list[int]) -> None:
    if not variant_ids:
        return
    schema_name = current_schema()

    def send() -> None:
        rows = stock_levels(variant_ids=variant_ids)
        publish_live_event(schema_name=schema_name, event="stock", payload={"variants": rows})

    transaction.on_commit(send)


def live_session_schedule(
    *, seller: Seller, page_binding_id: int, title: str, platform_video_id: str = "", hold_minutes: int | None = None
) -> LiveSession:
    """A scheduled live on one of the seller's bound pages. With the video id known, Meta's "live" status
    for that video starts this session (livestreams.services.live_session_start finds it by video id)."""
    binding = PageBinding.objects.filter(pk=page_binding_id, seller=seller).first()
    if binding is None:
        raise ControlError(_("Choose one of your connected pages."))
    return LiveSession.objects.create(
        platform=binding.platform,
        page_external_id=binding.external_id,
        platform_video_id=platform_video_id.strip(),
        title=title.strip(),
        hold_minutes=hold_minutes,
        status=LiveSession.Status.SCHEDULED,
    )


def live_session_connect(*, live_id: int, platform_video_id: str) -> LiveSession:
    """Link a live to the platform's video, so Meta's "live" status for it starts this session."""
    video_id = platform_video_id.strip()
    taken = LiveSession.objects.filter(platform_video_id=video_id).exclude(pk=live_id).exists()
    if not video_id.isdigit() or taken:
        raise ControlError(_("Enter the live video's numeric id (one not used by another live)."))
    LiveSession.objects.filter(pk=live_id).exclude(status=LiveSession.Status.ENDED).update(platform_video_id=video_id)
    return LiveSession.objects.get(pk=live_id)


@transaction.atomic
def live_session_go_live(*, live_id: int, now: datetime | None = None) -> LiveSession:
    """Put a scheduled live on air; the page's other live, if any, is ended (one live per page)."""
    now = now or timezone.now()
    live = LiveSession.objects.select_for_update().get(pk=live_id)
    if live.status == LiveSession.Status.LIVE:
        return live
    if live.status == LiveSession.Status.ENDED:
        raise ControlError(_("This live has ended; schedule a new one."))
    for other in LiveSession.objects.select_for_update().filter(
        platform=live.platform, page_external_id=live.page_external_id, status=LiveSession.Status.LIVE
    ):
        live_session_end(live=other, now=now)
    LiveSession.objects.filter(pk=live.pk, status=LiveSession.Status.SCHEDULED).update(
        status=LiveSession.Status.LIVE, started_at=now
    )
    live.refresh_from_db()
    log_live_change("live_started", live)
    _publish_on_commit("live", {"live_id": live.pk, "status": live.status})
    return live


def live_session_stop(*, live_id: int, now: datetime | None = None) -> LiveSession:
    live = live_session_end(live=LiveSession.objects.get(pk=live_id), now=now)
    _publish_on_commit("live", {"live_id": live.pk, "status": live.status})
    return live


@transaction.atomic
def live_session_feature(*, live_id: int, product_id: int | None) -> LiveSession:
    """Set the product on camera (None: nothing featured). Comments that name no product claim it."""
    product = Product.objects.filter(pk=product_id).first() if product_id is not None else None
    if product_id is not None and product is None:
        raise ControlError(_("That product does not exist."))
    if LiveSession.objects.filter(pk=live_id).update(featured_product=product) != 1:
        raise ControlError(_("That live does not exist."))
    FeaturedProductChange.objects.create(live_session_id=live_id, product=product, changed_at=timezone.now())
    _publish_on_commit(
        "featured",
        {
            "live_id": live_id,
            "product_id": product.pk if product else None,
            "code": product.code if product else "",
            "name": product.name if product else "",
        },
    )
    return LiveSession.objects.select_related("featured_product").get(pk=live_id)


def review_resolve(*, comment_id: int, variant_id: int, quantity: int, actor: str) -> dict[str, Any]:
    """The seller decides an unsure comment is a claim of `quantity` x variant: reserve it like the engine
    would (same service, same limits, same idempotency) and take it off the review list."""
    if quantity < 1:
        raise ControlError(_("The quantity must be at least 1."))
    comment = Comment.objects.select_related("live_session").filter(pk=comment_id).first()
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if comment is None or variant is None:
        raise ControlError(_("That comment or variant does not exist."))
    if comment.live_session is None:
        raise ControlError(_("This comment is not part of a live."))
    seller = current_seller()
    item = ClaimItem(code=variant.product.code, variant=variant.label or None, qty=quantity)
    with transaction.atomic():
        decision = claim_reserve(
            comment=comment,
            items=[item],
            policy=claim_policy_for(seller=seller, live=comment.live_session),
            now=timezone.now(),
        )
        parse_result = {
            **(comment.parse_result or {}),
            "items": [{"code": item.code, "variant": item.variant, "qty": item.qty}],
            "engine": "seller",
            "resolved_by": actor,
        }
        Comment.objects.filter(pk=comment.pk).update(
            intent=Comment.Intent.PURCHASE, parse_result=parse_result, needs_review=False
        )
        payload = _decision_payload(comment, intent=Comment.Intent.PURCHASE, engine="seller", items=decision.as_dict())
        _publish_on_commit("decision", payload)
        _publish_stock_on_commit([i.variant_id for i in decision.items if i.variant_id])
    return decision.as_dict()


def review_dismiss(*, comment_id: int, actor: str) -> None:
    """Not a claim after all: take the comment off the review list as noise."""
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None:
        raise ControlError(_("That comment does not exist."))
    with transaction.atomic():
        parse_result = {**(comment.parse_result or {}), "engine": "seller", "resolved_by": actor}
        Comment.objects.filter(pk=comment.pk).update(
            intent=Comment.Intent.OTHER, parse_result=parse_result, needs_review=False
        )
        _publish_on_commit("decision", _decision_payload(comment, intent=Comment.Intent.OTHER, engine="seller"))


def _decision_payload(
    comment: Comment, *, intent: str, engine: str, items: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "comment_id": comment.pk,
        "live_id": comment.live_session_id,
        "intent": intent,
        "engine": engine,
        "confidence": 1.0,
        "needs_review": False,
        "items": (items or {}).get("items", []),
        "latency_ms": None,
    }


def order_cancel(*, order_id: int, actor: str, now: datetime | None = None) -> ReleaseSummary:
    """The seller cancels a cart: its reserved units and waitlist places are released through the buyer-cancel
    service (which also promotes the waitlists), then the order follows its reservations to `cancelled`
    (payments.services.order_refresh_status, which notifies the buyer). A paid order is left alone."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        source = (
            Comment.objects.filter(reservations__order=order, reservations__status__in=RELEASABLE)
            .order_by("pk")
            .first()
        )
        if order.status not in (Order.Status.OPEN, Order.Status.AWAITING_PAYMENT) or source is None:
            raise ControlError(_("This order holds nothing to release."))
        summary = reservation_cancel(comment=source, items=None, now=now or timezone.now())
        status = order_refresh_status(
            order_id=order.pk, cause=f"cancelled by {actor} from the dashboard", ended_as=Order.Status.CANCELLED
        )
        _publish_stock_on_commit(sorted({r.variant_id for r in summary.released}))
        _publish_on_commit("order", {"id": order.pk, "status": status, "total_minor": None, "currency": ""})
    return summary
