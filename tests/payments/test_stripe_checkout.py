"""Pay with Stripe: the real stripe SDK against the local stateful fake (tests/fakes/stripe_server.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from livestreams.intent.types import ClaimItem
from livestreams.models import LiveSession
from payments import stripe_gateway
from payments.models import CheckoutSession, Order, Reservation
from payments.reservations import ClaimPolicy, claim_reserve
from payments.services import checkout_sessions_expire_stale
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors
from tests.fakes.stripe_server import FakeStripe
from tests.payments.test_checkout_support import Claimed, claimed

ACCOUNT = "acct_1SellerA"
SHORT = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)
LONG = ClaimPolicy(hold_minutes=60, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


@pytest.fixture
def fake_stripe(settings) -> Iterator[FakeStripe]:  # type: ignore[no-untyped-def]
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = fake.api_key
        settings.STRIPE_API_BASE = fake.base_url
        settings.STRIPE_MAX_NETWORK_RETRIES = 2
        settings.STRIPE_TIMEOUT_SECONDS = 5
        settings.STRIPE_APPLICATION_FEE_PERCENT = 7.5
        yield fake


@pytest.fixture
def stripe_seller(in_seller_a: Seller) -> Seller:
    Seller.objects.filter(pk=in_seller_a.pk).update(payment_provider="stripe", stripe_account_id=ACCOUNT)
    in_seller_a.refresh_from_db()
    return in_seller_a


def claim(live: LiveSession, external_id: str, *items: ClaimItem, policy: ClaimPolicy = SHORT) -> Claimed:
    comment = make_comment(live=live, external_id=external_id, author="psid-buyer")
    return claimed(claim_reserve(comment=comment, items=items, policy=policy, now=timezone.now()))


def client_for(seller: Seller) -> Client:
    return Client(HTTP_HOST=seller.get_primary_domain().domain)


def test_pay_creates_a_session_on_the_connected_account_with_our_prices_fee_and_metadata(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    make_product(code="A12", name="Blusa", price_minor=29900, variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 2))

    response = client_for(stripe_seller).post(f"/c/{decision.order_token}/pay/")

    (session,) = fake_stripe.sessions(account=ACCOUNT)
    assert response.status_code == 302 and response["Location"] == session["url"]
    (request,) = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert request.headers["stripe-account"] == ACCOUNT
    assert request.headers["idempotency-key"].startswith(f"checkout:seller_a:{decision.order_id}:")
    form = request.form
    assert form["mode"] == "payment"
    assert form["line_items"] == [
        {
            "quantity": "2",
            "price_data": {"currency": "mxn", "unit_amount": "29900", "product_data": {"name": "A12 Blusa M"}},
        }
    ]
    assert form["payment_intent_data"]["application_fee_amount"] == str(round(59800 * 7.5 / 100))
    assert form["client_reference_id"] == str(decision.order_id)
    assert form["metadata"]["seller_schema"] == "seller_a" and form["metadata"]["order_id"] == str(decision.order_id)
    assert form["success_url"].endswith(f"/c/{decision.order_token}/?checkout=success")
    assert form["cancel_url"].endswith(f"/c/{decision.order_token}/?checkout=cancelled")
    assert "expires_at" not in form  # a 15-minute hold is shorter than Stripe allows: we expire it ourselves
    assert session["amount_total"] == 59800
    assert Order.objects.get(pk=decision.order_id).status == "awaiting_payment"


def test_a_hold_stripe_can_express_becomes_the_sessions_expires_at(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    make_product(variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1), policy=LONG)

    client_for(stripe_seller).post(f"/c/{decision.order_token}/pay/")

    (session,) = fake_stripe.sessions(account=ACCOUNT)
    hold = Reservation.objects.get(order_id=decision.order_id).hold_expires_at
    assert hold is not None and session["expires_at"] == int(hold.timestamp())


def test_pressing_pay_again_on_an_unchanged_cart_reuses_the_session(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    make_product(variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    client = client_for(stripe_seller)

    first = client.post(f"/c/{decision.order_token}/pay/")
    second = client.post(f"/c/{decision.order_token}/pay/")

    assert first["Location"] == second["Location"]
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 1


def test_the_sdk_retries_server_errors_with_the_same_idempotency_key(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    make_product(variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    fake_stripe.fail_next(status=500, times=2)

    response = client_for(stripe_seller).post(f"/c/{decision.order_token}/pay/")

    calls = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert [c.status for c in calls] == [500, 500, 200]
    assert len({c.headers["idempotency-key"] for c in calls}) == 1
    assert response["Location"].startswith("https://checkout.stripe.test/")


def test_a_rate_limit_marked_retryable_is_retried_by_the_sdk(stripe_seller: Seller, fake_stripe: FakeStripe) -> None:
    make_product(variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    fake_stripe.fail_next(status=429, times=1, should_retry=True)

    response = client_for(stripe_seller).post(f"/c/{decision.order_token}/pay/")

    assert [c.status for c in fake_stripe.calls("POST", "/v1/checkout/sessions")] == [429, 200]
    assert response["Location"].startswith("https://checkout.stripe.test/")


def test_an_outage_longer_than_the_retries_asks_the_buyer_to_try_again_and_the_retry_replays_the_same_request(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    make_product(variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    client = client_for(stripe_seller)
    fake_stripe.fail_next(status=429, times=1)  # a plain 429: the SDK does not retry it

    busy = client.post(f"/c/{decision.order_token}/pay/")
    assert busy["Location"].endswith("?error=provider_unavailable")
    assert "El servicio de pago está ocupado" in client.get(busy["Location"]).content.decode()  # seller: es
    later = client.post(f"/c/{decision.order_token}/pay/")

    calls = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].headers["idempotency-key"] == calls[1].headers["idempotency-key"]
    assert calls[0].form == calls[1].form
    assert later["Location"].startswith("https://checkout.stripe.test/")
    assert CheckoutSession.objects.get(order_id=decision.order_id).status == "open"


def test_same_idempotency_key_replays_and_other_parameters_are_refused(fake_stripe: FakeStripe, settings) -> None:  # type: ignore[no-untyped-def]
    params = {
        "mode": "payment",
        "line_items": [
            {"quantity": 1, "price_data": {"currency": "mxn", "unit_amount": 100, "product_data": {"name": "x"}}}
        ],
        "success_url": "http://x/",
    }

    first = stripe_gateway.checkout_session_create(params=params, idempotency_key="k-1", stripe_account=ACCOUNT)
    replay = stripe_gateway.checkout_session_create(params=params, idempotency_key="k-1", stripe_account=ACCOUNT)
    with pytest.raises(stripe_gateway.StripeTerminalError, match="IdempotencyError"):
        stripe_gateway.checkout_session_create(
            params={**params, "client_reference_id": "other"}, idempotency_key="k-1", stripe_account=ACCOUNT
        )

    assert first.id == replay.id and len(fake_stripe.sessions(account=ACCOUNT)) == 1


def test_expires_at_outside_stripes_bounds_is_refused(fake_stripe: FakeStripe) -> None:
    params = {
        "mode": "payment",
        "line_items": [
            {"quantity": 1, "price_data": {"currency": "mxn", "unit_amount": 100, "product_data": {"name": "x"}}}
        ],
        "expires_at": int(time.time()) + 10 * 60,
    }

    with pytest.raises(stripe_gateway.StripeTerminalError, match="30 minutes"):
        stripe_gateway.checkout_session_create(params=params, idempotency_key="k-2", stripe_account=ACCOUNT)
    with pytest.raises(stripe_gateway.StripeTerminalError, match="30 minutes"):
        stripe_gateway.checkout_session_create(
            params={**params, "expires_at": int(time.time()) + 25 * 3600}, idempotency_key="k-3", stripe_account=ACCOUNT
        )


def test_sessions_live_on_their_connected_account_only(stripe_seller: Seller, fake_stripe: FakeStripe) -> None:
    make_product(variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    client_for(stripe_seller).post(f"/c/{decision.order_token}/pay/")
    session = CheckoutSession.objects.get(order_id=decision.order_id)

    with pytest.raises(stripe_gateway.StripeTerminalError, match=r"No such checkout\.session"):
        stripe_gateway.checkout_session_retrieve(session_id=session.external_id, stripe_account="")
    assert (
        stripe_gateway.checkout_session_retrieve(session_id=session.external_id, stripe_account=ACCOUNT).status
        == "open"
    )


def test_a_session_is_expired_through_the_api_when_the_hold_ends(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    variant = make_product(variants={"M": 5}).variants.get()
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))
    client_for(stripe_seller).post(f"/c/{decision.order_token}/pay/")
    session = CheckoutSession.objects.get(order_id=decision.order_id)

    assert checkout_sessions_expire_stale(now=timezone.now()) == 0
    assert checkout_sessions_expire_stale(now=timezone.now() + timedelta(minutes=15, seconds=1)) == 1

    assert fake_stripe.session(session.external_id, account=ACCOUNT)["status"] == "expired"
    session.refresh_from_db()
    assert session.status == "expired"
    assert Reservation.objects.get(order_id=decision.order_id).status == "reserved"  # holds are the scheduler's
    assert stock_conservation_errors(initial={variant.pk: 5}) == []


def test_a_changed_cart_gets_a_new_session_and_the_old_one_is_expired(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    make_product(variants={"M": 5})
    make_product(code="B7", variants={"S": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1), ClaimItem("B7", "S", 1))
    client = client_for(stripe_seller)
    client.post(f"/c/{decision.order_token}/pay/")
    old = CheckoutSession.objects.get(order_id=decision.order_id)
    removed = Reservation.objects.filter(order_id=decision.order_id).order_by("pk").last()
    assert removed is not None
    client.post(f"/c/{decision.order_token}/items/{removed.pk}/remove/")

    response = client.post(f"/c/{decision.order_token}/pay/")

    new = CheckoutSession.objects.filter(order_id=decision.order_id).exclude(pk=old.pk).get()
    assert response["Location"] == new.url
    assert new.amount_minor == 29900 and new.idempotency_key != old.idempotency_key
    assert fake_stripe.session(old.external_id, account=ACCOUNT)["status"] == "expired"
    old.refresh_from_db()
    assert old.status == "expired"


def test_a_seller_without_a_connected_account_cannot_take_stripe_payments(
    in_seller_a: Seller, fake_stripe: FakeStripe
) -> None:
    Seller.objects.filter(pk=in_seller_a.pk).update(payment_provider="stripe", stripe_account_id="")
    make_product(variants={"M": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1))

    response = client_for(in_seller_a).post(f"/c/{decision.order_token}/pay/")

    assert response["Location"].endswith("?error=not_connected")
    assert fake_stripe.calls("POST", "/v1/checkout/sessions") == []


def test_removing_an_item_expires_the_session_made_for_the_cart_as_it_was(
    stripe_seller: Seller, fake_stripe: FakeStripe
) -> None:
    make_product(variants={"M": 5})
    make_product(code="B7", variants={"S": 5})
    decision = claim(make_live(), "c1", ClaimItem("A12", "M", 1), ClaimItem("B7", "S", 1))
    client = client_for(stripe_seller)
    client.post(f"/c/{decision.order_token}/pay/")
    session = CheckoutSession.objects.get(order_id=decision.order_id)
    removed = Reservation.objects.filter(order_id=decision.order_id).order_by("pk").last()
    assert removed is not None

    client.post(f"/c/{decision.order_token}/items/{removed.pk}/remove/")

    assert fake_stripe.session(session.external_id, account=ACCOUNT)["status"] == "expired"
    session.refresh_from_db()
    assert session.status == "expired"
