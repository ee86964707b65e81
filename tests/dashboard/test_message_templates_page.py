"""The owner's page for the messages buyers receive: one text per message and language, checked placeholders,
a preview, and a way back to our wording."""

from __future__ import annotations

import re

from django.test import Client

from messenger import texts
from messenger.forms import KIND_NAMES, PLACEHOLDER_HELP
from tenants.models import Seller

PAGE = "/settings/messages/"


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def form_for(language: str, **changes: str) -> dict[str, str]:
    """What the page posts for `language` when the owner changes only `changes` (the rest as shown: defaults)."""
    data = {kind: texts.DEFAULT_TEMPLATES[kind][language] for kind in texts.DEFAULT_TEMPLATES}
    return {"language": language, **data, **changes}


def test_owner_writes_a_portuguese_reply_and_it_is_the_text_buyers_get(owner_client: Client, seller_a: Seller) -> None:
    Seller.objects.filter(pk=seller_a.pk).update(message_templates={"claim": {"es": "Apartado: {items}"}})
    mine = "Separado pra você: {items} ({minutes} min) — {seller}"

    response = owner_client.post(PAGE, form_for("pt", claim=mine))

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?language=pt"
    seller_a.refresh_from_db()
    assert seller_a.message_templates == {"claim": {"es": "Apartado: {items}", "pt": mine}}
    reply = texts.render(
        name="claim",
        language="pt",
        overrides=seller_a.message_templates,
        values={"items": "A12 M", "minutes": 15, "seller": "Boutique A"},
    )
    assert reply == "Separado pra você: A12 M (15 min) — Boutique A"


def test_the_saved_text_is_shown_on_the_page_with_a_confirmation(owner_client: Client, seller_a: Seller) -> None:
    owner_client.post(PAGE, form_for("en", paid="Thanks {buyer}! Paid ✅"), HTTP_ACCEPT_LANGUAGE="en")

    page = owner_client.get(f"{PAGE}?language=en", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Thanks {buyer}! Paid ✅</textarea>" in page
    assert "Messages saved." in text_of(page)


def test_an_unknown_placeholder_is_refused_naming_the_ones_this_message_may_use(
    owner_client: Client, seller_a: Seller
) -> None:
    response = owner_client.post(
        PAGE, form_for("es", claim="Hola {nombre}, apartamos {items}"), HTTP_ACCEPT_LANGUAGE="en"
    )

    page = text_of(response.content.decode())
    assert response.status_code == 200
    assert "{nombre} is not a placeholder of this message" in page
    assert "{items}" in page and "{minutes}" in page and "{cart_url}" in page
    seller_a.refresh_from_db()
    assert seller_a.message_templates == {}


def test_a_placeholder_that_this_message_is_never_given_is_refused(owner_client: Client, seller_a: Seller) -> None:
    """The price answer is filled with product, price and availability only: {seller} would reach buyers as
    written."""
    response = owner_client.post(
        PAGE, form_for("en", question="{seller}: {product} {price}"), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "{seller} is not a placeholder of this message" in text_of(response.content.decode())
    seller_a.refresh_from_db()
    assert seller_a.message_templates == {}


def test_a_stray_brace_is_refused_with_how_to_write_one(owner_client: Client, seller_a: Seller) -> None:
    response = owner_client.post(PAGE, form_for("en", cancelled="Done {items"), HTTP_ACCEPT_LANGUAGE="en")

    assert "A brace is not closed" in text_of(response.content.decode())
    seller_a.refresh_from_db()
    assert seller_a.message_templates == {}


def test_a_button_text_longer_than_messenger_allows_is_refused(owner_client: Client, seller_a: Seller) -> None:
    response = owner_client.post(
        PAGE, form_for("en", button_pay="Pay for your order right now"), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "at most 20 characters" in text_of(response.content.decode())
    seller_a.refresh_from_db()
    assert seller_a.message_templates == {}


def test_reset_puts_our_wording_back_for_that_message_and_language_only(owner_client: Client, seller_a: Seller) -> None:
    Seller.objects.filter(pk=seller_a.pk).update(
        message_templates={"claim": {"es": "Apartado: {items}", "pt": "Separado: {items}"}, "paid": {"es": "¡Gracias!"}}
    )

    response = owner_client.post(PAGE, {"language": "es", "reset": "claim"})

    assert response.status_code == 302
    seller_a.refresh_from_db()
    assert seller_a.message_templates == {"claim": {"pt": "Separado: {items}"}, "paid": {"es": "¡Gracias!"}}


def test_the_preview_fills_the_placeholders_with_an_example(owner_client: Client, seller_a: Seller) -> None:
    good = owner_client.post(
        f"{PAGE}preview/", {"language": "en", "kind": "claim", "claim": "Hi {buyer}: {items}, {minutes} min"}
    )
    bad = owner_client.post(
        f"{PAGE}preview/", {"language": "en", "kind": "claim", "claim": "Hi {name}"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert good.status_code == 200
    assert f"Hi Ana: A12 M x2, {seller_a.hold_minutes} min" in text_of(good.content.decode())
    assert "{name} is not a placeholder of this message" in text_of(bad.content.decode())


def test_staff_may_not_change_what_buyers_read(staff_client: Client, seller_a: Seller) -> None:
    assert staff_client.get(PAGE).status_code == 403
    assert staff_client.post(PAGE, form_for("es", claim="x")).status_code == 403
    seller_a.refresh_from_db()
    assert seller_a.message_templates == {}


def test_settings_link_to_the_messages_page_instead_of_a_json_box(owner_client: Client) -> None:
    page = owner_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'href="{PAGE}"' in page
    assert "JSON" not in page


def test_every_message_buyers_can_get_is_on_the_page_with_each_placeholder_explained() -> None:
    assert sorted(KIND_NAMES) == sorted(texts.DEFAULT_TEMPLATES)
    assert sorted(texts.TEMPLATE_PLACEHOLDERS) == sorted(texts.DEFAULT_TEMPLATES)
    used = {name for names in texts.TEMPLATE_PLACEHOLDERS.values() for name in names}
    assert used == set(PLACEHOLDER_HELP)
    for name, by_language in texts.DEFAULT_TEMPLATES.items():
        for language, text in by_language.items():
            assert texts.template_problems(name=name, text=text) == [], f"our own {name}/{language} is refused"
