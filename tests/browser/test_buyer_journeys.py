"""The buyer's journeys as buyers click them, in Chromium, in es/pt/en on a desktop and a phone.

A viewer comments on the live (a signed Meta webhook through the real pipeline: ingest → claims → payments
stage → outbox); the test reads the cart link from the reply the buyer was sent and opens it, as the buyer
would from Messenger. One web server and one pipeline serve the whole module; each journey is a new buyer.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from demo.meta_payloads import encode, feed_comment_change, page_delivery, sign
from messenger.models import OutboundMessage
from payments.models import Order, Reservation
from tenants.models import Seller
from tenants.services import seller_provision
from tests.browser.conftest import JOURNEYS, Journey, assert_fits_viewport, open_page, shot
from tests.conftest import OWNER_PASSWORD
from tests.factories import make_live, make_product
from tests.processes import ManageProcess, WebServer, wait_until

# What each page says in each language (and what an untranslated page would say instead).
TEXTS = {
    "es": {
        "cart": "Tu carrito",
        "reserved": "Reservado para ti",
        "remove": "Quitar",
        "removed": "Quitamos el artículo de tu carrito.",
        "pay": "Pagar",
        "confirm": "Confirma tu pago",
        "pay_test": "Pagar (prueba)",
        "paid": "¡Gracias! Tu pago está confirmado.",
        "order": "Pedido n.º",
        "total_paid": "Total pagado",
        "next": "¿Qué sigue?",
        "waitlist": "En lista de espera",
        "place": "Lugar en la fila: 1",
        "leave": "Salir de la fila",
        "left": "Saliste de la lista de espera.",
        "bad_link": "Este enlace no es válido o ya venció",
    },
    "pt": {
        "cart": "Seu carrinho",
        "reserved": "Reservado para você",
        "remove": "Remover",
        "removed": "O item foi removido do seu carrinho.",
        "pay": "Pagar",
        "confirm": "Confirme seu pagamento",
        "pay_test": "Pagar (teste)",
        "paid": "Obrigado! Seu pagamento foi confirmado.",
        "order": "Pedido nº",
        "total_paid": "Total pago",
        "next": "E agora?",
        "waitlist": "Na fila de espera",
        "place": "Posição na fila: 1",
        "leave": "Sair da fila",
        "left": "Você saiu da fila de espera.",
        "bad_link": "Este link não é válido ou expirou",
    },
    "en": {
        "cart": "Your cart",
        "reserved": "Reserved for you",
        "remove": "Remove",
        "removed": "The item was removed from your cart.",
        "pay": "Pay",
        "confirm": "Confirm your payment",
        "pay_test": "Pay (test)",
        "paid": "Thank you! Your payment is confirmed.",
        "order": "Order no.",
        "total_paid": "Total paid",
        "next": "What happens next?",
        "waitlist": "On the waitlist",
        "place": "Place in line: 1",
        "leave": "Leave the line",
        "left": "You left the waitlist.",
        "bad_link": "This link is not valid or has expired",
    },
}
# The blouse costs 299.00 MXN; the buyer takes two. CLDR's currency format of each language (es as in Mexico).
# A sold-out scarf per journey, so each waitlisted buyer is first in their own line.
SCARVES = {param.id: f"W{number}" for number, param in enumerate(JOURNEYS, start=1)}
UNIT_PRICE = {"es": "$299.00 MXN", "pt": "MX$ 299,00", "en": "MX$299.00"}
TWO_BLOUSES = {"es": "$598.00 MXN", "pt": "MX$ 598,00", "en": "MX$598.00"}


@dataclass(frozen=True)
class Shop:
    seller: Seller
    domain: str
    page_id: str
    web: WebServer

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}:{self.web.port}"


@pytest.fixture(scope="module")
def shop(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Shop]:
    """A committed seller on a live with a blouse, a bag (plenty of each) and sold-out scarves; its web server,
    and the pipeline building cart links with that server's port (as `make demo` does)."""
    suffix = uuid.uuid4().hex[:10]
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        result = seller_provision(
            schema_name=f"b_{suffix}",
            name="Boutique Lupita",
            domain=f"b-{suffix}.localhost",
            facebook_page_id=str(int(suffix, 16)),
            owner_email=f"owner@b-{suffix}.localhost",
            owner_password=OWNER_PASSWORD,
        )
        seller, page_id = result.seller, str(int(suffix, 16))
        with schema_context(seller.schema_name):
            make_product(code="A12", name="Blusa satinada", price_minor=29900, variants={"M": 100})
            make_product(code="B7", name="Bolso tejido", price_minor=45000, variants={"U": 100})
            for code in SCARVES.values():
                make_product(code=code, name="Mascada de seda", price_minor=19900, variants={"U": 0})
            make_live(page_external_id=page_id, video_id=f"v{suffix}")
        web = WebServer()
        pipeline = ManageProcess("run_pipeline", SELLER_URL_PORT=str(web.port))
        try:
            yield Shop(seller=seller, domain=f"b-{suffix}.localhost", page_id=page_id, web=web)
        finally:
            pipeline.terminate()
            web.stop()
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            seller.delete(force_drop=True)


def comment_and_read_the_reply(shop: Shop, *, buyer: str, text: str) -> str:
    """A viewer comments on the live through the signed webhook; returns the cart link of the reply."""
    comment_id = f"{buyer}-{uuid.uuid4().hex[:8]}"
    change = feed_comment_change(
        page_id=shop.page_id, comment_id=comment_id, author_id=buyer, author_name="Lupe", text=text
    )
    body = encode(page_delivery(page_id=shop.page_id, changes=[change]))
    response = httpx.post(
        f"{shop.web.url}/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET)},
        timeout=5,
    )
    assert response.status_code == 200, response.text

    def reply() -> OutboundMessage | None:
        with schema_context(shop.seller.schema_name):
            return OutboundMessage.objects.filter(comment__external_id=comment_id).first()

    wait_until(lambda: reply() is not None, timeout=15, what=f"the reply to {text!r}")
    message = reply()
    assert message is not None
    links = re.findall(r"https?://[^\s\"\\]+/c/[A-Za-z0-9_-]+/", json.dumps(message.body))
    assert links, f"the reply carries no cart link: {message.body}"
    return str(links[0])


def page_text(page: Page) -> str:
    return page.inner_text("body").replace("\xa0", " ")


def assert_in_language(page: Page, language: str, *expected: str) -> None:
    """The page is written in `language`: its lang attribute, the given phrases, and none of the English
    phrases an untranslated page would show instead."""
    assert page.get_attribute("html", "lang") == language
    text = page_text(page)
    for phrase in expected:
        assert phrase in text, f"{phrase!r} is not on {page.url} ({language}):\n{text}"
    if language != "en":
        english = [TEXTS["en"][key] for key in ("cart", "reserved", "confirm", "waitlist", "paid", "bad_link")]
        assert not [phrase for phrase in english if phrase in text], f"English on a {language} page:\n{text}"


@pytest.mark.parametrize("journey", JOURNEYS)
def test_buyer_opens_the_reply_link_removes_an_item_and_pays_on_the_test_checkout_in_chromium(
    shop: Shop, chromium: Browser, journey: Journey
) -> None:
    words = TEXTS[journey.language]
    buyer = f"psid-pay-{journey.id}-{uuid.uuid4().hex[:6]}"
    # Given a viewer who claimed two blouses and a bag on the live, and got the cart link in the reply.
    link = comment_and_read_the_reply(shop, buyer=buyer, text="quiero 2 de la A12 talla M")
    assert comment_and_read_the_reply(shop, buyer=buyer, text="quiero la B7") == link
    assert link.startswith(f"{shop.base_url}/c/"), f"{link} does not point at the server ({shop.web.port})"

    # When they open the link on their device,
    page = open_page(chromium, base_url=shop.base_url, journey=journey)
    response = page.goto(link)
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text(words["cart"])
    assert_in_language(page, journey.language, words["reserved"], UNIT_PRICE[journey.language])
    assert_fits_viewport(page)
    shot(page, f"buyer-01-cart-{journey.id}")

    # remove the bag,
    page.locator(".item", has_text="B7").get_by_role("button", name=re.compile(words["remove"])).click()
    expect(page.get_by_role("status")).to_contain_text(words["removed"])
    expect(page.locator(".item", has_text="B7")).to_have_count(0)
    assert_fits_viewport(page)

    # press Pay: the test checkout lists each line's total and the order's total,
    page.get_by_role("button", name=re.compile(f"^{words['pay']} ")).click()
    expect(page.locator("h1")).to_have_text(words["confirm"])
    line = page_text(page)
    assert f"2 × {UNIT_PRICE[journey.language]}" in line, line
    assert line.count(TWO_BLOUSES[journey.language]) >= 2, line  # the blouses' line total and the order total
    assert_in_language(page, journey.language)
    assert_fits_viewport(page)
    shot(page, f"buyer-02-checkout-{journey.id}")

    # and confirm the test payment.
    page.get_by_role("button", name=re.compile(re.escape(words["pay_test"]))).click()

    # Then the paid page shows the order number, what was paid and what happens next, in their language.
    expect(page.locator("h1")).to_have_text(words["paid"])
    with schema_context(shop.seller.schema_name):
        order = Order.objects.get(buyer__platform_user_id=buyer)
        assert order.status == Order.Status.PAID
        assert set(order.reservations.values_list("status", flat=True)) == {"paid", "released"}
    assert_in_language(
        page,
        journey.language,
        f"{words['order']} {order.pk}",
        words["total_paid"],
        TWO_BLOUSES[journey.language],
        words["next"],
    )
    assert "Bolso" not in page_text(page)
    assert_fits_viewport(page)
    shot(page, f"buyer-03-paid-{journey.id}")
    page.context.close()


@pytest.mark.parametrize("journey", JOURNEYS)
def test_waitlisted_buyer_leaves_the_line_in_chromium(shop: Shop, chromium: Browser, journey: Journey) -> None:
    words = TEXTS[journey.language]
    buyer = f"psid-wait-{journey.id}-{uuid.uuid4().hex[:6]}"
    # Given a viewer who asked for a sold-out scarf and is first in its line.
    link = comment_and_read_the_reply(shop, buyer=buyer, text=f"quiero la {SCARVES[journey.id]}")

    page = open_page(chromium, base_url=shop.base_url, journey=journey)
    page.goto(link)
    expect(page.locator("h2", has_text=words["waitlist"])).to_be_visible()
    assert_in_language(page, journey.language, words["cart"], words["place"])
    assert_fits_viewport(page)
    shot(page, f"buyer-04-waitlisted-{journey.id}")

    # When they leave the line,
    page.get_by_role("button", name=re.compile(words["leave"])).click()

    # then the page says so in their language and their place is given up.
    expect(page.get_by_role("status").first).to_contain_text(words["left"])
    assert_in_language(page, journey.language, words["left"])
    expect(page.locator("h2", has_text=words["waitlist"])).to_have_count(0)
    assert_fits_viewport(page)
    with schema_context(shop.seller.schema_name):
        statuses = set(
            Reservation.objects.filter(order__buyer__platform_user_id=buyer).values_list("status", flat=True)
        )
    assert statuses == {Reservation.Status.RELEASED}
    shot(page, f"buyer-05-left-the-line-{journey.id}")
    page.context.close()


@pytest.mark.parametrize("journey", JOURNEYS)
def test_a_bad_cart_link_shows_a_friendly_translated_page_with_404(
    shop: Shop, chromium: Browser, journey: Journey
) -> None:
    page = open_page(chromium, base_url=shop.base_url, journey=journey)
    response = page.goto("/c/this-token-was-never-issued/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text(TEXTS[journey.language]["bad_link"])
    assert_in_language(page, journey.language, "Boutique Lupita")
    assert response.headers.get("cache-control", "").find("no-store") >= 0
    assert_fits_viewport(page)
    shot(page, f"buyer-06-bad-link-{journey.id}")
    page.context.close()


class _RefererRecorder(BaseHTTPRequestHandler):
    """Another site: records the Referer of each page asked for (not the favicon's, which names this site)."""

    seen: list[str | None] = []

    def do_GET(self) -> None:
        if self.path == "/landing":
            type(self).seen.append(self.headers.get("Referer"))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>elsewhere</title><p>elsewhere</p>")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_cart_token_never_reaches_another_site_as_referrer_in_chromium(shop: Shop, chromium: Browser) -> None:
    # Given a buyer on their cart page, and another site (another origin: its own port).
    link = comment_and_read_the_reply(shop, buyer=f"psid-ref-{uuid.uuid4().hex[:6]}", text="quiero la A12 talla M")
    elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), _RefererRecorder)
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    _RefererRecorder.seen = []
    try:
        page = open_page(chromium, base_url=shop.base_url, journey=Journey("es", "phone"))
        page.goto(link)
        # When the page sends the buyer to the other site (a link, as a provider's checkout would be),
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.id = 'out'; a.textContent = 'out';"
            " document.body.append(a); }",
            f"http://127.0.0.1:{elsewhere.server_address[1]}/landing",
        )
        page.click("#out")
        expect(page.locator("p")).to_have_text("elsewhere")
        # then that site never learns the cart's address.
        assert _RefererRecorder.seen == [None]
        assert page.evaluate("document.referrer") == ""
        page.context.close()
    finally:
        elsewhere.shutdown()
