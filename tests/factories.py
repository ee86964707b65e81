"""Small builders for test data; each writes through the ORM in the current schema."""

from __future__ import annotations

from django.utils import timezone

from inventory.models import Product, Variant
from livestreams.models import Comment, LiveSession
from payments.models import Buyer, Order


def make_product(
    *, code: str = "A12", name: str = "Blusa satinada", price_minor: int = 29900, variants: dict[str, int] | None = None
) -> Product:
    product = Product.objects.create(code=code, name=name, price_minor=price_minor, currency="MXN")
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
