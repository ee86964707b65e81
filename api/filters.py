"""Query filters of the public API's lists (django-filter FilterSets, read by drf-spectacular into the schema).
A value a filter cannot read is a 400 problem naming the parameter, never a silently ignored filter."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field

from inventory.models import Product
from livestreams.models import Comment, LiveSession, Platform
from payments.models import Buyer, Order

BIGINT_MAX = 2**63 - 1  # ids are PostgreSQL bigints: a larger number is refused, not sent to the database


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is refused (django-filter's own boolean filter ignores it)."""

    default_error_messages = {"invalid": "Use true or false."}
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class IdField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=BIGINT_MAX, **kwargs)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(filters.NumberFilter):
    """A row id: a whole number from 1 to 2^63 - 1."""

    field_class = IdField

    def get_max_validator(self) -> None:
        return None  # IdField has its own bounds


def instant_filters(field: str, noun: str) -> tuple[filters.IsoDateTimeFilter, filters.IsoDateTimeFilter]:
    """`<noun>_after` (inclusive) and `<noun>_before` (exclusive) on a date-time column."""
    what = noun.capitalize()
    return (
        filters.IsoDateTimeFilter(field_name=field, lookup_expr="gte", help_text=f"{what} at or after (ISO 8601)."),
        filters.IsoDateTimeFilter(field_name=field, lookup_expr="lt", help_text=f"{what} before (ISO 8601)."),
    )


class ProductFilter(filters.FilterSet):
    code = filters.CharFilter(field_name="code", lookup_expr="iexact", help_text="The live code (any case).")
    search = filters.CharFilter(method="filter_search", help_text="Part of the code or the name (any case).")
    active = StrictBooleanFilter(help_text="true: on sale only; false: off sale only.")

    class Meta:
        model = Product
        fields = ["code", "search", "active"]

    def filter_search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class LiveFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=LiveSession.Status.choices, help_text="Repeat to match any: ?status=live&status=ended."
    )
    platform = filters.ChoiceFilter(choices=Platform.choices)

    class Meta:
        model = LiveSession
        fields = ["status", "platform"]


class OrderFilter(filters.FilterSet):
    live = IdFilter(field_name="live_session_id", help_text="Orders of this live (its id).")
    status = filters.MultipleChoiceFilter(
        choices=Order.Status.choices, help_text="Repeat to match any: ?status=open&status=awaiting_payment."
    )
    buyer = filters.CharFilter(field_name="buyer__platform_user_id", help_text="The buyer's platform user id.")
    buyer_id = IdFilter(field_name="buyer_id", help_text="The buyer's id in this API (/buyers/{id}/).")
    created_after, created_before = instant_filters("created_at", "created")

    class Meta:
        model = Order
        fields = ["live", "status", "buyer", "buyer_id", "created_after", "created_before"]


class BuyerFilter(filters.FilterSet):
    platform = filters.ChoiceFilter(choices=Platform.choices)
    platform_user_id = filters.CharFilter(help_text="The buyer's id on the platform (exact).")

    class Meta:
        model = Buyer
        fields = ["platform", "platform_user_id"]


class CommentFilter(filters.FilterSet):
    live = IdFilter(field_name="live_session_id", help_text="Comments of this live (its id).")
    intent = filters.MultipleChoiceFilter(
        choices=Comment.Intent.choices, help_text="What the intent engine read; repeat to match any."
    )
    needs_review = StrictBooleanFilter(help_text="true: waiting for the seller to say what it claims.")
    kind = filters.ChoiceFilter(choices=Comment.Kind.choices, help_text="A comment on the live or a private message.")
    author = filters.CharFilter(field_name="author_platform_id", help_text="The author's platform user id.")
    received_after, received_before = instant_filters("received_at", "received")

    class Meta:
        model = Comment
        fields = ["live", "intent", "needs_review", "kind", "author", "received_after", "received_before"]
