"""The dashboard's shell on a seller's host: log in and out, the owner's settings, and who may see what
(`staff_required`, `owner_required`). The pages themselves are in the dashboard app.

Users live in each seller's schema: a session on one seller's host means nothing on another's.
Staff (is_staff) run lives and orders; the owner (is_superuser in the seller's schema) also changes settings.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants.forms import PageConnectionForm, SellerSettingsForm
from tenants.models import Seller
from tenants.selectors import custom_message_count
from tenants.services import ProvisioningError, page_connection_save, page_connections, seller_settings_update

View = TypeVar("View", bound=Callable[..., HttpResponse])


def seller_of(request: HttpRequest) -> Seller:
    return cast(Seller, request.tenant)  # type: ignore[attr-defined]


def staff_required(view: View) -> View:
    """Logged in as staff of this seller; anonymous users go to the login page, others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


def owner_required(view: View) -> View:
    """Settings and payouts: the seller's owner only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_staff and request.user.is_superuser):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    redirect_authenticated_user = True


@owner_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    seller = seller_of(request)
    form = SellerSettingsForm.for_seller(seller, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        seller_settings_update(seller=seller, values=form.to_settings())
        messages.success(request, _("Settings saved."))
        return redirect("settings")
    return render(
        request,
        "dashboard/settings.html",
        {
            "form": form,
            "pages": page_connections(seller=seller),
            "page_form": PageConnectionForm(),
            "seller": seller,
            "custom_messages": custom_message_count(seller=seller),
        },
    )


@owner_required
@require_http_methods(["POST"])
def page_connect(request: HttpRequest) -> HttpResponse:
    seller = seller_of(request)
    form = PageConnectionForm(request.POST)
    if form.is_valid():
        try:
            page_connection_save(seller=seller, **form.cleaned_data)
        except ProvisioningError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Page connected."))
            return redirect("settings")
    else:
        messages.error(request, _("Check the page id: digits only."))
    return redirect("settings")
