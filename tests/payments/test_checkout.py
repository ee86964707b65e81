"""The cart page and the built-in (local) checkout, end to end through real HTTP handling (Django's test
client on the seller's host), and the order lifecycle behind them. Each test ends with stock conservation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from inventory.models import Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import LiveSession
from payments.models import CheckoutSession, Order, OrderEvent, Payment, Reservation
from payments.reservations import ClaimPolicy, claim_reserve, reservations_expire
from payments.services import (
    OrderTransitionError,
    checkout_start,
    order_mark_paid,
    order_transition,
)
from payments.trail import order_trail
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors
from tests.payments.test_checkout_support import Claimed, claimed

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


def claim(live: LiveSession, external_id: str, *items: ClaimItem, author: str | None = None) -> Claimed:
    comment = make_comment(live=live, external_id=external_id, author=author or f"psid-{external_id}")
    return claimed(claim_reserve(comment=comment, items=items, policy=POLICY, now=timezone.now()))


def seller_client(seller: Seller, *, accept_language: str = "") -> Client:
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    return Client(HTTP_HOST=seller.get_primary_domain().domain, **headers)  # type: ignore[arg-type]


def initial_of(*variants: Variant) -> dict[int, int]:
    return {v.pk: v.stock_on_hand for v in variants}


def test_local_checkout_end_to_end_claim_cart_page_pay_marks_order_paid_and_sells_stock(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    variant = make_product(code="A12", name="Blusa satinada", price_minor=29900, variants={"M": 3}).variants.get()
    initial = initial_of(variant)
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 2))
    client = seller_client(in_seller_a)

    page = client.get(f"/c/{decision.order_token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Blusa satinada" in html and "$598.00\xa0MXN" in html and "Boutique A" in html  # Spanish as in Mexico
    assert 'data-seconds-left="' in html
    assert page["Cache-Control"] == "no-store"

    to_checkout = client.post(f"/c/{decision.order_token}/pay/")
    assert to_checkout.status_code == 302
    checkout_page = client.get(to_checkout["Location"])
    assert checkout_page.status_code == 200
    assert "PAGO DE PRUEBA" in checkout_page.content.decode()  # the seller's language: the client sent none
    assert Order.objects.get(pk=decision.order_id).status == "awaiting_payment"

    with django_capture_on_commit_callbacks() as callbacks:
        paid = client.post(to_checkout["Location"])
    assert paid.status_code == 302 and paid["Location"].endswith("?notice=paid")

    order = Order.objects.get(pk=decision.order_id)
    assert order.status == "paid"
    variant.refresh_from_db()
    assert (variant.stock_on_hand, variant.reserved) == (1, 0)
    assert Reservation.objects.get(order=order).status == "paid"
    payment = Payment.objects.get(order=order)
    assert (payment.provider, payment.status, payment.amount_minor, payment.currency) == (
        "local",
        "succeeded",
        59800,
        "MXN",
    )
    assert [(e.from_status, e.to_status) for e in order.events.all()] == [
        ("open", "awaiting_payment"),
        ("awaiting_payment", "paid"),
    ]
    assert len(callbacks) == 1  # the "paid" reply, published after commit
    assert "¡Gracias! Tu pago está confirmado." in client.get(f"/c/{decision.order_token}/").content.decode()
    assert stock_conservation_errors(initial=initial) == []


def test_confirming_the_local_checkout_twice_pays_once(in_seller_a: Seller) -> None:
    variant = make_product(variants={"M": 2}).variants.get()
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    client = seller_client(in_seller_a)
    checkout_url = client.post(f"/c/{decision.order_token}/pay/")["Location"]

    client.post(checkout_url)
    again = client.post(checkout_url)

    assert again.status_code == 302
    variant.refresh_from_db()
    assert (variant.stock_on_hand, variant.reserved) == (1, 0)
    assert Payment.objects.filter(order_id=decision.order_id).count() == 1
    assert stock_conservation_errors(initial={variant.pk: 2}) == []


def test_cart_page_shows_waitlisted_items_with_their_place_in_line(in_seller_a: Seller) -> None:
    make_product(variants={"M": 1})
    live = make_live()
    claim(live, "c1", ClaimItem("A12", "M", 1))
    claim(live, "c2", ClaimItem("A12", "M", 1))
    third = claim(live, "c3", ClaimItem("A12", "M", 1))

    html = seller_client(in_seller_a).get(f"/c/{third.order_token}/").content.decode()

    assert "En lista de espera" in html and "Lugar en la fila: 2" in html
    assert "/pay/" not in html  # nothing reserved, nothing to pay


def test_buyer_removes_an_item_and_its_unit_goes_to_the_first_in_line(
    in_seller_a: Seller, django_capture_on_commit_callbacks
) -> None:
    variant = make_product(variants={"M": 1}).variants.get()
    live = make_live()
    first = claim(live, "c1", ClaimItem("A12", "M", 1))
    second = claim(live, "c2", ClaimItem("A12", "M", 1))
    mine = Reservation.objects.get(order_id=first.order_id)

    with django_capture_on_commit_callbacks() as callbacks:
        response = seller_client(in_seller_a).post(f"/c/{first.order_token}/items/{mine.pk}/remove/")

    assert response["Location"].endswith("?notice=removed")
    assert Order.objects.get(pk=first.order_id).status == "cancelled"
    assert Reservation.objects.get(order_id=second.order_id).status == "reserved"
    assert len(callbacks) >= 2  # the "cancelled" reply to the first buyer and "promoted" to the second
    assert stock_conservation_errors(initial={variant.pk: 1}) == []


def test_cart_page_speaks_the_buyers_browser_language_else_the_sellers(in_seller_a: Seller) -> None:
    make_product(variants={"M": 1})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))

    default = seller_client(in_seller_a).get(f"/c/{decision.order_token}/")
    portuguese = seller_client(in_seller_a, accept_language="pt-BR,pt;q=0.9,en;q=0.5").get(
        f"/c/{decision.order_token}/"
    )
    unsupported = seller_client(in_seller_a, accept_language="de-DE").get(f"/c/{decision.order_token}/")

    assert re.search(r'<html lang="es">', default.content.decode())
    assert re.search(r'<html lang="pt">', portuguese.content.decode())
    assert unsupported["Content-Language"] == "es"


def test_an_unknown_cart_token_is_not_found(in_seller_a: Seller) -> None:
    assert seller_client(in_seller_a).get("/c/not-a-real-token/").status_code == 404


@pytest.mark.parametrize(
    ("accept_language", "headline"),
    [
        ("es-MX,es;q=0.9", "Este enlace no es válido o ya venció"),
        ("pt-BR", "Este link não é válido ou expirou"),
        ("en-US", "This link is not valid or has expired"),
    ],
)
def test_a_bad_cart_link_gets_a_translated_page_even_with_debug_on(
    in_seller_a: Seller, settings: object, accept_language: str, headline: str
) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]  # the demo runs with DEBUG: no Django debug page for buyers
    client = seller_client(in_seller_a, accept_language=accept_language)

    for response in (
        client.get("/c/not-a-real-token/"),
        client.post("/c/not-a-real-token/pay/"),
        client.post("/c/not-a-real-token/items/1/remove/"),
        client.get("/c/not-a-real-token/checkout/local_x/"),
    ):
        html = response.content.decode()
        assert response.status_code == 404
        assert f"<h1>{headline}</h1>" in html and "Boutique A" in html
        assert "URLconf" not in html
        assert (response["Cache-Control"], response["Referrer-Policy"]) == ("no-store", "same-origin")


def test_every_buyer_response_is_never_cached_and_never_leaks_its_address(in_seller_a: Seller) -> None:
    make_product(variants={"M": 3})
    live = make_live()
    decision = claim(live, "c1", ClaimItem("A12", "M", 1))
    waiting_product = make_product(code="W1", variants={"U": 0})
    claim(live, "c2", ClaimItem("W1", "U", 1), author="psid-c1")
    waiting = Reservation.objects.get(variant__product=waiting_product)
    client = seller_client(in_seller_a)
    token = decision.order_token

    cart = client.get(f"/c/{token}/")
    left = client.post(f"/c/{token}/items/{waiting.pk}/remove/")
    to_checkout = client.post(f"/c/{token}/pay/")
    checkout = client.get(to_checkout["Location"])
    paid = client.post(to_checkout["Location"])
    receipt = client.get(paid["Location"])

    assert left["Location"].endswith("?notice=left_line")
    for response in (cart, left, to_checkout, checkout, paid, receipt):
        assert response["Cache-Control"] == "no-store", response
        assert response["Referrer-Policy"] == "same-origin", response  # forms post with their Origin
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    for page in (cart, checkout, receipt):
        assert 'name="referrer"' not in page.content.decode()  # no <meta> overriding the header


def test_a_cart_whose_contents_changed_refuses_the_old_local_checkout(in_seller_a: Seller) -> None:
    make_product(variants={"M": 3})
    make_product(code="B7", variants={"S": 3})
    live = make_live()
    decision = claim(live, "c1", ClaimItem("A12", "M", 1), ClaimItem("B7", "S", 1))
    client = seller_client(in_seller_a)
    old_checkout = client.post(f"/c/{decision.order_token}/pay/")["Location"]
    removed = Reservation.objects.filter(order_id=decision.order_id).order_by("pk").last()
    assert removed is not None
    client.post(f"/c/{decision.order_token}/items/{removed.pk}/remove/")

    refused = client.post(old_checkout)

    assert refused["Location"].endswith("?error=cart_changed")
    assert Order.objects.get(pk=decision.order_id).status == "awaiting_payment"
    new_checkout = client.post(f"/c/{decision.order_token}/pay/")["Location"]
    assert new_checkout != old_checkout
    client.post(new_checkout)
    assert Order.objects.get(pk=decision.order_id).status == "paid"


def test_payment_after_the_hold_expired_is_honoured_when_the_units_are_still_free(in_seller_a: Seller) -> None:
    variant = make_product(variants={"M": 2}).variants.get()
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    assert decision.order_id is not None
    start = checkout_start(order_id=decision.order_id, now=timezone.now())
    session = CheckoutSession.objects.get(pk=start.session_id)
    reservations_expire(now=timezone.now() + timedelta(minutes=16))
    assert Order.objects.get(pk=decision.order_id).status == "expired"

    outcome = order_mark_paid(
        order_id=decision.order_id,
        provider="local",
        external_id=session.external_id,
        amount_minor=session.amount_minor,
        currency=session.currency,
        cause="test",
    )

    assert outcome.status == "paid"
    assert Order.objects.get(pk=decision.order_id).status == "paid"
    variant.refresh_from_db()
    assert (variant.stock_on_hand, variant.reserved) == (1, 0)
    assert stock_conservation_errors(initial={variant.pk: 2}) == []


def test_payment_after_the_hold_expired_and_the_unit_went_to_the_waitlist_flags_a_refund(
    in_seller_a: Seller,
) -> None:
    variant = make_product(variants={"M": 1}).variants.get()
    live = make_live()
    late = claim(live, "c1", ClaimItem("A12", "M", 1))
    waiting = claim(live, "c2", ClaimItem("A12", "M", 1))
    assert late.order_id is not None
    session = CheckoutSession.objects.get(pk=checkout_start(order_id=late.order_id, now=timezone.now()).session_id)
    reservations_expire(now=timezone.now() + timedelta(minutes=16))

    outcome = order_mark_paid(
        order_id=late.order_id,
        provider="local",
        external_id=session.external_id,
        amount_minor=session.amount_minor,
        currency=session.currency,
        cause="test",
    )

    assert outcome.status == "refund_needed"
    order = Order.objects.get(pk=late.order_id)
    assert (order.status, order.needs_refund) == ("expired", True)
    assert Payment.objects.get(order=order).status == "refund_needed"
    assert Reservation.objects.get(order_id=waiting.order_id).status == "reserved"
    assert "refund it" in order_trail(order_id=order.pk).events[-1].cause
    assert stock_conservation_errors(initial={variant.pk: 1}) == []


def test_every_transition_is_recorded_with_its_cause_and_forbidden_ones_raise(in_seller_a: Seller) -> None:
    make_product(variants={"M": 1})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    order = Order.objects.get(pk=decision.order_id)

    assert order_transition(order=order, to_status="awaiting_payment", cause="checkout started", notify=False)
    with pytest.raises(OrderTransitionError):
        order_transition(order=order, to_status="open", cause="back")
    stale = Order.objects.get(pk=order.pk)
    stale.status = "open"  # a copy read before the transition: the conditional update matches nothing
    assert not order_transition(order=stale, to_status="cancelled", cause="late", notify=False)

    trail = order_trail(order_id=order.pk)
    assert [(e.from_status, e.to_status, e.cause) for e in trail.events] == [
        ("open", "awaiting_payment", "checkout started")
    ]
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_expired_holds_end_the_order_as_expired(in_seller_a: Seller, django_capture_on_commit_callbacks) -> None:
    variant = make_product(variants={"M": 2}).variants.get()
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 2))

    with django_capture_on_commit_callbacks() as callbacks:
        reservations_expire(now=timezone.now() + timedelta(minutes=16))

    assert Order.objects.get(pk=decision.order_id).status == "expired"
    assert len(callbacks) == 1  # the "expired" reply
    assert stock_conservation_errors(initial={variant.pk: 2}) == []
