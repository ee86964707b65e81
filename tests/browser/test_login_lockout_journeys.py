"""A seller who forgot the password, in Chromium: ten wrong passwords on the dashboard's login form, then the
right one, and the seller sees the lockout page (429) in their language, on a desktop and on a 390 px phone."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect

from tenants.models import Seller
from tests.browser.conftest import JOURNEYS, Journey, assert_fits_viewport, open_page, shot
from tests.conftest import OWNER_PASSWORD
from tests.processes import WebServer

LOCKED_OUT = {
    "es": ("Demasiados intentos fallidos de inicio de sesión", "Vuelve a intentarlo en 15 minutos."),
    "pt": ("Muitas tentativas de login sem sucesso", "Tente novamente em 15 minutos."),
    "en": ("Too many failed log-in attempts", "Try again in 15 minutes."),
}
WRONG_PASSWORD = {
    "es": "El correo o la contraseña no son correctos.",
    "pt": "E-mail ou senha incorretos.",
    "en": "E-mail or password is wrong.",
}


@pytest.mark.parametrize("journey", JOURNEYS)
def test_a_seller_who_guessed_wrong_ten_times_sees_the_lockout_page_in_their_language(
    chromium: Browser, web: WebServer, committed_seller: Seller, journey: Journey
) -> None:
    with schema_context("public"):
        domain = str(committed_seller.get_primary_domain().domain)  # type: ignore[union-attr]
    title, retry = LOCKED_OUT[journey.language]
    page = open_page(chromium, base_url=f"http://{domain}:{web.port}", journey=journey)
    page.goto("/login/")

    for attempt in range(9):
        page.fill("#id_username", f"owner@{domain}")
        page.fill("#id_password", f"not-it-{attempt}")
        page.click("form button[type=submit]")
        expect(page.locator("[role=alert]")).to_contain_text(WRONG_PASSWORD[journey.language])
    page.fill("#id_password", "not-it-either")
    with page.expect_response(re.compile(r"/login/$")) as tenth:
        page.click("form button[type=submit]")
    assert tenth.value.status == 429
    page.goto("/login/")
    page.fill("#id_username", f"owner@{domain}")
    page.fill("#id_password", OWNER_PASSWORD)
    with page.expect_response(re.compile(r"/login/$")) as right:
        page.click("form button[type=submit]")

    assert right.value.status == 429
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("main")).to_contain_text(retry)
    expect(page.locator("#id_password")).to_have_count(0)
    assert_fits_viewport(page)
    shot(page, f"login-locked-out-{journey.id}")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
