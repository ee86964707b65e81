"""`{% load live_labels %}`: the dashboard's translated labels for codes (dashboard.labels)."""

from __future__ import annotations

from django import template

from dashboard import labels

register = template.Library()


@register.filter(name="label")
def label(code: str | None, concept: str) -> str:
    """`{{ message.last_error_code|label:"message_error" }}` → the human sentence for the code."""
    return labels.label(concept, code)


@register.filter
def order_event(event: object) -> str:
    """What an order event says, in the active language (see `labels.order_event_text`)."""
    return labels.order_event_text(str(getattr(event, "cause", "")))
