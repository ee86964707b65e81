"""The platform admin's index tells the operator how many dead letters wait (and deliveries waiting for Redis)."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from core.streams import keys
from core.streams.connection import get_redis


def cell(page: str, cell_id: str) -> str:
    found = re.search(rf'<td id="{cell_id}">(.*?)</td>', page, re.S)
    assert found, f"no {cell_id} cell on the platform admin index"
    return found.group(1).strip()


def test_the_platform_admin_index_counts_the_dead_letters(db: None, public_client: Client) -> None:
    operator = get_user_model().objects.create_superuser("ops@platform.test", "ops@platform.test", "x")
    public_client.force_login(operator)
    dead = keys.dead_letter_stream(settings.STREAM_SHARDS - 1)
    for n in range(3):
        get_redis().xadd(dead, {"schema": "seller_a", "dead.stage": "claims", "external_id": f"c{n}"})
    try:
        page = public_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    finally:
        get_redis().delete(dead)

    assert cell(page, "dead-letters") == "3"
    assert "manage.py deadletters list" in page
    assert cell(page, "inbox-pending") == "0"
    assert "Cartas muertas" in page
