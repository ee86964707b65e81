"""Human, translated labels for the codes the seller dashboard shows: one mapping per concept.

Model statuses carry their labels on their TextChoices (`get_status_display()`, or `label("order_status", …)`
where only the code is at hand); the codes that are not model choices (engines, review reasons, claim item
outcomes, message errors and reasons) are mapped here. A code without a label never reaches the screen raw:
it gets the concept's fallback sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from inventory.models import StockMovement
from livestreams.models import Comment, LiveSession
from messenger.models import OutboundMessage
from payments.models import Order, Payment, Reservation

PENDING = pgettext_lazy("comment intent", "Pending")

ENGINES: dict[str, Promise] = {
    "local": pgettext_lazy("intent engine", "automatic"),
    "openai": pgettext_lazy("intent engine", "AI"),
    "seller": pgettext_lazy("intent engine", "by the seller"),
    "prefilter": pgettext_lazy("intent engine", "quick filter"),
}

# Why a comment waits on the "needs review" list (livestreams.intent.decide, openai_engine.UnavailableReason).
REVIEW_REASONS: dict[str, Promise] = {
    "low_confidence": _("The comment is unclear: choose what it claims"),
    "circuit_open": _("The AI is paused after repeated errors"),
    "budget_exhausted": _("The AI budget for today is used up"),
    "rate_limited": _("The AI is busy (too many requests)"),
    "quota_exhausted": _("The AI quota is used up"),
    "timeout": _("The AI did not answer in time"),
    "server_error": _("The AI service had an error"),
    "invalid_answer": _("The AI answer could not be used"),
    "refused": _("The AI would not classify it"),
    "connection_error": _("The AI could not be reached"),
}

# What one item of a claim got: the reservation service's item status, then a reservation's own status.
ITEM_STATUSES: dict[str, Promise] = {
    "partial": pgettext_lazy("claim item", "partly reserved"),
    "rejected": pgettext_lazy("claim item", "not reserved"),
}

# Why a claim item got nothing (payments.reservations.types REJECT_*, pipeline.payments_stage).
REJECT_REASONS: dict[str, Promise] = {
    "unknown_product": _("unknown product code"),
    "unknown_variant": _("that variant does not exist"),
    "variant_required": _("the variant is missing"),
    "invalid_quantity": _("invalid quantity"),
    "limit": _("over the buyer's limit"),
    "released": _("already released"),
    "nothing_reservable": _("nothing could be reserved"),
}

# Why a message to a buyer was not delivered: our own codes first, then Meta's (code or code/subcode).
MESSAGE_ERRORS: dict[str, Promise] = {
    "window_closed": _("Not sent: the 24-hour window to message this buyer is closed (the cart page shows it)"),
    "network": _("Meta could not be reached; it is retried"),
    "timeout": _("Meta did not answer in time"),
    "internal": _("An error on our side; it is retried"),
    "unconfirmed": _("An earlier attempt may have arrived, so it was not sent again"),
    "page_not_connected": _("The page is not connected"),
    "page_needs_reconnect": _("The page must be reconnected in Settings"),
    "page_token_missing": _("The page must be reconnected in Settings"),
    "190": _("The page must be reconnected in Settings"),
    "10/2018278": _("Not sent: outside Meta's 24-hour window"),
    "10/2018108": _("The buyer cannot receive messages right now"),
    "100/2018001": _("Meta did not find this buyer"),
    "551": _("The buyer is not receiving messages from the page"),
    "10900": _("This comment already had its private reply"),
    "10903": _("This comment can no longer be answered privately"),
    "200": _("The page is missing a permission"),
    "230": _("The page is missing a permission"),
    "368": _("Meta blocked the page from sending for now"),
    "613": _("Meta's rate limit: it is retried"),
    "4": _("Meta's rate limit: it is retried"),
    "17": _("Meta's rate limit: it is retried"),
    "32": _("Meta's rate limit: it is retried"),
    "1": _("A temporary error at Meta: it is retried"),
    "2": _("A temporary error at Meta: it is retried"),
    "http_429": _("Meta's rate limit: it is retried"),
}

# Why we wrote to the buyer (OutboundMessage.reason, messenger.compose.REASONS and "claim_added").
MESSAGE_REASONS: dict[str, Promise] = {
    "claim": _("Cart link"),
    "claim_added": _("Item added to the cart"),
    "waitlisted": _("Waitlist place"),
    "claim_rejected": _("Claim not accepted"),
    "promoted": _("Off the waitlist"),
    "cancelled": _("Cancellation"),
    "question": _("Answer to a question"),
    "paid": _("Payment received"),
    "expired": _("Hold expired"),
    "refund_due": _("Payment to refund"),
}

MOVEMENT_REASONS: dict[str, Promise] = {
    StockMovement.Reason.IMPORT: pgettext_lazy("stock movement", "Catalog import"),
    StockMovement.Reason.ADJUSTMENT: pgettext_lazy("stock movement", "Manual adjustment"),
    StockMovement.Reason.RESERVATION: pgettext_lazy("stock movement", "Reserved for a claim"),
    StockMovement.Reason.RELEASE: pgettext_lazy("stock movement", "Reservation released"),
    StockMovement.Reason.SALE: pgettext_lazy("stock movement", "Sold"),
}


def _choices(choices: type[models.TextChoices]) -> dict[str, Any]:
    return {member.value: member.label for member in choices}


CONCEPTS: dict[str, Mapping[str, Any]] = {
    "live_status": _choices(LiveSession.Status),
    "intent": {**_choices(Comment.Intent), "": PENDING},
    "engine": ENGINES,
    "review_reason": REVIEW_REASONS,
    "item_status": {**_choices(Reservation.Status), **ITEM_STATUSES},
    "reject_reason": REJECT_REASONS,
    "order_status": _choices(Order.Status),
    "reservation_status": _choices(Reservation.Status),
    "payment_status": _choices(Payment.Status),
    "payment_provider": _choices(Payment.Provider),
    "message_status": _choices(OutboundMessage.Status),
    "message_kind": _choices(OutboundMessage.Kind),
    "message_reason": MESSAGE_REASONS,
    "message_error": MESSAGE_ERRORS,
    "movement_reason": MOVEMENT_REASONS,
}

_FALLBACKS: dict[str, Promise] = {
    "review_reason": _("The comment needs a look"),
    "reject_reason": _("not accepted"),
    "engine": pgettext_lazy("intent engine", "automatic"),
}


def label(concept: str, code: str | None) -> str:
    """The translated label of `code` in `concept` (one of CONCEPTS), in the active language."""
    code = code or ""
    mapping = CONCEPTS[concept]
    if code in mapping:
        return str(mapping[code])
    if concept == "message_error":
        return _message_error(code)
    if concept in _FALLBACKS:
        return str(_FALLBACKS[concept])
    return code  # a new model choice not mapped yet: its code is all we know


def _message_error(code: str) -> str:
    if not code:
        return ""
    main = code.split("/", 1)[0]
    if main in MESSAGE_ERRORS:
        return str(MESSAGE_ERRORS[main])
    if re.fullmatch(r"http_5\d\d", code):
        return gettext("Meta had a server error; it is retried")
    return gettext("Meta refused the message (error %(code)s)") % {"code": code}


def labels_for_script() -> dict[str, dict[str, str]]:
    """Every mapping the control room's script needs, evaluated in the active language."""
    return {
        concept: {code: str(text) for code, text in CONCEPTS[concept].items()}
        for concept in ("live_status", "intent", "engine", "review_reason", "item_status", "reject_reason")
    } | {"fallback": {concept: str(text) for concept, text in _FALLBACKS.items()}}


# The causes the payments services record on an order's events (OrderEvent.cause, English, for logs and the
# admin), as the seller reads them. A cause not listed shows nothing but its translated status change.
_LATE = r"(?P<late> \(late: its hold had expired\))?"
_ORDER_EVENTS: list[tuple[re.Pattern[str], Promise]] = [
    (re.compile(r"cancelled by (?P<actor>.+) from the dashboard"), _("Cancelled from the dashboard by %(actor)s")),
    (
        re.compile(r"paid in cash, recorded by (?P<actor>.+?): payment \S+ not honoured \(.*\); refund it"),
        _("The cash payment recorded by %(actor)s could not be honoured (its units were taken): refund it"),
    ),
    (
        re.compile(r".+: payment \S+ not honoured \(.*\); refund it"),
        _("A payment could not be honoured (its units were taken): refund it"),
    ),
    (
        re.compile(r"paid in cash, recorded by (?P<actor>.+?): payment \S+" + _LATE),
        _("Paid in cash, recorded by %(actor)s"),
    ),
    (re.compile(r"test payment on the built-in checkout: payment \S+" + _LATE), _("Paid on the test checkout")),
    (re.compile(r"stripe [\w.]+: payment \S+" + _LATE), _("Paid with Stripe")),
    (re.compile(r"the buyer cancelled \(comment .*\)"), _("The buyer cancelled in a comment")),
    (re.compile(r"every hold in the cart expired"), _("Every hold in the cart expired")),
    (
        re.compile(r"the buyer removed the last item on the cart page"),
        _("The buyer removed the last item on the cart page"),
    ),
    (re.compile(r"the buyer started a (?P<provider>\w+) checkout"), _("The buyer started paying (%(provider)s)")),
    (
        re.compile(r"items not covered by the payment of order (?P<order>\d+)"),
        _("Items not covered by the payment of order %(order)s"),
    ),
    (
        re.compile(r"payment \S+ started; waiting for the bank to confirm it"),
        _("Payment started; waiting for the bank to confirm it"),
    ),
    (re.compile(r"payment \S+ failed"), _("A payment failed")),
    (re.compile(r"stripe checkout session \S+ expired"), _("The Stripe checkout expired")),
]


def order_event_text(cause: str) -> str:
    """The seller's sentence for an order event's cause, or "" when the cause is not one we know."""
    for pattern, text in _ORDER_EVENTS:
        match = pattern.fullmatch(cause)
        if match is None:
            continue
        values = match.groupdict()
        if "provider" in values:
            values["provider"] = label("payment_provider", values["provider"])
        sentence = str(text) % values if values else str(text)
        if values.get("late"):
            sentence = gettext("%(what)s (late: its hold had expired)") % {"what": sentence}
        return sentence
    return ""
