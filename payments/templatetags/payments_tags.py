"""Formatting for buyer-facing payment pages."""

from __future__ import annotations

from django import template

from core.money import format_amount

register = template.Library()


@register.filter
def money(amount_minor: int, currency: str) -> str:
    """`29900|money:"MXN"` → "$299.00 MXN" in Spanish, "MX$ 299,00" in Portuguese (the active language)."""
    return format_amount(amount_minor, currency)


@register.filter
def get_item(mapping: dict[int, int], key: int) -> int:
    return mapping.get(key, 0)


@register.filter
def minutes_left(seconds: int) -> int:
    """Whole minutes, rounded up, so a hold never looks shorter than it is."""
    return -(-int(seconds) // 60)
