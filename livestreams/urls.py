"""URLs of the livestreams app on a seller's host: lives and the live control room."""

from __future__ import annotations

from typing import Any

from django.urls import path

from livestreams import views

urlpatterns: list[Any] = [
    path("lives/", views.lives, name="lives"),
    path("lives/<int:live_id>/", views.live_control, name="live_control"),
    path("lives/<int:live_id>/start/", views.live_start, name="live_start"),
    path("lives/<int:live_id>/end/", views.live_end, name="live_end"),
    path("lives/<int:live_id>/connect/", views.live_connect, name="live_connect"),
    path("lives/<int:live_id>/feature/", views.live_feature, name="live_feature"),
    path("lives/<int:live_id>/state.json", views.live_state, name="live_state"),
    path("lives/<int:live_id>/totals/", views.live_totals_panel, name="live_totals"),
    path("lives/<int:live_id>/messages/", views.live_messages_panel, name="live_messages"),
    path("lives/<int:live_id>/review/<int:comment_id>/resolve/", views.review_resolve, name="review_resolve"),
    path("lives/<int:live_id>/review/<int:comment_id>/dismiss/", views.review_dismiss, name="review_dismiss"),
]
