"""Comments in the public API v1 (read only): what viewers wrote, and what the pipeline made of each: the
intent engine's reading (intent, items, engine, confidence, review) and what the claims stage did (the
reservations made from it and one word for the outcome, `payments.claim_outcomes`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.apis import ApiV1, ByIdCursor
from api.filters import CommentFilter
from livestreams.models import Comment
from payments.claim_outcomes import OUTCOMES, claim_outcome, comments_with_reservations
from payments.models import Reservation


class AuthorOutput(serializers.Serializer[Comment]):
    platform_user_id = serializers.CharField(source="author_platform_id")
    name = serializers.CharField(source="author_name")


class ClaimItemOutput(serializers.Serializer[dict[str, Any]]):
    code = serializers.CharField()
    variant = serializers.CharField(allow_null=True, help_text="The variant label read; null: none named.")
    qty = serializers.IntegerField()


class ClaimReservationOutput(serializers.ModelSerializer[Reservation]):
    product_code = serializers.CharField(source="variant.product.code")
    variant_label = serializers.CharField(source="variant.label")

    class Meta:
        model = Reservation
        fields = [
            "id",
            "order_id",
            "variant_id",
            "product_code",
            "variant_label",
            "quantity",
            "part",
            "status",
            "hold_expires_at",
            "created_at",
        ]


def _reservations(comment: Comment) -> list[Reservation]:
    return list(getattr(comment, "claim_reservations", None) or [])


class DecisionOutput(serializers.Serializer[Comment]):
    """The intent engine's reading of the comment and what the claims stage did with it."""

    outcome = serializers.SerializerMethodField(help_text=" ".join(f"`{o}`" for o in OUTCOMES))
    intent = serializers.SerializerMethodField()
    engine = serializers.SerializerMethodField()
    confidence = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    replaces = serializers.SerializerMethodField()
    needs_review = serializers.BooleanField()
    review_reason = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reservations = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": list(OUTCOMES)})
    def get_outcome(self, comment: Comment) -> str:
        return claim_outcome(comment, _reservations(comment))

    @extend_schema_field({"type": "string", "enum": [*Comment.Intent.values, None], "nullable": True})
    def get_intent(self, comment: Comment) -> str | None:
        return comment.intent or None

    @extend_schema_field({"type": "string", "nullable": True, "description": "local, openai, seller or prefilter."})
    def get_engine(self, comment: Comment) -> str | None:
        return (comment.parse_result or {}).get("engine") or None

    @extend_schema_field({"type": "number", "nullable": True})
    def get_confidence(self, comment: Comment) -> float | None:
        confidence = (comment.parse_result or {}).get("confidence")
        return float(confidence) if confidence is not None else None

    @extend_schema_field(ClaimItemOutput(many=True))
    def get_items(self, comment: Comment) -> list[dict[str, Any]]:
        return list(ClaimItemOutput((comment.parse_result or {}).get("items", []), many=True).data)

    @extend_schema_field(ClaimItemOutput(many=True, help_text="A swap: what the items replace."))
    def get_replaces(self, comment: Comment) -> list[dict[str, Any]]:
        return list(ClaimItemOutput((comment.parse_result or {}).get("replaces", []), many=True).data)

    @extend_schema_field({"type": "string", "nullable": True, "description": "Why it waits for review."})
    def get_review_reason(self, comment: Comment) -> str | None:
        return comment.review_reason or None

    @extend_schema_field(ClaimReservationOutput(many=True))
    def get_reservations(self, comment: Comment) -> list[dict[str, Any]]:
        return list(ClaimReservationOutput(_reservations(comment), many=True).data)


class CommentOutput(serializers.ModelSerializer[Comment]):
    live_id = serializers.IntegerField(source="live_session_id", allow_null=True)
    author = AuthorOutput(source="*")
    decision = DecisionOutput(source="*")

    class Meta:
        model = Comment
        fields = [
            "id",
            "live_id",
            "kind",
            "platform",
            "external_id",
            "text",
            "author",
            "received_at",
            "platform_created_at",
            "removed_at",
            "decision",
        ]


def _comments() -> QuerySet[Comment]:
    return comments_with_reservations(Comment.objects.order_by("id"))


class CommentListApi(ApiV1, ListAPIView[Comment]):
    """Comments and private messages, oldest first, each with its decision."""

    serializer_class = CommentOutput
    pagination_class = ByIdCursor
    filterset_class = CommentFilter

    def get_queryset(self) -> QuerySet[Comment]:
        return _comments()


class CommentDetailApi(ApiV1):
    @extend_schema(responses=CommentOutput)
    def get(self, request: Request, comment_id: int) -> Response:
        return Response(CommentOutput(get_object_or_404(_comments(), pk=comment_id)).data)
