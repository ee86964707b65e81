"""/api/v1/ on a seller's host: the resources, the OpenAPI schema and its docs page (Swagger UI, served from
drf-spectacular-sidecar's copy, so it works offline)."""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import apis, buyers, comments, lives, orders, variants, webhook_endpoints
from api.problems import no_such_operation

urlpatterns = [
    path("products/", apis.ProductListApi.as_view(), name="api_products"),
    path("products/<str:code>/", apis.ProductDetailApi.as_view(), name="api_product"),
    path("products/<str:code>/variants/", variants.ProductVariantsApi.as_view(), name="api_product_variants"),
    path("variants/<int:variant_id>/", variants.VariantDetailApi.as_view(), name="api_variant"),
    path("variants/<int:variant_id>/stock-adjustments/", apis.StockAdjustApi.as_view(), name="api_stock_adjust"),
    path("lives/", lives.LiveListApi.as_view(), name="api_lives"),
    path("lives/<int:live_id>/", lives.LiveDetailApi.as_view(), name="api_live"),
    path("lives/<int:live_id>/start/", lives.LiveStartApi.as_view(), name="api_live_start"),
    path("lives/<int:live_id>/end/", lives.LiveEndApi.as_view(), name="api_live_end"),
    path("lives/<int:live_id>/featured-product/", lives.LiveFeaturedApi.as_view(), name="api_live_featured"),
    path("orders/", orders.OrderListApi.as_view(), name="api_orders"),
    path("orders/<int:order_id>/", orders.OrderDetailApi.as_view(), name="api_order"),
    path("orders/<int:order_id>/cancel/", orders.OrderCancelApi.as_view(), name="api_order_cancel"),
    path("orders/<int:order_id>/mark-paid/", orders.OrderMarkPaidApi.as_view(), name="api_order_mark_paid"),
    path("comments/", comments.CommentListApi.as_view(), name="api_comments"),
    path("comments/<int:comment_id>/", comments.CommentDetailApi.as_view(), name="api_comment"),
    path("buyers/", buyers.BuyerListApi.as_view(), name="api_buyers"),
    path("buyers/<int:buyer_id>/", buyers.BuyerDetailApi.as_view(), name="api_buyer"),
    path("webhook-endpoints/", webhook_endpoints.EndpointListApi.as_view(), name="api_hook_endpoints"),
    path(
        "webhook-endpoints/<int:endpoint_id>/", webhook_endpoints.EndpointDetailApi.as_view(), name="api_hook_endpoint"
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/deliveries/",
        webhook_endpoints.EndpointDeliveriesApi.as_view(),
        name="api_hook_deliveries",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Swagger UI's page has an inline <style> (its script is a file: the split view serves it at ?script=).
    path(
        "docs/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    # Last: any other address under /api/v1/ is a 404 problem (application/problem+json), not an HTML page.
    re_path(r"^(?P<path>.*/)$", no_such_operation),  # ends in /: a missing slash still redirects first
]
