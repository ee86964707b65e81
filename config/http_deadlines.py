"""uvicorn's HTTP protocol with read deadlines: a client that sends its request too slowly is cut off.

uvicorn times out idle kept-alive connections only; a request whose headers or body never finish would hold
its connection (and, for the body, the handler waiting for it) open for as long as the client likes. Here the
headers must arrive within HTTP_HEADER_TIMEOUT seconds of the connection (or of the request's first byte on a
kept-alive one), and the whole body within HTTP_BODY_TIMEOUT seconds of the headers; otherwise the connection
is closed. The proxy in front of us should cut such clients first (docs/scaling.md); this holds without one.

`python -m config.serve` runs uvicorn with `--http config.http_deadlines:DeadlineHttpToolsProtocol`.
"""

from __future__ import annotations

import asyncio
import logging
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)

HEADER_TIMEOUT = float(os.environ.get("HTTP_HEADER_TIMEOUT", "5"))
BODY_TIMEOUT = float(os.environ.get("HTTP_BODY_TIMEOUT", "10"))


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    _read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADER_TIMEOUT, "headers")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(HEADER_TIMEOUT, "headers")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(BODY_TIMEOUT, "body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float, part: str) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(seconds, self._too_slow, part, seconds)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self, part: str, seconds: float) -> None:
        self._read_deadline = None
        logger.warning("http: request %s not received within %ss from %s; closing", part, seconds, self.client)
        self.transport.close()
