"""URLs of the payments app on a seller's host: the buyer's cart and checkout."""

from __future__ import annotations

from django.urls import path

from payments import views

urlpatterns = [
    path("c/<str:token>/", views.cart_page, name="cart"),
    path("c/<str:token>/pay/", views.cart_pay, name="cart_pay"),
    path("c/<str:token>/items/<int:reservation_id>/remove/", views.cart_remove, name="cart_remove"),
    path("c/<str:token>/checkout/<str:external_id>/", views.local_checkout, name="local_checkout"),
]
