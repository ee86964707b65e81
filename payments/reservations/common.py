"""Building blocks shared by the reservation services.

Lock order, everywhere: the buyer's order row, then variant rows by ascending id, then reservation rows.
Anyone who writes variants' `reserved` or reservations' status must follow it to stay deadlock-free.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import F, Max, Q
from django.utils import timezone

from hooks.services import hook_emit
from inventory.models import StockMovement, Variant
from livestreams.models import LiveSession
from payments.models import Reservation
from payments.reservations.types import ClaimPolicy, ReleasedReservation, ReservationInvariantError
from tenants.models import HoldStart, Seller
from tenants.selectors import current_seller

logger = logging.getLogger(__name__)

# While a live is on, a seller whose holds start at the end of the live gets this provisional hold;
# `live_holds_start` replaces it with ended_at + hold minutes when the live ends.
PROVISIONAL_HOLD = timedelta(hours=24)

Status = Reservation.Status


def claim_policy_for(*, seller: Seller, live: LiveSession) -> ClaimPolicy:
    """The seller's settings for this live; the live's own hold minutes override the seller's default."""
    return ClaimPolicy(
        hold_minutes=live.hold_minutes or seller.hold_minutes,
        hold_starts=seller.hold_starts,
        max_units_per_claim=seller.max_units_per_claim,
        max_units_per_live=seller.max_units_per_live,
    )


def hold_expires_at(*, policy: ClaimPolicy, live: LiveSession, now: datetime) -> datetime:
    """When a hold taken at `now` ends. Live-end holds are provisional while the live is on; a claim that
    arrives after the end counts from the claim, so it never starts out expired."""
    hold = timedelta(minutes=policy.hold_minutes)
    if policy.hold_starts != HoldStart.LIVE_END:
        return now + hold
    if live.status == LiveSession.Status.ENDED and live.ended_at is not None:
        return max(now, live.ended_at) + hold
    return now + PROVISIONAL_HOLD


class PolicyCache:
    """Claim policies per live for one service call (promotions touch reservations of several lives)."""

    def __init__(self) -> None:
        self._seller: Seller | None = None
        self._by_live: dict[int, ClaimPolicy] = {}

    def hold_expires_at(self, *, live: LiveSession, now: datetime) -> datetime:
        policy = self._by_live.get(live.pk)
        if policy is None:
            if self._seller is None:
                self._seller = current_seller()
            policy = self._by_live[live.pk] = claim_policy_for(seller=self._seller, live=live)
        return hold_expires_at(policy=policy, live=live, now=now)


def lock_variants(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """SELECT … FOR UPDATE the variants in ascending id order. Precondition: inside transaction.atomic()."""
    return {v.pk: v for v in Variant.objects.select_for_update().filter(pk__in=set(variant_ids)).order_by("pk")}


def add_reserved(*, variant_id: int, delta: int) -> None:
    """Guarded `reserved += delta` keeping 0 <= reserved <= stock_on_hand. Caller holds the variant lock, so
    a miss means the caller's arithmetic is wrong; the CHECK constraints back this up."""
    guard = Q(reserved__lte=F("stock_on_hand") - delta) if delta > 0 else Q(reserved__gte=-delta)
    updated = Variant.objects.filter(guard, pk=variant_id).update(
        reserved=F("reserved") + delta, updated_at=timezone.now()
    )
    if updated != 1:
        raise ReservationInvariantError(f"reserved {delta:+d} on variant {variant_id} would break its stock bounds")


def record_movement(
    *, variant_id: int, reason: str, reserved_delta: int, actor: str, note: str, reservation_id: int
) -> None:
    StockMovement.objects.create(
        variant_id=variant_id,
        reason=reason,
        reserved_delta=reserved_delta,
        actor=actor,
        note=note[:500],
        reservation_id=reservation_id,
    )


def release_locked(*, reservations: list[Reservation], actor: str, note: str) -> list[ReleasedReservation]:
    """Release the given rows (status reserved or waitlisted, locked FOR UPDATE by the caller after the
    locks on their variants). Reserved units go back to stock with a RELEASE movement each."""
    released: list[ReleasedReservation] = []
    for reservation in reservations:
        updated = Reservation.objects.filter(pk=reservation.pk, status=reservation.status).update(
            status=Status.RELEASED, updated_at=timezone.now()
        )
        if updated != 1:
            raise ReservationInvariantError(f"reservation {reservation.pk} changed under its row lock")
        if reservation.status == Status.RESERVED:
            add_reserved(variant_id=reservation.variant_id, delta=-reservation.quantity)
            record_movement(
                variant_id=reservation.variant_id,
                reason=StockMovement.Reason.RELEASE,
                reserved_delta=-reservation.quantity,
                actor=actor,
                note=note,
                reservation_id=reservation.pk,
            )
        released.append(
            ReleasedReservation(
                reservation_id=reservation.pk,
                order_id=reservation.order_id,
                variant_id=reservation.variant_id,
                quantity=reservation.quantity,
                previous_status=reservation.status,
            )
        )
    return released


def promote_locked(*, variant_id: int, now: datetime, policies: PolicyCache) -> list[int]:
    """Give the variant's free units to its waitlist, strictly first come first served by (created_at, id):
    the head of the line gets what is free (a partial share splits its row), then the next.
    Precondition: the caller holds the variant's row lock. Returns the ids of the reserved rows created or
    flipped from waitlisted."""
    variant = Variant.objects.get(pk=variant_id)
    free = variant.stock_on_hand - variant.reserved
    if free <= 0:
        return []
    line = (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("order__live_session")
        .filter(variant_id=variant_id, status=Status.WAITLISTED)
        .order_by("created_at", "id")[:free]
    )
    promoted: list[int] = []
    hooks: list[tuple[str, dict[str, object]]] = []
    for waiting in line:
        take = min(free, waiting.quantity)
        hold = policies.hold_expires_at(live=waiting.order.live_session, now=now)
        if take == waiting.quantity:
            updated = Reservation.objects.filter(pk=waiting.pk, status=Status.WAITLISTED).update(
                status=Status.RESERVED, hold_expires_at=hold, updated_at=timezone.now()
            )
            reserved_id = waiting.pk
        else:
            updated = Reservation.objects.filter(
                pk=waiting.pk, status=Status.WAITLISTED, quantity=waiting.quantity
            ).update(quantity=F("quantity") - take, updated_at=timezone.now())
            reserved_id = _insert_next_part(waiting=waiting, quantity=take, hold=hold)
        if updated != 1:
            raise ReservationInvariantError(f"waitlisted reservation {waiting.pk} changed under its row lock")
        add_reserved(variant_id=variant_id, delta=take)
        record_movement(
            variant_id=variant_id,
            reason=StockMovement.Reason.RESERVATION,
            reserved_delta=take,
            actor="system:waitlist",
            note=f"waitlist promotion of reservation {waiting.pk}",
            reservation_id=reserved_id,
        )
        promoted.append(reserved_id)
        hooks.append(
            (
                "claim.promoted",
                {
                    "reservation_id": reserved_id,
                    "order_id": waiting.order_id,
                    "variant_id": variant_id,
                    "quantity": take,
                    "comment_id": waiting.source_comment_id,
                },
            )
        )
        free -= take
        if free == 0:
            break
    hook_emit(hooks)
    return promoted


def _insert_next_part(*, waiting: Reservation, quantity: int, hold: datetime) -> int:
    last_part = Reservation.objects.filter(
        source_comment_id=waiting.source_comment_id, variant_id=waiting.variant_id
    ).aggregate(last=Max("part"))["last"]
    return Reservation.objects.create(
        order_id=waiting.order_id,
        variant_id=waiting.variant_id,
        source_comment_id=waiting.source_comment_id,
        quantity=quantity,
        part=(last_part or 0) + 1,
        status=Status.RESERVED,
        hold_expires_at=hold,
    ).pk
