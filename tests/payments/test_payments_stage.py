"""The payments stage: each decided comment becomes reply work with the buyer's cart link, published to the
real "replies" stream (this run's Redis prefix) only after commit, once per comment."""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings
from django.utils import timezone

from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from livestreams.streams import keys
from livestreams.streams.events import ClaimDecided, ReplyWork
from payments.consumers import handle_claim_decided
from payments.models import ClaimReply, Reservation
from payments.reservations import ClaimPolicy, claim_reserve, reservation_cancel
from payments.services import reply_work_for_promotion
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


def replies_stream(schema: str) -> str:
    return keys.stage_stream("replies", keys.shard_of(schema))


class Replies:
    """Reads what was published to the seller's replies stream after this point."""

    def __init__(self, schema: str) -> None:
        self.client: redis.Redis = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        self.stream = replies_stream(schema)
        last: list[tuple[str, dict[str, str]]] = self.client.xrevrange(self.stream, count=1)  # type: ignore[assignment]
        self.since = last[0][0] if last else "0-0"

    def new(self) -> list[ReplyWork]:
        entries: list[tuple[str, dict[str, str]]] = self.client.xrange(self.stream, min=f"({self.since}")  # type: ignore[assignment]
        return [ReplyWork.from_fields(fields) for _, fields in entries]


def decided(comment: Comment, *, intent: str, decision: dict[str, Any] | None, needs_review: bool = False) -> dict:
    return ClaimDecided(
        schema="seller_a",
        comment_id=str(comment.pk),
        intent=intent,
        decision=json.dumps(decision) if decision is not None else "",
        needs_review="1" if needs_review else "0",
        received_time=str(timezone.now().timestamp()),
    ).to_fields()


def purchase(live: LiveSession, external_id: str, *items: ClaimItem) -> tuple[Comment, dict[str, Any]]:
    comment = make_comment(live=live, external_id=external_id, author=f"psid-{external_id}")
    return comment, claim_reserve(comment=comment, items=items, policy=POLICY, now=timezone.now()).as_dict()


def test_a_reserved_claim_gets_a_claim_reply_with_the_cart_link_after_commit(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    make_product(price_minor=29900, variants={"M": 5})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 2))
    replies = Replies("seller_a")

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(decided(comment, intent="purchase", decision=decision))
        assert replies.new() == []  # nothing leaves before the commit

    (work,) = replies.new()
    assert (work.reason, work.comment_id, work.order_id) == ("claim", str(comment.pk), str(decision["order_id"]))
    assert work.cart_url == f"http://seller-a.localhost:{settings.SELLER_URL_PORT}/c/{decision['order_token']}/"
    detail = json.loads(work.detail)
    assert (detail["total_minor"], detail["currency"], detail["language"]) == (59800, "MXN", "es")
    assert detail["reserved"][0]["hold_expires_at"] is not None
    assert detail["decision"]["items"][0]["status"] == "reserved"
    assert ClaimReply.objects.get(comment=comment).published_at is not None


def test_a_redelivered_decision_publishes_nothing_more(in_seller_a: Seller, django_capture_on_commit_callbacks) -> None:
    make_product(variants={"M": 5})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 1))
    replies = Replies("seller_a")
    fields = decided(comment, intent="purchase", decision=decision)

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(fields)
    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(fields)

    assert len(replies.new()) == 1


def test_a_decision_whose_publish_failed_is_published_on_redelivery(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    make_product(variants={"M": 5})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 1))
    replies = Replies("seller_a")
    fields = decided(comment, intent="purchase", decision=decision)

    with django_capture_on_commit_callbacks(execute=False):  # committed, but Redis never got the entry
        handle_claim_decided(fields)
    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(fields)

    assert [work.reason for work in replies.new()] == ["claim"]


def test_only_waitlisted_items_get_a_waitlisted_reply_with_their_place(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    make_product(variants={"M": 1})
    live = make_live()
    purchase(live, "c1", ClaimItem("A12", "M", 1))
    comment, decision = purchase(live, "c2", ClaimItem("A12", "M", 1))
    replies = Replies("seller_a")

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(decided(comment, intent="purchase", decision=decision))

    (work,) = replies.new()
    assert work.reason == "waitlisted"
    assert json.loads(work.detail)["waitlisted"][0]["waitlist_position"] == 1


def test_a_claim_with_nothing_reservable_gets_a_rejection_saying_why(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    make_product(variants={"M": 1, "L": 1})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", None, 1))
    replies = Replies("seller_a")

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(decided(comment, intent="purchase", decision=decision))

    (work,) = replies.new()
    assert (work.reason, work.order_id, work.cart_url) == ("claim_rejected", "", "")
    assert json.loads(work.detail)["rejected_reasons"] == ["variant_required"]


def test_a_comment_for_the_seller_to_review_gets_no_reply(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    comment = make_comment(live=make_live(), external_id="c1")
    replies = Replies("seller_a")

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(decided(comment, intent="purchase", decision=None, needs_review=True))

    assert replies.new() == []
    assert not ClaimReply.objects.filter(comment=comment).exists()


def test_a_cancel_gets_a_cancelled_reply_and_the_promoted_buyer_is_told(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    make_product(variants={"M": 1})
    live = make_live()
    first_comment, first = purchase(live, "c1", ClaimItem("A12", "M", 1))
    _, second = purchase(live, "c2", ClaimItem("A12", "M", 1))
    cancel = make_comment(live=live, external_id="c3", author=first_comment.author_platform_id, text="cancela")
    summary = reservation_cancel(comment=cancel, items=None, now=timezone.now())
    replies = Replies("seller_a")

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(
            decided(cancel, intent="cancel", decision={**summary.as_dict(), "order_id": first["order_id"]})
        )

    works = {work.reason: work for work in replies.new()}
    assert set(works) == {"cancelled", "promoted"}
    assert works["cancelled"].order_id == str(first["order_id"])
    assert json.loads(works["cancelled"].detail)["order_status"] == "cancelled"
    assert works["promoted"].order_id == str(second["order_id"])


def test_promotions_from_the_scheduler_get_one_reply_per_cart(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    make_product(variants={"M": 1})
    _, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 1))
    replies = Replies("seller_a")
    ids = list(Reservation.objects.filter(order_id=decision["order_id"]).values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        reply_work_for_promotion(reservation_ids=ids)

    (work,) = replies.new()
    assert work.reason == "promoted"
    assert json.loads(work.detail)["promoted_reservation_ids"] == ids
