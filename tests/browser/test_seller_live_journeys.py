"""A seller runs a live, as people click it, in es/pt/en on a desktop and on a phone.

One committed seller, one web server and one pipeline (`run_pipeline`) serve the whole module; each journey has
its own product and its own live. The seller schedules and starts the live, features the product; viewers'
comments arrive as signed Meta webhooks through the real pipeline; the seller resolves the unclear one by
choosing a variant, ends the live (confirming), cancels one order (confirming) and records another as paid in
cash (confirming), and the order's trail names the staff member. Every page is read in the journey's language
and must fit the screen.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from dashboard import control
from demo.meta_payloads import encode, feed_comment_change, page_delivery, sign
from inventory.models import Product, StockMovement
from livestreams.models import Comment, LiveSession
from payments.models import Order
from tenants.models import PageBinding, Seller
from tenants.services import seller_provision
from tests.browser.conftest import JOURNEYS, Journey, assert_fits_viewport, log_in, open_page, shot
from tests.conftest import OWNER_PASSWORD
from tests.factories import make_product
from tests.processes import ManageProcess, WebServer

# What the seller reads, per language.
TEXT = {
    "es": {
        "scheduled": "Programado",
        "on_air": "Al aire",
        "ended": "Terminado",
        "connected": "conectado",
        "purchase": "Compra",
        "chatter": "Charla",
        "reserved": "Apartado",
        "unclear": "El comentario no es claro",
        "choose": "Elige…",
        "end_question": "¿Terminar este live?",
        "orders": "3 pedidos",
        "cancelled": "Cancelado",
        "cancel_question": "¿Cancelar el pedido",
        "paid": "Pagado",
        "cash_question": "¿Registrar un pago en efectivo",
        "cash_by": "Pagado en efectivo, registrado por {email}",
        "claims_chart": "Apartados y ventas por minuto",
    },
    "pt": {
        "scheduled": "Agendada",
        "on_air": "No ar",
        "ended": "Encerrada",
        "connected": "conectado",
        "purchase": "Compra",
        "chatter": "Conversa",
        "reserved": "Reservado",
        "unclear": "O comentário não está claro",
        "choose": "Escolha…",
        "end_question": "Encerrar esta live?",
        "orders": "3 pedidos",
        "cancelled": "Cancelado",
        "cancel_question": "Cancelar o pedido",
        "paid": "Pago",
        "cash_question": "Registrar um pagamento em dinheiro",
        "cash_by": "Pago em dinheiro, registrado por {email}",
        "claims_chart": "Solicitações e vendas por minuto",
    },
    "en": {
        "scheduled": "Scheduled",
        "on_air": "On air",
        "ended": "Ended",
        "connected": "connected",
        "purchase": "Purchase",
        "chatter": "Chatter",
        "reserved": "Reserved",
        "unclear": "The comment is unclear",
        "choose": "Choose…",
        "end_question": "End this live?",
        "orders": "3 orders",
        "cancelled": "Cancelled",
        "cancel_question": "Cancel order",
        "paid": "Paid",
        "cash_question": "Record a cash payment",
        "cash_by": "Paid in cash, recorded by {email}",
        "claims_chart": "Claims and sales per minute",
    },
}
# What viewers write, in the journey's language (the unclear one is the local engine's low-confidence case).
CLAIMS = {
    "es": ("quiero {code} talla M", "quiero {code} talla L"),
    "pt": ("eu quero a {code} M", "eu quero a {code} L"),
    "en": ("I want {code} in M", "I want {code} in L"),
}
UNCLEAR, CHATTER = "me lo apartas?", "hermosa ❤️"
# One product per journey, so journeys share the module's seller without touching each other's stock.
CODES = {cast(Journey, param.values[0]).id: f"K{n}" for n, param in enumerate(JOURNEYS, start=1)}


@dataclass(frozen=True)
class Shop:
    seller: Seller
    base_url: str
    page_id: str
    email: str
    web: WebServer


@pytest.fixture(scope="module")
def shop(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Shop]:
    """A committed seller with one product per journey, served by one web server and one pipeline."""
    suffix = uuid.uuid4().hex[:10]
    domain = f"j-{suffix}.localhost"
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        seller = seller_provision(
            schema_name=f"j_{suffix}",
            name=f"Journeys {suffix}",
            domain=domain,
            facebook_page_id=str(int(suffix, 16)),
            owner_email=f"owner@{domain}",
            owner_password=OWNER_PASSWORD,
        ).seller
        with schema_context(seller.schema_name):
            for code in CODES.values():
                make_product(code=code, name="Vestido lino", price_minor=45000, variants={"M": 2, "L": 2})
        web = WebServer()
        pipeline = ManageProcess("run_pipeline")
        try:
            yield Shop(
                seller=seller,
                base_url=f"http://{domain}:{web.port}",
                page_id=PageBinding.objects.get(seller=seller).external_id,
                email=f"owner@{domain}",
                web=web,
            )
        finally:
            pipeline.terminate()
            web.stop()
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            seller.delete(force_drop=True)


def post_comment(shop: Shop, *, comment_id: str, author_id: str, author_name: str, text: str) -> None:
    """A viewer's comment as Meta delivers it: a signed webhook to the public ingest endpoint."""
    change = feed_comment_change(
        page_id=shop.page_id, comment_id=comment_id, author_id=author_id, author_name=author_name, text=text
    )
    body = encode(page_delivery(page_id=shop.page_id, changes=[change]))
    response = httpx.post(
        f"{shop.web.url}/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET)},
        timeout=5,
    )
    assert response.status_code == 200, response.text


def fits(page: Page, name: str) -> None:
    assert_fits_viewport(page)
    shot(page, name)


def confirm_in_dialog(page: Page, *, trigger: str, dialog: str, question: str) -> None:
    """Open the confirmation with the keyboard, back out with Escape (nothing happens), then confirm."""
    page.locator(trigger).focus()
    page.keyboard.press("Enter")
    expect(page.locator(dialog)).to_be_visible()
    expect(page.locator(dialog)).to_contain_text(question)
    assert page.evaluate(f"document.querySelector('{dialog}').contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(page.locator(dialog)).to_be_hidden()
    page.locator(trigger).click()
    expect(page.locator(dialog)).to_be_visible()
    page.locator(f"{dialog} [data-confirm-submit]").click()


@pytest.mark.parametrize("journey", JOURNEYS)
def test_a_seller_runs_a_live_resolves_a_review_ends_it_and_settles_its_orders(
    chromium: Browser, shop: Shop, journey: Journey
) -> None:
    say = TEXT[journey.language]
    code, tag = CODES[journey.id], f"{journey.id}-{uuid.uuid4().hex[:6]}"
    with schema_context(shop.seller.schema_name):
        product = Product.objects.get(code=code)
        variant_m, variant_l = product.variants.get(label="M"), product.variants.get(label="L")
    page = open_page(chromium, base_url=shop.base_url, journey=journey)
    log_in(page, email=shop.email, password=OWNER_PASSWORD, path="/lives/")

    # The seller schedules the live on the page and starts it.
    expect(page.locator("h1")).to_be_visible()
    fits(page, f"journey-{journey.id}-01-lives")
    page.fill("#id_title", f"Live {tag}")
    page.click("form.inline-form button[type=submit]")
    expect(page.locator("#live-status")).to_have_text(say["scheduled"])
    page.click("form[action$='/start/'] button")
    expect(page.locator("#live-status")).to_have_text(say["on_air"])
    expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=10_000)
    expect(page.locator("#connection .conn-state")).to_have_text(say["connected"])
    expect(page.locator("#chart-title")).to_have_text(say["claims_chart"])
    with schema_context(shop.seller.schema_name):
        live = LiveSession.objects.get(title=f"Live {tag}")
    page.click(f'#featured-switch [data-product-id="{product.pk}"]')
    expect(page.locator(f'#featured-switch [data-product-id="{product.pk}"]')).to_have_attribute("aria-pressed", "true")

    # Viewers comment: two clear claims, an unclear one, and chatter.
    claim_m, claim_l = (text.format(code=code) for text in CLAIMS[journey.language])
    post_comment(shop, comment_id=f"{tag}-1", author_id=f"{tag}-ana", author_name="Ana", text=claim_m)
    post_comment(shop, comment_id=f"{tag}-2", author_id=f"{tag}-bea", author_name="Bea", text=claim_l)
    post_comment(shop, comment_id=f"{tag}-3", author_id=f"{tag}-caro", author_name="Caro", text=UNCLEAR)
    post_comment(shop, comment_id=f"{tag}-4", author_id=f"{tag}-dani", author_name="Dani", text=CHATTER)
    ana = page.locator("#feed li", has_text=claim_m)
    expect(ana.locator(".badge.label-purchase")).to_have_text(say["purchase"], timeout=5_000)
    expect(ana.locator(".item")).to_contain_text(say["reserved"])
    expect(page.locator("#feed li", has_text=CHATTER).locator(".badge")).to_have_text(say["chatter"])
    unclear = page.locator("#review li", has_text=UNCLEAR)
    expect(unclear.locator(".reason")).to_contain_text(say["unclear"])
    expect(page.locator(f'tr[data-variant-id="{variant_m.pk}"] [data-field="available"]')).to_have_text("1")
    expect(page.locator("#messages")).to_contain_text("Ana", timeout=10_000)
    fits(page, f"journey-{journey.id}-02-control-room")

    # The unclear comment: nothing is chosen for the seller; they choose M and assign it.
    select = unclear.locator("select[name=variant_id]")
    assert select.input_value() == ""
    expect(select.locator("option:checked")).to_have_text(say["choose"])
    select.select_option(str(variant_m.pk))
    unclear.locator('[data-action="resolve"]').click()
    expect(page.locator("#review li")).to_have_count(0)
    expect(page.locator("#review-count")).to_have_text("0")
    expect(page.locator("#feed li", has_text=UNCLEAR).locator(".badge.label-purchase")).to_be_visible()
    expect(page.locator(f'tr[data-variant-id="{variant_m.pk}"] [data-field="available"]')).to_have_text("0")
    expect(page.locator("#totals [data-total=orders]")).to_have_text("3 (0)")
    expect(page.locator("#chart rect.claims")).not_to_have_count(0)
    assert page.locator("#chart text.tick").count() >= 4  # y-axis numbers and at least one time
    fits(page, f"journey-{journey.id}-03-review-resolved")

    # End the live: a confirmation first (kept with Escape), then confirmed.
    confirm_in_dialog(
        page, trigger="[data-confirm=confirm-end-live]", dialog="#confirm-end-live", question=say["end_question"]
    )
    expect(page.locator("#live-status")).to_have_text(say["ended"])
    with schema_context(shop.seller.schema_name):
        assert LiveSession.objects.get(pk=live.pk).status == LiveSession.Status.ENDED
        orders = {
            o.buyer.platform_user_id: o.pk for o in Order.objects.filter(live_session=live).select_related("buyer")
        }
    assert set(orders) == {f"{tag}-ana", f"{tag}-bea", f"{tag}-caro"}
    fits(page, f"journey-{journey.id}-04-ended")

    # The orders of the live; Ana's is cancelled (confirmed).
    page.goto(f"/orders/?live={live.pk}")
    expect(page.locator(".order-totals")).to_contain_text(say["orders"])
    fits(page, f"journey-{journey.id}-05-orders")
    page.click(f'#order-results a[href="/orders/{orders[f"{tag}-ana"]}/"]')
    confirm_in_dialog(
        page, trigger="[data-confirm=confirm-cancel]", dialog="#confirm-cancel", question=say["cancel_question"]
    )
    expect(page.locator("#order-status")).to_have_text(say["cancelled"])
    fits(page, f"journey-{journey.id}-06-cancelled")

    # Bea paid in cash: recorded (confirmed) in the name of the staff member who pressed it.
    page.goto(f"/orders/{orders[f'{tag}-bea']}/")
    confirm_in_dialog(
        page, trigger="[data-confirm=confirm-cash]", dialog="#confirm-cash", question=say["cash_question"]
    )
    expect(page.locator("#order-status")).to_have_text(say["paid"])
    expect(page.locator(".history")).to_contain_text(say["cash_by"].format(email=shop.email))
    expect(page.locator(".movements .actor").last).to_have_text(shop.email)
    fits(page, f"journey-{journey.id}-07-paid-in-cash")
    with schema_context(shop.seller.schema_name):
        assert Order.objects.get(pk=orders[f"{tag}-ana"]).status == Order.Status.CANCELLED
        assert Order.objects.get(pk=orders[f"{tag}-bea"]).status == Order.Status.PAID
        sale = StockMovement.objects.get(reason=StockMovement.Reason.SALE, variant=variant_l)
        assert sale.actor == shop.email
    page.context.close()


@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_lives_and_orders_lists_fit_the_screen_with_long_names_and_many_rows(
    chromium: Browser, shop: Shop, journey: Journey
) -> None:
    with schema_context(shop.seller.schema_name):
        if not LiveSession.objects.filter(title__startswith="facebook live sim").exists():
            product = Product.objects.get(code="K1")
            variant = product.variants.get(label="M")
            live = LiveSession.objects.create(
                platform="facebook",
                page_external_id=shop.page_id,
                platform_video_id="1796180951194",
                title="facebook live sim1796180951194 — Colección primavera verano",
                status=LiveSession.Status.ENDED,
                started_at=timezone.now(),
                ended_at=timezone.now(),
            )
            for n in range(12):
                comment = Comment.objects.create(
                    live_session=live,
                    platform="facebook",
                    external_id=f"fit-{n}",
                    author_platform_id=f"psid-1796180951194{n:03d}",
                    author_name=f"María Fernanda de los Ángeles {n}",
                    text="quiero",
                    received_at=timezone.now(),
                )
                control.review_resolve(comment_id=comment.pk, variant_id=variant.pk, quantity=1, actor="test")
    page = open_page(chromium, base_url=shop.base_url, journey=journey)
    log_in(page, email=shop.email, password=OWNER_PASSWORD, path="/lives/")

    for path in ("/lives/", "/orders/", "/orders/?status=waitlist_only"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_fits_viewport(page)
    shot(page, f"journey-{journey.id}-08-lists-fit")
    page.context.close()
