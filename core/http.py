"""HTTP pieces shared by the apps' views: the headers of secret-link pages, and the error pages of every host."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views import defaults

View = Callable[..., HttpResponse]

# The headers of a page whose address is its credential (a buyer's cart link carries the cart's token).
SECRET_LINK_HEADERS = {
    # Kept by no browser, proxy or CDN: the next person on a shared phone cannot go back to it.
    "Cache-Control": "no-store",
    # The address is sent to our own pages only, never to another site (a provider's checkout, an image
    # host). `no-referrer` would do that too, but Chromium then posts forms with `Origin: null`, which
    # Django's CSRF check rightly refuses: the buyer could not press Pay.
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}


def secret_link_page(view: View) -> View:
    """Decorate a view whose URL is a credential: every response it returns (pages, redirects, its own 404)
    carries `SECRET_LINK_HEADERS`. This is the one place those headers are set."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        for header, value in SECRET_LINK_HEADERS.items():
            response[header] = value
        return response

    return wrapped


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page (templates/404.html) in the visitor's language, also for a request that never reached
    LocaleMiddleware (a host that names no seller is refused by the first middleware)."""
    with translation.override(translation.get_language_from_request(request)):
        return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page (templates/500.html) in the visitor's language."""
    with translation.override(translation.get_language_from_request(request)):
        return defaults.server_error(request)


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """django-axes' lockout answer on every login form (AXES_LOCKOUT_CALLABLE): 429 with Retry-After and a page in
    the visitor's language saying when to try again. The right password does not log in until then."""
    lockout_seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "login_locked_out.html",
        {"lockout_minutes": max(1, round(lockout_seconds / 60))},
        status=429,
    )
    response["Retry-After"] = str(lockout_seconds)
    return response
