"""The buyer's pages on the seller's host: the cart (/c/<token>/), Pay, removing an item, and the
built-in test checkout. The token in the link is the only credential, so every response carries
`core.http.SECRET_LINK_HEADERS` (never cached, never sent as a referrer to another site)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import secret_link_page
from payments.receipts import checkout_lines, order_receipt
from payments.selectors import cart_by_token, local_checkout_session
from payments.services import CheckoutError, cart_item_remove, checkout_start, local_payment_confirm
from tenants.models import Language, Seller

SUPPORTED_LANGUAGES = {code for code, _ in Language.choices}


def buyer_language(*, request: HttpRequest, seller: Seller) -> str:
    """The buyer's browser language when we speak it, else the seller's default language."""
    preferences: list[tuple[float, str]] = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        preferences.append((-weight + position * 1e-6, tag.split("-")[0].lower()))
    for _, code in sorted(preferences):
        if code in SUPPORTED_LANGUAGES:
            return code
    return seller.default_language


def _seller(request: HttpRequest) -> Seller:
    return request.tenant  # type: ignore[attr-defined,no-any-return]


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    seller = _seller(request)
    language = buyer_language(request=request, seller=seller)
    with translation.override(language):
        response = render(request, template, {**context, "seller": seller, "language": language}, status=status)
    response["Content-Language"] = language
    return response


def _link_not_valid(request: HttpRequest) -> HttpResponse:
    """A cart link that names no cart (mistyped, or from another seller): a page the buyer understands, also
    with DEBUG on (Django's debug 404 would show our URL patterns instead)."""
    return _render(request, "payments/link_not_valid.html", {}, status=404)


def _back_to_cart(token: str, **query: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/c/{token}/" + (f"?{urlencode(query)}" if query else ""))


@secret_link_page
@require_GET
def cart_page(request: HttpRequest, token: str) -> HttpResponse:
    cart = cart_by_token(token=token)
    if cart is None:
        return _link_not_valid(request)
    now = timezone.now()
    held_seconds = {
        line.reservation_id: max(0, int((line.hold_expires_at - now).total_seconds()))
        for line in cart.reserved
        if line.hold_expires_at is not None
    }
    return _render(
        request,
        "payments/cart.html",
        {
            "cart": cart,
            "receipt": order_receipt(order_id=cart.order_id) if cart.status == "paid" else None,
            "held_seconds": held_seconds,
            "notice": request.GET.get("notice", ""),
            "error": request.GET.get("error", ""),
            "checkout": request.GET.get("checkout", ""),
        },
    )


@secret_link_page
@require_POST
def cart_pay(request: HttpRequest, token: str) -> HttpResponse:
    cart = cart_by_token(token=token)
    if cart is None:
        return _link_not_valid(request)
    try:
        start = checkout_start(order_id=cart.order_id, now=timezone.now())
    except CheckoutError as error:
        return _back_to_cart(token, error=error.code)
    return HttpResponseRedirect(start.redirect_url)


@secret_link_page
@require_POST
def cart_remove(request: HttpRequest, token: str, reservation_id: int) -> HttpResponse:
    cart = cart_by_token(token=token)
    if cart is None:
        return _link_not_valid(request)
    waiting = any(line.reservation_id == reservation_id for line in cart.waitlisted)
    removed = cart_item_remove(order_id=cart.order_id, reservation_id=reservation_id, now=timezone.now())
    notice = ("left_line" if waiting else "removed") if removed else "not_in_cart"
    return _back_to_cart(token, notice=notice)


@secret_link_page
@require_http_methods(["GET", "POST"])
def local_checkout(request: HttpRequest, token: str, external_id: str) -> HttpResponse:
    """The built-in test checkout: no money moves; confirming pays the order through `order_mark_paid`."""
    cart = cart_by_token(token=token)
    session = None if cart is None else local_checkout_session(order_id=cart.order_id, external_id=external_id)
    if cart is None or session is None:
        return _link_not_valid(request)
    if request.method == "POST":
        try:
            outcome = local_payment_confirm(order_id=cart.order_id, external_id=external_id)
        except CheckoutError as error:
            return _back_to_cart(token, error=error.code)
        return _back_to_cart(token, notice="paid" if outcome.status != "refund_needed" else "refund_needed")
    return _render(
        request,
        "payments/local_checkout.html",
        {"cart": cart, "session": session, "lines": checkout_lines(session=session)},
    )
