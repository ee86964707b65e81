"""The dashboard's order pages: the list (filtered, searched, paginated, with totals), and one order's trail with
the seller's manual actions (which go through the same services as the pipeline), each confirmed first."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from dashboard import control
from livestreams.models import LiveSession
from messenger.models import OutboundMessage
from payments.dashboard_selectors import WAITLIST_ONLY, OrderFilters, order_list
from payments.models import Order, Reservation
from payments.services import CheckoutError, order_mark_paid_in_cash
from payments.templatetags.payments_tags import money
from payments.trail import order_trail
from tenants.views import seller_of, staff_required

OPEN = (Order.Status.OPEN, Order.Status.AWAITING_PAYMENT)
# Why a cash payment cannot be recorded (CheckoutError.code), as the seller reads it.
CASH_PROBLEMS = {
    "already_paid": gettext_lazy("This order is already paid."),
    "nothing_to_pay": gettext_lazy("This order holds no unit to pay for."),
    "mixed_currencies": gettext_lazy("This order mixes currencies: fix the product prices first."),
    "not_connected": gettext_lazy("Connect your Stripe account in Settings first."),
}


def staff_actor(request: HttpRequest) -> str:
    """Who pressed the button, as the trail records people: the staff member's e-mail (else the username)."""
    return str(getattr(request.user, "email", "") or request.user.get_username())


@staff_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    seller = seller_of(request)
    live_id = int(request.GET["live"]) if request.GET.get("live", "").isdigit() else None
    status = request.GET.get("status", "")
    status = status if status in (*Order.Status.values, WAITLIST_ONLY) else ""
    search = request.GET.get("q", "")[:100]
    page_number = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    page = order_list(filters=OrderFilters(live_id=live_id, status=status, search=search), page=page_number)
    context = {
        "page": page,
        "currency": seller.currency,
        "lives": LiveSession.objects.order_by("-created_at")[:50],
        "statuses": [*Order.Status.choices, (WAITLIST_ONLY, gettext_lazy("Only on a waitlist"))],
        "live_id": live_id,
        "status": status,
        "search": search,
    }
    template = "orders/_order_results.html" if request.htmx else "orders/orders.html"  # type: ignore[attr-defined]
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
    can_cancel = order.status in OPEN and any(r.status in ("reserved", "waitlisted") for r in trail.reservations)
    can_take_cash = order.status in OPEN and any(r.status == "reserved" for r in trail.reservations)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "trail": trail,
            "outbound": list(outbound),
            "total_minor": total_minor,
            "currency": seller.currency,
            "cancel_confirm": _cancel_confirmation(order) if can_cancel else None,
            "cash_confirm": _cash_confirmation(order, total_minor, seller.currency) if can_take_cash else None,
        },
    )


def _prices(order_id: int) -> list[tuple[Reservation, int]]:
    rows = Reservation.objects.filter(order_id=order_id).select_related("variant__product")
    return [(r, r.variant.product.price_minor) for r in rows]


def _holds(order: Order, *statuses: str) -> bool:
    """An open order with reservations in one of `statuses`: the manual actions apply to it."""
    return order.status in OPEN and Reservation.objects.filter(order=order, status__in=statuses).exists()


def _cancel_confirmation(order: Order) -> dict[str, object]:
    return {
        "id": "confirm-cancel",
        "title": _("Cancel order %(number)s?") % {"number": order.pk},
        "message": _(
            "Its held units go back to stock (the next buyers on the waitlist get them) and its waitlist places "
            "are given up. The buyer is told. This cannot be undone."
        ),
        "action": reverse("order_cancel", args=[order.pk]),
        "confirm_label": _("Yes, cancel the order"),
        "cancel_label": _("Keep the order"),
        "cancel_url": reverse("order_detail", args=[order.pk]),
        "danger": True,
    }


def _cash_confirmation(order: Order, total_minor: int, currency: str) -> dict[str, object]:
    return {
        "id": "confirm-cash",
        "title": _("Record a cash payment for order %(number)s?") % {"number": order.pk},
        "message": _(
            "Confirm only once you have the money (%(amount)s). The held units are sold and the buyer is told. "
            "The payment is recorded in your name."
        )
        % {"amount": money(total_minor, currency)},
        "action": reverse("order_paid_in_cash", args=[order.pk]),
        "confirm_label": _("Yes, I was paid in cash"),
        "cancel_label": _("Not yet"),
        "cancel_url": reverse("order_detail", args=[order.pk]),
        "danger": False,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    """GET: the confirmation step as a page (the order page shows it as a dialog); POST: cancel."""
    order = get_object_or_404(Order, pk=order_id)
    if request.method == "GET":
        if not _holds(order, Reservation.Status.RESERVED, Reservation.Status.WAITLISTED):
            return redirect("order_detail", order_id=order.pk)  # nothing to cancel: the order page says why
        return render(request, "livestreams/confirm_page.html", {"confirm": _cancel_confirmation(order)})
    try:
        summary = control.order_cancel(order_id=order.pk, actor=staff_actor(request))
    except control.ControlError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Order cancelled: %(count)s reservation(s) released.") % {"count": len(summary.released)}
        )
    return redirect("order_detail", order_id=order.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def order_paid_in_cash(request: HttpRequest, order_id: int) -> HttpResponse:
    """GET: the confirmation step as a page; POST: record the cash payment in the name of the staff member."""
    order = get_object_or_404(Order, pk=order_id)
    if request.method == "GET":
        if not _holds(order, Reservation.Status.RESERVED):
            return redirect("order_detail", order_id=order.pk)
        total = sum(r.quantity * price for r, price in _prices(order.pk) if r.status == Reservation.Status.RESERVED)
        confirm = _cash_confirmation(order, total, seller_of(request).currency)
        return render(request, "livestreams/confirm_page.html", {"confirm": confirm})
    try:
        outcome = order_mark_paid_in_cash(order_id=order.pk, actor=staff_actor(request), now=timezone.now())
    except CheckoutError as exc:
        messages.error(request, str(CASH_PROBLEMS.get(exc.code, _("The payment could not be recorded."))))
    else:
        if outcome.status == "paid":
            messages.success(request, _("Recorded as paid in cash; the units are sold."))
        elif outcome.status == "replayed":
            messages.info(request, _("This payment was already recorded."))
        else:
            messages.error(request, _("Not recorded: the cart changed meanwhile. Check the order and try again."))
    return redirect("order_detail", order_id=order.pk)
