"""Who may see what on a seller's host: login, staff and owner roles, and the owner's settings."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import PageBinding, Seller
from tests.conftest import OWNER_PASSWORD

HOST_A = "seller-a.localhost"


def test_it_sends_an_anonymous_visitor_of_the_dashboard_to_the_login_page(seller_a: Seller) -> None:
    response = Client(HTTP_HOST=HOST_A).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_owner_logs_in_and_lands_on_the_dashboard(seller_a: Seller) -> None:
    client = Client(HTTP_HOST=HOST_A)

    response = client.post("/login/", {"username": f"owner@{HOST_A}", "password": OWNER_PASSWORD}, follow=True)

    assert response.redirect_chain[-1] == ("/", 302)
    assert response.status_code == 200
    assert seller_a.name in response.content.decode()


def test_a_session_from_one_sellers_host_is_not_a_login_on_another(owner_client: Client, seller_b: Seller) -> None:
    owner_client.defaults["HTTP_HOST"] = "seller-b.localhost"

    response = owner_client.get("/products/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_staff_runs_lives_but_cannot_open_settings(staff_client: Client) -> None:
    assert staff_client.get("/lives/").status_code == 200
    assert staff_client.get("/settings/").status_code == 403
    assert staff_client.post("/settings/pages/", {"platform": "facebook", "external_id": "1"}).status_code == 403


def test_dashboard_speaks_spanish_by_default_and_english_on_request(owner_client: Client) -> None:
    assert "Productos" in owner_client.get("/products/", HTTP_ACCEPT_LANGUAGE="").content.decode()

    owner_client.post("/i18n/setlang/", {"language": "en", "next": "/products/"})

    assert "<h1>Products</h1>" in owner_client.get("/products/").content.decode()


def test_owner_saves_hold_limits_and_engine_and_the_messages_to_buyers_stay(
    owner_client: Client, seller_a: Seller
) -> None:
    """The messages have their own page now: saving the settings leaves them as they are."""
    Seller.objects.filter(pk=seller_a.pk).update(message_templates={"claim": {"pt": "Separado! {items}"}})

    response = owner_client.post(
        "/settings/",
        {
            "default_language": "pt",
            "hold_minutes": "30",
            "hold_starts": "live_end",
            "max_units_per_claim": "3",
            "max_units_per_live": "9",
            "intent_engine": "local_openai",
            "answer_questions": "on",
            "payment_provider": "stripe",
            "stripe_account_id": "acct_123ABC",
        },
    )

    assert response.status_code == 302
    seller_a.refresh_from_db()
    assert (seller_a.hold_minutes, seller_a.hold_starts, seller_a.max_units_per_live) == (30, "live_end", 9)
    assert (seller_a.intent_engine, seller_a.payment_provider, seller_a.stripe_account_id) == (
        "local_openai",
        "stripe",
        "acct_123ABC",
    )
    assert seller_a.message_templates == {"claim": {"pt": "Separado! {items}"}}


def test_stripe_without_a_connected_account_is_refused(owner_client: Client, seller_a: Seller) -> None:
    response = owner_client.post(
        "/settings/",
        {
            "default_language": "es",
            "hold_minutes": "15",
            "hold_starts": "claim",
            "max_units_per_claim": "5",
            "max_units_per_live": "20",
            "intent_engine": "local",
            "payment_provider": "stripe",
            "stripe_account_id": "",
        },
    )

    assert response.status_code == 200
    seller_a.refresh_from_db()
    assert seller_a.payment_provider == "local"


def test_a_page_of_another_seller_cannot_be_connected(owner_client: Client, seller_a: Seller) -> None:
    owner_client.post("/settings/pages/", {"platform": "facebook", "external_id": "9002", "name": "Stolen"})

    assert PageBinding.objects.get(platform="facebook", external_id="9002").seller.schema_name == "seller_b"


def test_owner_connects_a_new_instagram_account_and_sees_its_health(owner_client: Client, seller_a: Seller) -> None:
    owner_client.post(
        "/settings/pages/", {"platform": "instagram", "external_id": "17841", "name": "IG A", "token": "tok-ig"}
    )

    binding = PageBinding.objects.get(platform="instagram", external_id="17841")
    assert binding.seller_id == seller_a.pk
    assert binding.access_token_encrypted and "tok-ig" not in binding.access_token_encrypted
    with schema_context("seller_a"):
        page = owner_client.get("/settings/").content.decode()
    assert "IG A" in page
