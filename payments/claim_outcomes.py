"""What the claims stage did with each comment, read back from what it stored: the decision kept on the comment
(intent, items, engine, review) and the reservations made from it, as they are now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from django.db.models import Prefetch, QuerySet

from livestreams.models import Comment
from payments.models import Reservation

Outcome = Literal["pending", "review", "not_a_claim", "rejected", "paid", "reserved", "waitlisted", "released"]
OUTCOMES: tuple[Outcome, ...] = (
    "pending",  # not decided yet
    "review",  # the engine was unsure: waits for the seller on the "needs review" list
    "not_a_claim",  # a question, a cancel or chatter: nothing was reserved from it
    "rejected",  # a purchase nothing could be reserved for (unknown code or variant, the buyer's limit)
    "paid",  # units reserved from it were paid
    "reserved",  # units are held for the buyer
    "waitlisted",  # it waits in line for units
    "released",  # what it held or waited for was released (expired, cancelled, swapped)
)

# In rank order: the first status any of the comment's reservations has names the outcome.
_BY_RESERVATION_STATUS: tuple[tuple[str, Outcome], ...] = (
    (Reservation.Status.PAID, "paid"),
    (Reservation.Status.RESERVED, "reserved"),
    (Reservation.Status.WAITLISTED, "waitlisted"),
)


def comments_with_reservations(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    """`comments` with the reservations made from each (`claim_reservations`, in id order, with their variant
    and product): two statements for a page of any size."""
    return comments.prefetch_related(
        Prefetch(
            "reservations",
            queryset=Reservation.objects.select_related("variant__product").order_by("id"),
            to_attr="claim_reservations",
        )
    )


def claim_outcome(comment: Comment, reservations: Sequence[Reservation]) -> Outcome:
    """One word for what became of a comment; the reservations say the rest. A paid unit outranks a held one,
    a held one a place in line."""
    if comment.decided_at is None:
        return "pending"
    if comment.needs_review:
        return "review"
    statuses = {r.status for r in reservations}
    for status, outcome in _BY_RESERVATION_STATUS:
        if status in statuses:
            return outcome
    if statuses:
        return "released"
    return "rejected" if comment.intent == Comment.Intent.PURCHASE else "not_a_claim"
