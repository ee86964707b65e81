"""Claims reserve stock first come, first served; cancels, expiry and the waitlist move units between buyers.

Every test ends with the stock conservation check (initial = available + reserved + sold, and `reserved`
matches both the reserved reservations and the stock movements).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from inventory.models import Product, StockMovement, Variant
from inventory.services import stock_adjust
from livestreams.intent.types import ClaimItem
from livestreams.models import LiveSession
from payments.models import Order, Reservation
from payments.reservations import (
    PROVISIONAL_HOLD,
    ClaimPolicy,
    claim_policy_for,
    claim_reserve,
    live_holds_start,
    reservation_cancel,
    reservations_expire,
    waitlist_sweep,
)
from payments.selectors import waitlist_position
from payments.trail import order_trail
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


# Splitting a claim item into parts needs UNIQUE(source_comment, variant, part); the migrated constraint is
# still UNIQUE(source_comment, variant), so the second part is refused until the model is fixed.
def claim(live: LiveSession, external_id: str, *items: ClaimItem, author: str | None = None, policy=POLICY):
    comment = make_comment(live=live, external_id=external_id, author=author or f"psid-{external_id}")
    return comment, claim_reserve(comment=comment, items=items, policy=policy, now=timezone.now())


def variant_of(code: str, label: str = "M") -> Variant:
    return Variant.objects.get(product__code=code, label=label)


def test_claim_reserves_free_units_puts_them_in_the_buyers_cart_and_records_a_movement(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 5}).variants.get()
    live = make_live()

    comment, decision = claim(live, "c1", ClaimItem("a12", "m", 2))

    (item,) = decision.items
    assert (item.code, item.variant_label, item.status, item.reserved, item.waitlisted) == (
        "A12",
        "M",
        "reserved",
        2,
        0,
    )
    reservation = Reservation.objects.get(source_comment=comment)
    assert (reservation.part, reservation.status, reservation.quantity) == (0, "reserved", 2)
    assert reservation.order_id == decision.order_id
    assert Order.objects.get(pk=decision.order_id).token == decision.order_token
    assert reservation.hold_expires_at is not None
    assert reservation.hold_expires_at > timezone.now() + timedelta(minutes=14)
    movement = StockMovement.objects.get(reservation_id=reservation.pk)
    assert (movement.reason, movement.reserved_delta) == ("reservation", 2)
    variant.refresh_from_db()
    assert (variant.reserved, variant.available) == (2, 3)
    assert decision.as_dict()["items"][0]["status"] == "reserved"
    assert stock_conservation_errors(initial={variant.pk: 5}) == []


def test_second_claim_of_the_same_buyer_in_the_live_goes_into_the_same_cart(in_seller_a: Seller) -> None:
    make_product(code="A12", variants={"M": 5})
    live = make_live()

    _, first = claim(live, "c1", ClaimItem("A12", "M", 1), author="psid-ana")
    _, second = claim(live, "c2", ClaimItem("A12", "M", 1), author="psid-ana")

    assert first.order_id == second.order_id
    assert Order.objects.filter(live_session=live).count() == 1


def test_claim_for_more_than_is_free_reserves_what_is_left_and_waitlists_the_remainder(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 2}).variants.get()
    live = make_live()

    comment, decision = claim(live, "c1", ClaimItem("A12", "M", 3))

    (item,) = decision.items
    assert (item.status, item.reserved, item.waitlisted, item.waitlist_position) == ("partial", 2, 1, 1)
    parts = list(
        Reservation.objects.filter(source_comment=comment).order_by("part").values_list("part", "status", "quantity")
    )
    assert parts == [(0, "reserved", 2), (1, "waitlisted", 1)]
    assert stock_conservation_errors(initial={variant.pk: 2}) == []


def test_claim_on_a_sold_out_variant_is_waitlisted_with_its_place_in_line(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 1}).variants.get()
    live = make_live()
    claim(live, "c1", ClaimItem("A12", "M", 1))

    _, second = claim(live, "c2", ClaimItem("A12", "M", 1))
    third_comment, third = claim(live, "c3", ClaimItem("A12", "M", 2))

    assert (second.items[0].status, second.items[0].waitlist_position) == ("waitlisted", 1)
    assert (third.items[0].status, third.items[0].waitlisted, third.items[0].waitlist_position) == ("waitlisted", 2, 2)
    assert third.items[0].reason == "sold_out"
    assert Reservation.objects.get(source_comment=third_comment).hold_expires_at is None
    variant.refresh_from_db()
    assert variant.reserved == 1
    assert stock_conservation_errors(initial={variant.pk: 1}) == []


def test_unknown_code_unknown_variant_and_missing_variant_are_rejected_and_reserve_nothing(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 5, "L": 5})
    make_product(code="B7", variants={"": 3})
    Product.objects.filter(pk=make_product(code="OLD", variants={"": 3}).pk).update(active=False)
    live = make_live()

    _, decision = claim(
        live,
        "c1",
        ClaimItem("Z99", None, 1),
        ClaimItem("A12", "XXL", 1),
        ClaimItem("A12", None, 1),
        ClaimItem("OLD", None, 1),
        ClaimItem("b7", None, 1),
    )

    assert [(i.status, i.reason) for i in decision.items] == [
        ("rejected", "unknown_product"),
        ("rejected", "unknown_variant"),
        ("rejected", "variant_required"),
        ("rejected", "unknown_product"),
        ("reserved", ""),
    ]
    assert not Reservation.objects.filter(variant__product=product).exists()
    assert stock_conservation_errors(initial={v.pk: 5 for v in product.variants.all()}) == []


def test_claim_with_only_unknown_items_opens_no_cart(in_seller_a: Seller) -> None:
    live = make_live()

    _, decision = claim(live, "c1", ClaimItem("Z99", None, 1))

    assert (decision.order_id, decision.order_token, decision.items[0].reason) == (None, None, "unknown_product")
    assert not Order.objects.exists()


def test_quantity_above_the_per_claim_limit_is_capped_and_the_excess_rejected(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 20}).variants.get()
    live = make_live()

    _, decision = claim(live, "c1", ClaimItem("A12", "M", 8))

    (item,) = decision.items
    assert (item.requested, item.reserved, item.status, item.reason) == (8, 5, "reserved", "limit")
    assert stock_conservation_errors(initial={variant.pk: 20}) == []


def test_per_live_limit_counts_what_the_buyer_already_holds_and_waits_for(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 3, "L": 10})
    live = make_live()
    policy = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=6)
    claim(live, "c0", ClaimItem("A12", "M", 3), author="psid-other", policy=policy)
    claim(live, "c1", ClaimItem("A12", "M", 2), author="psid-ana", policy=policy)  # waitlisted, still counted
    claim(live, "c2", ClaimItem("A12", "L", 3), author="psid-ana", policy=policy)

    _, decision = claim(live, "c3", ClaimItem("A12", "L", 4), author="psid-ana", policy=policy)
    _, refused = claim(live, "c4", ClaimItem("A12", "L", 1), author="psid-ana", policy=policy)

    assert (decision.items[0].reserved, decision.items[0].reason) == (1, "limit")
    assert (refused.items[0].status, refused.items[0].reason, refused.items[0].reserved) == ("rejected", "limit", 0)
    assert stock_conservation_errors(initial={v.pk: v.stock_on_hand for v in product.variants.all()}) == []


def test_same_comment_claimed_three_times_reserves_once_and_leaves_stock_alone(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 5}).variants.get()
    live = make_live()
    comment, first = claim(live, "c1", ClaimItem("A12", "M", 2))

    repeats = [
        claim_reserve(comment=comment, items=[ClaimItem("A12", "M", 2)], policy=POLICY, now=timezone.now())
        for _ in range(2)
    ]

    assert Reservation.objects.filter(source_comment=comment).count() == 1
    assert [r.replayed for r in repeats] == [True, True]
    assert all(r.items == first.items and r.order_id == first.order_id for r in repeats)
    assert StockMovement.objects.filter(variant=variant).count() == 1
    variant.refresh_from_db()
    assert variant.reserved == 2
    assert stock_conservation_errors(initial={variant.pk: 5}) == []


def test_cancel_of_one_item_releases_it_and_promotes_the_earliest_waitlisted_claim(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 1, "L": 1})
    size_m, size_l = product.variants.get(label="M"), product.variants.get(label="L")
    live = make_live()
    claim(live, "c1", ClaimItem("A12", "M", 1), ClaimItem("A12", "L", 1), author="psid-ana")
    early_comment, _ = claim(live, "c2", ClaimItem("A12", "M", 1), author="psid-bea")
    late_comment, _ = claim(live, "c3", ClaimItem("A12", "M", 1), author="psid-cris")

    cancel = make_comment(live=live, external_id="c4", author="psid-ana", text="cancelo la A12 M")
    summary = reservation_cancel(comment=cancel, items=[ClaimItem("A12", "M", 1)], now=timezone.now())

    assert [(r.variant_id, r.previous_status) for r in summary.released] == [(size_m.pk, "reserved")]
    early = Reservation.objects.get(source_comment=early_comment)
    assert summary.promoted_ids == (early.pk,)
    assert (early.status, early.hold_expires_at is not None) == ("reserved", True)
    late = Reservation.objects.get(source_comment=late_comment)
    assert (late.status, waitlist_position(reservation=late)) == ("waitlisted", 1)
    assert Reservation.objects.get(variant=size_l, order__buyer__platform_user_id="psid-ana").status == "reserved"
    assert list(
        StockMovement.objects.filter(variant=size_m).order_by("id").values_list("reason", "reserved_delta")
    ) == [
        ("reservation", 1),
        ("release", -1),
        ("reservation", 1),
    ]
    assert stock_conservation_errors(initial={size_m.pk: 1, size_l.pk: 1}) == []


def test_cancel_without_items_releases_everything_the_buyer_holds_or_waits_for_in_the_live(in_seller_a: Seller) -> None:
    product = make_product(code="A12", variants={"M": 1, "L": 1})
    live = make_live()
    claim(live, "c0", ClaimItem("A12", "L", 1), author="psid-other")
    claim(live, "c1", ClaimItem("A12", "M", 1), ClaimItem("A12", "L", 1), author="psid-ana")

    cancel = make_comment(live=live, external_id="c2", author="psid-ana", text="cancelo todo")
    summary = reservation_cancel(comment=cancel, items=None, now=timezone.now())

    assert sorted(r.previous_status for r in summary.released) == ["reserved", "waitlisted"]
    assert not Reservation.objects.filter(
        order__buyer__platform_user_id="psid-ana", status__in=["reserved", "waitlisted"]
    ).exists()
    assert reservation_cancel(comment=cancel, items=None, now=timezone.now()).released == ()
    assert stock_conservation_errors(initial={v.pk: 1 for v in product.variants.all()}) == []


def test_expiry_releases_a_hold_once_even_when_run_twice_and_promotes_the_waitlist(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 1}).variants.get()
    live = make_live()
    holder, _ = claim(live, "c1", ClaimItem("A12", "M", 1))
    waiting, _ = claim(live, "c2", ClaimItem("A12", "M", 1))
    later = timezone.now() + timedelta(minutes=16)

    first = reservations_expire(now=later)
    second = reservations_expire(now=later)

    assert [r.reservation_id for r in first.released] == [Reservation.objects.get(source_comment=holder).pk]
    assert second.released == ()
    promoted = Reservation.objects.get(source_comment=waiting)
    assert first.promoted_ids == (promoted.pk,)
    assert promoted.status == "reserved"
    assert promoted.hold_expires_at is not None and promoted.hold_expires_at > later + timedelta(minutes=14)
    assert StockMovement.objects.filter(variant=variant, reason="release").count() == 1
    assert stock_conservation_errors(initial={variant.pk: 1}) == []


def test_hold_not_yet_expired_is_kept(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 1}).variants.get()
    live = make_live()
    claim(live, "c1", ClaimItem("A12", "M", 1))

    summary = reservations_expire(now=timezone.now() + timedelta(minutes=14))

    assert summary.released == ()
    assert Reservation.objects.get().status == "reserved"
    assert stock_conservation_errors(initial={variant.pk: 1}) == []


def test_expiry_gives_a_waitlisted_claim_a_partial_share_by_splitting_its_row(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 2}).variants.get()
    live = make_live()
    claim(live, "c1", ClaimItem("A12", "M", 2))
    waiting, _ = claim(live, "c2", ClaimItem("A12", "M", 3))

    summary = reservations_expire(now=timezone.now() + timedelta(minutes=16))

    rows = list(
        Reservation.objects.filter(source_comment=waiting).order_by("part").values_list("part", "status", "quantity")
    )
    assert rows == [(0, "waitlisted", 1), (1, "reserved", 2)]
    assert len(summary.promoted_ids) == 1
    assert stock_conservation_errors(initial={variant.pk: 2}) == []


def test_waitlist_is_served_strictly_in_arrival_order(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 1}).variants.get()
    live = make_live()
    claim(live, "c1", ClaimItem("A12", "M", 1))
    first, _ = claim(live, "c2", ClaimItem("A12", "M", 1))
    second, _ = claim(live, "c3", ClaimItem("A12", "M", 1))
    stock_adjust(variant_id=variant.pk, on_hand_delta=1, actor="owner@seller-a.localhost")

    _, newcomer = claim(live, "c4", ClaimItem("A12", "M", 1))
    promoted = waitlist_sweep(now=timezone.now())

    assert newcomer.items[0].status == "waitlisted"
    assert promoted == [Reservation.objects.get(source_comment=first).pk]
    assert Reservation.objects.get(source_comment=second).status == "waitlisted"
    assert stock_conservation_errors(initial={variant.pk: 2}) == []


def test_live_end_holds_are_provisional_during_the_live_and_count_from_its_end(in_seller_a: Seller) -> None:
    Seller.objects.filter(pk=in_seller_a.pk).update(hold_starts="live_end", hold_minutes=30)
    variant = make_product(code="A12", variants={"M": 2}).variants.get()
    live = make_live()
    policy = claim_policy_for(seller=Seller.objects.get(pk=in_seller_a.pk), live=live)
    now = timezone.now()
    comment = make_comment(live=live, external_id="c1")
    claim_reserve(comment=comment, items=[ClaimItem("A12", "M", 1)], policy=policy, now=now)
    assert Reservation.objects.get().hold_expires_at == now + PROVISIONAL_HOLD

    ended_at = now + timedelta(hours=2)
    LiveSession.objects.filter(pk=live.pk).update(status="ended", ended_at=ended_at)
    live.refresh_from_db()
    changed = live_holds_start(live=live, now=ended_at)

    assert changed == 1
    assert Reservation.objects.get().hold_expires_at == ended_at + timedelta(minutes=30)
    assert stock_conservation_errors(initial={variant.pk: 2}) == []


def test_live_hold_minutes_override_the_seller_default(in_seller_a: Seller) -> None:
    live = make_live()
    LiveSession.objects.filter(pk=live.pk).update(hold_minutes=7)
    live.refresh_from_db()

    policy = claim_policy_for(seller=in_seller_a, live=live)

    assert (policy.hold_minutes, policy.hold_starts) == (7, in_seller_a.hold_starts)
    assert policy.max_units_per_claim == in_seller_a.max_units_per_claim


def test_order_trail_follows_each_comment_to_its_reservation_and_stock_movements(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", variants={"M": 1}).variants.get()
    live = make_live()
    _, decision = claim(live, "c1", ClaimItem("A12", "M", 1), author="psid-ana")
    cancel = make_comment(live=live, external_id="c2", author="psid-ana", text="ya no")
    reservation_cancel(comment=cancel, items=None, now=timezone.now())

    assert decision.order_id is not None
    trail = order_trail(order_id=decision.order_id)

    (step,) = trail.reservations
    assert (step.comment_external_id, step.product_code, step.variant_label, step.status) == (
        "c1",
        "A12",
        "M",
        "released",
    )
    assert [(m.reason, m.reserved_delta) for m in step.movements] == [("reservation", 1), ("release", -1)]
    assert trail.as_dict()["buyer_platform_user_id"] == "psid-ana"
    assert stock_conservation_errors(initial={variant.pk: 1}) == []
