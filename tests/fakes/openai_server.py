"""A real HTTP fake of the OpenAI API on 127.0.0.1, for driving the real `openai` SDK through `base_url`.

Serves `POST /v1/chat/completions` and `POST /v1/responses` with structured-output (json_schema) answers,
checks `Authorization: Bearer <key>`, records every request, and can be switched per test into the failure
modes the engine must survive: 429 rate limit, 429 insufficient_quota, 5xx, slow, malformed, refusal.

    with FakeOpenAI() as fake:
        fake.answer = lambda messages: {"intent": "other", "items": [], "confidence": 0.9}
        client = OpenAI(api_key=fake.api_key, base_url=fake.base_url)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from tests.fakes.harness import FakeHandler, FakeServer

Mode = Literal["answer", "rate_limit", "insufficient_quota", "server_error", "slow", "malformed", "refusal"]
Messages = list[dict[str, str]]
AnswerFn = Callable[[Messages], dict[str, Any]]

REFUSAL_TEXT = "I'm sorry, I can't help with that request."


def _default_answer(messages: Messages) -> dict[str, Any]:
    return {"intent": "other", "items": [], "confidence": 0.5}


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names lower-cased
    raw_body: bytes
    body: dict[str, Any]

    @property
    def messages(self) -> Messages:
        return _messages_of(self.path, self.body)


class FakeOpenAI(FakeServer):
    """Start with `with FakeOpenAI() as fake:` (or `start()` / `stop()`); switch modes between calls."""

    name = "fake-openai"
    url_path = "/v1"

    def __init__(self, *, api_key: str = "sk-fake-test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.answer: AnswerFn = _default_answer
        self.mode: Mode = "answer"
        self.slow_seconds = 5.0
        self.server_errors_before_ok: int | None = None
        self.hang_if: Callable[[Messages], bool] | None = None
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server_errors_sent = 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # --- switching modes --------------------------------------------------------------------------------
    def set_answer(self, answer: AnswerFn | dict[str, Any]) -> None:
        """Answer normally with `answer(messages)` (or a fixed dict) as the json_schema content."""
        self.answer = answer if callable(answer) else (lambda _messages: answer)
        self.mode = "answer"

    def fail_with_server_errors(self, times: int | None = None) -> None:
        """Answer 500 to the next `times` requests (all of them when None), then answer normally."""
        with self._lock:
            self.mode = "server_error"
            self.server_errors_before_ok = times
            self._server_errors_sent = 0

    def hang_when(self, predicate: Callable[[Messages], bool]) -> None:
        """Hold every request whose messages match (one seller's, say) until stop(); answer the others."""
        self.hang_if = predicate

    def be_slow(self, seconds: float) -> None:
        self.mode = "slow"
        self.slow_seconds = seconds

    # --- inspection -------------------------------------------------------------------------------------
    def calls(self, path: str = "/v1/chat/completions") -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    # --- request handling (runs on the server's threads) ------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_action(self) -> Mode:
        with self._lock:
            if self.mode != "server_error":
                return self.mode
            if self.server_errors_before_ok is None or self._server_errors_sent < self.server_errors_before_ok:
                self._server_errors_sent += 1
                return "server_error"
            return "answer"


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(FakeHandler):
        def do_POST(self) -> None:
            raw = self.read_body()
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            fake._record(
                RecordedRequest(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_body=raw,
                    body=body,
                )
            )
            if self.path not in ("/v1/chat/completions", "/v1/responses"):
                self._send_error(404, "invalid_request_error", None, f"Unknown path {self.path}")
                return
            if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                self._send_error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
                return

            if fake.hang_if is not None and fake.hang_if(_messages_of(self.path, body)):
                fake.wait(60)
                return
            action = fake._next_action()
            if action == "rate_limit":
                self._send_error(
                    429,
                    "requests",
                    "rate_limit_exceeded",
                    "Rate limit reached for requests. Please try again in 1ms.",
                    {
                        "retry-after": "0",
                        "x-ratelimit-limit-requests": "500",
                        "x-ratelimit-remaining-requests": "0",
                        "x-ratelimit-reset-requests": "1ms",
                    },
                )
                return
            if action == "insufficient_quota":
                self._send_error(
                    429,
                    "insufficient_quota",
                    "insufficient_quota",
                    "You exceeded your current quota, please check your plan and billing details.",
                    {"x-should-retry": "false"},
                )
                return
            if action == "server_error":
                self._send_error(500, "server_error", None, "The server had an error while processing your request.")
                return
            if action == "slow":
                fake.wait(fake.slow_seconds)

            messages = _messages_of(self.path, body)
            if action == "malformed":
                text: str | None = '{"intent": "purchase", "items": [ this is not json'
            elif action == "refusal":
                text = None
            else:
                text = json.dumps(fake.answer(messages), ensure_ascii=False)
            prompt_tokens = max(1, len(raw) // 4)
            completion_tokens = 1 + len(text or REFUSAL_TEXT) // 4
            model = str(body.get("model", "gpt-fake"))
            if self.path == "/v1/chat/completions":
                payload = _chat_completion(model, text, prompt_tokens, completion_tokens)
            else:
                payload = _response(model, text, prompt_tokens, completion_tokens)
            self.send_json(200, payload, {"x-request-id": f"req_{uuid.uuid4().hex}"})

        def _send_error(
            self, status: int, type_: str, code: str | None, message: str, headers: dict[str, str] | None = None
        ) -> None:
            error = {"error": {"message": message, "type": type_, "param": None, "code": code}}
            self.send_json(status, error, headers or {})

    return Handler


def _messages_of(path: str, body: dict[str, Any]) -> Messages:
    """The conversation as [{"role", "content"}], for either endpoint's request shape."""
    if path == "/v1/chat/completions":
        return [{"role": str(m.get("role")), "content": _text_of(m.get("content"))} for m in body.get("messages", [])]
    messages: Messages = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": str(body["instructions"])})
    given = body.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    elif isinstance(given, list):
        messages.extend({"role": str(m.get("role")), "content": _text_of(m.get("content"))} for m in given)
    return messages


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _chat_completion(model: str, text: str | None, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text,
                    "refusal": REFUSAL_TEXT if text is None else None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _response(model: str, text: str | None, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    content: dict[str, Any] = (
        {"type": "refusal", "refusal": REFUSAL_TEXT}
        if text is None
        else {"type": "output_text", "text": text, "annotations": []}
    )
    return {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": model,
        "output": [
            {
                "type": "message",
                "id": f"msg_{uuid.uuid4().hex}",
                "status": "completed",
                "role": "assistant",
                "content": [content],
            }
        ],
        "parallel_tool_calls": False,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
