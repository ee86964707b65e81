"""Value types shared by every intent engine (local rules, OpenAI fallback) and their callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Intent = Literal["purchase", "question", "cancel", "other"]


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    code: str
    name: str
    variants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LiveContext:
    products: tuple[CatalogProduct, ...]
    featured: str | None  # code of the product on camera, or None


@dataclass(frozen=True, slots=True)
class ClaimItem:
    code: str  # spelled exactly as in the catalog
    variant: str | None  # spelled exactly as in the catalog
    qty: int


@dataclass(frozen=True, slots=True)
class IntentResult:
    """`replaces`: for a swap or correction ("la L en vez de la M", "perdón, era la L"), what the new items take
    the place of (a None variant: whatever variant of that product the buyer holds). Empty for plain claims."""

    intent: Intent
    items: tuple[ClaimItem, ...]
    confidence: float
    engine: str = "local"
    replaces: tuple[ClaimItem, ...] = ()
