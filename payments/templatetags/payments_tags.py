"""Formatting for buyer-facing payment pages."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()

# Currencies without minor units (Stripe's list, the ones our sellers may use): amounts are whole units.
ZERO_DECIMAL = frozenset({"CLP", "JPY", "KRW", "PYG", "VND", "XAF", "XOF", "UGX", "RWF", "BIF", "DJF", "GNF", "KMF"})


@register.filter
def money(amount_minor: int, currency: str) -> str:
    """`29900|money:"MXN"` → "299.00 MXN" (decimal separator of the active language)."""
    code = (currency or "").upper()
    if code in ZERO_DECIMAL:
        return f"{number_format(amount_minor, 0, use_l10n=True, force_grouping=True)} {code}"
    return f"{number_format(amount_minor / 100, 2, use_l10n=True, force_grouping=True)} {code}"


@register.filter
def get_item(mapping: dict[int, int], key: int) -> int:
    return mapping.get(key, 0)


@register.filter
def minutes_left(seconds: int) -> int:
    """Whole minutes, rounded up, so a hold never looks shorter than it is."""
    return -(-int(seconds) // 60)
