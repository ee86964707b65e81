"""Starting a payment: a checkout session for the cart's reserved lines, with the seller's provider.

A session is frozen to one version of the cart. Pressing Pay again on an unchanged cart reuses it; a cart
whose contents or holds changed gets a new session and the old one is expired. Stripe sessions are written
to the database (idempotency key and parameters) before Stripe is called, so a retry sends the same request.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments import stripe_gateway
from payments.models import CheckoutSession, Order, Payment
from payments.selectors import Cart, cart_of_order
from payments.services.orders import order_transition
from payments.services.payment import PaymentOutcome, order_mark_paid
from payments.services.replies import cart_url
from tenants.models import PaymentProvider, Seller
from tenants.selectors import current_schema, current_seller

logger = logging.getLogger(__name__)

SessionStatus = CheckoutSession.Status
# Stripe accepts expires_at from 30 minutes to 24 hours after creation; keep a margin on both ends for the
# time between our computation and Stripe's clock.
STRIPE_MIN_LIFETIME = timedelta(minutes=31)
STRIPE_MAX_LIFETIME = timedelta(hours=23, minutes=55)


class CheckoutError(Exception):
    """The buyer cannot pay now. `code` picks the message the cart page shows."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class CheckoutStart:
    session_id: int
    redirect_url: str


def checkout_start(*, order_id: int, now: datetime) -> CheckoutStart:
    """The buyer pressed Pay: return where to send them (Stripe Checkout or the local test checkout).
    Raises CheckoutError. Precondition: inside the seller's schema (a request on the seller's host)."""
    seller = current_seller()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        cart = cart_of_order(order=order)
        _check_payable(seller=seller, order=order, cart=cart)
        session = _session_for(seller=seller, order=order, cart=cart, now=now)
        if order.status == Order.Status.OPEN:
            order_transition(
                order=order,
                to_status=Order.Status.AWAITING_PAYMENT,
                cause=f"the buyer started a {session.provider} checkout",
            )
    if session.provider == PaymentProvider.LOCAL:
        return CheckoutStart(session_id=session.pk, redirect_url=local_checkout_path(session=session))
    if session.status == SessionStatus.CREATING:
        session = _stripe_create(session=session)
    checkout_sessions_expire_stale(order_id=order_id, now=now)
    return CheckoutStart(session_id=session.pk, redirect_url=session.url)


def local_checkout_path(*, session: CheckoutSession) -> str:
    return f"/c/{session.order.token}/checkout/{session.external_id}/"


def _check_payable(*, seller: Seller, order: Order, cart: Cart) -> None:
    if order.status == Order.Status.PAID:
        raise CheckoutError("already_paid", f"Order {order.pk} is paid.")
    if not cart.reserved:
        raise CheckoutError("nothing_to_pay", f"Order {order.pk} has no reserved item.")
    if cart.mixed_currencies:
        raise CheckoutError("mixed_currencies", f"Order {order.pk} mixes currencies; the seller must fix prices.")
    if seller.payment_provider == PaymentProvider.STRIPE and not seller.stripe_account_id:
        raise CheckoutError("not_connected", f"Seller {seller.schema_name} has not connected a Stripe account.")


def _session_for(
    *, seller: Seller, order: Order, cart: Cart, now: datetime, provider: str | None = None
) -> CheckoutSession:
    """The usable session of this cart version, or a new one (written, not yet sent to Stripe)."""
    provider = provider or seller.payment_provider
    same_version = CheckoutSession.objects.filter(order=order, provider=provider, cart_version=cart.version)
    usable = same_version.filter(status__in=(SessionStatus.CREATING, SessionStatus.OPEN)).order_by("-pk").first()
    if usable is not None and not (usable.status == SessionStatus.OPEN and usable.hold_expires_at <= now):
        return usable
    attempt = same_version.count() + 1
    assert cart.hold_expires_at is not None
    lines = [
        {
            "reservation_id": line.reservation_id,
            "variant_id": line.variant_id,
            "quantity": line.quantity,
            "unit_amount_minor": line.unit_amount_minor,
            "name": line.name,
        }
        for line in cart.reserved
    ]
    session = CheckoutSession(
        order=order,
        provider=provider,
        cart_version=cart.version,
        idempotency_key=f"checkout:{current_schema()}:{order.pk}:{cart.version}:{attempt}",
        lines=lines,
        amount_minor=cart.total_minor,
        currency=cart.currency,
        hold_expires_at=cart.hold_expires_at,
    )
    if provider in (PaymentProvider.LOCAL, Payment.Provider.CASH):
        session.external_id = f"{provider}_{secrets.token_urlsafe(18)}"
        session.status = SessionStatus.OPEN
    else:
        session.stripe_account_id = seller.stripe_account_id
        session.request_params = stripe_session_params(seller=seller, order=order, cart=cart, lines=lines, now=now)
    session.save()
    return session


def stripe_session_params(
    *, seller: Seller, order: Order, cart: Cart, lines: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """Checkout Session parameters: prices and currency from our database, never from the buyer."""
    link = cart_url(seller=seller, order=order)
    metadata = {"seller_schema": seller.schema_name, "order_id": str(order.pk), "cart_version": cart.version}
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": line["quantity"],
                "price_data": {
                    "currency": cart.currency.lower(),
                    "unit_amount": line["unit_amount_minor"],
                    "product_data": {"name": line["name"][:250]},
                },
            }
            for line in lines
        ],
        "client_reference_id": str(order.pk),
        "metadata": metadata,
        "success_url": f"{link}?checkout=success",
        "cancel_url": f"{link}?checkout=cancelled",
        "payment_intent_data": {"metadata": metadata},
    }
    fee = round(cart.total_minor * settings.STRIPE_APPLICATION_FEE_PERCENT / 100)
    if fee > 0:
        params["payment_intent_data"]["application_fee_amount"] = fee
    # A hold Stripe can express becomes the session's own expiry; a shorter (or longer) one is ended by us
    # through the API when the hold ends (checkout_sessions_expire_stale).
    hold = cart.hold_expires_at
    if hold is not None and now + STRIPE_MIN_LIFETIME <= hold <= now + STRIPE_MAX_LIFETIME:
        params["expires_at"] = int(hold.timestamp())
    return params


def _stripe_create(*, session: CheckoutSession) -> CheckoutSession:
    try:
        created = stripe_gateway.checkout_session_create(
            params=session.request_params,
            idempotency_key=session.idempotency_key,
            stripe_account=session.stripe_account_id,
        )
    except stripe_gateway.StripeRetryableError as error:
        logger.warning("stripe session for order %s not created yet: %s", session.order_id, error)
        raise CheckoutError("provider_unavailable", str(error)) from error
    except stripe_gateway.StripeTerminalError as error:
        logger.error("stripe refused the session for order %s: %s", session.order_id, error)
        CheckoutSession.objects.filter(pk=session.pk, status=SessionStatus.CREATING).update(
            status=SessionStatus.FAILED, updated_at=timezone.now()
        )
        raise CheckoutError("provider_refused", str(error)) from error
    CheckoutSession.objects.filter(pk=session.pk, status=SessionStatus.CREATING).update(
        status=SessionStatus.OPEN, external_id=created.id, url=created.url, updated_at=timezone.now()
    )
    session.refresh_from_db()
    return session


def checkout_sessions_expire_stale(*, now: datetime, order_id: int | None = None) -> int:
    """Expire, through Stripe's API, open Stripe sessions whose hold has ended or whose cart has changed
    (of one order, or of every order of the seller). Stripe cannot make a session shorter than 30 minutes,
    so our holds are enforced here; the scheduler calls this every few seconds. Failures are logged and
    retried on the next call. Returns the number of sessions expired."""
    sessions = CheckoutSession.objects.filter(provider=PaymentProvider.STRIPE, status=SessionStatus.OPEN)
    if order_id is not None:
        sessions = sessions.filter(order_id=order_id)
    expired = 0
    versions: dict[int, str] = {}
    for session in sessions.select_related("order").order_by("pk"):
        if session.order_id not in versions:
            versions[session.order_id] = cart_of_order(order=session.order).version
        if session.hold_expires_at > now and session.cart_version == versions[session.order_id]:
            continue
        expired += checkout_session_expire(session=session)
    return expired


def checkout_session_expire(*, session: CheckoutSession) -> int:
    """Expire one open Stripe session; returns 1 when it is expired now. A session Stripe already closed
    (paid meanwhile, or expired) takes Stripe's status: a payment is then applied by its webhook."""
    try:
        remote = stripe_gateway.checkout_session_expire(
            session_id=session.external_id, stripe_account=session.stripe_account_id
        )
    except stripe_gateway.StripeRetryableError as error:
        logger.warning("could not expire stripe session %s yet: %s", session.external_id, error)
        return 0
    except stripe_gateway.StripeTerminalError as error:
        logger.info("stripe would not expire session %s (%s); reading its status", session.external_id, error)
        try:
            remote = stripe_gateway.checkout_session_retrieve(
                session_id=session.external_id, stripe_account=session.stripe_account_id
            )
        except stripe_gateway.StripeGatewayError:
            logger.warning("could not read stripe session %s", session.external_id, exc_info=True)
            return 0
    status = {"expired": SessionStatus.EXPIRED, "complete": SessionStatus.COMPLETE}.get(remote.status)
    if status is None:
        return 0
    return CheckoutSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(
        status=status, updated_at=timezone.now()
    ) * (status == SessionStatus.EXPIRED)


def local_payment_confirm(*, order_id: int, external_id: str) -> PaymentOutcome:
    """The buyer confirmed the built-in test checkout: the same path as a provider's payment webhook.
    Raises CheckoutError when the session is not open any more (the cart changed: pay again)."""
    session = CheckoutSession.objects.filter(
        order_id=order_id, provider=PaymentProvider.LOCAL, external_id=external_id
    ).first()
    if session is None:
        raise CheckoutError("unknown_session", f"No local checkout {external_id} for order {order_id}.")
    already = Payment.objects.filter(provider=PaymentProvider.LOCAL, external_id=external_id).exists()
    if not already and session.status != SessionStatus.OPEN:
        raise CheckoutError("session_closed", f"Local checkout {external_id} is {session.status}.")
    if not already and session.cart_version != cart_of_order(order=session.order).version:
        raise CheckoutError("cart_changed", f"The cart of order {order_id} changed since checkout {external_id}.")
    return order_mark_paid(
        order_id=order_id,
        provider=PaymentProvider.LOCAL,
        external_id=external_id,
        amount_minor=session.amount_minor,
        currency=session.currency,
        cause="test payment on the built-in checkout",
    )


def order_mark_paid_in_cash(*, order_id: int, actor: str, now: datetime) -> PaymentOutcome:
    """The seller took the money in person: sell what the cart holds now, through the same code path as a
    provider's payment (stock leaves, the order is paid, the buyer is told). Raises CheckoutError when there
    is nothing payable. Precondition: inside the seller's schema."""
    seller = current_seller()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        cart = cart_of_order(order=order)
        _check_payable(seller=seller, order=order, cart=cart)
        session = _session_for(seller=seller, order=order, cart=cart, now=now, provider=Payment.Provider.CASH)
        return order_mark_paid(
            order_id=order.pk,
            provider=Payment.Provider.CASH,
            external_id=session.external_id,
            amount_minor=session.amount_minor,
            currency=session.currency,
            cause=f"paid in cash, recorded by {actor}",
            sold_by=actor,
        )
