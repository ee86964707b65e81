"""The owner's API keys page: a new key is shown once and works on the API; revoking it closes the API to it."""

from __future__ import annotations

import re

from django.test import Client


def test_owner_creates_a_key_sees_it_once_uses_it_and_revokes_it(owner_client: Client) -> None:
    created = owner_client.post("/settings/api-keys/", {"action": "create", "name": "Mi ERP", "scope": "write"})
    assert created.status_code == 200
    key = re.search(r'<code id="new-api-key">(lss_[^<]+)</code>', created.content.decode())
    assert key is not None
    api = Client(HTTP_HOST="seller-a.localhost", HTTP_AUTHORIZATION=f"Bearer {key.group(1)}")
    assert api.get("/api/v1/products/").status_code == 200

    listed = owner_client.get("/settings/api-keys/").content.decode()
    assert "Mi ERP" in listed and "Lectura y escritura" in listed
    assert key.group(1) not in listed
    api_key_id = re.search(r'name="api_key_id" value="(\d+)"', listed)
    assert api_key_id is not None
    owner_client.post("/settings/api-keys/", {"action": "revoke", "api_key_id": api_key_id.group(1)})

    assert api.get("/api/v1/products/").status_code == 401
    assert "Revocada" in owner_client.get("/settings/api-keys/").content.decode()


def test_staff_who_are_not_the_owner_cannot_open_the_api_keys_page(staff_client: Client) -> None:
    assert staff_client.get("/settings/api-keys/").status_code == 403
    assert (
        staff_client.post("/settings/api-keys/", {"action": "create", "name": "x", "scope": "write"}).status_code == 403
    )


def test_a_staff_session_reads_the_api_as_the_dashboard_does(staff_client: Client) -> None:
    assert staff_client.get("/api/v1/products/").status_code == 200
