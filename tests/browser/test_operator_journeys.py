"""The operator's journeys in Chromium, against the server as `make serve` runs it (production settings, the
collectstatic copy served by the app): the platform operator signs in to the platform admin on the public host
and the seller's owner to the seller admin on the seller's host, both created with the documented commands, and
both admin sites arrive styled. Every cell of JOURNEYS (es/pt/en × desktop/phone)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, Response, expect

from tenants.models import Seller
from tests.browser.conftest import JOURNEYS, Journey, assert_fits_viewport, open_page, shot
from tests.processes import WebServer, manage, production_env

# Letters the e-mails below never hold: Django's similarity validator refused "operate-the-platform-2026" for
# about one random suffix in nine (`ops-<hex>@platform.test`).
ADMIN_PASSWORD = "quiz-whisky-junk-2026"
OWNER_PASSWORD = "run-my-boutique-2026"
# #header's background in Django's admin stylesheet (var(--header-bg) = #417690): only there if base.css applied.
ADMIN_HEADER_BACKGROUND = "rgb(65, 118, 144)"
PLATFORM_INDEX = {"es": "Vendedores y páginas conectadas", "pt": "Vendedores e páginas conectadas"}
SELLER_INDEX = {"es": "Catálogo, lives, pedidos y mensajes", "pt": "Catálogo, lives, pedidos e mensagens"}


@dataclass(frozen=True)
class OperatorSite:
    public_url: str
    seller_url: str
    seller_name: str
    admin_email: str
    owner_email: str


@pytest.fixture(scope="module")
def site(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorSite]:
    """The platform as an operator sets it up: collectstatic, create_platform_admin and create_seller, run with the
    production settings; then the production server. Everything it created is removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    env = production_env(static_root=tmp_path_factory.mktemp("static"))
    admin_email, owner_email = f"ops-{suffix}@platform.test", f"owner@opj-{suffix}.localhost"
    steps = [
        ("collectstatic", "--noinput", "-v0"),
        ("create_platform_admin", f"--email={admin_email}", f"--password={ADMIN_PASSWORD}"),
        (
            "create_seller",
            f"--schema=opj_{suffix}",
            f"--name=Boutique {suffix}",
            f"--domain=opj-{suffix}.localhost",
            f"--owner-email={owner_email}",
            f"--owner-password={OWNER_PASSWORD}",
        ),
    ]
    try:
        for step in steps:
            done = manage(*step, **env)
            assert done.returncode == 0, f"{step[0]}: {done.stderr}"
        server = WebServer(**env)
        try:
            yield OperatorSite(
                public_url=server.url,
                seller_url=f"http://opj-{suffix}.localhost:{server.port}",
                seller_name=f"Boutique {suffix}",
                admin_email=admin_email,
                owner_email=owner_email,
            )
        finally:
            server.stop()
    finally:
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            for seller in Seller.objects.filter(schema_name=f"opj_{suffix}"):
                seller.delete(force_drop=True)
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            with schema_context("public"):
                get_user_model().objects.filter(username=admin_email).delete()


def watch_stylesheets(page: Page) -> dict[str, int]:
    """Every stylesheet the page loads, by URL path, with its HTTP status."""
    loaded: dict[str, int] = {}

    def seen(response: Response) -> None:
        if response.request.resource_type == "stylesheet":
            loaded[re.sub(r"^https?://[^/]+", "", response.url)] = response.status

    page.on("response", seen)
    return loaded


def sign_in_to_admin(page: Page, *, email: str, password: str) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("#login-form input[type=submit]")
    expect(page.locator("#id_password")).to_have_count(0)


def assert_admin_styled(page: Page, stylesheets: dict[str, int]) -> None:
    base_css = [path for path in stylesheets if re.fullmatch(r"/static/admin/css/base\.[0-9a-f]{12}\.css", path)]
    assert base_css and stylesheets[base_css[0]] == 200, stylesheets
    assert all(status == 200 for status in stylesheets.values()), stylesheets
    header = page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert header == ADMIN_HEADER_BACKGROUND


@pytest.mark.parametrize("journey", JOURNEYS)
def test_operator_signs_in_to_the_styled_platform_admin_and_finds_the_seller_in_chromium(
    chromium: Browser, site: OperatorSite, journey: Journey
) -> None:
    page = open_page(chromium, base_url=site.public_url, journey=journey)
    stylesheets = watch_stylesheets(page)

    sign_in_to_admin(page, email=site.admin_email, password=ADMIN_PASSWORD)

    expect(page.locator("#site-name")).to_have_text(
        {"es": "LiveStreamSell AI — plataforma", "pt": "LiveStreamSell AI — plataforma"}.get(
            journey.language, "LiveStreamSell AI — platform"
        )
    )
    expect(page.locator("#content h1")).to_have_text(PLATFORM_INDEX.get(journey.language, "Sellers and page bindings"))
    assert_admin_styled(page, stylesheets)
    # how the pipeline is, above the models: dead letters to look at and deliveries waiting for Redis
    pipeline = {"es": "Canal de procesamiento", "pt": "Fluxo de processamento"}.get(journey.language, "Pipeline")
    expect(page.locator("#pipeline-health caption")).to_have_text(pipeline)
    expect(page.locator("#dead-letters")).to_have_text(re.compile(r"^\d+$"))
    assert_fits_viewport(page)
    page.click('#content-main th a[href="/admin/tenants/seller/"]')
    expect(page.locator("#result_list")).to_contain_text(site.seller_name)
    shot(page, f"operator-platform-admin-{journey.id}")


@pytest.mark.parametrize("journey", JOURNEYS)
def test_seller_owner_signs_in_to_the_styled_seller_admin_in_chromium(
    chromium: Browser, site: OperatorSite, journey: Journey
) -> None:
    page = open_page(chromium, base_url=site.seller_url, journey=journey)
    stylesheets = watch_stylesheets(page)

    sign_in_to_admin(page, email=site.owner_email, password=OWNER_PASSWORD)

    expect(page.locator("#site-name")).to_have_text("LiveStreamSell AI")
    expect(page.locator("#content h1")).to_have_text(
        SELLER_INDEX.get(journey.language, "Catalog, lives, orders and messages")
    )
    assert_admin_styled(page, stylesheets)
    assert_fits_viewport(page)
    page.click('#content-main th a[href="/admin/inventory/product/"]')
    expect(page.locator("#changelist")).to_be_visible()
    shot(page, f"operator-seller-admin-{journey.id}")
