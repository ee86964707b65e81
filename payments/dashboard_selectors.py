"""Reads of the dashboard's order pages: the filtered, searched, paginated order list and its totals.

A page costs the same statements whatever the number of orders: one for the totals (which also gives the
count the pagination needs) and one for the page's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from payments.models import Order, Reservation

PAGE_SIZE = 50
HELD = [Reservation.Status.RESERVED, Reservation.Status.PAID]
OPEN = [Order.Status.OPEN, Order.Status.AWAITING_PAYMENT]
# Not a status of its own: open carts with no unit held or paid (only waitlist places). They are not orders
# yet, so the list and its totals leave them out unless this filter asks for them.
WAITLIST_ONLY = "waitlist_only"


@dataclass(frozen=True, slots=True)
class OrderFilters:
    live_id: int | None = None
    status: str = ""  # "" (every order), an Order.Status, or WAITLIST_ONLY
    search: str = ""  # buyer name or platform id, or an order number ("123" or "#123")


@dataclass(frozen=True, slots=True)
class OrderListPage:
    """One page of orders (each annotated with `units`, `waitlisted` and `total_minor`) and the totals of every
    order the filters match (not only this page's)."""

    orders: list[Order]
    count: int
    units: int
    amount_minor: int
    paid_minor: int
    number: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _holding() -> Exists:
    return Exists(Reservation.objects.filter(order=OuterRef("pk"), status__in=HELD))


def _filtered(filters: OrderFilters) -> QuerySet[Order]:
    waitlist_only = Q(status__in=OPEN) & ~Q(_holding())
    orders = (
        Order.objects.filter(waitlist_only) if filters.status == WAITLIST_ONLY else Order.objects.exclude(waitlist_only)
    )
    if filters.status and filters.status != WAITLIST_ONLY:
        orders = orders.filter(status=filters.status)
    if filters.live_id:
        orders = orders.filter(live_session_id=filters.live_id)
    search = filters.search.strip()
    if search:
        number = search.removeprefix("#")
        match = Q(buyer__name__icontains=search) | Q(buyer__platform_user_id__icontains=search)
        if number.isdigit():
            match |= Q(pk=int(number))
        orders = orders.filter(match)
    return orders


def order_list(*, filters: OrderFilters, page: int = 1, page_size: int = PAGE_SIZE) -> OrderListPage:
    """The orders matching `filters`, newest first, page `page` (clamped to the pages there are). Units and
    amounts count held and paid units at the catalog price (what the control room's revenue counts). Two
    statements."""
    value = F("reservations__quantity") * F("reservations__variant__product__price_minor")
    held = Q(reservations__status__in=HELD)
    totals: dict[str, Any] = _filtered(filters).aggregate(
        count=Count("pk", distinct=True),
        units=Sum("reservations__quantity", filter=held),
        amount=Sum(value, filter=held),
        paid=Sum(value, filter=Q(reservations__status=Reservation.Status.PAID)),
    )
    count = totals["count"] or 0
    num_pages = max(1, -(-count // page_size))
    number = min(max(1, page), num_pages)
    rows = (
        _filtered(filters)
        .select_related("buyer", "live_session")
        .annotate(
            units=Sum("reservations__quantity", filter=held),
            waitlisted=Sum("reservations__quantity", filter=Q(reservations__status=Reservation.Status.WAITLISTED)),
            total_minor=Sum(value, filter=held),
        )
        .order_by("-created_at", "-id")[(number - 1) * page_size : number * page_size]
    )
    return OrderListPage(
        orders=list(rows),
        count=count,
        units=totals["units"] or 0,
        amount_minor=totals["amount"] or 0,
        paid_minor=totals["paid"] or 0,
        number=number,
        num_pages=num_pages,
    )
