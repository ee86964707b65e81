"""Static files and the favicon are served by the app itself on every host, public and seller alike: straight
from the source directories under the development and test settings, and as `make serve` does in production
(the collectstatic copy, hashed names cached for good, gzip variants)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import WebServer, manage, production_env

ICO_MAGIC = b"\x00\x00\x01\x00"
HOSTS = [pytest.param("localhost", id="public-host"), pytest.param("seller-a.localhost", id="seller-host")]


@pytest.fixture(scope="module")
def server(django_db_setup: None) -> Iterator[WebServer]:
    web = WebServer()
    yield web
    web.stop()


@pytest.fixture(scope="module")
def production_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """uvicorn with the production settings, after the collectstatic that `make serve` runs first."""
    env = production_env(static_root=tmp_path_factory.mktemp("static"))
    collected = manage("collectstatic", "--noinput", "-v0", **env)
    assert collected.returncode == 0, collected.stderr
    web = WebServer(**env)
    yield web
    web.stop()


def stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet"[^>]* href="([^"]+)"', html)


@pytest.mark.parametrize("host", HOSTS)
def test_the_favicon_is_served_on_every_host(server: WebServer, host: str) -> None:
    ico = httpx.get(f"{server.url}/favicon.ico", headers={"Host": host})
    svg = httpx.get(f"{server.url}/favicon.svg", headers={"Host": host})

    assert ico.status_code == 200 and ico.content.startswith(ICO_MAGIC)
    assert ico.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content == (Path(__file__).parent.parent / "webroot" / "favicon.svg").read_bytes()


def test_the_dashboard_pages_link_the_favicon(server: WebServer) -> None:
    login = httpx.get(f"{server.url}/login/", headers={"Host": "seller-a.localhost"})

    assert login.status_code == 200
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in login.text


@pytest.mark.parametrize("host", HOSTS)
def test_each_admin_site_serves_the_stylesheets_it_links(server: WebServer, host: str) -> None:
    login = httpx.get(f"{server.url}/admin/login/", headers={"Host": host})
    sheets = stylesheets(login.text)

    assert login.status_code == 200 and "/static/admin/css/base.css" in sheets
    for href in sheets:
        response = httpx.get(f"{server.url}{href}", headers={"Host": host})
        assert response.status_code == 200, href
        assert response.headers["content-type"].startswith("text/css"), href


@pytest.mark.parametrize("host", HOSTS)
def test_production_serves_the_collected_files_hashed_and_compressed(production_server: WebServer, host: str) -> None:
    login = httpx.get(f"{production_server.url}/admin/login/", headers={"Host": host})
    [base_css] = [href for href in stylesheets(login.text) if href.startswith("/static/admin/css/base.")]
    plain = httpx.get(f"{production_server.url}{base_css}", headers={"Host": host, "Accept-Encoding": "identity"})
    gzipped = httpx.get(f"{production_server.url}{base_css}", headers={"Host": host, "Accept-Encoding": "gzip"})
    favicon = httpx.get(f"{production_server.url}/favicon.ico", headers={"Host": host})

    assert login.status_code == 200
    assert re.fullmatch(r"/static/admin/css/base\.[0-9a-f]{12}\.css", base_css)  # a name that changes with the file
    assert plain.status_code == 200 and "immutable" in plain.headers["cache-control"]
    assert gzipped.status_code == 200 and gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.content == plain.content  # httpx decompressed it: the same file
    assert favicon.status_code == 200 and favicon.content.startswith(ICO_MAGIC)
