"""The database itself refuses wrong states, whatever the code above it does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.models import Product, Variant
from messenger.models import OutboundMessage
from payments.models import Order, Reservation
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_order, make_product


def refused(write: Callable[[], object]) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_reserved_above_stock_on_hand_is_refused(in_seller_a: Seller) -> None:
    variant = make_product(variants={"M": 2}).variants.get()

    assert refused(lambda: Variant.objects.filter(pk=variant.pk).update(reserved=3))
    assert refused(lambda: Variant.objects.filter(pk=variant.pk).update(reserved=-1))
    assert not refused(lambda: Variant.objects.filter(pk=variant.pk).update(reserved=2))


def test_product_code_is_unique_ignoring_case(in_seller_a: Seller) -> None:
    make_product(code="A12")

    assert refused(lambda: Product.objects.create(code="a12", name="x", price_minor=1, currency="MXN"))


def test_negative_price_and_bad_currency_are_refused(in_seller_a: Seller) -> None:
    assert refused(lambda: Product.objects.create(code="N1", name="x", price_minor=-1, currency="MXN"))
    assert refused(lambda: Product.objects.create(code="N2", name="x", price_minor=1, currency="mx"))


def test_same_comment_cannot_reserve_the_same_variant_twice(in_seller_a: Seller) -> None:
    variant = make_product().variants.get()
    live = make_live()
    comment = make_comment(live=live)
    order = make_order(live=live)
    hold = timezone.now() + timedelta(minutes=15)
    Reservation.objects.create(
        order=order, variant=variant, source_comment=comment, quantity=1, status="reserved", hold_expires_at=hold
    )

    assert refused(
        lambda: Reservation.objects.create(
            order=order, variant=variant, source_comment=comment, quantity=1, status="reserved", hold_expires_at=hold
        )
    )


def test_reserved_reservation_needs_a_hold_expiry_and_positive_quantity(in_seller_a: Seller) -> None:
    variant = make_product().variants.get()
    live = make_live()
    order = make_order(live=live)

    assert refused(
        lambda: Reservation.objects.create(
            order=order,
            variant=variant,
            source_comment=make_comment(live=live, external_id="c2"),
            quantity=1,
            status="reserved",
        )
    )
    assert refused(
        lambda: Reservation.objects.create(
            order=order,
            variant=variant,
            source_comment=make_comment(live=live, external_id="c3"),
            quantity=0,
            status="waitlisted",
        )
    )


def test_one_open_order_per_buyer_per_live(in_seller_a: Seller) -> None:
    live = make_live()
    order = make_order(live=live)

    assert refused(lambda: Order.objects.create(buyer=order.buyer, live_session=live))
    Order.objects.filter(pk=order.pk).update(status="paid")
    assert not refused(lambda: Order.objects.create(buyer=order.buyer, live_session=live))


def test_comment_external_id_is_stored_once(in_seller_a: Seller) -> None:
    live = make_live()
    make_comment(live=live, external_id="777_1")

    assert refused(lambda: make_comment(live=live, external_id="777_1"))


def test_one_live_at_a_time_per_page(in_seller_a: Seller) -> None:
    make_live(video_id="v1")

    assert refused(lambda: make_live(video_id="v2"))


def test_only_one_private_reply_per_comment(in_seller_a: Seller) -> None:
    comment = make_comment(live=make_live())

    def private_reply() -> OutboundMessage:
        return OutboundMessage.objects.create(
            platform="facebook",
            page_external_id="9001",
            recipient_id=comment.external_id,
            kind="private_reply",
            body={"text": "hola"},
            comment=comment,
        )

    private_reply()
    assert refused(private_reply)


def test_sent_message_must_carry_metas_message_id(in_seller_a: Seller) -> None:
    assert refused(
        lambda: OutboundMessage.objects.create(
            platform="facebook", page_external_id="9001", recipient_id="psid", kind="message", body={}, status="sent"
        )
    )
