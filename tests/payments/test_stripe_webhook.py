"""POST /webhooks/stripe/ on the public host: events signed like Stripe signs them, from sessions the real
SDK created on the local fake. Every test that touches stock ends with the conservation check."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from inventory.models import StockMovement, Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import LiveSession
from payments import stripe_gateway
from payments.models import CheckoutSession, Order, Payment, ProviderEvent, Reservation
from payments.reservations import ClaimPolicy, claim_reserve, reservations_expire
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors
from tests.fakes.stripe_server import FakeStripe, sign, signed_event
from tests.payments.test_checkout_support import Claimed, claimed

ACCOUNT = "acct_1SellerA"
SECRET = "whsec_test_endpoint_secret"
POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


@pytest.fixture
def fake_stripe(settings) -> Iterator[FakeStripe]:  # type: ignore[no-untyped-def]
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = fake.api_key
        settings.STRIPE_API_BASE = fake.base_url
        settings.STRIPE_MAX_NETWORK_RETRIES = 2
        settings.STRIPE_WEBHOOK_SECRET = SECRET
        yield fake


@pytest.fixture
def stripe_seller(in_seller_a: Seller) -> Seller:
    Seller.objects.filter(pk=in_seller_a.pk).update(payment_provider="stripe", stripe_account_id=ACCOUNT)
    in_seller_a.refresh_from_db()
    return in_seller_a


def claim(live: LiveSession, external_id: str, *items: ClaimItem, author: str = "psid-buyer") -> Claimed:
    comment = make_comment(live=live, external_id=external_id, author=author)
    return claimed(claim_reserve(comment=comment, items=items, policy=POLICY, now=timezone.now()))


def start_checkout(seller: Seller, decision: Claimed) -> CheckoutSession:
    Client(HTTP_HOST=seller.get_primary_domain().domain).post(f"/c/{decision.order_token}/pay/")
    return CheckoutSession.objects.filter(order_id=decision.order_id).latest("pk")


def deliver(event: dict[str, Any], *, secret: str = SECRET, timestamp: int | None = None, header: str = "") -> Any:
    body, signature = signed_event(event, secret, timestamp=timestamp)
    response = Client(HTTP_HOST="localhost").post(
        "/webhooks/stripe/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header or signature
    )
    connection.set_schema("seller_a")  # type: ignore[attr-defined]  # the request left us on the public schema
    return response


@pytest.fixture
def sold_setup(stripe_seller: Seller, fake_stripe: FakeStripe) -> tuple[Variant, Claimed, CheckoutSession]:
    variant = make_product(price_minor=29900, variants={"M": 3}).variants.get()
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 2))
    return variant, decision, start_checkout(stripe_seller, decision)


def test_a_paid_checkout_marks_the_order_paid_and_sells_the_stock(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    variant, decision, session = sold_setup
    paid = fake_stripe.complete(session.external_id, account=ACCOUNT)

    response = deliver(fake_stripe.event("checkout.session.completed", paid))

    assert (response.status_code, response.json()["outcome"]) == (200, "paid")
    assert Order.objects.get(pk=decision.order_id).status == "paid"
    variant.refresh_from_db()
    assert (variant.stock_on_hand, variant.reserved) == (1, 0)
    assert Payment.objects.get(order_id=decision.order_id).status == "succeeded"
    assert StockMovement.objects.filter(variant=variant, reason="sale").count() == 1
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_a_wrong_signature_is_refused_and_changes_nothing(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    variant, decision, session = sold_setup
    paid = fake_stripe.complete(session.external_id, account=ACCOUNT)

    response = deliver(fake_stripe.event("checkout.session.completed", paid), secret="whsec_someone_else")
    missing = deliver(fake_stripe.event("checkout.session.completed", paid), header="t=1")

    assert (response.status_code, missing.status_code) == (400, 400)
    assert Order.objects.get(pk=decision.order_id).status == "awaiting_payment"
    assert not ProviderEvent.objects.exists()
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_a_stale_timestamp_is_refused(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    _, decision, session = sold_setup
    paid = fake_stripe.complete(session.external_id, account=ACCOUNT)

    response = deliver(fake_stripe.event("checkout.session.completed", paid), timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert Order.objects.get(pk=decision.order_id).status == "awaiting_payment"


def test_any_matching_v1_signature_is_accepted_while_secrets_roll(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    _, _, session = sold_setup
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(session.external_id, account=ACCOUNT))
    body, _ = signed_event(event, SECRET)
    header = sign(body.decode(), "whsec_old_secret", extra_secrets=(SECRET,))
    assert header.count("v1=") == 2

    response = deliver(event, header=header)

    assert response.json()["outcome"] == "paid"


def test_a_duplicate_delivery_is_applied_once(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    variant, _, session = sold_setup
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(session.external_id, account=ACCOUNT))

    first, second = deliver(event), deliver(event)

    assert (first.json()["outcome"], second.json()["outcome"]) == ("paid", "duplicate")
    assert StockMovement.objects.filter(variant=variant, reason="sale").count() == 1
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_delayed_payment_events_in_any_order_pay_once(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    variant, decision, session = sold_setup
    unpaid = fake_stripe.complete(session.external_id, account=ACCOUNT, payment_status="unpaid")
    completed = fake_stripe.event("checkout.session.completed", unpaid)
    succeeded = fake_stripe.event(
        "checkout.session.async_payment_succeeded", fake_stripe.settle(session.external_id, account=ACCOUNT)
    )
    expired = fake_stripe.event("checkout.session.expired", {**unpaid, "status": "expired"})

    outcomes = [deliver(e).json()["outcome"] for e in (succeeded, expired, completed)]

    assert outcomes == ["paid", "session expired", "payment pending"]
    assert Order.objects.get(pk=decision.order_id).status == "paid"
    assert Payment.objects.get(order_id=decision.order_id).status == "succeeded"
    assert StockMovement.objects.filter(variant=variant, reason="sale").count() == 1
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_a_completed_unpaid_checkout_waits_and_a_failed_payment_leaves_the_holds(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    variant, decision, session = sold_setup
    unpaid = fake_stripe.complete(session.external_id, account=ACCOUNT, payment_status="unpaid")

    pending = deliver(fake_stripe.event("checkout.session.completed", unpaid)).json()["outcome"]
    assert Payment.objects.get(order_id=decision.order_id).status == "pending"
    failed = deliver(fake_stripe.event("checkout.session.async_payment_failed", unpaid)).json()["outcome"]

    assert (pending, failed) == ("payment pending", "payment failed")
    assert Payment.objects.get(order_id=decision.order_id).status == "failed"
    assert Order.objects.get(pk=decision.order_id).status == "awaiting_payment"
    assert set(Reservation.objects.filter(order_id=decision.order_id).values_list("status", flat=True)) == {"reserved"}
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_an_expired_session_releases_nothing_still_held(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    variant, decision, session = sold_setup
    stripe_gateway.checkout_session_expire(session_id=session.external_id, stripe_account=ACCOUNT)
    expired = fake_stripe.session(session.external_id, account=ACCOUNT)

    response = deliver(fake_stripe.event("checkout.session.expired", expired))

    assert response.json()["outcome"] == "session expired"
    session.refresh_from_db()
    assert session.status == "expired"
    assert Reservation.objects.get(order_id=decision.order_id).status == "reserved"
    variant.refresh_from_db()
    assert variant.reserved == 2
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_a_payment_after_the_hold_expired_is_honoured_when_the_units_are_free(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    variant, decision, session = sold_setup
    reservations_expire(now=timezone.now() + timedelta(minutes=16))
    assert Order.objects.get(pk=decision.order_id).status == "expired"
    paid = fake_stripe.complete(session.external_id, account=ACCOUNT)

    response = deliver(fake_stripe.event("checkout.session.completed", paid))

    assert response.json()["outcome"] == "paid"
    assert Order.objects.get(pk=decision.order_id).status == "paid"
    variant.refresh_from_db()
    assert (variant.stock_on_hand, variant.reserved) == (1, 0)
    assert stock_conservation_errors(initial={variant.pk: 3}) == []


def test_a_late_payment_for_units_sold_to_someone_else_flags_a_refund(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    variant = make_product(variants={"M": 1}).variants.get()
    live = make_live()
    late = claim(live, "c1", ClaimItem("A12", "M", 1), author="psid-late")
    waiting = claim(live, "c2", ClaimItem("A12", "M", 1), author="psid-waiting")
    session = start_checkout(stripe_seller, late)
    reservations_expire(now=timezone.now() + timedelta(minutes=16))
    paid = fake_stripe.complete(session.external_id, account=ACCOUNT)

    response = deliver(fake_stripe.event("checkout.session.completed", paid))

    assert response.json()["outcome"] == "refund_needed"
    order = Order.objects.get(pk=late.order_id)
    assert (order.status, order.needs_refund) == ("expired", True)
    assert Payment.objects.get(order=order).status == "refund_needed"
    assert Reservation.objects.get(order_id=waiting.order_id).status == "reserved"
    assert stock_conservation_errors(initial={variant.pk: 1}) == []


def test_an_event_for_an_unknown_session_is_acknowledged_and_ignored(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    stranger = {"id": "cs_test_unknown", "object": "checkout.session", "metadata": {"seller_schema": "seller_a"}}
    no_metadata = {"id": "cs_test_other", "object": "checkout.session", "metadata": {}}

    known_seller = deliver(fake_stripe.event("checkout.session.completed", stranger, account=ACCOUNT))
    nobody = deliver(fake_stripe.event("checkout.session.completed", no_metadata, account="acct_nobody"))

    assert (known_seller.status_code, known_seller.json()["outcome"]) == (200, "unknown session")
    assert (nobody.status_code, nobody.json()["outcome"]) == (200, "unknown session")
    assert not Payment.objects.exists()


def test_an_event_from_another_connected_account_is_ignored(
    sold_setup: tuple[Variant, Claimed, CheckoutSession], fake_stripe: FakeStripe
) -> None:
    _, decision, session = sold_setup
    paid = fake_stripe.complete(session.external_id, account=ACCOUNT)

    response = deliver(fake_stripe.event("checkout.session.completed", paid, account="acct_intruder"))

    assert response.json()["outcome"] == "account mismatch"
    assert Order.objects.get(pk=decision.order_id).status == "awaiting_payment"
