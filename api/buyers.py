"""Buyers in the public API v1 (read only): the platform users who claimed in this seller's lives."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.apis import ApiV1, ByIdCursor
from api.filters import BuyerFilter
from payments.models import Buyer


class BuyerOutput(serializers.ModelSerializer[Buyer]):
    order_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Buyer
        fields = ["id", "platform", "platform_user_id", "name", "last_message_at", "created_at", "order_count"]


def _buyers() -> QuerySet[Buyer]:
    return Buyer.objects.annotate(order_count=Count("orders")).order_by("id")


class BuyerListApi(ApiV1, ListAPIView[Buyer]):
    serializer_class = BuyerOutput
    pagination_class = ByIdCursor
    filterset_class = BuyerFilter

    def get_queryset(self) -> QuerySet[Buyer]:
        return _buyers()


class BuyerDetailApi(ApiV1):
    @extend_schema(responses=BuyerOutput)
    def get(self, request: Request, buyer_id: int) -> Response:
        return Response(BuyerOutput(get_object_or_404(_buyers(), pk=buyer_id)).data)
