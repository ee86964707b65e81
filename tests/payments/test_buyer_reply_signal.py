"""payments tells messenger about buyer replies through `payments.signals.buyer_reply_due` (it may not import
messenger): the receiver writes the outbox row in the cart change's own transaction, and a change whose message
nobody would write is refused instead of committed silently."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.streams.events import ReplyWork
from messenger.apps import _queue_buyer_reply
from messenger.models import OutboundMessage
from payments.models import Order, OrderEvent
from payments.services.orders import order_transition
from payments.signals import buyer_reply_due
from tenants.models import Seller
from tests.factories import make_live
from tests.messenger.helpers import claimed_comment


@pytest.fixture
def no_reply_receiver() -> Iterator[None]:
    assert buyer_reply_due.disconnect(sender=ReplyWork, dispatch_uid="messenger.buyer_reply")
    try:
        yield
    finally:
        buyer_reply_due.connect(_queue_buyer_reply, sender=ReplyWork, dispatch_uid="messenger.buyer_reply")


def test_a_cancelled_order_writes_its_message_in_the_same_transaction(in_seller_a: Seller) -> None:
    _, order = claimed_comment(live=make_live(), external_id="c-1")

    assert order_transition(order=order, to_status=Order.Status.CANCELLED, cause="seller")

    [message] = OutboundMessage.objects.filter(order=order)
    assert message.reason == Order.Status.CANCELLED


def test_a_cart_change_nobody_would_tell_the_buyer_about_is_refused_and_rolled_back(
    in_seller_a: Seller, no_reply_receiver: None
) -> None:
    _, order = claimed_comment(live=make_live(), external_id="c-2")
    status_before = order.status

    with pytest.raises(ImproperlyConfigured, match="no receiver queues buyer replies"):
        order_transition(order=order, to_status=Order.Status.CANCELLED, cause="seller")

    order.refresh_from_db()
    assert order.status == status_before
    assert not OrderEvent.objects.filter(order=order).exists()
    assert not OutboundMessage.objects.exists()
