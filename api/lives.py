"""Lives in the public API v1: list and detail, start or end a live, set the product on camera. The same
control-room services the dashboard uses (the control room sees each change live)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.apis import ApiV1, ByIdCursor
from api.filters import LiveFilter
from api.idempotency import IDEMPOTENCY_KEY_HEADER, idempotent
from dashboard import control
from inventory.selectors import product_get_by_code
from livestreams.models import LiveSession


class LiveOutput(serializers.ModelSerializer[LiveSession]):
    featured_product_code = serializers.SerializerMethodField()

    class Meta:
        model = LiveSession
        fields = [
            "id",
            "title",
            "platform",
            "page_external_id",
            "platform_video_id",
            "status",
            "featured_product_code",
            "hold_minutes",
            "started_at",
            "ended_at",
            "created_at",
        ]

    def get_featured_product_code(self, live: LiveSession) -> str | None:
        return live.featured_product.code if live.featured_product else None


class LiveListApi(ApiV1, ListAPIView[LiveSession]):
    """Lives, oldest first."""

    serializer_class = LiveOutput
    pagination_class = ByIdCursor
    filterset_class = LiveFilter
    queryset = LiveSession.objects.select_related("featured_product").order_by("id")


def _live(live_id: int) -> LiveSession:
    return get_object_or_404(LiveSession.objects.select_related("featured_product"), pk=live_id)


class LiveDetailApi(ApiV1):
    @extend_schema(responses=LiveOutput)
    def get(self, request: Request, live_id: int) -> Response:
        return Response(LiveOutput(_live(live_id)).data)


class LiveStartApi(ApiV1):
    """Put a scheduled live on air (the page's other live, if any, ends). Starting an ended live is a 400."""

    @extend_schema(request=None, responses=LiveOutput, parameters=[IDEMPOTENCY_KEY_HEADER])
    @idempotent
    def post(self, request: Request, live_id: int) -> Response:
        try:
            control.live_session_go_live(live_id=_live(live_id).pk)
        except control.ControlError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(LiveOutput(_live(live_id)).data)


class LiveEndApi(ApiV1):
    @extend_schema(request=None, responses=LiveOutput, parameters=[IDEMPOTENCY_KEY_HEADER])
    @idempotent
    def post(self, request: Request, live_id: int) -> Response:
        control.live_session_stop(live_id=_live(live_id).pk)
        return Response(LiveOutput(_live(live_id)).data)


class LiveFeaturedApi(ApiV1):
    """Set the product on camera by its code, or `null` for none."""

    class FeaturedProductInput(serializers.Serializer[Any]):
        product_code = serializers.CharField(allow_null=True, max_length=32)

    @extend_schema(request=FeaturedProductInput, responses=LiveOutput, parameters=[IDEMPOTENCY_KEY_HEADER])
    @idempotent
    def post(self, request: Request, live_id: int) -> Response:
        data = self.FeaturedProductInput(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["product_code"]
        product = product_get_by_code(code=code) if code is not None else None
        if code is not None and product is None:
            raise ValidationError({"product_code": f"No product with code {code!r}."})
        try:
            control.live_session_feature(live_id=_live(live_id).pk, product_id=product.pk if product else None)
        except control.ControlError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(LiveOutput(_live(live_id)).data)
