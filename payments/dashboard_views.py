"""The dashboard's order pages: the list filtered by live and status, and one order's trail with the
seller's manual actions (which go through the same services as the pipeline)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.money import format_amount
from livestreams import control
from livestreams.models import LiveSession
from messenger.models import OutboundMessage
from payments.models import Order, Reservation
from payments.selectors import order_trail
from payments.services import CheckoutError, order_mark_paid_in_cash
from tenants.views import seller_of, staff_required

PAGE_SIZE = 100
HELD = [Reservation.Status.RESERVED, Reservation.Status.PAID]


def _orders(*, live_id: int | None, status: str) -> QuerySet[Order]:
    """One query: each order with its buyer, live, units and value (held or paid units x price)."""
    orders = Order.objects.select_related("buyer", "live_session").annotate(
        units=Sum("reservations__quantity", filter=Q(reservations__status__in=HELD)),
        waitlisted=Count("reservations", filter=Q(reservations__status=Reservation.Status.WAITLISTED)),
        total_minor=Sum(
            F("reservations__quantity") * F("reservations__variant__product__price_minor"),
            filter=Q(reservations__status__in=HELD),
        ),
    )
    if live_id:
        orders = orders.filter(live_session_id=live_id)
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-id")


@staff_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    seller = seller_of(request)
    live_id = int(request.GET["live"]) if request.GET.get("live", "").isdigit() else None
    status = request.GET.get("status", "")
    status = status if status in Order.Status.values else ""
    rows = [
        {"order": order, "total": format_amount(order.total_minor or 0, seller.currency)}  # type: ignore[attr-defined]
        for order in _orders(live_id=live_id, status=status)[:PAGE_SIZE]
    ]
    context = {
        "rows": rows,
        "lives": LiveSession.objects.order_by("-created_at")[:50],
        "statuses": Order.Status.choices,
        "live_id": live_id,
        "status": status,
    }
    template = "orders/_order_rows.html" if request.htmx else "orders/orders.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@staff_required
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    seller = seller_of(request)
    order = get_object_or_404(Order.objects.select_related("buyer", "live_session"), pk=order_id)
    trail = order_trail(order_id=order.pk)
    comment_ids = {r.comment_id for r in trail.reservations}
    outbound = OutboundMessage.objects.filter(Q(order_id=order.pk) | Q(comment_id__in=comment_ids)).order_by("pk")
    total_minor = sum(
        r.quantity * price
        for r, price in _prices(order.pk)
        if r.status in (Reservation.Status.RESERVED, Reservation.Status.PAID)
    )
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "trail": trail,
            "outbound": list(outbound),
            "total": format_amount(total_minor, seller.currency),
            "can_cancel": order.status in (Order.Status.OPEN, Order.Status.AWAITING_PAYMENT)
            and any(r.status in ("reserved", "waitlisted") for r in trail.reservations),
            "can_take_cash": order.status in (Order.Status.OPEN, Order.Status.AWAITING_PAYMENT)
            and any(r.status == "reserved" for r in trail.reservations),
        },
    )


def _prices(order_id: int) -> list[tuple[Reservation, int]]:
    rows = Reservation.objects.filter(order_id=order_id).select_related("variant__product")
    return [(r, r.variant.product.price_minor) for r in rows]


@staff_required
@require_POST
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=order_id)
    try:
        summary = control.order_cancel(order_id=order.pk, actor=str(request.user.get_username()))
    except control.ControlError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Released %(count)s reservation(s).") % {"count": len(summary.released)})
    return redirect("order_detail", order_id=order.pk)


@staff_required
@require_POST
def order_paid_in_cash(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=order_id)
    try:
        outcome = order_mark_paid_in_cash(order_id=order.pk, actor=str(request.user.get_username()), now=timezone.now())
    except CheckoutError as exc:
        messages.error(request, str(exc))
    else:
        if outcome.status == "paid":
            messages.success(request, _("Recorded as paid in cash; the units are sold."))
        else:
            messages.error(request, _("Not recorded: %(problem)s") % {"problem": outcome.problem})
    return redirect("order_detail", order_id=order.pk)
