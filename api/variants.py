"""Variants in the public API v1: create one on a product (with its initial stock, kept as a stock movement with
its reason), read one, change its label or SKU. Stock changes only through the stock-adjustments endpoint.
The services are inventory.variants'; the database decides duplicates (409)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.apis import ApiV1, VariantOutput, product_or_404
from api.authentication import actor_of
from api.idempotency import IDEMPOTENCY_KEY_HEADER, idempotent
from api.problems import Conflict, ProblemOutput
from inventory.models import Variant
from inventory.services import STOCK_MAX
from inventory.variants import LABEL_MAX_LENGTH, SKU_MAX_LENGTH, VariantError, variant_create, variant_update

STOCK_FIELDS = {"stock", "stock_on_hand", "reserved", "available", "on_hand_delta"}


class VariantDetailOutput(VariantOutput):
    product_code = serializers.CharField(source="product.code")

    class Meta(VariantOutput.Meta):
        fields = ["id", "product_code", "label", "sku", "stock_on_hand", "reserved", "available"]


# `label` is also a Field attribute in the stubs; the serializer's metaclass takes declared fields off the class.
class VariantCreateInput(serializers.Serializer[Any]):
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=LABEL_MAX_LENGTH, help_text="The size or colour, as viewers write it."
    )
    sku = serializers.CharField(max_length=SKU_MAX_LENGTH, required=False, allow_blank=True, default="")
    stock = serializers.IntegerField(min_value=0, max_value=STOCK_MAX, default=0, help_text="Units on hand to start.")
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the units are on hand (required when stock is above 0), kept in the stock movement.",
    )


class VariantUpdateInput(serializers.Serializer[Any]):
    label = serializers.CharField(max_length=LABEL_MAX_LENGTH, required=False)  # type: ignore[assignment]
    sku = serializers.CharField(max_length=SKU_MAX_LENGTH, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = set(self.initial_data) if isinstance(self.initial_data, dict) else set()
        if sent & STOCK_FIELDS:
            raise ValidationError(
                {
                    field: ["Stock changes only through POST /api/v1/variants/{id}/stock-adjustments/, with a reason."]
                    for field in sorted(sent & STOCK_FIELDS)
                }
            )
        if unknown := sorted(sent - set(self.fields)):
            raise ValidationError({field: ["Not a field of a variant: send label or sku."] for field in unknown})
        return attrs


def _refused(exc: VariantError) -> Exception:
    if exc.conflict:
        return Conflict(exc.message, field=exc.field)
    if exc.field is None:
        return NotFound(exc.message)
    return ValidationError({exc.field: [exc.message]})


class ProductVariantsApi(ApiV1):
    """Add a variant to a product. Its initial stock is recorded as a stock movement with the reason given."""

    @extend_schema(
        request=VariantCreateInput,
        responses={201: VariantDetailOutput, 409: ProblemOutput},
        parameters=[IDEMPOTENCY_KEY_HEADER],
    )
    @idempotent
    def post(self, request: Request, code: str) -> Response:
        data = VariantCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        product = product_or_404(code)
        try:
            variant = variant_create(product_id=product.pk, **data.validated_data, actor=actor_of(request))
        except VariantError as exc:
            raise _refused(exc) from exc
        return Response(VariantDetailOutput(variant).data, status=201)


class VariantDetailApi(ApiV1):
    """One variant with its stock. PATCH changes its label or SKU (never its stock: see stock-adjustments)."""

    @extend_schema(responses=VariantDetailOutput)
    def get(self, request: Request, variant_id: int) -> Response:
        return Response(VariantDetailOutput(get_object_or_404(_variants(), pk=variant_id)).data)

    @extend_schema(request=VariantUpdateInput, responses={200: VariantDetailOutput, 409: ProblemOutput})
    def patch(self, request: Request, variant_id: int) -> Response:
        data = VariantUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        get_object_or_404(Variant, pk=variant_id)
        try:
            variant = variant_update(variant_id=variant_id, changes=data.validated_data, actor=actor_of(request))
        except VariantError as exc:
            raise _refused(exc) from exc
        return Response(VariantDetailOutput(variant).data)


def _variants() -> QuerySet[Variant]:
    return Variant.objects.select_related("product")
