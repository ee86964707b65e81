"""URLs of the seller dashboard on a seller's host: home, lives and the live control room, orders."""

from __future__ import annotations

from typing import Any

from django.urls import path

from dashboard.views import home, lives, orders

urlpatterns: list[Any] = [
    path("", home.home, name="dashboard"),
    path("lives/", lives.lives, name="lives"),
    path("lives/<int:live_id>/", lives.live_control, name="live_control"),
    path("lives/<int:live_id>/start/", lives.live_start, name="live_start"),
    path("lives/<int:live_id>/end/", lives.live_end, name="live_end"),
    path("lives/<int:live_id>/connect/", lives.live_connect, name="live_connect"),
    path("lives/<int:live_id>/feature/", lives.live_feature, name="live_feature"),
    path("lives/<int:live_id>/state.json", lives.live_state, name="live_state"),
    path("lives/<int:live_id>/totals/", lives.live_totals_panel, name="live_totals"),
    path("lives/<int:live_id>/messages/", lives.live_messages_panel, name="live_messages"),
    path("lives/<int:live_id>/review/<int:comment_id>/resolve/", lives.review_resolve, name="review_resolve"),
    path("lives/<int:live_id>/review/<int:comment_id>/dismiss/", lives.review_dismiss, name="review_dismiss"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<int:order_id>/", orders.order_detail, name="order_detail"),
    path("orders/<int:order_id>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<int:order_id>/paid-in-cash/", orders.order_paid_in_cash, name="order_paid_in_cash"),
]
