"""Small builders for test data; each writes through the ORM in the current schema."""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone

from inventory.models import Product, StockMovement, Variant
from livestreams.models import Comment, LiveSession
from payments.models import Buyer, Order, Reservation
from payments.selectors import stock_snapshot


def make_product(
    *,
    code: str = "A12",
    name: str = "Blusa satinada",
    price_minor: int = 29900,
    variants: dict[str, int] | None = None,
    currency: str = "MXN",
) -> Product:
    product = Product.objects.create(code=code, name=name, price_minor=price_minor, currency=currency)
    for label, stock in (variants or {"M": 5}).items():
        Variant.objects.create(product=product, label=label, sku=f"{code}-{label}", stock_on_hand=stock)
    return product


def make_live(*, page_external_id: str = "9001", video_id: str = "v1") -> LiveSession:
    return LiveSession.objects.create(
        platform="facebook",
        page_external_id=page_external_id,
        platform_video_id=video_id,
        status=LiveSession.Status.LIVE,
        started_at=timezone.now(),
    )


def make_comment(*, live: LiveSession, external_id: str = "c1", author: str = "psid-1", text: str = "mío") -> Comment:
    return Comment.objects.create(
        live_session=live,
        platform="facebook",
        external_id=external_id,
        author_platform_id=author,
        author_name="Ana",
        text=text,
        received_at=timezone.now(),
    )


def make_order(*, live: LiveSession, buyer_id: str = "psid-1") -> Order:
    buyer, _ = Buyer.objects.get_or_create(platform="facebook", platform_user_id=buyer_id)
    return Order.objects.create(buyer=buyer, live_session=live)


def stock_conservation_errors(*, initial: dict[int, int]) -> list[str]:
    """Every way the variants in `initial` (variant id → units they started with, all created without stock
    movements) break conservation: initial = available + reserved + sold, 0 <= reserved <= on hand, and
    `reserved` equal to both the reserved reservations and the sum of the movements. Empty when all hold."""
    rows = stock_snapshot(variant_ids=list(initial))
    errors = [f"variant {v} is missing" for v in set(initial) - {row["variant_id"] for row in rows}]
    for row in rows:
        variant_id = row["variant_id"]
        held = Reservation.objects.filter(variant_id=variant_id, status="reserved").aggregate(n=Sum("quantity"))["n"]
        moved = StockMovement.objects.filter(variant_id=variant_id).aggregate(n=Sum("reserved_delta"))["n"]
        if row["initial"] != initial[variant_id]:
            errors.append(f"variant {variant_id}: initial {row['initial']} != {initial[variant_id]}")
        if not 0 <= row["reserved"] <= row["stock_on_hand"] or row["available"] < 0:
            errors.append(f"variant {variant_id}: out of bounds {row}")
        if row["reserved"] != (held or 0) or row["reserved"] != (moved or 0):
            errors.append(f"variant {variant_id}: reserved {row['reserved']}, reservations {held}, movements {moved}")
    return errors
