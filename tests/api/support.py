"""Builders the API tests share: a client with a fresh API key of a seller, and claims that make orders."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from api.services import api_key_create
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.reservations import ClaimDecision, ClaimPolicy, claim_reserve
from tenants.models import Seller
from tests.factories import make_comment

HOST_A, HOST_B = "seller-a.localhost", "seller-b.localhost"
POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)


def api_key(seller: Seller, *, scope: str) -> str:
    with schema_context(seller.schema_name):
        return api_key_create(name="Tool", scope=scope, created_by="owner@test").plaintext


def api_client(seller: Seller, *, scope: str, host: str = HOST_A) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {api_key(seller, scope=scope)}")


def claim(
    live: LiveSession, *, external_id: str, buyer: str, code: str, variant: str, qty: int = 1
) -> tuple[Comment, ClaimDecision]:
    """A purchase comment decided as the claims stage decides it, and what reserving for it did (current
    schema)."""
    comment = make_comment(live=live, external_id=external_id, author=buyer, text=f"quiero {code} {variant}")
    Comment.objects.filter(pk=comment.pk).update(
        intent="purchase",
        decided_at=timezone.now(),
        parse_result={
            "items": [{"code": code, "variant": variant, "qty": qty}],
            "confidence": 0.97,
            "engine": "local",
        },
    )
    comment.refresh_from_db()
    decision = claim_reserve(comment=comment, items=(ClaimItem(code, variant, qty),), policy=POLICY, now=timezone.now())
    return comment, decision
