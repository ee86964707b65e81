"""The owner connects their system to our outgoing webhooks, in Chromium: registers an endpoint in settings (its
signing secret shown once), an event reaches the local receiver signed with that secret, the delivery log shows
it delivered, and "send again" delivers it once more with the same webhook-id; es, pt and en, desktop and phone."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect
from standardwebhooks.webhooks import Webhook

from hooks.due import HOOKS_DUE
from hooks.sender import hooks_tick
from livestreams.services import live_session_start
from tenants.models import Seller
from tests.browser.conftest import JOURNEYS, Journey, assert_fits_viewport, log_in, open_page, shot
from tests.conftest import OWNER_PASSWORD
from tests.fakes.hook_receiver import HookReceiver
from tests.processes import WebServer

TEXTS = {
    "es": ("Agregar endpoint", "Secreto de firma", "Entregado", "Enviar de nuevo", "El envío se repetirá"),
    "pt": ("Adicionar endpoint", "Segredo de assinatura", "Entregue", "Enviar de novo", "O envio será repetido"),
    "en": ("Add endpoint", "Signing secret", "Delivered", "Send again", "The delivery will be sent again"),
}


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with HookReceiver() as server:
        yield server


def send_due(schema_name: str) -> int:
    """One pass of the webhooks sender, as run_scheduler's thread makes it."""
    with httpx.Client(timeout=5.0) as client, ThreadPoolExecutor(max_workers=2) as pool:
        sent = hooks_tick(client=client, pool=pool)
    HOOKS_DUE.forget(schema_name=schema_name)
    return sent


@pytest.mark.parametrize("journey", JOURNEYS)
def test_owner_registers_a_webhook_endpoint_receives_a_signed_event_and_sends_it_again(
    chromium: Browser, web: WebServer, committed_seller: Seller, receiver: HookReceiver, journey: Journey
) -> None:
    add, secret_title, delivered, send_again, replaying = TEXTS[journey.language]
    with schema_context("public"):
        domain = str(committed_seller.get_primary_domain().domain)  # type: ignore[union-attr]
    page = open_page(chromium, base_url=f"http://{domain}:{web.port}", journey=journey)
    log_in(page, email=f"owner@{domain}", password=OWNER_PASSWORD)

    page.goto("/settings/")
    page.get_by_role("link", name="Webhooks").click()
    page.fill("#id_url", f"{receiver.base_url}/orders-hook")
    page.fill("#id_description", "ERP")
    page.get_by_label("live.started").check()
    page.get_by_label("order.paid").check()
    page.get_by_role("button", name=add).click()
    expect(page.locator("#new-secret-title")).to_have_text(secret_title)
    secret = page.locator("#new-hook-secret").inner_text()
    assert secret.startswith("whsec_")
    assert_fits_viewport(page)
    shot(page, f"webhook-created-{journey.id}")

    with schema_context(committed_seller.schema_name):
        live_session_start(platform="facebook", page_external_id="1", platform_video_id=f"v-{journey.id}")
    assert send_due(committed_seller.schema_name) == 1
    (first,) = receiver.received
    assert Webhook(secret).verify(first.body, first.headers)["type"] == "live.started"

    page.get_by_role("link", name=f"{receiver.base_url}/orders-hook").click()
    expect(page.locator("table")).to_contain_text("live.started")
    expect(page.locator("table")).to_contain_text(delivered)
    expect(page.locator("table")).to_contain_text("HTTP 200")
    assert_fits_viewport(page)
    shot(page, f"webhook-log-{journey.id}")
    page.get_by_role("button", name=send_again).click()
    expect(page.locator("body")).to_contain_text(replaying)
    assert send_due(committed_seller.schema_name) == 1
    assert [r.headers["webhook-id"] for r in receiver.received] == [first.headers["webhook-id"]] * 2
