"""The owner connects a tool, in Chromium: creates an API key in settings (shown once), reads the API docs page
(Swagger UI served by us, offline) and revokes the key; in es, pt and en, desktop and phone, under the CSP."""

from __future__ import annotations

import re

import httpx
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect

from tenants.models import Seller
from tests.browser.conftest import JOURNEYS, Journey, assert_fits_viewport, log_in, open_page, shot
from tests.conftest import OWNER_PASSWORD
from tests.processes import WebServer

TEXTS = {
    "es": ("Claves de API", "Crear clave de API", "Tu nueva clave de API", "Revocar", "Revocada"),
    "pt": ("Chaves de API", "Criar chave de API", "Sua nova chave de API", "Revogar", "Revogada"),
    "en": ("API keys", "Create API key", "Your new API key", "Revoke", "Revoked"),
}


def api_status(web: WebServer, domain: str, key: str) -> int:
    """The API's answer to the key, from outside the browser (a shop's server)."""
    headers = {"Host": f"{domain}:{web.port}", "Authorization": f"Bearer {key}"}
    return httpx.get(f"{web.url}/api/v1/products/", headers=headers).status_code


@pytest.mark.parametrize("journey", JOURNEYS)
def test_owner_creates_an_api_key_reads_the_docs_and_revokes_it(
    chromium: Browser, web: WebServer, committed_seller: Seller, journey: Journey
) -> None:
    title, create, new_key, revoke, revoked = TEXTS[journey.language]
    with schema_context("public"):
        domain = str(committed_seller.get_primary_domain().domain)  # type: ignore[union-attr]
    base_url = f"http://{domain}:{web.port}"
    page = open_page(chromium, base_url=base_url, journey=journey)
    log_in(page, email=f"owner@{domain}", password=OWNER_PASSWORD)

    page.goto("/settings/")
    page.get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    page.fill("#id_name", "ERP")
    page.select_option("#id_scope", "read")
    page.get_by_role("button", name=create).click()
    expect(page.locator("#new-key-title")).to_have_text(new_key)
    key = page.locator("#new-api-key").inner_text()
    assert re.fullmatch(r"lss_[A-Za-z0-9_-]{40,}", key)
    assert_fits_viewport(page)
    shot(page, f"api-key-created-{journey.id}")
    assert api_status(web, domain, key) == 200

    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/products/")
    shot(page, f"api-docs-{journey.id}")

    page.goto("/settings/api-keys/")
    page.get_by_role("button", name=revoke).click()
    expect(page.locator("table")).to_contain_text(revoked)
    assert api_status(web, domain, key) == 401
