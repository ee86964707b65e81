"""What every fake provider server shares: an HTTP server on 127.0.0.1 (a free port) in a daemon thread, its
life cycle (`start`/`stop`, or `with`), its base URL, and a handler base that reads bodies and writes JSON.

A fake subclasses `FakeServer` and gives `handler()`, a `FakeHandler` subclass that answers like the provider's
contract (`../shared/reference/platform-contracts*.md`), errors included."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class FakeHandler(BaseHTTPRequestHandler):
    """Keep-alive (HTTP/1.1), no Nagle delay (headers and body are two writes; the client's delayed ACK would
    add 40 ms per call), no access log."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_body(self, status: int, data: bytes, *, content_type: str, headers: dict[str, str] | None = None) -> None:
        """Answer; a client that gave up already (its timeout) is not an error of the fake."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(payload).encode(), content_type="application/json", headers=headers)


class FakeServer:
    """Base of the fakes. `url_path` is appended to the base URL (OpenAI's clients expect `/v1`)."""

    name = "fake"
    url_path = ""

    def __init__(self) -> None:
        self._stopping = threading.Event()  # wakes handlers sleeping in a "slow" or "hang" mode at stop()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler(), bind_and_activate=False)
        server.request_queue_size = 1024  # a burst of connections must queue, not be refused
        server.daemon_threads = True  # a handler still sleeping must not block shutdown
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def wait(self, seconds: float) -> None:
        """Sleep in a handler, cut short by stop()."""
        self._stopping.wait(seconds)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.url_path}"
