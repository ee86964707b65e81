"""Writing a reply to the outbox (`reply_work_enqueue`, called by the payments stage and by every cart change in
its own transaction): what each reason writes, in the seller's words, exactly once."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from core.streams.events import ReplyWork
from messenger.models import OutboundMessage
from messenger.services import reply_work_enqueue
from payments.models import Buyer
from tenants.models import Seller
from tests.factories import make_live, make_product
from tests.messenger.helpers import CART_URL, claimed_comment, detail, item, reply_work


def enqueue(work: ReplyWork) -> OutboundMessage | None:
    return reply_work_enqueue(work=work)


def only_row() -> OutboundMessage:
    rows = list(OutboundMessage.objects.all())
    assert len(rows) == 1, rows
    return rows[0]


def test_first_claim_gets_a_private_reply_with_a_button_to_the_cart(in_seller_a: Seller) -> None:
    comment, order = claimed_comment(live=make_live(), external_id="c-100")

    enqueue(
        reply_work(
            schema="seller_a", reason="claim", comment=comment, order=order, detail_json=detail(item("A12", "M"))
        )
    )

    row = only_row()
    assert (row.kind, row.recipient_id, row.status, row.page_external_id) == (
        "private_reply",
        "c-100",
        "queued",
        "9001",
    )
    assert row.text.startswith("Reservado ✅ A12 M. Tienes 16 min para pagar")
    payload = row.body["attachment"]["payload"]
    assert payload["template_type"] == "button"
    assert payload["buttons"] == [{"type": "web_url", "url": CART_URL, "title": "Pagar ahora"}]


def test_the_same_reply_work_enqueued_twice_adds_no_second_row(in_seller_a: Seller) -> None:
    comment, order = claimed_comment(live=make_live(), external_id="c-101")
    work = reply_work(schema="seller_a", reason="claim", comment=comment, order=order, detail_json=detail(item()))

    enqueue(work)
    enqueue(work)

    assert OutboundMessage.objects.count() == 1


def test_a_comment_never_gets_two_private_replies(in_seller_a: Seller) -> None:
    comment, order = claimed_comment(live=make_live(), external_id="c-102")

    enqueue(reply_work(schema="seller_a", reason="claim", comment=comment, order=order, detail_json=detail(item())))
    enqueue(reply_work(schema="seller_a", reason="cancelled", comment=comment, order=order))

    assert only_row().reason == "claim"


def test_later_claims_of_the_same_buyer_get_the_short_reply(in_seller_a: Seller) -> None:
    live = make_live()
    first, order = claimed_comment(live=live, external_id="c-103")
    second, _ = claimed_comment(live=live, external_id="c-104")

    enqueue(reply_work(schema="seller_a", reason="claim", comment=first, order=order, detail_json=detail(item("A12"))))
    enqueue(
        reply_work(
            schema="seller_a",
            reason="claim",
            comment=second,
            order=order,
            detail_json=detail(item("B7", "L", reserved=2)),
        )
    )

    later = OutboundMessage.objects.get(recipient_id="c-104")
    assert later.reason == "claim_added"
    assert later.text == "Añadido a tu carrito ✅ B7 L x2"


def test_waitlisted_claim_says_the_place_in_line(in_seller_a: Seller) -> None:
    comment, order = claimed_comment(live=make_live(), external_id="c-105")

    enqueue(
        reply_work(
            schema="seller_a",
            reason="claim",
            comment=comment,
            order=order,
            detail_json=detail(item(reserved=0, waitlisted=1, position=3)),
        )
    )

    row = only_row()
    assert row.reason == "waitlisted"
    assert "lugar 3" in row.text
    assert row.body["attachment"]["payload"]["buttons"][0]["title"] == "Ver mi carrito"


def test_sellers_own_wording_and_language_are_used(in_seller_a: Seller) -> None:
    Seller.objects.filter(pk=in_seller_a.pk).update(
        default_language="pt",
        message_templates={"claim": {"pt": "Separado pra você: {items} ({minutes} min) — {seller}"}},
    )
    comment, order = claimed_comment(live=make_live(), external_id="c-106")

    enqueue(
        reply_work(
            schema="seller_a",
            reason="claim",
            comment=comment,
            order=order,
            detail_json=detail(item("A12", "P"), minutes=10),
        )
    )

    row = only_row()
    assert row.text == "Separado pra você: A12 P (11 min) — Boutique A"
    assert row.body["attachment"]["payload"]["buttons"][0]["title"] == "Pagar agora"


def test_broken_seller_template_falls_back_to_ours(in_seller_a: Seller) -> None:
    Seller.objects.filter(pk=in_seller_a.pk).update(default_language="en", message_templates={"claim": {"en": "Hi {"}})
    comment, order = claimed_comment(live=make_live(), external_id="c-107")

    enqueue(reply_work(schema="seller_a", reason="claim", comment=comment, order=order, detail_json=detail(item())))

    assert only_row().text.startswith("Reserved ✅ A12 M.")


def test_questions_are_not_answered_unless_the_seller_turns_answers_on(in_seller_a: Seller) -> None:
    make_product(code="A12", name="Blusa", price_minor=29900, variants={"M": 2, "L": 0})
    comment, _ = claimed_comment(live=make_live(), external_id="c-108")
    work = reply_work(schema="seller_a", reason="question", comment=comment, detail_json=json.dumps({"codes": ["a12"]}))

    enqueue(work)
    assert OutboundMessage.objects.count() == 0

    Seller.objects.filter(pk=in_seller_a.pk).update(answer_questions=True)
    enqueue(work)
    assert only_row().text == "A12 Blusa: $299.00\xa0MXN. Disponible: M"


def test_chatter_gets_nothing(in_seller_a: Seller) -> None:
    comment, _ = claimed_comment(live=make_live(), external_id="c-109")

    enqueue(reply_work(schema="seller_a", reason="other", comment=comment))

    assert OutboundMessage.objects.count() == 0


def test_promotion_outside_the_window_is_recorded_but_not_sent(in_seller_a: Seller) -> None:
    live = make_live()
    _, order = claimed_comment(live=live, external_id="c-110", buyer="psid-old")
    Buyer.objects.filter(platform_user_id="psid-old").update(last_message_at=timezone.now() - timedelta(hours=25))

    enqueue(reply_work(schema="seller_a", reason="promoted", order=order, detail_json=detail(item())))

    row = only_row()
    assert (row.kind, row.status, row.last_error_code) == ("message", "skipped", "window_closed")


def test_promotion_inside_the_window_is_a_message_to_the_buyer(in_seller_a: Seller) -> None:
    live = make_live()
    _, order = claimed_comment(live=live, external_id="c-111", buyer="psid-new")
    Buyer.objects.filter(platform_user_id="psid-new").update(last_message_at=timezone.now() - timedelta(hours=2))

    enqueue(reply_work(schema="seller_a", reason="promoted", order=order, detail_json=detail(item())))

    row = only_row()
    assert (row.kind, row.recipient_id, row.status) == ("message", "psid-new", "queued")
    assert row.text.startswith("¡Buenas noticias! Se liberó A12 M")


def test_a_messenger_question_about_the_order_gets_its_state(in_seller_a: Seller) -> None:
    live = make_live()
    message, order = claimed_comment(live=live, external_id="mid.1", buyer="psid-dm")
    message.kind = "message"
    message.save()

    enqueue(reply_work(schema="seller_a", reason="question", comment=message, order=order))

    row = only_row()
    assert (row.kind, row.recipient_id) == ("message", "psid-dm")
    assert row.text == "Tu pedido en Boutique A: pendiente de pago."


def test_detail_that_is_not_json_still_gets_a_reply(in_seller_a: Seller) -> None:
    comment, order = claimed_comment(live=make_live(), external_id="c-112")

    enqueue(reply_work(schema="seller_a", reason="cancelled", comment=comment, order=order, detail_json="not json"))

    assert only_row().text == "Listo, cancelamos tu pedido."


def test_a_promotion_names_the_promoted_lines_of_the_cart(in_seller_a: Seller) -> None:
    live = make_live()
    _, order = claimed_comment(live=live, external_id="c-113", buyer="psid-prom")
    Buyer.objects.filter(platform_user_id="psid-prom").update(last_message_at=timezone.now())
    cart = {  # payments.services.replies.cart_detail plus the promotion's reservation ids
        "language": "es",
        "hold_expires_at": (timezone.now() + timedelta(minutes=9, seconds=30)).isoformat(),
        "reserved": [
            {"reservation_id": 7, "name": "A12 Blusa M", "quantity": 1},
            {"reservation_id": 8, "name": "B7 Falda L", "quantity": 2},
        ],
        "waitlisted": [],
        "paid": [],
        "promoted_reservation_ids": [8],
    }

    enqueue(reply_work(schema="seller_a", reason="promoted", order=order, detail_json=json.dumps(cart)))

    assert only_row().text == "¡Buenas noticias! Se liberó B7 Falda L x2 y es tuyo ✅ Tienes 10 min para pagar."


def test_a_rejected_claim_says_what_to_fix(in_seller_a: Seller) -> None:
    comment, _ = claimed_comment(live=make_live(), external_id="c-114")
    rejected = {"decision": {"items": [item("Z9", "", reserved=0)]}, "rejected_reasons": ["limit"]}

    enqueue(reply_work(schema="seller_a", reason="claim_rejected", comment=comment, detail_json=json.dumps(rejected)))

    row = only_row()
    assert row.text == "No pudimos apartar Z9. Llegaste al máximo de piezas por persona."
    assert row.body == {"text": row.text}  # no cart button for a claim that got nothing
