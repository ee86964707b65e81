"""The owner's webhooks pages (/settings/webhooks/): register an endpoint (its signing secret shown once), see
each endpoint's delivery log, send a delivery again, turn an endpoint off or on, delete it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hooks.forms import EndpointForm
from hooks.models import Endpoint
from hooks.services import (
    EndpointError,
    delivery_replay,
    endpoint_create,
    endpoint_disable,
    endpoint_enable,
)
from tenants.views import owner_required


@owner_required
@require_http_methods(["GET", "POST"])
def endpoints(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    new_secret = ""
    created = None
    if form.is_bound and form.is_valid():
        try:
            result = endpoint_create(
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                description=form.cleaned_data["description"],
            )
        except EndpointError as exc:
            form.add_error("url", str(exc))
        else:
            new_secret, created = result.secret, result.endpoint
            form = EndpointForm()
    return render(
        request,
        "hooks/endpoints.html",
        {"form": form, "new_secret": new_secret, "created": created, "endpoints": Endpoint.objects.all()},
    )


@owner_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    action = request.POST.get("action")
    if action == "replay":
        delivery_id = request.POST.get("delivery_id", "")
        if delivery_id.isdigit() and delivery_replay(endpoint_id=endpoint.pk, delivery_id=int(delivery_id)):
            messages.success(request, _("The delivery will be sent again in a moment."))
        else:
            messages.error(request, _("This delivery cannot be sent again now (is the endpoint on?)."))
        return redirect("hook_endpoint", endpoint_id=endpoint.pk)
    if action == "disable":
        endpoint_disable(endpoint_id=endpoint.pk, reason=_("Turned off by %(user)s.") % {"user": request.user})
        messages.success(request, _("Endpoint turned off: no more events are sent to it."))
        return redirect("hook_endpoint", endpoint_id=endpoint.pk)
    if action == "enable":
        endpoint_enable(endpoint_id=endpoint.pk)
        messages.success(request, _("Endpoint turned on: new events are sent to it."))
        return redirect("hook_endpoint", endpoint_id=endpoint.pk)
    if action == "delete":
        endpoint.delete()
        messages.success(request, _("Endpoint deleted."))
        return redirect("hook_endpoints")
    deliveries = endpoint.deliveries.select_related("event").prefetch_related("attempt_log")[:50]
    return render(request, "hooks/endpoint_detail.html", {"endpoint": endpoint, "deliveries": deliveries})
