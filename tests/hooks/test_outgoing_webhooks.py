"""Outgoing webhooks against a local receiver: signed per Standard Webhooks (checked with the standardwebhooks
library), written in the transaction that caused them, retried after a failure, each event received exactly once
after success, given up after three days with the endpoint disabled and the owner told."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from standardwebhooks.webhooks import Webhook

from hooks.due import HOOKS_DUE, due_rebuild
from hooks.models import Attempt, Delivery, Endpoint, Event
from hooks.sender import MAX_ATTEMPTS, RETRY_DELAYS, hooks_tick
from hooks.services import CreatedEndpoint, EndpointError, delivery_replay, endpoint_create, hook_emit
from livestreams.services import live_session_end, live_session_start
from payments.services import order_transition
from tenants.models import Seller
from tests.factories import make_live, make_order
from tests.fakes.hook_receiver import HookReceiver


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with HookReceiver() as server:
        yield server


@pytest.fixture
def sender() -> Iterator[Callable[[datetime], int]]:
    """One pass of the sender at a given moment (the retries' delays are crossed by moving `now`, not by sleeping)."""
    with httpx.Client(timeout=httpx.Timeout(2.0)) as client, ThreadPoolExecutor(max_workers=4) as pool:

        def tick(now: datetime) -> int:
            due_rebuild()  # the due set as the sender's periodic rebuild leaves it (tests never commit)
            return hooks_tick(client=client, pool=pool, now=now)

        yield tick
    HOOKS_DUE.forget(schema_name="seller_a")


def subscribe(receiver: HookReceiver, *types: str) -> CreatedEndpoint:
    return endpoint_create(url=f"{receiver.base_url}/hooks", event_types=list(types), description="ERP")


def verified(created: CreatedEndpoint, received: Any) -> dict[str, Any]:
    """The body, once the standardwebhooks library accepts its signature with the endpoint's secret."""
    payload: dict[str, Any] = Webhook(created.secret).verify(received.body, received.headers)
    return payload


def test_an_order_paid_is_signed_retried_after_a_500_and_received_once_after_success(
    in_seller_a: Seller, receiver: HookReceiver, sender: Callable[[datetime], int]
) -> None:
    created = subscribe(receiver, "order.paid")
    order = make_order(live=make_live())
    receiver.statuses = [500]
    order_transition(order=order, to_status="paid", cause="paid in cash", notify=False)
    now = timezone.now()

    sender(now)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at is not None
    assert RETRY_DELAYS[0] * 0.9 <= delivery.next_attempt_at - now <= RETRY_DELAYS[0] * 1.1 + timedelta(seconds=1)
    assert sender(now) == 0  # not due again before its delay

    sender(now + timedelta(seconds=10))
    for later in (timedelta(minutes=10), timedelta(days=4)):
        assert sender(now + later) == 0

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == Event.objects.get().event_id
    payload = verified(created, second)
    assert payload["type"] == "order.paid"
    assert payload["data"] | {"cause": ""} == {
        "order_id": order.pk,
        "status": "paid",
        "previous_status": "open",
        "live_id": order.live_session_id,
        "buyer_id": order.buyer_id,
        "cause": "",
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert [a.status_code for a in Attempt.objects.order_by("id")] == [500, 200]


def test_a_tampered_body_or_another_secret_fails_the_receivers_check(
    in_seller_a: Seller, receiver: HookReceiver, sender: Callable[[datetime], int]
) -> None:
    created = subscribe(receiver, "live.started")
    other = subscribe(receiver, "live.ended")
    live_session_start(platform="facebook", page_external_id="9001", platform_video_id="v7", title="Sábado")
    sender(timezone.now())

    (received,) = receiver.received
    assert verified(created, received)["data"]["title"] == "Sábado"
    with pytest.raises(Exception, match="signature"):
        Webhook(other.secret).verify(received.body, received.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(created.secret).verify(received.body.replace(b"S\xc3\xa1bado", b"Domingo"), received.headers)


def test_events_go_only_to_endpoints_subscribed_to_their_type(
    in_seller_a: Seller, receiver: HookReceiver, sender: Callable[[datetime], int]
) -> None:
    lives = subscribe(receiver, "live.started", "live.ended")
    subscribe(receiver, "order.paid")
    live = live_session_start(platform="facebook", page_external_id="9001", platform_video_id="v8")
    live_session_end(live=live)
    sender(timezone.now())

    types = sorted(verified(lives, r)["type"] for r in receiver.received)
    assert types == ["live.ended", "live.started"]
    assert set(Delivery.objects.values_list("endpoint_id", flat=True)) == {lives.endpoint.pk}


def test_nothing_is_stored_when_no_endpoint_listens_and_a_rolled_back_event_never_existed(in_seller_a: Seller) -> None:
    assert hook_emit([("stock.low", {"variant_id": 1, "available": 0})]) == 0
    endpoint_create(url="http://127.0.0.1:9/hooks", event_types=["stock.low"])
    with pytest.raises(RuntimeError), transaction.atomic():
        assert hook_emit([("stock.low", {"variant_id": 1, "available": 0})]) == 1
        raise RuntimeError("the stock change is rolled back")

    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)
    with pytest.raises(ValueError, match="unknown webhook event types"):
        hook_emit([("order.shipped", {})])


def test_an_endpoint_failing_for_three_days_is_disabled_and_the_owner_is_emailed(
    in_seller_a: Seller, receiver: HookReceiver, sender: Callable[[datetime], int]
) -> None:
    get_user_model().objects.filter(is_superuser=True).update(email="owner@seller-a.test")
    created = subscribe(receiver, "order.cancelled")
    receiver.statuses = [503] * (MAX_ATTEMPTS + 5)
    order_transition(order=make_order(live=make_live()), to_status="cancelled", cause="buyer", notify=False)
    now = timezone.now()

    for _ in range(MAX_ATTEMPTS + 2):
        sender(now)
        now += timedelta(days=1)

    assert len(receiver.received) == MAX_ATTEMPTS
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    endpoint = Endpoint.objects.get(pk=created.endpoint.pk)
    assert not endpoint.is_active
    assert "Every delivery failed since" in endpoint.disabled_reason
    (notice,) = mail.outbox
    assert notice.to == ["owner@seller-a.test"]
    assert created.endpoint.url in notice.body


def test_a_hanging_endpoint_is_cut_off_and_retried(in_seller_a: Seller, receiver: HookReceiver, settings: Any) -> None:
    settings.HOOKS_TIMEOUT_SECONDS = 0.5
    subscribe(receiver, "order.expired")
    order_transition(order=make_order(live=make_live()), to_status="expired", cause="hold ended", notify=False)
    receiver.hang = True
    try:
        with httpx.Client(timeout=httpx.Timeout(0.5)) as client, ThreadPoolExecutor(max_workers=2) as pool:
            due_rebuild()
            assert hooks_tick(client=client, pool=pool, now=timezone.now()) == 1
    finally:
        receiver.release.set()
        HOOKS_DUE.forget(schema_name="seller_a")

    attempt = Attempt.objects.get()
    assert (attempt.status_code, attempt.error) == (None, "no answer within 0.5 s")
    assert Delivery.objects.get().status == "pending"


def test_replay_sends_the_same_webhook_id_again(
    in_seller_a: Seller, receiver: HookReceiver, sender: Callable[[datetime], int]
) -> None:
    subscribe(receiver, "order.paid")
    order_transition(order=make_order(live=make_live()), to_status="paid", cause="cash", notify=False)
    now = timezone.now()
    sender(now)
    delivery = Delivery.objects.get()
    other = subscribe(receiver, "live.ended").endpoint
    assert not delivery_replay(endpoint_id=other.pk, delivery_id=delivery.pk)  # not that endpoint's delivery
    assert delivery_replay(endpoint_id=delivery.endpoint_id, delivery_id=delivery.pk)
    sender(now + timedelta(seconds=1))

    assert [r.headers["webhook-id"] for r in receiver.received] == [Event.objects.get().event_id] * 2
    assert Delivery.objects.get().status == "succeeded"


def test_private_and_plain_http_addresses_are_refused_in_production(in_seller_a: Seller, settings: Any) -> None:
    settings.HOOKS_ALLOW_PRIVATE_ADDRESSES = False
    for url, message in [
        ("http://hooks.example.com/x", "https://"),
        ("https://127.0.0.1/x", "private or reserved"),
        ("https://10.1.2.3/x", "private or reserved"),
        ("https://169.254.169.254/latest/meta-data", "private or reserved"),
        ("https://[::1]/x", "private or reserved"),
        ("https://localhost/x", "private or reserved"),
        ("https://user:pw@8.8.8.8/x", "user name"),
    ]:
        with pytest.raises(EndpointError, match=message), translation.override("en"):
            endpoint_create(url=url, event_types=["order.paid"])
    assert not Endpoint.objects.exists()


def test_an_address_that_turns_private_after_registration_is_not_called(
    in_seller_a: Seller, receiver: HookReceiver, sender: Callable[[datetime], int], settings: Any
) -> None:
    subscribe(receiver, "order.paid")  # registered while private addresses were allowed
    settings.HOOKS_ALLOW_PRIVATE_ADDRESSES = False
    order_transition(order=make_order(live=make_live()), to_status="paid", cause="cash", notify=False)
    sender(timezone.now())

    assert receiver.received == []
    assert "https://" in Attempt.objects.get().error  # the refusal, in whichever language is active


def test_a_claims_batch_announces_new_carts_waitlisted_lines_and_low_stock(
    in_seller_a: Seller, receiver: HookReceiver, sender: Callable[[datetime], int], settings: Any
) -> None:
    from livestreams.intent.types import ClaimItem
    from payments.reservations import claim_policy_for, claim_reserve
    from tests.factories import make_comment, make_product

    settings.HOOKS_LOW_STOCK_UNITS = 1
    created = subscribe(receiver, "order.created", "claim.waitlisted", "stock.low", "claim.promoted")
    product = make_product(code="A12", variants={"": 2})
    live = make_live()
    policy = claim_policy_for(seller=in_seller_a, live=live)
    for n in range(3):
        comment = make_comment(live=live, external_id=f"c{n}", author=f"psid-{n}")
        claim_reserve(comment=comment, items=(ClaimItem("A12", "", 1),), policy=policy, now=timezone.now())
    sender(timezone.now())

    events = [verified(created, r) for r in receiver.received]
    types = sorted(e["type"] for e in events)
    assert types == ["claim.waitlisted", "order.created", "order.created", "order.created", "stock.low"]
    (low,) = [e["data"] for e in events if e["type"] == "stock.low"]
    assert low == {"variant_id": product.variants.get().pk, "available": 1, "on_hand": 2}
    (waiting,) = [e["data"] for e in events if e["type"] == "claim.waitlisted"]
    assert waiting["position"] == 1 and waiting["quantity"] == 1
    assert json.loads(receiver.received[0].body)["timestamp"]
