"""The seller dashboard's order pages (seller host)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from payments import dashboard_views

urlpatterns: list[Any] = [
    path("orders/", dashboard_views.orders, name="orders"),
    path("orders/<int:order_id>/", dashboard_views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/cancel/", dashboard_views.order_cancel, name="order_cancel"),
    path("orders/<int:order_id>/paid-in-cash/", dashboard_views.order_paid_in_cash, name="order_paid_in_cash"),
]
