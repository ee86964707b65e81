"""Writes of the payments context: the order lifecycle, carts, checkout and payments.

Import from here; the modules are split by concern only to keep them short.
"""

from __future__ import annotations

from payments.services.cart import CartError, cart_item_remove
from payments.services.checkout import (
    CheckoutError,
    CheckoutStart,
    checkout_session_expire,
    checkout_sessions_expire_stale,
    checkout_start,
    local_payment_confirm,
    order_mark_paid_in_cash,
)
from payments.services.orders import (
    TRANSITIONS,
    OrderTransitionError,
    order_note,
    order_refresh_status,
    order_transition,
)
from payments.services.payment import (
    PaymentError,
    PaymentOutcome,
    order_mark_paid,
    payment_record_failed,
    payment_record_pending,
)
from payments.services.replies import cart_url, reply_work_for_order, reply_work_for_promotion
from payments.services.stripe_events import stripe_event_apply

__all__ = [
    "TRANSITIONS",
    "CartError",
    "CheckoutError",
    "CheckoutStart",
    "OrderTransitionError",
    "PaymentError",
    "PaymentOutcome",
    "cart_item_remove",
    "cart_url",
    "checkout_session_expire",
    "checkout_sessions_expire_stale",
    "checkout_start",
    "local_payment_confirm",
    "order_mark_paid",
    "order_mark_paid_in_cash",
    "order_note",
    "order_refresh_status",
    "order_transition",
    "payment_record_failed",
    "payment_record_pending",
    "reply_work_for_order",
    "reply_work_for_promotion",
    "stripe_event_apply",
]
