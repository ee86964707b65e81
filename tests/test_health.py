from __future__ import annotations

from django.test import Client


def test_healthz_answers_on_the_public_host(public_client: Client, db: None) -> None:
    response = public_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_postgresql_and_redis(public_client: Client, db: None) -> None:
    response = public_client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"postgresql": "ok", "redis": "ok"}


def test_unknown_host_gets_404(db: None) -> None:
    response = Client(HTTP_HOST="nobody.localhost").get("/healthz")

    assert response.status_code == 404
