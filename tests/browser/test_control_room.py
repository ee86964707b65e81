"""The live control room end to end: headless Chromium against a real uvicorn server and the real pipeline.

A signed Meta webhook comment goes through ingest → claims stage (stored and decided in one step), and the
open control room shows the claim and the new stock count without a reload; another seller's dashboard, open
at the same time, never sees any of it; a control room whose server went away catches up when it is back.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from demo.meta_payloads import encode, feed_comment_change, page_delivery, sign
from inventory.models import Product, Variant
from livestreams.models import LiveSession
from tenants.models import PageBinding, Seller
from tenants.services import seller_provision
from tests.browser.conftest import Journey, assert_fits_viewport, log_in, open_page, shot
from tests.conftest import OWNER_PASSWORD
from tests.factories import make_live, make_product
from tests.processes import ManageProcess, WebServer

DESKTOP_ES = Journey("es", "desktop")
PHONE_ES = Journey("es", "phone")


@pytest.fixture
def other_seller(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Seller]:
    """A second committed seller, logged in elsewhere during the test."""
    suffix = uuid.uuid4().hex[:10]
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        result = seller_provision(
            schema_name=f"o_{suffix}",
            name=f"Other {suffix}",
            domain=f"o-{suffix}.localhost",
            facebook_page_id=str(int(suffix, 16) + 1),
            owner_email=f"owner@o-{suffix}.localhost",
            owner_password=OWNER_PASSWORD,
        )
        try:
            yield result.seller
        finally:
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            result.seller.delete(force_drop=True)


@pytest.fixture
def server(committed_seller: Seller, other_seller: Seller) -> Iterator[WebServer]:
    web = WebServer()
    yield web
    web.stop()


@pytest.fixture
def pipeline(committed_seller: Seller) -> Iterator[ManageProcess]:
    process = ManageProcess("run_pipeline")
    yield process
    process.terminate()


def domain_of(seller: Seller) -> str:
    with schema_context("public"):
        domain = seller.get_primary_domain()
    assert domain is not None
    return domain.domain


def page_id_of(seller: Seller) -> str:
    return PageBinding.objects.get(seller=seller).external_id


def logged_in(browser: Browser, seller: Seller, *, port: int, journey: Journey = DESKTOP_ES) -> Page:
    base_url = f"http://{domain_of(seller)}:{port}"
    page = open_page(browser, base_url=base_url, journey=journey)
    log_in(page, email=f"owner@{domain_of(seller)}", password=OWNER_PASSWORD)
    expect(page).to_have_url(f"{base_url}/")
    return page


def post_comment(server: WebServer, *, page_id: str, comment_id: str, text: str) -> None:
    change = feed_comment_change(
        page_id=page_id, comment_id=comment_id, author_id="psid-77", author_name="Ana", text=text
    )
    body = encode(page_delivery(page_id=page_id, changes=[change]))
    response = httpx.post(
        f"{server.url}/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET)},
        timeout=5,
    )
    assert response.status_code == 200


def wait_socket_open(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=10_000)


def test_claim_from_a_webhook_comment_appears_live_and_stays_with_its_seller(
    committed_seller: Seller, other_seller: Seller, server: WebServer, pipeline: ManageProcess, chromium: Browser
) -> None:
    # Seller A logs in, creates a product with two variants and starts a live from the dashboard.
    page = logged_in(chromium, committed_seller, port=server.port)
    page.goto("/products/new/")
    page.fill("#id_code", "B7")
    page.fill("#id_name", "Vestido lino")
    page.fill("#id_price", "450.00")
    page.fill("#id_variants-0-label", "M")
    page.fill("#id_variants-0-stock", "3")
    page.fill("#id_variants-1-label", "L")
    page.fill("#id_variants-1-stock", "2")
    page.click("form.card button[type=submit]")
    expect(page).to_have_url(re.compile(r"/products/B7/$"))
    shot(page, "control-room-01-product-created")

    page.goto("/lives/")
    page.fill("#id_title", "Live de prueba")
    page.click("form.inline-form button[type=submit]")
    page.click("form[action$='/start/'] button")
    expect(page.locator("#live-status")).to_have_class(re.compile(r"\bstatus-live\b"))
    wait_socket_open(page)
    with schema_context(committed_seller.schema_name):
        live = LiveSession.objects.get(status=LiveSession.Status.LIVE)
        variant_m = Variant.objects.get(product__code="B7", label="M")
        product = Product.objects.get(code="B7")

    # Seller B is logged in elsewhere, on a phone, with its own live control room open.
    with schema_context(other_seller.schema_name):
        make_product(code="Z1", variants={"U": 4})
        other_live = make_live(page_external_id=page_id_of(other_seller), video_id="other-video")
    other_page = logged_in(chromium, other_seller, port=server.port, journey=PHONE_ES)
    other_page.goto(f"/lives/{other_live.pk}/")
    wait_socket_open(other_page)

    # A viewer claims on seller A's live: signed webhook → ingest → claims stage → control room.
    started = time.monotonic()
    post_comment(server, page_id=page_id_of(committed_seller), comment_id="c-browser-1", text="quiero B7 talla M")
    claim = page.locator("#feed li", has_text="quiero B7 talla M")
    expect(claim.locator(".badge.label-purchase")).to_be_visible(timeout=2_000)
    counter = page.locator(f'tr[data-variant-id="{variant_m.pk}"] [data-field="available"]')
    expect(counter).to_have_text("2", timeout=max(0.0, 2_000 - (time.monotonic() - started) * 1000))
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"the claim took {elapsed:.2f}s to appear"
    expect(claim.locator(".engine")).to_have_attribute("data-engine", "local")
    expect(claim.locator(".engine")).to_have_text("automático")
    expect(claim.locator(".badge.label-purchase")).to_have_text("Compra")
    expect(page.locator(f'tr[data-variant-id="{variant_m.pk}"] [data-field="reserved_in_live"]')).to_have_text("1")
    assert_fits_viewport(page)
    shot(page, "control-room-02-claim")

    # The featured product switch: keyboard shortcut 1 → persisted, and a second tab of seller A follows.
    second_tab = page.context.new_page()
    second_tab.goto(f"/lives/{live.pk}/")
    wait_socket_open(second_tab)
    page.keyboard.press("1")
    expect(page.locator(f'#featured-switch [data-product-id="{product.pk}"]')).to_have_attribute("aria-pressed", "true")
    expect(second_tab.locator(f'#featured-switch [data-product-id="{product.pk}"]')).to_have_attribute(
        "aria-pressed", "true", timeout=2_000
    )
    with schema_context(committed_seller.schema_name):
        assert LiveSession.objects.get(pk=live.pk).featured_product_id == product.pk
    shot(page, "control-room-03-featured-switched")

    # Seller B saw nothing of it, and its session does not open seller A's socket.
    expect(other_page.locator("#feed li")).to_have_count(0)
    assert "B7" not in other_page.content()
    assert "quiero" not in other_page.content()
    # From a blank tab of seller B's browser: seller B's pages may not even try (their CSP allows sockets to their
    # own host only), so the server's own refusal is what this checks.
    blank_tab = other_page.context.new_page()
    close_code = blank_tab.evaluate(
        """url => new Promise(resolve => {
            const socket = new WebSocket(url);
            socket.onclose = event => resolve(event.code);
        })""",
        f"ws://{domain_of(committed_seller)}:{server.port}/ws/live/",
    )
    assert close_code in (1006, 4403)
    assert_fits_viewport(other_page)
    shot(other_page, "control-room-04-other-seller-sees-nothing")


def test_control_room_catches_up_on_what_it_missed_while_disconnected(
    committed_seller: Seller, pipeline: ManageProcess, chromium: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    with schema_context(committed_seller.schema_name):
        make_product(code="B7", variants={"M": 3})
        variant_m = Variant.objects.get(product__code="B7", label="M")
        live = make_live(page_external_id=page_id_of(committed_seller), video_id="v-recovery")
    ingest = WebServer()
    dashboard = WebServer()
    try:
        page = logged_in(chromium, committed_seller, port=dashboard.port)
        page.goto(f"/lives/{live.pk}/")
        wait_socket_open(page)

        # The dashboard's server goes away: its socket drops while a claim is decided and published.
        dashboard.stop()
        expect(page.locator("#connection")).to_have_attribute("data-state", "closed", timeout=5_000)
        expect(page.locator("#connection .conn-state")).to_have_text("reconectando…")
        expect(page.locator("#live-status")).to_have_text("Al aire")
        post_comment(ingest, page_id=page_id_of(committed_seller), comment_id="c-missed-1", text="quiero B7 talla M")
        deadline = time.monotonic() + 10
        with schema_context(committed_seller.schema_name):
            while not Variant.objects.filter(pk=variant_m.pk, reserved=1).exists():
                assert time.monotonic() < deadline, "the pipeline did not reserve the claim"
                time.sleep(0.1)
        monkeypatch.setattr("tests.processes.free_port", lambda: dashboard.port)
        dashboard = WebServer()

        # Back on the same address: the page reconnects by itself and re-reads what it missed.
        wait_socket_open(page)
        expect(page.locator("#connection .conn-state")).to_have_text("conectado")
        claim = page.locator("#feed li", has_text="quiero B7 talla M")
        expect(claim.locator(".badge.label-purchase")).to_be_visible(timeout=5_000)
        expect(page.locator(f'tr[data-variant-id="{variant_m.pk}"] [data-field="available"]')).to_have_text("2")
        shot(page, "control-room-05-recovered-after-drop")
    finally:
        dashboard.stop()
        ingest.stop()
