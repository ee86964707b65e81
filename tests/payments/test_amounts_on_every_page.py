"""One price, read the same way everywhere: the buyer's cart, the reply the buyer gets, the seller's dashboard.
Per currency exponent: CLP and ISK have none (5000 is five thousand), MXN two, BHD three."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from livestreams.intent.types import ClaimItem
from messenger.models import OutboundMessage
from messenger.services import reply_work_enqueue
from payments.reservations import ClaimPolicy, claim_reserve
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product
from tests.messenger.helpers import claimed_comment, reply_work

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)

# (currency, price in minor units, what a Spanish-speaking buyer reads, and a Portuguese-speaking one)
PRICES = [
    pytest.param("CLP", 5000, "$5.000 CLP", "CLP 5.000", id="CLP-exponent-0"),
    pytest.param("ISK", 5000, "ISK 5,000", "ISK 5.000", id="ISK-exponent-0"),
    pytest.param("MXN", 29900, "$299.00 MXN", "MX$ 299,00", id="MXN-exponent-2"),
    pytest.param("BHD", 1234, "BHD 1.234", "BHD 1,234", id="BHD-exponent-3"),
]


def text_of(response: object) -> str:
    return response.content.decode().replace("\xa0", " ").replace("&nbsp;", " ")  # type: ignore[attr-defined]


def amounts_in(text: str) -> list[str]:
    """Every amount written on the page (for the failure message)."""
    return re.findall(r"[^<>\n]{0,12}\d[^<>\n]*?(?:CLP|ISK|MXN|BHD)\b|(?:CLP|ISK|MXN|BHD)[^<>\n]{0,12}", text)


@pytest.mark.parametrize(("currency", "minor", "spanish", "portuguese"), PRICES)
def test_the_cart_shows_the_price_in_the_buyers_language(
    in_seller_a: Seller, currency: str, minor: int, spanish: str, portuguese: str
) -> None:
    make_product(code="P1", name="Poncho", price_minor=minor, currency=currency, variants={"U": 3})
    comment = make_comment(live=make_live(), external_id="c-price")
    decision = claim_reserve(comment=comment, items=[ClaimItem("P1", "U", 1)], policy=POLICY, now=timezone.now())
    token = decision.order_token  # type: ignore[attr-defined]

    for accept_language, expected in (("es-MX,es;q=0.9", spanish), ("pt-BR,pt;q=0.9", portuguese)):
        page = Client(HTTP_HOST="seller-a.localhost", HTTP_ACCEPT_LANGUAGE=accept_language).get(f"/c/{token}/")
        assert page.status_code == 200
        # The line, the total and the Pay button.
        assert text_of(page).count(expected) >= 3, f"{expected!r} not on the cart: {amounts_in(text_of(page))}"


@pytest.mark.parametrize(("currency", "minor", "spanish", "portuguese"), PRICES)
def test_the_reply_to_a_question_gives_the_price_in_the_sellers_language(
    in_seller_a: Seller, currency: str, minor: int, spanish: str, portuguese: str
) -> None:
    make_product(code="P1", name="Poncho", price_minor=minor, currency=currency, variants={"U": 3})
    Seller.objects.filter(pk=in_seller_a.pk).update(answer_questions=True)
    comment, _ = claimed_comment(live=make_live(), external_id="c-question")

    reply_work_enqueue(
        work=reply_work(
            schema="seller_a", reason="question", comment=comment, detail_json=json.dumps({"codes": ["P1"]})
        )
    )

    (message,) = OutboundMessage.objects.all()
    assert message.text.replace("\xa0", " ") == f"P1 Poncho: {spanish}. Disponible: U"


@pytest.mark.parametrize(("currency", "minor", "spanish", "portuguese"), PRICES)
def test_the_dashboard_shows_the_price_in_the_sellers_language(
    in_seller_a: Seller, currency: str, minor: int, spanish: str, portuguese: str
) -> None:
    make_product(code="P1", name="Poncho", price_minor=minor, currency=currency, variants={"U": 3})
    live = make_live()
    owner, _ = get_user_model().objects.get_or_create(
        username="owner@seller-a.localhost", defaults={"email": "owner@seller-a.localhost", "is_staff": True}
    )
    for language, expected in (("es", spanish), ("pt", portuguese)):
        client = Client(HTTP_HOST="seller-a.localhost", HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(owner)
        products, control_room = client.get("/products/"), client.get(f"/lives/{live.pk}/")
        assert products.status_code == control_room.status_code == 200
        assert expected in text_of(products), f"{expected!r} not in the list: {amounts_in(text_of(products))}"
        assert expected in text_of(control_room), f"{expected!r} not on air: {amounts_in(text_of(control_room))}"


@pytest.mark.parametrize(("currency", "minor", "spanish", "portuguese"), PRICES)
def test_the_product_form_and_the_csv_export_hold_every_decimal_of_the_currency(
    in_seller_a: Seller, currency: str, minor: int, spanish: str, portuguese: str
) -> None:
    make_product(code="P1", name="Poncho", price_minor=minor, currency=currency, variants={"U": 3})
    owner, _ = get_user_model().objects.get_or_create(
        username="owner@seller-a.localhost", defaults={"email": "owner@seller-a.localhost", "is_staff": True}
    )
    client = Client(HTTP_HOST="seller-a.localhost")
    client.force_login(owner)
    value = {"CLP": "5000", "ISK": "5000", "MXN": "299.00", "BHD": "1.234"}[currency]

    form = client.get("/products/P1/").content.decode()
    export = client.get("/products/export.csv").content.decode()

    assert f'name="price" value="{value}"' in form
    assert f"P1,Poncho,{value},{currency},U," in export
