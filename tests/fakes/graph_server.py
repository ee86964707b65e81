"""A real HTTP fake of Meta's Send API on 127.0.0.1 (shared/reference/platform-contracts.md §B, checklist 1).

Serves `POST /{version}/{page_id}/messages` and `/{version}/me/messages` and enforces what Meta enforces:
- the page token (`access_token` query/form parameter or Bearer header) → else 190;
- one private reply per `recipient.comment_id` → 10900 on the second; `closed_comments` → 10903;
- the 24-hour window for `recipient.id` (`open_window(psid)`) → code 10, subcode 2018278; `unavailable` → 551;
- a per-page rate (`rate_limit_per_second`, sliding one-second window) → 613;
- the message shape (text < 2000, button template text ≤ 640 with 1–3 buttons) → 100.
Switchable per test: scripted errors for the next calls (`fail_next(613)`, `fail_next(500)`), answers that
come late after the message was delivered (`slow_next`), and a fixed latency on every call (benchmarks).

    with FakeGraph() as graph:
        graph.add_page("9001", token="tok")
        settings.META_GRAPH_URL = graph.base_url
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.harness import FakeHandler, FakeServer

ERRORS: dict[int, tuple[str, str]] = {
    1: ("OAuthException", "An unknown error has occurred."),
    2: ("OAuthException", "An unexpected error has occurred. Please retry your request later."),
    4: ("OAuthException", "Application request limit reached"),
    10: ("OAuthException", "This message is sent outside of allowed window."),
    100: ("OAuthException", "Invalid parameter"),
    190: ("OAuthException", "Error validating access token: Session has expired."),
    551: ("OAuthException", "This person isn't available right now."),
    613: ("OAuthException", "Calls to this api have exceeded the rate limit."),
    10900: ("OAuthException", "Activity already replied to"),
    10903: ("OAuthException", "This user cant reply to this activity"),
    80006: ("OAuthException", "There have been too many messenger api calls to this Page account."),
}


@dataclass(frozen=True)
class Delivered:
    page_id: str
    recipient: dict[str, str]
    message: dict[str, Any]
    messaging_type: str
    message_id: str
    at: float


@dataclass
class Scripted:
    status: int
    code: int | None
    subcode: int | None = None
    times: int = 1


@dataclass
class _State:
    delivered: list[Delivered] = field(default_factory=list)
    answers: list[tuple[float, str, int, int | None]] = field(default_factory=list)  # (time, page, http, code)
    replied_comments: set[str] = field(default_factory=set)


class FakeGraph(FakeServer):
    name = "fake-graph"

    def __init__(self, *, version: str = "v25.0") -> None:
        super().__init__()
        self.version = version
        self.pages: dict[str, str] = {}
        self.windows_open: set[str] = set()
        self.unavailable: set[str] = set()
        self.closed_comments: set[str] = set()
        self.rate_limit_per_second: int | None = None
        self.latency_seconds = 0.0
        self._script: deque[Scripted] = deque()
        self._slow: deque[float] = deque()
        self._recent: dict[str, deque[float]] = {}
        self._state = _State()
        self._lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # --- set-up -----------------------------------------------------------------------------------------
    def add_page(self, page_id: str, *, token: str) -> None:
        self.pages[page_id] = token

    def open_window(self, psid: str) -> None:
        """The buyer wrote to the page: messages to them are allowed (the 24-hour window)."""
        self.windows_open.add(psid)

    def mark_replied(self, comment_id: str) -> None:
        """Someone (the seller, by hand) already used this comment's one private reply."""
        with self._lock:
            self._state.replied_comments.add(comment_id)

    def fail_next(self, status_or_code: int, *, times: int = 1, subcode: int | None = None) -> None:
        """Answer the next `times` calls with an error: an HTTP status ≥ 500 (plain body) or a Meta code."""
        with self._lock:
            if status_or_code >= 500 and status_or_code not in ERRORS:
                self._script.append(Scripted(status=status_or_code, code=None, times=times))
            else:
                self._script.append(Scripted(status=400, code=status_or_code, subcode=subcode, times=times))

    def slow_next(self, seconds: float, *, times: int = 1) -> None:
        """Deliver the next `times` messages but answer only after `seconds` (the caller may time out)."""
        with self._lock:
            self._slow.extend([seconds] * times)

    # --- inspection -------------------------------------------------------------------------------------
    @property
    def delivered(self) -> list[Delivered]:
        with self._lock:
            return list(self._state.delivered)

    def replies_to(self, comment_id: str) -> int:
        return sum(1 for d in self.delivered if d.recipient.get("comment_id") == comment_id)

    def answered(self, code: int | None = None, *, http: int | None = None) -> int:
        with self._lock:
            return sum(1 for _t, _p, h, c in self._state.answers if (code is None or c == code) and (http in (None, h)))

    # --- request handling (server threads) --------------------------------------------------------------
    def _scripted(self) -> Scripted | None:
        with self._lock:
            if not self._script:
                return None
            head = self._script[0]
            head.times -= 1
            if head.times <= 0:
                self._script.popleft()
            return head

    def _over_rate(self, page_id: str) -> bool:
        if self.rate_limit_per_second is None:
            return False
        now = time.monotonic()
        with self._lock:
            recent = self._recent.setdefault(page_id, deque())
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if len(recent) >= self.rate_limit_per_second:
                return True
            recent.append(now)
            return False

    def handle_send(self, page_id: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | str, float]:
        """(HTTP status, JSON answer or plain text, seconds to wait before answering)."""
        if page_id == "me":
            page_id = next((p for p, t in self.pages.items() if t == token), "")
        if not token or self.pages.get(page_id) != token:
            return 400, _error(190), 0.0
        scripted = self._scripted()
        if scripted is not None:
            if scripted.code is None:
                return scripted.status, "Internal Server Error", 0.0
            return scripted.status, _error(scripted.code, scripted.subcode), 0.0
        if self._over_rate(page_id):
            return 400, _error(613), 0.0
        recipient: dict[str, Any] = body["recipient"] if isinstance(body.get("recipient"), dict) else {}
        message: dict[str, Any] = body["message"] if isinstance(body.get("message"), dict) else {}
        if len([k for k in ("id", "comment_id", "post_id") if recipient.get(k)]) != 1 or not _valid_message(message):
            return 400, _error(100), 0.0
        comment_id, psid = str(recipient.get("comment_id", "")), str(recipient.get("id", ""))
        with self._lock:
            if comment_id and comment_id in self.closed_comments:
                return 400, _error(10903), 0.0
            if comment_id and comment_id in self._state.replied_comments:
                return 400, _error(10900), 0.0
            if psid and psid in self.unavailable:
                return 400, _error(551, 1545041), 0.0
            if psid and psid not in self.windows_open:
                return 400, _error(10, 2018278), 0.0
            if comment_id:
                self._state.replied_comments.add(comment_id)
            message_id = f"m_{uuid.uuid4().hex}"
            self._state.delivered.append(
                Delivered(
                    page_id, dict(recipient), message, str(body.get("messaging_type", "")), message_id, time.time()
                )
            )
            delay = self._slow.popleft() if self._slow else self.latency_seconds
        answer = {"recipient_id": psid or f"psid-of-{comment_id}", "message_id": message_id}
        return 200, answer, delay

    def _record_answer(self, page_id: str, status: int, payload: dict[str, Any] | str) -> None:
        code = payload["error"]["code"] if isinstance(payload, dict) and "error" in payload else None
        with self._lock:
            self._state.answers.append((time.time(), page_id, status, code))


def _error(code: int, subcode: int | None = None) -> dict[str, Any]:
    kind, message = ERRORS.get(code, ("OAuthException", "Error"))
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def _valid_message(message: dict[str, Any]) -> bool:
    text = message.get("text")
    if isinstance(text, str):
        return 0 < len(text) < 2000
    payload = (message.get("attachment") or {}).get("payload") or {}
    if payload.get("template_type") == "button":
        buttons = payload.get("buttons") or []
        return 0 < len(str(payload.get("text", ""))) <= 640 and 1 <= len(buttons) <= 3
    return False


def _handler_for(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(FakeHandler):
        def do_POST(self) -> None:
            raw = self.read_body()
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != fake.version or parts[2] != "messages":
                self._send(404, _error(100), 0.0)
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            token = parse_qs(url.query).get("access_token", [""])[0]
            bearer = self.headers.get("Authorization", "")
            token = token or (bearer[7:] if bearer.startswith("Bearer ") else "")
            status, payload, delay = fake.handle_send(parts[1], token, body if isinstance(body, dict) else {})
            fake._record_answer(parts[1], status, payload)
            self._send(status, payload, delay)

        def _send(self, status: int, payload: dict[str, Any] | str, delay: float) -> None:
            if delay:
                fake.wait(delay)
            if isinstance(payload, str):
                self.send_body(status, payload.encode(), content_type="text/plain")
            else:
                self.send_json(status, payload)

    return Handler
