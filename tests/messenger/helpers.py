"""Builders for the messenger tests: reply work as the payments stage (and every cart change) hands it to
`reply_work_enqueue`, and claimed comments."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from core.streams.events import ReplyWork
from livestreams.models import Comment, LiveSession
from payments.models import Order
from tests.factories import make_comment, make_order

CART_URL = "https://seller-a.localhost/cart/tok123/"


def item(
    code: str = "A12", label: str = "M", *, reserved: int = 1, waitlisted: int = 0, position: int | None = None
) -> dict[str, Any]:
    status = (
        "partial" if reserved and waitlisted else "reserved" if reserved else "waitlisted" if waitlisted else "rejected"
    )
    return {
        "code": code,
        "variant_label": label,
        "variant_id": None,
        "requested": reserved + waitlisted or 1,
        "reserved": reserved,
        "waitlisted": waitlisted,
        "status": status,
        "reason": "sold_out" if waitlisted else "",
        "waitlist_position": position,
    }


def detail(*items: dict[str, Any], minutes: int = 15, language: str = "") -> str:
    """The payments stage's detail: the claim decision, totals, currency, hold expiry, seller language."""
    hold = (timezone.now() + timedelta(minutes=minutes, seconds=30)).isoformat()
    return json.dumps(
        {
            "decision": {
                "comment_id": 1,
                "order_id": 1,
                "order_token": "tok123",
                "items": list(items),
                "replayed": False,
            },
            "totals": {"total_minor": 29900},
            "currency": "MXN",
            "hold_expires_at": hold,
            "language": language,
        }
    )


def reply_work(
    *,
    schema: str,
    reason: str,
    comment: Comment | None = None,
    order: Order | None = None,
    detail_json: str = "{}",
    cart_url: str = CART_URL,
) -> ReplyWork:
    return ReplyWork(
        schema=schema,
        reason=reason,
        comment_id=str(comment.pk) if comment else "",
        order_id=str(order.pk) if order else "",
        cart_url=cart_url,
        detail=detail_json,
    )


def claimed_comment(*, live: LiveSession, external_id: str, buyer: str = "psid-1") -> tuple[Comment, Order]:
    comment = make_comment(live=live, external_id=external_id, author=buyer)
    order = Order.objects.filter(buyer__platform_user_id=buyer, live_session=live).first() or make_order(
        live=live, buyer_id=buyer
    )
    return comment, order
