"""The claims stage's decisions (`comments_claim`): a stored comment becomes a decision, a reservation in
arrival order, and a ClaimDecided for the payments stage — once in effect, whatever is redelivered. The
stage's consumer, from ingest to decisions, is tested in test_claims_consumer.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from core.streams import keys
from core.streams.connection import get_redis
from livestreams.models import Comment, LiveSession
from payments.models import Buyer, Reservation
from pipeline.claims import ClaimOutcome, comments_claim
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors


@pytest.fixture(autouse=True)
def _empty_streams() -> Iterator[None]:
    yield
    client = get_redis()
    for key in client.scan_iter(match=f"{settings.STREAM_KEY_PREFIX}:*"):
        client.delete(key)


def featured_live(code: str = "A12", variants: dict[str, int] | None = None) -> LiveSession:
    product = make_product(code=code, variants=variants or {"": 3})
    live = make_live()
    LiveSession.objects.filter(pk=live.pk).update(featured_product=product)
    live.refresh_from_db()
    return live


def stored(comment: Comment) -> Comment:
    """The comment as the claims stage reads it after storing it (a fresh row, not the test's object)."""
    return Comment.objects.get(pk=comment.pk)


def claim(comment: Comment) -> ClaimOutcome:
    [outcome] = comments_claim(schema_name="seller_a", comments=[stored(comment)])
    return outcome


def first_item_status(outcome: ClaimOutcome) -> str:
    assert outcome.decision is not None, outcome
    return str(outcome.decision["items"][0]["status"])


def payments_entries(schema: str) -> list[dict[str, str]]:
    return [f for _id, f in get_redis().xrange(keys.stage_stream("payments", keys.shard_of(schema)))]


def test_bare_mio_reserves_the_featured_product_and_hands_the_decision_on(
    in_seller_a: Seller, django_capture_on_commit_callbacks: Any
) -> None:
    live = featured_live()
    comment = make_comment(live=live, text="mío!!")

    with django_capture_on_commit_callbacks(execute=True):
        outcome = claim(comment)

    assert outcome.intent == "purchase" and not outcome.needs_review
    reservation = Reservation.objects.get(source_comment=comment)
    assert (reservation.status, reservation.quantity, reservation.variant.product.code) == ("reserved", 1, "A12")
    comment.refresh_from_db()
    assert comment.intent == "purchase" and comment.decided_at is not None
    assert (comment.parse_result or {})["items"] == [{"code": "A12", "variant": None, "qty": 1}]
    [entry] = payments_entries("seller_a")
    assert entry["type"] == "claim_decided.v1" and entry["comment_id"] == str(comment.pk)
    assert json.loads(entry["decision"])["items"][0]["status"] == "reserved"


def test_claims_are_decided_in_arrival_order_and_the_rest_waitlisted(in_seller_a: Seller) -> None:
    live = featured_live(variants={"M": 2, "G": 5})
    comments = [make_comment(live=live, external_id=f"c{n}", author=f"psid-{n}", text="yo en M") for n in range(4)]

    statuses = [first_item_status(claim(c)) for c in comments]

    assert statuses == ["reserved", "reserved", "waitlisted", "waitlisted"]


def test_consecutive_comments_decided_together_keep_arrival_order(
    in_seller_a: Seller, django_capture_on_commit_callbacks: Any
) -> None:
    live = featured_live(variants={"M": 2, "G": 5})
    comments = [make_comment(live=live, external_id=f"c{n}", author=f"psid-{n}", text="yo en M") for n in range(4)]

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = comments_claim(schema_name="seller_a", comments=[stored(c) for c in comments])

    assert [o.comment_id for o in outcomes] == [c.pk for c in comments]
    assert [first_item_status(o) for o in outcomes] == ["reserved", "reserved", "waitlisted", "waitlisted"]
    assert [e["comment_id"] for e in payments_entries("seller_a")] == [str(c.pk) for c in comments]


def test_a_comment_claimed_three_times_reserves_once(in_seller_a: Seller) -> None:
    live = featured_live(variants={"M": 5})
    comment = make_comment(live=live, text="quiero 2 en M")
    initial = {v.pk: v.stock_on_hand for v in live.featured_product.variants.all()}  # type: ignore[union-attr]

    outcomes = [claim(comment) for _ in range(3)]

    assert list(Reservation.objects.values_list("quantity", "status")) == [(2, "reserved")]
    assert stock_conservation_errors(initial=initial) == []
    assert [(o.decision or {}).get("replayed") for o in outcomes] == [False, True, True]
    assert {first_item_status(o) for o in outcomes} == {"reserved"}  # a replay repeats the first decision


def test_decision_latency_counts_from_when_the_webhook_received_the_comment(in_seller_a: Seller) -> None:
    live = featured_live()
    comment = make_comment(live=live, text="mío")
    Comment.objects.filter(pk=comment.pk).update(received_at=timezone.now() - timedelta(seconds=3))

    outcome = claim(comment)

    assert outcome.latency_ms is not None and 3000 <= outcome.latency_ms < 60_000
    comment.refresh_from_db()
    assert (comment.parse_result or {})["latency_ms"] == round(outcome.latency_ms, 1)


def test_cancel_comment_releases_the_buyers_reservation(in_seller_a: Seller) -> None:
    live = featured_live(variants={"M": 1})
    claim(make_comment(live=live, external_id="c1", author="ana", text="mía en M"))
    claim(make_comment(live=live, external_id="c2", author="bea", text="yo en M"))

    outcome = claim(make_comment(live=live, external_id="c3", author="ana", text="ya no la quiero, cancela"))

    assert outcome.intent == "cancel"
    by_author = dict(Reservation.objects.values_list("order__buyer__platform_user_id", "status"))
    assert by_author == {"ana": "released", "bea": "reserved"}  # the waitlisted buyer got the unit


def test_chatter_and_questions_reserve_nothing(in_seller_a: Seller) -> None:
    live = featured_live()

    intents = [
        claim(make_comment(live=live, external_id=f"q{n}", text=text)).intent
        for n, text in enumerate(["hay talla M de la A12?", "saludos desde Lima"])
    ]

    assert intents == ["question", "other"]
    assert not Reservation.objects.exists()


def test_a_message_opens_the_buyers_24_hour_window(in_seller_a: Seller) -> None:
    live = featured_live()
    comment = Comment.objects.create(
        live_session=None,
        kind="message",
        platform="facebook",
        page_external_id=live.page_external_id,
        external_id="m_1",
        author_platform_id="psid-9",
        text="hola, pagado?",
        received_at=timezone.now(),
    )

    claim(comment)

    assert Buyer.objects.get(platform_user_id="psid-9").last_message_at is not None


def test_a_comment_claims_what_was_on_camera_when_it_arrived_not_when_decided(in_seller_a: Seller) -> None:
    from dashboard.control import live_session_feature

    first, second = make_product(code="A10", variants={"": 2}), make_product(code="A11", variants={"": 2})
    live = make_live()
    live_session_feature(live_id=live.pk, product_id=first.pk)
    comment = make_comment(live=live, text="mío")
    Comment.objects.filter(pk=comment.pk).update(received_at=timezone.now())
    from livestreams.models import FeaturedProductChange

    FeaturedProductChange.objects.filter(product=first).update(changed_at=timezone.now() - timedelta(seconds=5))
    live_session_feature(live_id=live.pk, product_id=second.pk)  # switched before the pipeline got to it

    claim(comment)

    assert Reservation.objects.get(source_comment=comment).variant.product.code == "A10"


def test_a_batch_counts_what_each_buyer_already_holds_in_the_live_against_the_per_live_limit(
    in_seller_a: Seller,
) -> None:
    Seller.objects.filter(schema_name="seller_a").update(max_units_per_live=4)
    live = featured_live(variants={"M": 20})
    claim(make_comment(live=live, external_id="held", author="psid-ana", text="quiero 3 en M"))  # an earlier batch
    batch = [
        make_comment(live=live, external_id="ana-again", author="psid-ana", text="quiero 3 en M"),
        make_comment(live=live, external_id="bea", author="psid-bea", text="quiero 3 en M"),
        make_comment(live=live, external_id="ana-more", author="psid-ana", text="quiero 1 en M"),
    ]

    outcomes = comments_claim(schema_name="seller_a", comments=[stored(c) for c in batch])

    reserved = [(o.decision or {})["items"][0]["reserved"] for o in outcomes]
    assert reserved == [1, 3, 0]  # Ana held 3 of her 4; Bea held nothing
    assert Reservation.objects.filter(order__buyer__platform_user_id="psid-ana").count() == 2
