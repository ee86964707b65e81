"""Lives pages and the live control room. Thin: parse, call dashboard.control or a selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard import control
from dashboard.forms import FeatureForm, LiveConnectForm, LiveScheduleForm, ReviewResolveForm
from dashboard.labels import labels_for_script
from dashboard.selectors import (
    live_chart,
    live_feed,
    live_list,
    live_messages,
    live_products,
    live_recovery,
    live_totals,
    review_list,
)
from livestreams.models import LiveSession
from tenants.forms import page_binding_choices
from tenants.models import PageBinding
from tenants.views import seller_of, staff_required


def _actor(request: HttpRequest) -> str:
    return str(getattr(request.user, "email", "") or request.user.get_username())


@staff_required
@require_http_methods(["GET", "POST"])
def lives(request: HttpRequest) -> HttpResponse:
    seller = seller_of(request)
    pages = page_binding_choices(list(PageBinding.objects.filter(seller=seller).order_by("platform", "external_id")))
    form = LiveScheduleForm(request.POST or None, pages=pages)
    if request.method == "POST" and form.is_valid():
        try:
            live = control.live_session_schedule(
                seller=seller,
                page_binding_id=form.cleaned_data["page"],
                title=form.cleaned_data["title"],
                platform_video_id=form.cleaned_data["platform_video_id"] or "",
                hold_minutes=form.cleaned_data["hold_minutes"],
            )
        except control.ControlError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Live scheduled."))
            return redirect("live_control", live_id=live.pk)
    rows = live_list(currency=seller.currency, status=request.GET.get("status", ""))
    return render(
        request,
        "livestreams/lives.html",
        {"rows": rows, "form": form, "seller": seller, "statuses": LiveSession.Status.choices},
    )


@staff_required
@require_POST
def live_start(request: HttpRequest, live_id: int) -> HttpResponse:
    try:
        control.live_session_go_live(live_id=get_object_or_404(LiveSession, pk=live_id).pk)
    except control.ControlError as exc:
        messages.error(request, str(exc))
    return redirect("live_control", live_id=live_id)


@staff_required
@require_http_methods(["GET", "POST"])
def live_end(request: HttpRequest, live_id: int) -> HttpResponse:
    """GET: the confirmation step (what the control room's dialog shows, as a page of its own); POST: end it."""
    live = get_object_or_404(LiveSession, pk=live_id)
    if request.method == "GET":
        if live.status != LiveSession.Status.LIVE:
            return redirect("live_control", live_id=live_id)
        return render(request, "livestreams/confirm_page.html", {"confirm": end_live_confirmation(live)})
    control.live_session_stop(live_id=live.pk)
    messages.success(request, _("Live ended."))
    return redirect("live_control", live_id=live_id)


def end_live_confirmation(live: LiveSession) -> dict[str, object]:
    return {
        "id": "confirm-end-live",
        "title": _("End this live?"),
        "message": _(
            "Comments stop being claimed and the live moves to Ended. Carts and holds stay as they are. "
            "This cannot be undone."
        ),
        "action": reverse("live_end", args=[live.pk]),
        "confirm_label": _("Yes, end the live"),
        "cancel_label": _("Keep it on air"),
        "cancel_url": reverse("live_control", args=[live.pk]),
        "danger": True,
    }


@staff_required
@require_POST
def live_connect(request: HttpRequest, live_id: int) -> HttpResponse:
    form = LiveConnectForm(request.POST)
    if form.is_valid():
        try:
            control.live_session_connect(live_id=live_id, platform_video_id=form.cleaned_data["platform_video_id"])
        except control.ControlError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Live video connected."))
    else:
        messages.error(request, _("Enter the live video's numeric id."))
    return redirect("live_control", live_id=live_id)


@staff_required
@require_GET
def live_control(request: HttpRequest, live_id: int) -> HttpResponse:
    seller = seller_of(request)
    live = get_object_or_404(LiveSession.objects.select_related("featured_product"), pk=live_id)
    feed = live_feed(live_id=live.pk) if live.status != LiveSession.Status.SCHEDULED else []
    context = {
        "live": live,
        "seller": seller,
        "products": live_products(live_id=live.pk),
        "feed": list(reversed(feed)),
        "last_comment_id": feed[-1]["id"] if feed else 0,
        "review": review_list(live_id=live.pk),
        "messages_out": live_messages(live_id=live.pk),
        "totals": live_totals(live_id=live.pk, currency=seller.currency),
        "chart": live_chart(live_id=live.pk),
        "connect_form": LiveConnectForm(),
        "end_confirm": end_live_confirmation(live),
        "script_labels": {
            **labels_for_script(),
            "text": {
                "review": _("needs review"),
                "sold_out": _("Sold out"),
                "refused": _("Not allowed: log in again"),
                "available": _("%(count)s available"),
                "sold_out_waitlist": _("sold out: goes to the waitlist"),
                "claims": _("Claims"),
                "sales": _("Units sold"),
                "no_claims_yet": _("No claims yet"),
                "since": _("since %(time)s"),
            },
        },
    }
    return render(request, "livestreams/control_room.html", context)


@staff_required
@require_GET
def live_messages_panel(request: HttpRequest, live_id: int) -> HttpResponse:
    live = get_object_or_404(LiveSession, pk=live_id)
    return render(request, "livestreams/_messages.html", {"messages_out": live_messages(live_id=live.pk), "live": live})


@staff_required
@require_POST
def live_feature(request: HttpRequest, live_id: int) -> HttpResponse:
    form = FeatureForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    try:
        live = control.live_session_feature(live_id=live_id, product_id=form.cleaned_data["product_id"])
    except control.ControlError as exc:
        return HttpResponse(str(exc), status=400)
    if request.htmx:  # type: ignore[attr-defined]
        products = live_products(live_id=live.pk)
        return render(request, "livestreams/_featured_switch.html", {"live": live, "products": products})
    return redirect("live_control", live_id=live_id)


@staff_required
@require_GET
def live_state(request: HttpRequest, live_id: int) -> JsonResponse:
    """What a reconnecting control room missed: comments after `after`, and every counter as it is now."""
    get_object_or_404(LiveSession, pk=live_id)
    try:
        after_id = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after_id = 0
    return JsonResponse(live_recovery(live_id=live_id, after_id=after_id, currency=seller_of(request).currency))


@staff_required
@require_GET
def live_totals_panel(request: HttpRequest, live_id: int) -> HttpResponse:
    totals = live_totals(live_id=get_object_or_404(LiveSession, pk=live_id).pk, currency=seller_of(request).currency)
    return render(request, "livestreams/_totals.html", {"totals": totals, "live_id": live_id})


@staff_required
@require_POST
def review_resolve(request: HttpRequest, live_id: int, comment_id: int) -> HttpResponse:
    form = ReviewResolveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose a variant and a number of units."), status=400)
    try:
        control.review_resolve(
            comment_id=comment_id,
            variant_id=form.cleaned_data["variant_id"],
            quantity=form.cleaned_data["quantity"],
            actor=_actor(request),
        )
    except control.ControlError as exc:
        return HttpResponse(str(exc), status=400)
    return HttpResponse("") if request.htmx else redirect("live_control", live_id=live_id)  # type: ignore[attr-defined]


@staff_required
@require_POST
def review_dismiss(request: HttpRequest, live_id: int, comment_id: int) -> HttpResponse:
    try:
        control.review_dismiss(comment_id=comment_id, actor=_actor(request))
    except control.ControlError as exc:
        return HttpResponse(str(exc), status=400)
    return HttpResponse("") if request.htmx else redirect("live_control", live_id=live_id)  # type: ignore[attr-defined]
