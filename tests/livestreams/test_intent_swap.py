"""A swap or correction ("la L en vez de la M", "perdón, era la L") is its own action in the claims stage: the
old variant is released (to the waitlist) and the new one reserved in the same transaction, the new units keep
the old hold, and the buyer gets one reply that says what changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from core.streams import keys
from core.streams.connection import get_redis
from livestreams.decisions import catalog_cache_clear
from livestreams.models import Comment, LiveSession
from messenger import due
from messenger.models import OutboundMessage
from payments.models import Reservation
from pipeline.claims import ClaimOutcome, comments_claim, comments_decide
from pipeline.payments_stage import handle_claims_decided
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors


@pytest.fixture(autouse=True)
def _clean_streams_and_catalog() -> Iterator[None]:
    catalog_cache_clear()
    due.forget(schema_name="seller_a")
    yield
    client = get_redis()
    for key in client.scan_iter(match=f"{settings.STREAM_KEY_PREFIX}:*"):
        client.delete(key)
    due.forget(schema_name="seller_a")
    catalog_cache_clear()


def live_with(variants: dict[str, int]) -> LiveSession:
    product = make_product(code="A12", name="Blusa satinada", variants=variants)
    live = make_live()
    LiveSession.objects.filter(pk=live.pk).update(featured_product=product)
    live.refresh_from_db()
    return live


def claim(comment: Comment) -> ClaimOutcome:
    [outcome] = comments_claim(schema_name="seller_a", comments=[Comment.objects.get(pk=comment.pk)])
    return outcome


def held(author: str) -> list[tuple[str, str, int]]:
    """(variant, status, quantity) of the buyer's live reservations, in variant order."""
    return sorted(
        Reservation.objects.filter(order__buyer__platform_user_id=author, status__in=("reserved", "waitlisted"))
        .values_list("variant__label", "status", "quantity")
        .order_by("variant__label")
    )


def run_payments_stage() -> None:
    entries = [f for _id, f in get_redis().xrange(keys.stage_stream("payments", keys.shard_of("seller_a")))]
    handle_claims_decided(entries)


def test_la_l_en_vez_de_la_m_leaves_the_buyer_with_l_only_and_m_to_the_waitlist_with_one_reply(
    in_seller_a: Seller, django_capture_on_commit_callbacks: Any
) -> None:
    # given: Ana holds the only M, Bea waits for it
    live = live_with({"M": 1, "L": 3})
    initial = {v.pk: v.stock_on_hand for v in live.featured_product.variants.all()}  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        claim(make_comment(live=live, external_id="c1", author="psid-ana", text="yo en M"))
        claim(make_comment(live=live, external_id="c2", author="psid-bea", text="yo en M"))
    assert held("psid-bea") == [("M", "waitlisted", 1)]
    ana_hold = Reservation.objects.get(order__buyer__platform_user_id="psid-ana").hold_expires_at
    assert ana_hold is not None
    get_redis().delete(keys.stage_stream("payments", keys.shard_of("seller_a")))

    # when: Ana swaps
    swap = make_comment(live=live, external_id="c3", author="psid-ana", text="la L en vez de la M")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = claim(swap)
    with django_capture_on_commit_callbacks(execute=True):
        run_payments_stage()

    # then: Ana has L only, her M went to Bea, stock is conserved, and Ana keeps her hold
    assert outcome.intent == "purchase" and not outcome.needs_review
    assert held("psid-ana") == [("L", "reserved", 1)]
    assert held("psid-bea") == [("M", "reserved", 1)]
    assert stock_conservation_errors(initial=initial) == []
    new = Reservation.objects.get(source_comment=swap)
    assert abs((new.hold_expires_at - ana_hold).total_seconds()) < 1  # type: ignore[operator]
    assert (outcome.decision or {})["replaced"] == [
        {"code": "A12", "variant_label": "M", "quantity": 1, "previous_status": "reserved"}
    ]
    # one reply to Ana for the swap comment, saying what changed; Bea is told she got the M
    to_ana = OutboundMessage.objects.filter(comment_id=swap.pk)
    assert to_ana.count() == 1
    assert "A12 M → A12 L" in to_ana.get().text
    assert OutboundMessage.objects.filter(reason="promoted", recipient_id="psid-bea").count() == 1


def test_a_correction_without_the_old_size_replaces_whatever_size_the_buyer_held(in_seller_a: Seller) -> None:
    live = live_with({"M": 2, "L": 2})
    claim(make_comment(live=live, external_id="c1", author="psid-ana", text="yo en M"))

    outcome = claim(make_comment(live=live, external_id="c2", author="psid-ana", text="perdón, me equivoqué: era L"))

    assert outcome.intent == "purchase"
    assert held("psid-ana") == [("L", "reserved", 1)]


def test_a_redelivered_swap_releases_nothing_more(in_seller_a: Seller) -> None:
    live = live_with({"M": 2, "L": 2})
    claim(make_comment(live=live, external_id="c1", author="psid-ana", text="yo en M"))
    swap = make_comment(live=live, external_id="c2", author="psid-ana", text="cámbiame la M por la L")
    claim(swap)

    again = claim(swap)

    assert held("psid-ana") == [("L", "reserved", 1)]
    assert (again.decision or {}).get("replayed") is True


def test_a_swap_to_a_sold_out_size_releases_the_old_one_and_waits_in_line(in_seller_a: Seller) -> None:
    live = live_with({"M": 1, "L": 1})
    claim(make_comment(live=live, external_id="c1", author="psid-bea", text="yo en L"))
    claim(make_comment(live=live, external_id="c2", author="psid-ana", text="yo en M"))

    claim(make_comment(live=live, external_id="c3", author="psid-ana", text="mejor la L en vez de la M"))

    assert held("psid-ana") == [("L", "waitlisted", 1)]
    assert held("psid-bea") == [("L", "reserved", 1)]


def test_an_expired_hold_is_not_revived_by_a_swap(in_seller_a: Seller) -> None:
    live = live_with({"M": 2, "L": 2})
    claim(make_comment(live=live, external_id="c1", author="psid-ana", text="yo en M"))
    Reservation.objects.update(hold_expires_at=timezone.now() - timedelta(minutes=1))

    swap = make_comment(live=live, external_id="c2", author="psid-ana", text="la L en vez de la M")
    claim(swap)

    assert Reservation.objects.get(source_comment=swap).hold_expires_at > timezone.now()  # type: ignore[operator]


def test_a_swap_decided_before_it_was_stored_still_swaps(in_seller_a: Seller) -> None:
    # The claims stage's usual path: the comment is decided before it is stored (comments_decide) and
    # comments_claim then acts on the stored decision, which must carry what the swap replaces.
    live = live_with({"M": 2, "L": 2})
    claim(make_comment(live=live, external_id="c1", author="psid-ana", text="yo en M"))
    swap = make_comment(live=live, external_id="c2", author="psid-ana", text="la L en vez de la M")
    swap.is_candidate = True  # as the ingest prefilter marks it (a non-candidate is chatter at once)
    comments_decide(schema_name="seller_a", comments=[swap])
    Comment.objects.filter(pk=swap.pk).update(
        intent=swap.intent, parse_result=swap.parse_result, decided_at=swap.decided_at, needs_review=swap.needs_review
    )

    claim(swap)

    assert (swap.parse_result or {})["replaces"] == [{"code": "A12", "variant": "M", "qty": 1}]
    assert held("psid-ana") == [("L", "reserved", 1)]
