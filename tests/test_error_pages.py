"""Every host answers a missing page and a crash with our own page, in the visitor's language."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from core.http import server_error
from tenants.models import Seller


@pytest.mark.parametrize(
    ("host", "accept_language", "headline", "lang"),
    [
        ("seller-a.localhost", "pt-BR,pt;q=0.9", "Página não encontrada", "pt"),
        ("seller-a.localhost", "en-US", "Page not found", "en"),
        ("localhost", "", "Página no encontrada", "es"),
        ("nobody.localhost", "pt-BR", "Página não encontrada", "pt"),
    ],
)
def test_a_missing_page_is_our_own_translated_404(
    seller_a: Seller, host: str, accept_language: str, headline: str, lang: str
) -> None:
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = Client(HTTP_HOST=host, **headers).get("/no-such-page/")  # type: ignore[arg-type]

    html = response.content.decode()
    assert response.status_code == 404
    assert f"<h1>{headline}</h1>" in html and f'<html lang="{lang}">' in html
    assert 'name="viewport"' in html  # readable on a phone


@pytest.mark.parametrize(
    ("language", "headline"),
    [("es", "Algo salió mal"), ("pt", "Algo deu errado"), ("en", "Something went wrong")],
)
def test_a_crash_is_our_own_translated_500(language: str, headline: str) -> None:
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=language)
    response = server_error(request)  # handler500: what Django calls on an unhandled exception

    assert response.status_code == 500
    assert f"<h1>{headline}</h1>" in response.content.decode()
