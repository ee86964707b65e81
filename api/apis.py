"""The public API v1 on a seller's host: one view per operation, thin (parse, call a selector or service,
render). Errors are RFC 9457 problem details (api.problems); lists are cursor-paginated and filtered
(api.filters)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ApiKeyAuthentication, StaffSessionAuthentication, actor_of
from api.filters import BIGINT_MAX, ProductFilter
from api.idempotency import IDEMPOTENCY_KEY_HEADER, idempotent
from api.permissions import ApiScope
from api.problems import problem_details
from api.schema import ApiSchema
from api.throttles import ApiCallerRateThrottle
from inventory.models import Product, Variant
from inventory.selectors import product_get_by_code
from inventory.services import STOCK_MAX, StockError, stock_adjust


class VariantOutput(serializers.ModelSerializer[Variant]):
    available = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = ["id", "label", "sku", "stock_on_hand", "reserved", "available"]

    def get_available(self, variant: Variant) -> int:
        return variant.stock_on_hand - variant.reserved


class ProductOutput(serializers.ModelSerializer[Product]):
    variants = VariantOutput(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "code", "name", "description", "price_minor", "currency", "active", "image_url", "variants"]


class ApiV1(APIView):
    """What every v1 view shares: an API key or a staff session, and the key's scope."""

    authentication_classes = [ApiKeyAuthentication, StaffSessionAuthentication]
    permission_classes = [ApiScope]
    throttle_classes = [ApiCallerRateThrottle]
    schema = ApiSchema()  # documents the problems each operation can answer

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return problem_details


class ByIdCursor(CursorPagination):
    ordering = "id"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's, and the position must be an id: a forged cursor is a 404 like any unreadable one, not a
        database error."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)
            if not position.isascii() or not position.isdigit() or int(position) > BIGINT_MAX:
                raise NotFound(self.invalid_cursor_message)
        return cursor


class ProductListApi(ApiV1, ListAPIView[Product]):
    """Products with their variants and stock, oldest first."""

    serializer_class = ProductOutput
    pagination_class = ByIdCursor
    filterset_class = ProductFilter
    queryset = Product.objects.prefetch_related("variants").order_by("id")


def product_or_404(code: str) -> Product:
    """The product with this live code (any case). A code PostgreSQL cannot hold (a NUL) names no product."""
    product = None if "\x00" in code else product_get_by_code(code=code)
    if product is None:
        raise NotFound(f"No product with code {code!r}.")
    return product


class ProductDetailApi(ApiV1):
    @extend_schema(responses=ProductOutput)
    def get(self, request: Request, code: str) -> Response:
        return Response(ProductOutput(product_or_404(code)).data)


class StockAdjustApi(ApiV1):
    """Add (positive) or remove (negative) units on hand of one variant, with the reason kept in its movement."""

    class StockAdjustmentInput(serializers.Serializer[Any]):
        on_hand_delta = serializers.IntegerField(
            min_value=-STOCK_MAX, max_value=STOCK_MAX, help_text="Units to add (positive) or remove (negative); not 0."
        )
        reason = serializers.CharField(max_length=200, help_text="Why, kept in the stock movement.")

    @extend_schema(
        request=StockAdjustmentInput,
        responses=VariantOutput,
        parameters=[IDEMPOTENCY_KEY_HEADER],
    )
    @idempotent
    def post(self, request: Request, variant_id: int) -> Response:
        data = self.StockAdjustmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        get_object_or_404(Variant, pk=variant_id)
        try:
            variant = stock_adjust(
                variant_id=variant_id,
                on_hand_delta=data.validated_data["on_hand_delta"],
                actor=actor_of(request),
                note=data.validated_data["reason"],
            )
        except StockError as exc:
            raise ValidationError({"on_hand_delta": str(exc)}) from exc
        return Response(VariantOutput(variant).data)
