"""Content-Security-Policy on every page: scripts and styles from our own origin, the inline ones carrying the
response's nonce; no inline event handler or style attribute that the policy would block."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from livestreams.intent.types import ClaimItem
from payments.reservations import ClaimPolicy, claim_reserve
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

INLINE_TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
BLOCKED_ATTRIBUTE = re.compile(r"<[^>]*\s(on[a-z]+|style)\s*=", re.IGNORECASE)


def policy_of(response: TestResponse) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def assert_page_follows_its_policy(response: TestResponse) -> None:
    policy = policy_of(response)
    assert policy.get("default-src") == "default-src 'self'", response.get("Content-Security-Policy")
    assert policy.get("object-src") == "object-src 'none'"
    assert policy.get("frame-ancestors") == "frame-ancestors 'none'"
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"])
    for tag, attributes in INLINE_TAG.findall(html):
        if tag.lower() == "script" and "src=" in attributes:
            continue
        assert nonce is not None and f'nonce="{nonce.group(1)}"' in attributes, f"<{tag}{attributes}> has no nonce"
    assert not BLOCKED_ATTRIBUTE.search(html), BLOCKED_ATTRIBUTE.search(html)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/products/",
        "/products/new/",
        "/products/import/",
        "/lives/",
        "/orders/",
        "/settings/",
        "/settings/messages/",
        "/settings/api-keys/",
    ],
)
def test_every_dashboard_page_carries_the_policy_and_its_inline_code_the_nonce(owner_client: Client, path: str) -> None:
    response = owner_client.get(path)

    assert response.status_code == 200
    assert_page_follows_its_policy(response)


def test_the_login_page_the_buyers_cart_and_the_error_pages_carry_the_policy(seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        make_product(code="A12", variants={"M": 2})
        decision = claim_reserve(
            comment=make_comment(live=make_live(), external_id="c1", author="psid-1"),
            items=(ClaimItem("A12", "M", 1),),
            policy=ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20),
            now=timezone.now(),
        )
    seller_host = Client(HTTP_HOST="seller-a.localhost")

    for response in (
        seller_host.get("/login/"),
        seller_host.get(f"/c/{decision.order_token}/"),
        seller_host.get("/no-such-page/"),
        Client(HTTP_HOST="nobody.localhost").get("/"),
    ):
        assert response.status_code in (200, 404), response
        assert_page_follows_its_policy(response)


def test_the_admin_sites_allow_inline_styles_and_nothing_else_inline(seller_a: Seller) -> None:
    """Django's admin sets a few inline styles; its scripts are files, held to 'self' as everywhere."""
    for response in (
        Client(HTTP_HOST="localhost").get("/admin/login/"),
        Client(HTTP_HOST="seller-a.localhost").get("/admin/login/"),
    ):
        policy = policy_of(response)
        assert response.status_code == 200
        assert policy["style-src"] == "style-src 'self' 'unsafe-inline'"
        assert policy["script-src"].startswith("script-src 'self'") and "unsafe" not in policy["script-src"]
        assert policy["default-src"] == "default-src 'self'"


def test_a_products_picture_on_the_sellers_own_image_host_is_allowed(owner_client: Client, seller_a: Seller) -> None:
    with schema_context(seller_a.schema_name):
        product = make_product(code="A12", variants={"M": 1})
        product.image_url = "https://cdn.boutique.example/a12.jpg"
        product.save()

    response = owner_client.get("/products/A12/")

    assert 'src="https://cdn.boutique.example/a12.jpg"' in response.content.decode()
    assert policy_of(response)["img-src"] == "img-src 'self' data: https:"
