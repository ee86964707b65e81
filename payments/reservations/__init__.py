"""Reservation services: claims reserve stock fairly (first come, first served, never oversold), holds
expire, cancels release, and waitlists are promoted. PostgreSQL decides."""

from __future__ import annotations

from payments.reservations.batch import (
    SwapRelease,
    claim_reserve,
    claims_reserve_batch,
    claims_swap_release,
    swap_keep_hold,
)
from payments.reservations.common import PROVISIONAL_HOLD, claim_policy_for, hold_expires_at
from payments.reservations.release import (
    live_holds_start,
    reservation_cancel,
    reservations_expire,
    waitlist_promote,
    waitlist_sweep,
)
from payments.reservations.types import (
    ClaimDecision,
    ClaimPolicy,
    ExpirySummary,
    ItemDecision,
    ReleasedReservation,
    ReleaseSummary,
    ReservationError,
    ReservationInvariantError,
)

__all__ = [
    "PROVISIONAL_HOLD",
    "ClaimDecision",
    "ClaimPolicy",
    "ExpirySummary",
    "ItemDecision",
    "ReleaseSummary",
    "ReleasedReservation",
    "ReservationError",
    "ReservationInvariantError",
    "SwapRelease",
    "claim_policy_for",
    "claim_reserve",
    "claims_reserve_batch",
    "claims_swap_release",
    "hold_expires_at",
    "live_holds_start",
    "reservation_cancel",
    "reservations_expire",
    "swap_keep_hold",
    "waitlist_promote",
    "waitlist_sweep",
]
