"""The payments stage: each decided comment becomes the buyer's reply with their cart link, written to the
outbox in the stage's own transaction (the sender delivers it), once per comment whatever is redelivered or
rolled back. The same holds for the cart news other code tells buyers (paid, cancelled, promoted)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

import messenger.services
from core.streams.events import ClaimDecided, ReplyWork
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from messenger import due
from messenger.models import OutboundMessage
from payments.models import Order, Reservation
from payments.reservations import ClaimPolicy, claim_reserve, reservation_cancel
from payments.services import reply_work_for_promotion
from payments.services.orders import order_transition
from pipeline.payments_stage import handle_claim_decided
from pipeline.stages import get_stage
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


@pytest.fixture(autouse=True)
def _seller_a_not_due() -> Iterator[None]:
    """The sender's due set lives in Redis, outside the test's transaction: start and leave it without seller_a."""
    due.forget(schema_name="seller_a")
    yield
    due.forget(schema_name="seller_a")


def decided(comment: Comment, *, intent: str, decision: dict[str, Any] | None, needs_review: bool = False) -> dict:
    return ClaimDecided(
        schema="seller_a",
        comment_id=str(comment.pk),
        intent=intent,
        decision=json.dumps(decision) if decision is not None else "",
        needs_review="1" if needs_review else "0",
        received_time=str(timezone.now().timestamp()),
    ).to_fields()


def purchase(
    live: LiveSession, external_id: str, *items: ClaimItem, author: str | None = None
) -> tuple[Comment, dict[str, Any]]:
    comment = make_comment(live=live, external_id=external_id, author=author or f"psid-{external_id}")
    return comment, claim_reserve(comment=comment, items=items, policy=POLICY, now=timezone.now()).as_dict()


class Composed:
    """The reply work the outbox writer is handed (what the stage decided to tell the buyer, with the cart facts
    the message is composed from), recorded as it passes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.works: list[ReplyWork] = []
        compose = messenger.services.compose_reply

        def recording(*, work: ReplyWork, **kwargs: Any) -> Any:
            self.works.append(work)
            return compose(work=work, **kwargs)

        monkeypatch.setattr(messenger.services, "compose_reply", recording)

    def only(self) -> ReplyWork:
        assert len(self.works) == 1, self.works
        return self.works[0]

    def by_reason(self) -> dict[str, ReplyWork]:
        return {work.reason: work for work in self.works}


@pytest.fixture
def composed(monkeypatch: pytest.MonkeyPatch) -> Composed:
    return Composed(monkeypatch)


def outbox() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.order_by("id"))


def due_soon() -> list[str]:
    return due.due_schemas(now=timezone.now() + timedelta(seconds=5))


def cart_link(token: str) -> str:
    return f"http://seller-a.localhost:{settings.SELLER_URL_PORT}/c/{token}/"


def test_a_reserved_claim_writes_a_private_reply_with_the_cart_link_to_the_outbox(
    in_seller_a: Seller, django_capture_on_commit_callbacks: Any
) -> None:
    make_product(price_minor=29900, variants={"M": 5})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 2))

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(decided(comment, intent="purchase", decision=decision))
        assert len(outbox()) == 1  # written in the stage's transaction
        assert "seller_a" not in due_soon()  # the sender hears of it only after commit

    assert "seller_a" in due_soon()
    (row,) = outbox()
    assert (row.reason, row.kind, row.status, row.recipient_id, row.page_external_id) == (
        "claim",
        "private_reply",
        "queued",
        "c1",
        "9001",
    )
    assert (row.comment_id, row.order_id, row.idempotency_key) == (
        comment.pk,
        decision["order_id"],
        f"claim:c{comment.pk}",
    )
    assert row.text.startswith("Reservado ✅ A12 M x2. Tienes 15 min para pagar")
    buttons = row.body["attachment"]["payload"]["buttons"]
    assert buttons == [{"type": "web_url", "url": cart_link(decision["order_token"]), "title": "Pagar ahora"}]


def test_the_reply_to_a_reserved_claim_carries_the_cart_link_and_the_cart_facts(
    in_seller_a: Seller, composed: Composed
) -> None:
    make_product(price_minor=29900, variants={"M": 5})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 2))

    handle_claim_decided(decided(comment, intent="purchase", decision=decision))

    work = composed.only()
    assert (work.reason, work.comment_id, work.order_id) == ("claim", str(comment.pk), str(decision["order_id"]))
    assert work.cart_url == cart_link(decision["order_token"])
    detail = json.loads(work.detail)
    assert (detail["total_minor"], detail["currency"], detail["language"]) == (59800, "MXN", "es")
    assert detail["reserved"][0]["hold_expires_at"] is not None
    assert detail["decision"]["items"][0]["status"] == "reserved"


def test_a_redelivered_decision_adds_no_second_outbox_row(
    in_seller_a: Seller, django_capture_on_commit_callbacks: Any
) -> None:
    make_product(variants={"M": 5})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 1))
    fields = decided(comment, intent="purchase", decision=decision)

    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(fields)
    with django_capture_on_commit_callbacks(execute=True):
        handle_claim_decided(fields)

    assert [(row.reason, row.comment_id) for row in outbox()] == [("claim", comment.pk)]


def test_decisions_handled_as_one_batch_write_one_reply_each_even_when_one_is_delivered_twice(
    in_seller_a: Seller,
) -> None:
    make_product(variants={"M": 1})
    live = make_live()
    first, reserved = purchase(live, "c1", ClaimItem("A12", "M", 1))
    second, waitlisted = purchase(live, "c2", ClaimItem("A12", "M", 1))
    entries = [
        decided(first, intent="purchase", decision=reserved),
        decided(second, intent="purchase", decision=waitlisted),
        decided(first, intent="purchase", decision=reserved),  # Redis delivered it twice, in the same batch
    ]
    batch_handler = get_stage("payments").batch_handler
    assert batch_handler is not None

    batch_handler(entries)
    batch_handler(entries)  # and the whole batch again, after a crash before its acknowledgement

    assert sorted((row.comment_id, row.reason) for row in outbox()) == [(first.pk, "claim"), (second.pk, "waitlisted")]


def test_a_decision_rolled_back_before_commit_gets_its_reply_on_redelivery(in_seller_a: Seller) -> None:
    make_product(variants={"M": 5})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 1))
    fields = decided(comment, intent="purchase", decision=decision)

    with pytest.raises(RuntimeError, match="crash"), transaction.atomic():
        handle_claim_decided(fields)
        assert len(outbox()) == 1
        raise RuntimeError("crash before commit")  # the entry stays pending; Redis delivers it again
    assert outbox() == []
    handle_claim_decided(fields)

    assert [(row.reason, row.comment_id) for row in outbox()] == [("claim", comment.pk)]


def test_only_waitlisted_items_get_a_waitlisted_reply_with_their_place(in_seller_a: Seller, composed: Composed) -> None:
    make_product(variants={"M": 1})
    live = make_live()
    purchase(live, "c1", ClaimItem("A12", "M", 1))
    comment, decision = purchase(live, "c2", ClaimItem("A12", "M", 1))
    fields = decided(comment, intent="purchase", decision=decision)

    handle_claim_decided(fields)

    (row,) = outbox()
    assert (row.reason, row.recipient_id, row.order_id) == ("waitlisted", "c2", decision["order_id"])
    assert "lugar 1" in row.text
    assert row.body["attachment"]["payload"]["buttons"][0]["title"] == "Ver mi carrito"
    work = composed.only()
    assert work.reason == "waitlisted"
    assert json.loads(work.detail)["waitlisted"][0]["waitlist_position"] == 1


def test_a_claim_with_nothing_reservable_gets_a_rejection_saying_why(in_seller_a: Seller, composed: Composed) -> None:
    make_product(variants={"M": 1, "L": 1})
    comment, decision = purchase(make_live(), "c1", ClaimItem("A12", None, 1))
    fields = decided(comment, intent="purchase", decision=decision)

    handle_claim_decided(fields)

    (row,) = outbox()
    assert (row.reason, row.kind, row.recipient_id, row.order_id) == ("claim_rejected", "private_reply", "c1", None)
    assert row.text == "No pudimos apartar A12. Revisa el código y la talla y vuelve a intentarlo."
    assert row.body == {"text": row.text}  # no cart button for a claim that got nothing
    work = composed.only()
    assert (work.reason, work.order_id, work.cart_url) == ("claim_rejected", "", "")
    assert json.loads(work.detail)["rejected_reasons"] == ["variant_required"]


def test_a_comment_for_the_seller_to_review_gets_no_reply(in_seller_a: Seller) -> None:
    comment = make_comment(live=make_live(), external_id="c1")
    fields = decided(comment, intent="purchase", decision=None, needs_review=True)

    handle_claim_decided(fields)

    assert outbox() == []


def test_a_cancel_gets_a_cancelled_reply_and_the_promoted_buyer_is_told_once(
    in_seller_a: Seller, composed: Composed
) -> None:
    make_product(variants={"M": 1})
    live = make_live()
    first_comment, first = purchase(live, "c1", ClaimItem("A12", "M", 1))
    _, second = purchase(live, "c2", ClaimItem("A12", "M", 1))
    cancel = make_comment(live=live, external_id="c3", author=first_comment.author_platform_id, text="cancela")
    summary = reservation_cancel(comment=cancel, items=None, now=timezone.now())
    fields = decided(cancel, intent="cancel", decision={**summary.as_dict(), "order_id": first["order_id"]})

    handle_claim_decided(fields)
    handle_claim_decided(fields)  # redelivered: neither buyer hears it twice

    rows = {row.reason: row for row in outbox()}
    assert len(outbox()) == 2 and set(rows) == {"cancelled", "promoted"}
    assert (rows["cancelled"].order_id, rows["cancelled"].comment_id) == (first["order_id"], cancel.pk)
    assert rows["cancelled"].text == "Listo, cancelamos tu pedido."
    assert (rows["promoted"].order_id, rows["promoted"].kind, rows["promoted"].recipient_id) == (
        second["order_id"],
        "message",
        "psid-c2",
    )
    cancelled = composed.by_reason()["cancelled"]
    assert (cancelled.comment_id, cancelled.order_id) == (str(cancel.pk), str(first["order_id"]))
    assert json.loads(cancelled.detail)["order_status"] == "cancelled"


def test_promotions_from_the_scheduler_get_one_reply_per_cart(in_seller_a: Seller, composed: Composed) -> None:
    make_product(variants={"M": 5, "L": 5})
    live = make_live()
    _, first = purchase(live, "c1", ClaimItem("A12", "M", 1), author="psid-ana")
    purchase(live, "c2", ClaimItem("A12", "L", 1), author="psid-ana")  # the same cart
    _, other = purchase(live, "c3", ClaimItem("A12", "M", 1), author="psid-bea")
    ids = list(Reservation.objects.order_by("pk").values_list("pk", flat=True))

    reply_work_for_promotion(reservation_ids=ids)

    rows = outbox()
    assert sorted((row.reason, row.order_id, row.recipient_id) for row in rows) == sorted(
        [("promoted", first["order_id"], "psid-ana"), ("promoted", other["order_id"], "psid-bea")]
    )
    promoted = {work.order_id: json.loads(work.detail)["promoted_reservation_ids"] for work in composed.works}
    assert promoted == {str(first["order_id"]): ids[:2], str(other["order_id"]): ids[2:]}
    texts = {row.recipient_id: row.text for row in rows}
    assert texts["psid-ana"].startswith("¡Buenas noticias! Se liberó A12 Blusa satinada M, A12 Blusa satinada L ")
    assert texts["psid-bea"].startswith("¡Buenas noticias! Se liberó A12 Blusa satinada M ")


def test_a_cart_change_and_its_message_commit_or_roll_back_together(in_seller_a: Seller) -> None:
    make_product(variants={"M": 5})
    _, decision = purchase(make_live(), "c1", ClaimItem("A12", "M", 1))
    order = Order.objects.get(pk=decision["order_id"])

    with pytest.raises(RuntimeError, match="crash"), transaction.atomic():
        assert order_transition(order=order, to_status=Order.Status.CANCELLED, cause="test")
        assert [row.reason for row in outbox()] == ["cancelled"]
        raise RuntimeError("crash before commit")
    assert outbox() == []
    order.refresh_from_db()
    assert order_transition(order=order, to_status=Order.Status.CANCELLED, cause="test")

    (row,) = outbox()
    assert (row.reason, row.order_id, row.recipient_id) == ("cancelled", order.pk, "psid-c1")
