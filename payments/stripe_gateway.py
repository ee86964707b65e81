"""The only module that talks to Stripe: one function per remote call, typed results, our own errors.

Every call goes through `stripe.StripeClient` pointed at STRIPE_API_BASE (a local fake in tests), with an
explicit timeout and STRIPE_MAX_NETWORK_RETRIES (the SDK retries connection errors, 409, 5xx and answers
marked `Stripe-Should-Retry: true`, reusing the idempotency key). Calls on a seller's connected account
send `Stripe-Account`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)


class StripeGatewayError(Exception):
    """Stripe did not do what we asked; the message is safe to log (never a key)."""


class StripeRetryableError(StripeGatewayError):
    """Rate limit, outage, timeout: the same request may succeed later."""


class StripeTerminalError(StripeGatewayError):
    """Stripe refused the request itself (bad parameters, idempotency mismatch, wrong state, auth)."""


class StripeNotConfiguredError(StripeTerminalError):
    """STRIPE_SECRET_KEY is empty."""


@dataclass(frozen=True, slots=True)
class StripeCheckoutSession:
    id: str
    url: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    expires_at: int
    amount_total: int | None
    currency: str


def checkout_session_create(
    *, params: dict[str, Any], idempotency_key: str, stripe_account: str
) -> StripeCheckoutSession:
    """POST /v1/checkout/sessions on the connected account `stripe_account` (the platform's when "")."""
    options: dict[str, Any] = {"idempotency_key": idempotency_key}
    if stripe_account:
        options["stripe_account"] = stripe_account
    return _call(lambda client: client.v1.checkout.sessions.create(params=params, options=options))  # type: ignore[arg-type]


def checkout_session_expire(*, session_id: str, stripe_account: str) -> StripeCheckoutSession:
    """POST /v1/checkout/sessions/{id}/expire; Stripe only allows it while the session is open."""
    options: dict[str, Any] = {"stripe_account": stripe_account} if stripe_account else {}
    return _call(lambda client: client.v1.checkout.sessions.expire(session_id, options=options))  # type: ignore[arg-type]


def checkout_session_retrieve(*, session_id: str, stripe_account: str) -> StripeCheckoutSession:
    """GET /v1/checkout/sessions/{id}."""
    options: dict[str, Any] = {"stripe_account": stripe_account} if stripe_account else {}
    return _call(lambda client: client.v1.checkout.sessions.retrieve(session_id, options=options))  # type: ignore[arg-type]


def _client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise StripeNotConfiguredError("STRIPE_SECRET_KEY is not set; Stripe checkout is unavailable.")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _call(request: Any) -> StripeCheckoutSession:
    try:
        session = request(_client())
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise StripeRetryableError(_describe(error)) from error
    except stripe.APIError as error:  # 5xx after the SDK's own retries
        raise StripeRetryableError(_describe(error)) from error
    except stripe.StripeError as error:  # invalid request, idempotency mismatch, authentication, permission
        raise StripeTerminalError(_describe(error)) from error
    data = session.to_dict()
    return StripeCheckoutSession(
        id=str(data["id"]),
        url=data.get("url") or "",
        status=data.get("status") or "",
        payment_status=data.get("payment_status") or "",
        expires_at=int(data.get("expires_at") or 0),
        amount_total=data.get("amount_total"),
        currency=(data.get("currency") or "").upper(),
    )


def _describe(error: stripe.StripeError) -> str:
    return f"Stripe {type(error).__name__} (HTTP {error.http_status}, request {error.request_id}): {error.user_message}"
