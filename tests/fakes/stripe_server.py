"""A stateful HTTP fake of the Stripe Checkout API on 127.0.0.1, for driving the real `stripe` SDK, plus a
signer that builds and posts webhook events the way Stripe does.

What it enforces (reference/platform-contracts.md §C):
- `Authorization: Bearer <api key>`; form-encoded bodies with bracketed nesting (`line_items[0][price_data][currency]`);
- `POST /v1/checkout/sessions`: mode, line items (`price_data{currency, unit_amount, product_data{name}}` and
  quantity, at most 100), `expires_at` 30 minutes to 24 hours ahead; sessions stored per `Stripe-Account`;
- `Idempotency-Key`: the same key with the same parameters replays the stored status and body; with other
  parameters → 400 `idempotency_error`. Keys are scoped to the account. Validation errors are not stored;
- `GET /v1/checkout/sessions/{id}` and `POST /v1/checkout/sessions/{id}/expire` (only while `open`), each
  seeing only the sessions of the `Stripe-Account` they are sent for (404 otherwise);
- switchable failures before execution (so not stored under the idempotency key): 500 or 429 for the next
  N requests, optionally with `Stripe-Should-Retry`.

    with FakeStripe() as fake:
        settings.STRIPE_API_BASE = fake.base_url
        ...
        session = fake.complete(session_id)               # the buyer paid
        body, header = signed_event(fake.event("checkout.session.completed", session), secret)
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

import httpx
import stripe

from tests.fakes.harness import FakeHandler, FakeServer

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60
PLATFORM = ""  # the account of requests sent without Stripe-Account


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    form: dict[str, Any]
    status: int


@dataclass
class _Failures:
    status: int = 0
    remaining: int = 0
    should_retry: str | None = None


@dataclass
class _Stored:
    params: dict[str, Any]
    status: int
    body: dict[str, Any]


@dataclass
class _State:
    sessions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], _Stored] = field(default_factory=dict)


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][0][c]=x` → {"a": {"b": [{"c": "x"}]}} (lists are dicts with digit keys turned into lists)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


class FakeStripe(FakeServer):
    name = "fake-stripe"

    def __init__(self, *, api_key: str = "sk_test_fake_platform") -> None:
        super().__init__()
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.now: float | None = None  # None: the real clock
        self._state = _State()
        self._failures = _Failures()
        self._lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # --- switching failures -----------------------------------------------------------------------------
    def fail_next(self, *, status: int, times: int, should_retry: bool | None = None) -> None:
        """Answer `status` (500, 429…) to the next `times` requests, before executing them."""
        with self._lock:
            self._failures = _Failures(
                status=status,
                remaining=times,
                should_retry=None if should_retry is None else ("true" if should_retry else "false"),
            )

    # --- inspection and the buyer's side ----------------------------------------------------------------
    def calls(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def session(self, session_id: str, *, account: str = PLATFORM) -> dict[str, Any]:
        with self._lock:
            return dict(self._state.sessions[(account, session_id)])

    def sessions(self, *, account: str = PLATFORM) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for (acct, _), s in self._state.sessions.items() if acct == account]

    def complete(self, session_id: str, *, account: str = PLATFORM, payment_status: str = "paid") -> dict[str, Any]:
        """The buyer finished Checkout (`unpaid` for a delayed method such as a bank transfer)."""
        with self._lock:
            stored = self._state.sessions[(account, session_id)]
            if stored["status"] != "open":
                raise AssertionError(f"session {session_id} is {stored['status']}, not open")
            stored.update(status="complete", payment_status=payment_status, url=None, payment_intent=_id("pi"))
            return dict(stored)

    def settle(self, session_id: str, *, account: str = PLATFORM, paid: bool = True) -> dict[str, Any]:
        """A delayed payment succeeded or failed."""
        with self._lock:
            stored = self._state.sessions[(account, session_id)]
            stored["payment_status"] = "paid" if paid else "unpaid"
            return dict(stored)

    def event(self, event_type: str, session: dict[str, Any], *, account: str | None = None) -> dict[str, Any]:
        """A webhook event envelope around a copy of the session (Connect events carry `account`)."""
        envelope: dict[str, Any] = {
            "id": _id("evt"),
            "object": "event",
            "type": event_type,
            "created": int(self._clock()),
            "livemode": False,
            "api_version": stripe.api_version,
            "data": {"object": dict(session)},
        }
        if account or session.get("_account"):
            envelope["account"] = account or session["_account"]
        envelope["data"]["object"].pop("_account", None)
        return envelope

    # --- request handling (on the server's threads) -----------------------------------------------------
    def _clock(self) -> float:
        return self.now if self.now is not None else time.time()

    def handle(
        self, method: str, path: str, headers: dict[str, str], form: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        extra: dict[str, str] = {}
        with self._lock:
            if self._failures.remaining > 0:
                self._failures.remaining -= 1
                if self._failures.should_retry is not None:
                    extra["Stripe-Should-Retry"] = self._failures.should_retry
                status = self._failures.status
                kind = "rate_limit_error" if status == 429 else "api_error"
                return status, _error(kind, f"Injected {status}."), extra
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, _error("invalid_request_error", "Invalid API Key provided."), extra
        account = headers.get("stripe-account", PLATFORM)
        parts = [p for p in path.split("?")[0].split("/") if p]
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return (*self._create(account=account, key=headers.get("idempotency-key", ""), form=form), extra)
        if len(parts) == 4 and parts[:3] == ["v1", "checkout", "sessions"] and method == "GET":
            return (*self._retrieve(account=account, session_id=parts[3]), extra)
        if (
            len(parts) == 5
            and parts[:3] == ["v1", "checkout", "sessions"]
            and parts[4] == "expire"
            and method == "POST"
        ):
            return (*self._expire(account=account, session_id=parts[3]), extra)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method}: {path})."), extra

    def _create(self, *, account: str, key: str, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            stored = self._state.idempotency.get((account, key)) if key else None
            if stored is not None:
                if stored.params != form:
                    return 400, _error(
                        "idempotency_error",
                        f"Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                    )
                return stored.status, stored.body
            problem = self._invalid(form)
            if problem:  # validation failures are not stored under the key
                return 400, _error("invalid_request_error", problem)
            now = int(self._clock())
            session_id = _id("cs_test")
            session = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                "status": "open",
                "payment_status": "unpaid",
                "mode": form["mode"],
                "expires_at": int(form.get("expires_at") or now + MAX_LIFETIME),
                "created": now,
                "client_reference_id": form.get("client_reference_id"),
                "metadata": form.get("metadata", {}),
                "payment_intent": None,
                "amount_total": sum(
                    int(item["price_data"]["unit_amount"]) * int(item["quantity"]) for item in form["line_items"]
                ),
                "currency": form["line_items"][0]["price_data"]["currency"],
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "payment_intent_data": form.get("payment_intent_data", {}),
                "livemode": False,
                "_account": account,
            }
            self._state.sessions[(account, session_id)] = session
            body = _public(session)
            if key:
                self._state.idempotency[(account, key)] = _Stored(params=form, status=200, body=body)
            return 200, body

    def _invalid(self, form: dict[str, Any]) -> str:
        if form.get("mode") not in ("payment", "setup", "subscription"):
            return "Invalid mode: must be one of payment, setup, or subscription"
        items = form.get("line_items")
        if not isinstance(items, list) or not items or len(items) > 100:
            return "line_items: between 1 and 100 items are required in payment mode"
        for item in items:
            price = item.get("price_data", {}) if isinstance(item, dict) else {}
            if not str(price.get("unit_amount", "")).isdigit() or not str(item.get("quantity", "")).isdigit():
                return "line_items[][price_data][unit_amount] and [quantity] must be non-negative integers"
            if not str(price.get("currency", "")).islower() or len(str(price.get("currency", ""))) != 3:
                return "line_items[][price_data][currency] must be a lowercase ISO currency code"
            if not price.get("product_data", {}).get("name"):
                return "line_items[][price_data][product_data][name] is required"
        if {item["price_data"]["currency"] for item in items} != {items[0]["price_data"]["currency"]}:
            return "All line items must use the same currency"
        if "expires_at" in form:
            ahead = int(form["expires_at"]) - self._clock()
            if not MIN_LIFETIME <= ahead <= MAX_LIFETIME:
                return (
                    "The `expires_at` timestamp must be at least 30 minutes and less than 24 hours from Checkout "
                    "Session creation."
                )
        fee = form.get("payment_intent_data", {}).get("application_fee_amount")
        if fee is not None and not str(fee).isdigit():
            return "payment_intent_data[application_fee_amount] must be an integer"
        return ""

    def _retrieve(self, *, account: str, session_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            session = self._state.sessions.get((account, session_id))
            if session is None:
                return 404, _error(
                    "invalid_request_error", f"No such checkout.session: '{session_id}'", "resource_missing"
                )
            return 200, _public(session)

    def _expire(self, *, account: str, session_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            session = self._state.sessions.get((account, session_id))
            if session is None:
                return 404, _error(
                    "invalid_request_error", f"No such checkout.session: '{session_id}'", "resource_missing"
                )
            if session["status"] != "open":
                return 400, _error(
                    "invalid_request_error",
                    f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session '
                    f'has a status of "{session["status"]}".',
                )
            session.update(status="expired", url=None)
            return 200, _public(session)


def _public(session: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in session.items() if not key.startswith("_")}


def _error(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return {"error": error}


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(FakeHandler):
        def _serve(self, method: str) -> None:
            raw = self.read_body().decode()
            headers = {name.lower(): value for name, value in self.headers.items()}
            form = parse_form(parse_qsl(raw, keep_blank_values=True)) if raw else {}
            if method == "GET" and "?" in self.path:
                form = parse_form(parse_qsl(self.path.split("?", 1)[1]))
            status, body, extra = fake.handle(method, self.path, headers, form)
            with fake._lock:
                fake.requests.append(RecordedRequest(method, self.path.split("?")[0], headers, form, status))
            self.send_json(status, body, {"Request-Id": _id("req"), **extra})

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


# --- webhooks -------------------------------------------------------------------------------------------


def sign(payload: str, secret: str, *, timestamp: int | None = None, extra_secrets: tuple[str, ...] = ()) -> str:
    """`Stripe-Signature` for `payload`: `t=…,v1=…` per secret (several v1 while secrets roll), computed with
    the SDK's own `WebhookSignature` helper."""
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    for other in extra_secrets:
        other_header = stripe.WebhookSignature.generate_signature_header(payload, other, timestamp=timestamp)
        header += "," + other_header.split(",", 1)[1]
    return header


def signed_event(
    event: dict[str, Any], secret: str, *, timestamp: int | None = None, extra_secrets: tuple[str, ...] = ()
) -> tuple[bytes, str]:
    """The raw body and its `Stripe-Signature` header, as Stripe would POST them."""
    payload = json.dumps(event)
    return payload.encode(), sign(payload, secret, timestamp=timestamp, extra_secrets=extra_secrets)


def post_event(url: str, event: dict[str, Any], secret: str, *, timestamp: int | None = None) -> httpx.Response:
    """POST a signed event to a webhook endpoint over HTTP."""
    body, header = signed_event(event, secret, timestamp=timestamp)
    return httpx.post(
        url, content=body, headers={"Content-Type": "application/json", "Stripe-Signature": header}, timeout=10
    )
