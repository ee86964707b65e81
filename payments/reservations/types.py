"""Value types of the reservation services: policies in, decisions and summaries out (JSON-ready)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

ItemStatus = Literal["reserved", "waitlisted", "partial", "rejected"]

REJECT_UNKNOWN_PRODUCT = "unknown_product"
REJECT_UNKNOWN_VARIANT = "unknown_variant"
REJECT_VARIANT_REQUIRED = "variant_required"
REJECT_INVALID_QUANTITY = "invalid_quantity"
REJECT_LIMIT = "limit"
REJECT_RELEASED = "released"


class ReservationError(Exception):
    """A reservation request that cannot be carried out; the message says why."""


class ReservationInvariantError(ReservationError):
    """A guarded stock update matched no row although the caller holds the variant lock: a bug, never retried."""


@dataclass(frozen=True, slots=True)
class ClaimPolicy:
    """The seller's rules for one live: hold length, when the hold starts, and per-buyer limits."""

    hold_minutes: int
    hold_starts: str  # tenants.models.HoldStart: "claim" | "live_end"
    max_units_per_claim: int
    max_units_per_live: int


@dataclass(frozen=True, slots=True)
class ItemDecision:
    """What one claim item got. `requested - reserved - waitlisted` units were rejected (see `reason`)."""

    code: str
    variant_label: str | None
    variant_id: int | None
    requested: int
    reserved: int
    waitlisted: int
    status: ItemStatus
    reason: str
    waitlist_position: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    """The outcome of one comment's claim. `order_id` is None when no item could be accepted at all;
    `replayed` is True when the comment had been decided before and nothing was changed this time."""

    comment_id: int
    order_id: int | None
    order_token: str | None
    items: tuple[ItemDecision, ...]
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "comment_id": self.comment_id,
            "order_id": self.order_id,
            "order_token": self.order_token,
            "items": [item.as_dict() for item in self.items],
            "replayed": self.replayed,
        }


@dataclass(frozen=True, slots=True)
class ReleasedReservation:
    reservation_id: int
    order_id: int
    variant_id: int
    quantity: int
    previous_status: str  # "reserved" (units went back to stock) or "waitlisted" (place in line given up)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ReleaseSummary:
    """Reservations released by a cancel or an expiry run, and the waitlisted reservations that got the units.

    `promoted_ids` are reserved reservations created or flipped from the waitlist (notify their buyers);
    `has_more` is True when an expiry run stopped at its limit and should run again.
    """

    released: tuple[ReleasedReservation, ...] = ()
    promoted_ids: tuple[int, ...] = ()
    has_more: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "released": [r.as_dict() for r in self.released],
            "promoted_ids": list(self.promoted_ids),
            "has_more": self.has_more,
        }


ExpirySummary = ReleaseSummary
