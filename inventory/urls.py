"""URLs of the inventory app on a seller's host (dashboard catalog pages)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from inventory import views

urlpatterns: list[Any] = [
    path("products/", views.products, name="products"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/import/", views.catalog_import_view, name="catalog_import"),
    path("products/import/sample.csv", views.catalog_sample, name="catalog_sample"),
    path("products/export.csv", views.catalog_export, name="catalog_export"),
    path("products/stock/", views.stock_adjust_view, name="stock_adjust"),
    path("products/<str:code>/", views.product_edit, name="product_edit"),
]
