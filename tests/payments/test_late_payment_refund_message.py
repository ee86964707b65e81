"""The late payer whose units went to someone else is told: a buyer message, in the buyer's language, through
the outbox, in the transaction that flags the order for a refund; one per payment however often it arrives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from livestreams.intent.types import ClaimItem
from messenger.models import OutboundMessage
from payments.models import Buyer, CheckoutSession
from payments.reservations import ClaimPolicy, claim_reserve, reservations_expire
from payments.services import checkout_start, order_mark_paid
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product
from tests.payments.test_checkout_support import claimed

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)
REFUND_WORDS = {
    "es": "te devolverá el importe completo",
    "pt": "vai devolver o valor integral",
    "en": "will refund you in full",
}


def pay_after_the_unit_went_to_the_waitlist() -> tuple[int, CheckoutSession]:
    make_product(code="A12", variants={"M": 1})
    live = make_live()
    now = timezone.now()
    late = claimed(
        claim_reserve(
            comment=make_comment(live=live, external_id="c1", author="psid-late"),
            items=(ClaimItem("A12", "M", 1),),
            policy=POLICY,
            now=now,
        )
    )
    claim_reserve(
        comment=make_comment(live=live, external_id="c2", author="psid-waiting"),
        items=(ClaimItem("A12", "M", 1),),
        policy=POLICY,
        now=now,
    )
    session = CheckoutSession.objects.get(pk=checkout_start(order_id=late.order_id, now=now).session_id)
    reservations_expire(now=now + timedelta(minutes=16))
    # The buyer wrote to the page in Messenger meanwhile: a message may reach them (Meta's 24-hour window).
    Buyer.objects.filter(platform_user_id="psid-late").update(last_message_at=now)
    return late.order_id, session


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_the_late_payer_flagged_for_refund_is_told_in_their_language(in_seller_a: Seller, language: str) -> None:
    Seller.objects.filter(pk=in_seller_a.pk).update(default_language=language)
    order_id, session = pay_after_the_unit_went_to_the_waitlist()

    for _delivery in range(2):  # the provider's webhook retried
        outcome = order_mark_paid(
            order_id=order_id,
            provider="local",
            external_id=session.external_id,
            amount_minor=session.amount_minor,
            currency=session.currency,
            cause="test",
        )

    assert outcome.status == "replayed"
    [message] = OutboundMessage.objects.filter(order_id=order_id, reason="refund_due")
    assert message.status == OutboundMessage.Status.QUEUED
    assert REFUND_WORDS[language] in message.text, message.text
    assert "Blusa" in message.text
    assert "Boutique A" in message.text
    assert message.recipient_id == "psid-late"
