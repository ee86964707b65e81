"""The seller's live pages over HTTP: what the lives list, the control room and the order pages show (in the
seller's language, never a raw code), the confirmation steps before ending a live, cancelling an order or
taking cash, and the order list's waitlist rule, totals, pages and search."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from dashboard import control
from inventory.models import StockMovement, Variant
from livestreams.models import Comment, LiveSession
from messenger.models import OutboundMessage
from payments.models import Buyer, Order
from tests.factories import make_comment, make_live, make_product

ORDER_LIST_QUERIES = 8  # 5 for tenant and login, the totals (and count), the page of orders, the lives filter
STAFF = "staff@seller-a.localhost"


class _VisibleText(HTMLParser):
    """The text a person reads: no tags, attributes, scripts, styles or <template> contents."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def claim(live: LiveSession, *, external_id: str, buyer: str, variant: Variant, quantity: int = 1) -> Comment:
    """A comment of `buyer` the seller assigned to `variant` (the same reservation service as the engine)."""
    comment = make_comment(live=live, external_id=external_id, author=buyer, text="quiero")
    control.review_resolve(comment_id=comment.pk, variant_id=variant.pk, quantity=quantity, actor="test")
    return comment


def order_of(buyer: str) -> Order:
    return Order.objects.get(buyer__platform_user_id=buyer)


def rows_shown(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/orders/(\d+)/"', page)}


def test_carts_that_only_wait_on_a_waitlist_are_not_counted_as_orders(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", price_minor=10000, variants={"M": 1}).variants.get()
        live = make_live()
        claim(live, external_id="c1", buyer="psid-holds", variant=variant)
        claim(live, external_id="c2", buyer="psid-waits", variant=variant)  # sold out: waitlisted, 0 units
        holds, waits = order_of("psid-holds"), order_of("psid-waits")

    orders_page = owner_client.get("/orders/", {"live": live.pk}).content.decode()
    waitlist_page = owner_client.get("/orders/", {"status": "waitlist_only"}).content.decode()
    lives_page = visible_text(owner_client.get("/lives/").content.decode())
    totals = visible_text(owner_client.get(f"/lives/{live.pk}/totals/").content.decode())

    assert rows_shown(orders_page) == {holds.pk}, "a waitlist-only cart is listed as an order"
    assert 'data-count="1"' in orders_page and 'data-amount-minor="10000"' in orders_page
    assert rows_shown(waitlist_page) == {waits.pk}
    assert "1 (0)" in lives_page and "1 (0)" in totals  # orders (paid) of the live


def test_order_list_totals_cover_every_matching_order_and_pages_cost_the_same_queries(
    owner_client: Client, count_queries: Callable
) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", price_minor=25000, variants={"M": 200}).variants.get()
        live = make_live()
        claim(live, external_id="c0", buyer="p0", variant=variant, quantity=2)
    with count_queries() as one_order:
        owner_client.get("/orders/")
    with schema_context("seller_a"):
        for n in range(1, 60):
            claim(live, external_id=f"c{n}", buyer=f"p{n}", variant=variant, quantity=2)
        newest = Order.objects.order_by("-created_at", "-id").values_list("pk", flat=True)

    with count_queries() as first_page:
        page_one = owner_client.get("/orders/").content.decode()
    with count_queries() as second_page:
        page_two = owner_client.get("/orders/", {"page": "2"}).content.decode()

    assert rows_shown(page_one) == set(newest[:50])
    assert rows_shown(page_two) == set(newest[50:])
    assert 'data-count="60"' in page_one and 'data-count="60"' in page_two
    assert f'data-amount-minor="{60 * 2 * 25000}"' in page_one  # every order's units, not only this page's
    assert "Página 1 de 2" in visible_text(page_one) and "Página 2 de 2" in visible_text(page_two)
    assert (
        len(one_order.captured_queries)
        == len(first_page.captured_queries)
        == len(second_page.captured_queries)
        == ORDER_LIST_QUERIES
    )


def test_orders_are_found_by_buyer_name_buyer_id_or_order_number(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 10}).variants.get()
        live = make_live()
        for buyer in ("psid-ana", "psid-bea", "psid-caro"):
            claim(live, external_id=f"c-{buyer}", buyer=buyer, variant=variant)
        Buyer.objects.filter(platform_user_id="psid-ana").update(name="Ana Lucía Pérez")
        ana, bea, caro = order_of("psid-ana"), order_of("psid-bea"), order_of("psid-caro")

    def found(search: str) -> set[int]:
        return rows_shown(owner_client.get("/orders/", {"q": search}).content.decode())

    assert found("lucía") == {ana.pk}
    assert found("psid-bea") == {bea.pk}
    assert found(f"#{caro.pk}") == {caro.pk}
    assert found("nadie") == set()


def test_cash_is_recorded_in_the_name_of_the_staff_member_who_took_it(staff_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", price_minor=29900, variants={"M": 3}).variants.get()
        claim(make_live(), external_id="c1", buyer="psid-1", variant=variant, quantity=2)
        order = order_of("psid-1")

    staff_client.post(f"/orders/{order.pk}/paid-in-cash/")
    page = visible_text(staff_client.get(f"/orders/{order.pk}/").content.decode())

    with schema_context("seller_a"):
        assert Order.objects.get(pk=order.pk).status == "paid"
        sale = StockMovement.objects.get(reason=StockMovement.Reason.SALE)
    assert sale.actor == STAFF, f"the sale was recorded by {sale.actor!r}"
    assert f"Pagado en efectivo, registrado por {STAFF}" in page


def test_ending_a_live_cancelling_an_order_and_taking_cash_each_ask_first(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 3}).variants.get()
        live = make_live()
        claim(live, external_id="c1", buyer="psid-1", variant=variant)
        order = order_of("psid-1")

    control_room = owner_client.get(f"/lives/{live.pk}/").content.decode()
    order_page = owner_client.get(f"/orders/{order.pk}/").content.decode()
    end_page = owner_client.get(f"/lives/{live.pk}/end/")
    cancel_page = owner_client.get(f"/orders/{order.pk}/cancel/")
    cash_page = owner_client.get(f"/orders/{order.pk}/paid-in-cash/")

    outside_dialogs = re.sub(r"<dialog.*?</dialog>", "", control_room + order_page, flags=re.S)
    for action in (f"/lives/{live.pk}/end/", f"/orders/{order.pk}/cancel/", f"/orders/{order.pk}/paid-in-cash/"):
        assert f'method="post" action="{action}"' not in outside_dialogs, f"{action} is one click away"
    assert [r.status_code for r in (end_page, cancel_page, cash_page)] == [200, 200, 200]
    assert "¿Terminar este live?" in end_page.content.decode()
    assert "¿Cancelar el pedido" in cancel_page.content.decode()
    assert "¿Registrar un pago en efectivo" in cash_page.content.decode()
    with schema_context("seller_a"):
        assert LiveSession.objects.get(pk=live.pk).status == "live"
        assert Order.objects.get(pk=order.pk).status == "open"

    owner_client.post(f"/lives/{live.pk}/end/")
    with schema_context("seller_a"):
        assert LiveSession.objects.get(pk=live.pk).status == "ended"


SEEN = {
    "es": ["Al aire", "El comentario no es claro", "No enviado", "Abierto", "Apartado", "Apartados", "Charla"],
    "pt": ["No ar", "O comentário não está claro", "Não enviada", "Aberto", "Reservado", "Solicitações", "Conversa"],
}
RAW = ["low_confidence", "window_closed", "skipped", "reserved", "Open", "awaiting_payment", "private_reply"]


@pytest.mark.parametrize("language", ["es", "pt"])
def test_statuses_reasons_and_codes_read_in_the_sellers_language(owner_client: Client, language: str) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 3}).variants.get()
        live = make_live()
        claim(live, external_id="c1", buyer="psid-1", variant=variant)
        order = order_of("psid-1")
        unsure = make_comment(live=live, external_id="c2", author="psid-2", text="me lo apartas?")
        Comment.objects.filter(pk=unsure.pk).update(needs_review=True, review_reason="low_confidence")
        chatter = make_comment(live=live, external_id="c3", author="psid-3", text="hermosa")
        Comment.objects.filter(pk=chatter.pk).update(intent="other", parse_result={"engine": "prefilter"})
        OutboundMessage.objects.create(
            platform="facebook",
            page_external_id="9001",
            recipient_id="psid-1",
            kind=OutboundMessage.Kind.MESSAGE,
            body={},
            status=OutboundMessage.Status.SKIPPED,
            last_error_code="window_closed",
            reason="promoted",
            order=order,
        )

    pages = {
        path: visible_text(owner_client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode())
        for path in ("/lives/", f"/lives/{live.pk}/", "/orders/", f"/orders/{order.pk}/")
    }

    everything = " ".join(pages.values())
    for code in RAW:
        assert not re.search(rf"\b{code}\b", everything), f"{code!r} shows raw on {language} pages"
    for text in SEEN[language]:
        assert text in everything, f"{text!r} missing on the {language} pages"
    assert "Pedidos y ventas" not in everything and "Pedidos e vendas" not in everything  # claims ≠ orders


def test_review_makes_the_seller_choose_a_variant_and_marks_the_sold_out_ones(owner_client: Client) -> None:
    with schema_context("seller_a"):
        make_product(code="A1", variants={"M": 0, "L": 2})
        live = make_live()
        unsure = make_comment(live=live, external_id="c1", text="me lo apartas?")
        Comment.objects.filter(pk=unsure.pk).update(needs_review=True, review_reason="low_confidence")

    page = owner_client.get(f"/lives/{live.pk}/").content.decode()
    review = page[page.index('<ul id="review"') : page.index("</ul>", page.index('<ul id="review"'))]
    unchosen = owner_client.post(f"/lives/{live.pk}/review/{unsure.pk}/resolve/", {"quantity": 1})

    options = re.findall(r"<option([^>]*)>([^<]*)</option>", review)
    assert options[0][0].strip() == 'value="" selected disabled', f"first option: {options[0]}"
    assert all("selected" not in attrs for attrs, _ in options[1:])
    sold_out = [text for attrs, text in options if "data-sold-out" in attrs]
    assert sold_out == ["A1 M · agotado: va a la lista de espera"]
    assert unchosen.status_code == 400
    with schema_context("seller_a"):
        assert Comment.objects.get(pk=unsure.pk).needs_review


@pytest.mark.parametrize(("status", "shown"), [("scheduled", "Programado"), ("ended", "Terminado")])
def test_the_control_room_says_what_the_live_is_apart_from_its_connection(
    owner_client: Client, status: str, shown: str
) -> None:
    with schema_context("seller_a"):
        live = make_live()
        LiveSession.objects.filter(pk=live.pk).update(status=status, ended_at=live.started_at)

    page = owner_client.get(f"/lives/{live.pk}/").content.decode()

    status_badge = re.search(r'<span [^>]*id="live-status"[^>]*>([^<]*)</span>', page)
    connection = re.search(r'<span id="connection"[^>]*data-label-open="([^"]*)"', page)
    assert connection is not None
    assert connection.group(1) not in ("En vivo", "Al aire", shown), connection.group(0)
    assert status_badge is not None and status_badge.group(1).strip() == shown


def test_an_order_with_nothing_to_cancel_or_pay_sends_its_confirmations_back_to_the_order(owner_client: Client) -> None:
    with schema_context("seller_a"):
        variant = make_product(code="A1", variants={"M": 3}).variants.get()
        claim(make_live(), external_id="c1", buyer="psid-1", variant=variant)
        order = order_of("psid-1")
    owner_client.post(f"/orders/{order.pk}/cancel/")

    cancel, cash = (
        owner_client.get(f"/orders/{order.pk}/cancel/"),
        owner_client.get(f"/orders/{order.pk}/paid-in-cash/"),
    )
    page = owner_client.get(f"/orders/{order.pk}/").content.decode()

    assert [(r.status_code, r["Location"]) for r in (cancel, cash)] == [(302, f"/orders/{order.pk}/")] * 2
    assert "data-confirm=" not in page  # no action left to confirm on a cancelled order
