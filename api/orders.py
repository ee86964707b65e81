"""Orders in the public API v1: list with filters (live, status, buyer, date), detail with the cart's lines and
the trail (comment → reservation → stock movements → payment), cancel, record a cash payment. The same
services the dashboard's order page uses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.apis import ApiV1, ByIdCursor
from api.authentication import actor_of
from api.filters import OrderFilter
from api.idempotency import IDEMPOTENCY_KEY_HEADER, idempotent
from dashboard import control
from payments.models import Order
from payments.selectors import cart_of_order
from payments.services import CheckoutError, order_mark_paid_in_cash
from payments.trail import order_trail


class OrderOutput(serializers.ModelSerializer[Order]):
    buyer_platform = serializers.CharField(source="buyer.platform")
    buyer_platform_user_id = serializers.CharField(source="buyer.platform_user_id")
    buyer_name = serializers.CharField(source="buyer.name")

    class Meta:
        model = Order
        fields = [
            "id",
            "live_session_id",
            "status",
            "needs_refund",
            "buyer_platform",
            "buyer_platform_user_id",
            "buyer_name",
            "created_at",
            "updated_at",
        ]


class OrderListApi(ApiV1, ListAPIView[Order]):
    serializer_class = OrderOutput
    pagination_class = ByIdCursor
    filterset_class = OrderFilter
    queryset = Order.objects.select_related("buyer").order_by("id")


def _detail(order_id: int) -> dict[str, Any]:
    order = get_object_or_404(Order.objects.select_related("buyer"), pk=order_id)
    cart = cart_of_order(order=order)
    return {
        **OrderOutput(order).data,
        "total_minor": cart.total_minor,
        "currency": cart.currency,
        "lines": [asdict(line) for line in (*cart.reserved, *cart.waitlisted, *cart.paid)],
        "trail": order_trail(order_id=order.pk).as_dict(),
    }


class OrderDetailApi(ApiV1):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, order_id: int) -> Response:
        return Response(_detail(order_id))


class OrderCancelApi(ApiV1):
    """Cancel an order: its reserved units and waitlist places are released (the buyer is told)."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, parameters=[IDEMPOTENCY_KEY_HEADER])
    @idempotent
    def post(self, request: Request, order_id: int) -> Response:
        get_object_or_404(Order, pk=order_id)
        try:
            control.order_cancel(order_id=order_id, actor=actor_of(request))
        except control.ControlError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(_detail(order_id))


class OrderMarkPaidApi(ApiV1):
    """Record that the buyer paid in person (cash): what the cart holds is sold, the order is paid."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, parameters=[IDEMPOTENCY_KEY_HEADER])
    @idempotent
    def post(self, request: Request, order_id: int) -> Response:
        get_object_or_404(Order, pk=order_id)
        try:
            outcome = order_mark_paid_in_cash(order_id=order_id, actor=actor_of(request), now=timezone.now())
        except CheckoutError as exc:
            raise ValidationError({"detail": f"Nothing payable: {exc}"}) from exc
        if outcome.status == "refund_needed":
            raise ValidationError({"detail": f"Not recorded: {outcome.problem}"})
        return Response(_detail(order_id))
