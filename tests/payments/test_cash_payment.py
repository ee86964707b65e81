"""The seller records a payment taken in cash: the same path as a provider's payment."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from livestreams.intent.types import ClaimItem
from payments.models import Order, Payment
from payments.reservations import ClaimPolicy, claim_reserve
from tenants.models import Seller
from tests.conftest import OWNER_PASSWORD
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


def test_marking_an_order_paid_in_cash_sells_its_units_and_records_the_payment(in_seller_a: Seller) -> None:
    variant = make_product(code="A12", price_minor=29900, variants={"M": 3}).variants.get()
    comment = make_comment(live=make_live(), external_id="c1")
    decision = claim_reserve(comment=comment, items=[ClaimItem("A12", "M", 2)], policy=POLICY, now=timezone.now())
    order_id = decision.order_id
    assert order_id is not None
    client = Client(HTTP_HOST="seller-a.localhost")
    client.post("/login/", {"username": "owner@seller-a.localhost", "password": OWNER_PASSWORD})

    page = client.get(f"/orders/{order_id}/")
    assert "paid-in-cash" in page.content.decode()
    response = client.post(f"/orders/{order_id}/paid-in-cash/")

    assert response.status_code == 302
    assert Order.objects.get(pk=order_id).status == "paid"
    payment = Payment.objects.get(order_id=order_id)
    assert (payment.provider, payment.status, payment.amount_minor) == ("cash", "succeeded", 59800)
    variant.refresh_from_db()
    assert (variant.stock_on_hand, variant.reserved) == (1, 0)
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_an_order_with_nothing_held_cannot_be_marked_paid(in_seller_a: Seller) -> None:
    order = Order.objects.create(buyer_id=_buyer(), live_session=make_live())
    client = Client(HTTP_HOST="seller-a.localhost")
    client.post("/login/", {"username": "owner@seller-a.localhost", "password": OWNER_PASSWORD})

    client.post(f"/orders/{order.pk}/paid-in-cash/")

    assert Order.objects.get(pk=order.pk).status == "open"
    assert not Payment.objects.exists()


def _buyer() -> int:
    from payments.models import Buyer

    return Buyer.objects.create(platform="facebook", platform_user_id="psid-empty").pk
