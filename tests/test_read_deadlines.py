"""The app server cuts off a client whose request headers or body never finish (slowloris), and serves the rest."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from config.serve import READ_DEADLINES
from tests.processes import WebServer


@pytest.fixture(scope="module")
def server() -> Iterator[WebServer]:
    web = WebServer(*READ_DEADLINES, HTTP_HEADER_TIMEOUT="1", HTTP_BODY_TIMEOUT="1")
    try:
        yield web
    finally:
        web.stop()


def seconds_until_closed(port: int, first_bytes: bytes, *, give_up_after: float = 6.0) -> float:
    """Send the start of a request, then nothing: how long until the server closes the connection."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=give_up_after) as sock:
        sock.sendall(first_bytes)
        try:
            while sock.recv(4096):
                pass  # whatever the server answered before closing
        except TimeoutError:
            return float("inf")  # still open
    return time.monotonic() - started


def test_a_body_that_never_completes_is_cut_off(server: WebServer) -> None:
    request = b'POST /webhooks/meta/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n{"object": '
    assert seconds_until_closed(server.port, request) < 3


def test_headers_that_never_complete_are_cut_off(server: WebServer) -> None:
    assert seconds_until_closed(server.port, b"POST /webhooks/meta/ HTTP/1.1\r\nHost: loc") < 3


def test_a_connection_that_sends_nothing_is_cut_off(server: WebServer) -> None:
    assert seconds_until_closed(server.port, b"") < 3


def test_ordinary_requests_still_work_on_a_kept_alive_connection(server: WebServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        first = client.get("/healthz")
        time.sleep(0.5)
        second = client.get("/healthz")
    assert first.status_code == second.status_code == 200
