"""Outgoing webhook endpoints in the public API v1: register one (its signing secret is in the answer to the
create, only there), list, read, change its events, turn it off or on, delete; and its delivery log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.apis import ApiV1, ByIdCursor
from api.idempotency import idempotent
from hooks.models import EVENT_TYPES, Delivery, Endpoint
from hooks.services import EndpointError, endpoint_create, endpoint_disable, endpoint_enable, endpoint_update

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retry-safe: the same key and body again returns the first answer and changes nothing.",
)


class EndpointOutput(serializers.ModelSerializer[Endpoint]):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES))

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "created_at",
        ]


class EndpointCreatedOutput(EndpointOutput):
    secret = serializers.CharField(help_text="The Standard Webhooks signing secret (whsec_…); shown only here.")

    class Meta(EndpointOutput.Meta):
        fields = [*EndpointOutput.Meta.fields, "secret"]


class EndpointInput(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=2000)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1)


class EndpointChange(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, required=False
    )
    is_active = serializers.BooleanField(required=False, help_text="false turns it off; true turns it back on.")


class DeliveryOutput(serializers.ModelSerializer[Delivery]):
    event_id = serializers.CharField(source="event.event_id")
    type = serializers.CharField(source="event.type")
    payload = serializers.JSONField(source="event.data")
    last_status_code = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "type",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "last_status_code",
        ]

    def get_last_status_code(self, delivery: Delivery) -> int | None:
        last = next(iter(delivery.attempt_log.all()), None)
        return last.status_code if last else None


class EndpointListApi(ApiV1, ListAPIView[Endpoint]):
    serializer_class = EndpointOutput
    pagination_class = ByIdCursor
    queryset = Endpoint.objects.order_by("id")

    @extend_schema(request=EndpointInput, responses={201: EndpointCreatedOutput}, parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request: Request) -> Response:
        data = EndpointInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = endpoint_create(**data.validated_data)
        except EndpointError as exc:
            raise ValidationError({"url": str(exc)}) from exc
        body = EndpointOutput(created.endpoint).data | {"secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class EndpointDetailApi(ApiV1):
    @extend_schema(responses=EndpointOutput)
    def get(self, request: Request, endpoint_id: int) -> Response:
        return Response(EndpointOutput(get_object_or_404(Endpoint, pk=endpoint_id)).data)

    @extend_schema(request=EndpointChange, responses=EndpointOutput)
    def patch(self, request: Request, endpoint_id: int) -> Response:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        data = EndpointChange(data=request.data)
        data.is_valid(raise_exception=True)
        change = data.validated_data
        endpoint_update(endpoint=endpoint, event_types=change.get("event_types"), description=change.get("description"))
        if change.get("is_active") is False:
            endpoint_disable(endpoint_id=endpoint.pk, reason="Turned off through the API.")
        elif change.get("is_active") is True:
            endpoint_enable(endpoint_id=endpoint.pk)
        return Response(EndpointOutput(Endpoint.objects.get(pk=endpoint.pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, endpoint_id: int) -> Response:
        get_object_or_404(Endpoint, pk=endpoint_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointDeliveriesApi(ApiV1, ListAPIView[Delivery]):
    """An endpoint's deliveries, newest first, with what the last attempt got back."""

    serializer_class = DeliveryOutput
    pagination_class = ByIdCursor

    def get_queryset(self) -> QuerySet[Delivery]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view for the schema
            return Delivery.objects.none()
        endpoint = get_object_or_404(Endpoint, pk=self.kwargs["endpoint_id"])
        return endpoint.deliveries.select_related("event").prefetch_related("attempt_log").order_by("id")
