"""The webhooks settings pages refuse what they cannot act on with a message, never a server error, and only
the owner sees them."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from hooks.models import Endpoint
from hooks.services import endpoint_create


def test_a_bad_or_foreign_delivery_id_is_refused_with_a_message(owner_client: Client) -> None:
    with schema_context("seller_a"):
        endpoint = endpoint_create(url="http://127.0.0.1:9/hooks", event_types=["order.paid"]).endpoint
    url = f"/settings/webhooks/{endpoint.pk}/"

    for delivery_id in ("abc", "", "999999"):
        response = owner_client.post(url, {"action": "replay", "delivery_id": delivery_id}, follow=True)
        assert response.status_code == 200
        assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_an_unknown_address_is_refused_on_the_form_and_nothing_is_stored(owner_client: Client) -> None:
    response = owner_client.post(
        "/settings/webhooks/", {"url": "https://no-such-host.invalid/x", "event_types": ["order.paid"]}
    )

    assert response.status_code == 200
    assert "no-such-host.invalid" in response.content.decode()
    with schema_context("seller_a"):
        assert not Endpoint.objects.exists()


def test_staff_who_are_not_the_owner_cannot_open_the_webhooks_page(staff_client: Client) -> None:
    assert staff_client.get("/settings/webhooks/").status_code in (302, 403)
