"""Purchase-intent detection for live-selling comments."""

from __future__ import annotations

from livestreams.intent.types import CatalogProduct, ClaimItem, Intent, IntentResult, LiveContext

__all__ = ["CatalogProduct", "ClaimItem", "Intent", "IntentResult", "LiveContext"]
