"""A seller's system receiving our outgoing webhooks: records every request (headers, body) and answers with the
next status of its script (then 200), or hangs until the test releases it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.fakes.harness import FakeHandler, FakeServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class HookReceiver(FakeServer):
    name = "hook-receiver"

    def __init__(self, statuses: list[int] | None = None) -> None:
        super().__init__()
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self.hang = False
        self.release = threading.Event()
        self._lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(FakeHandler):
            def do_POST(self) -> None:
                body = self.read_body()
                with receiver._lock:
                    receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.hang:
                    receiver.release.wait(timeout=30)
                self.send_json(status, {"ok": 200 <= status < 300})

        return Handler
