"""A seller's catalog and settings, clicked in Chromium: import a spreadsheet's CSV, download the sample, fix a
price, reword a message to buyers. In es, pt and en, on a desktop and on a 390 px phone, every page fits the
screen and speaks the seller's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, FilePayload, Page, expect

from inventory.catalog_csv import COLUMNS, parse_catalog_csv
from inventory.models import Product, Variant
from livestreams.intent.types import ClaimItem
from payments.reservations import ClaimPolicy, claim_reserve
from payments.templatetags.payments_tags import money
from tenants.models import PageBinding, Seller
from tests.browser.conftest import JOURNEYS, Journey, assert_fits_viewport, log_in, open_page, shot
from tests.conftest import OWNER_PASSWORD
from tests.factories import make_comment, make_live, make_product
from tests.processes import WebServer

# What Excel saves as "CSV" in Spanish or Portuguese: semicolons, decimal commas, a BOM.
EXCEL_CSV = (
    "\ufeffcode;name;price;currency;variant;sku;stock\r\n"
    "A14;Jeans mom fit;449,00;MXN;7;A14-7;10\r\n"
    "B7;Vestido de lino;1.249,90;MXN;M;B7-M;3\r\n"
    "B7;Vestido de lino;1.249,90;MXN;G;B7-G;2\r\n"
    "15;Aretes de filigrana;189,50;MXN;;15;12\r\n"
)

# The words each page must show in the journey's language.
TEXTS = {
    "es": {
        "home": "Abrir la sala de control|Ningún live al aire",
        "products": "Productos",
        "import": "Importar CSV",
        "import_title": "Importar un CSV de catálogo",
        "check": "Revisar el archivo",
        "choose": "Elige primero un archivo CSV.",
        "replaces": "reemplaza las unidades en existencia",
        "ready": "4 filas listas",
        "confirm": "Importar estas filas",
        "imported": "Importado:",
        "save": "Guardar",
        "saved": "Producto guardado.",
        "settings": "Configuración",
        "messages": "Mensajes a compradores",
        "language": "Español",
        "save_messages": "Guardar mensajes",
        "messages_saved": "Mensajes guardados.",
    },
    "pt": {
        "home": "Abrir a sala de controle|Nenhuma live no ar",
        "products": "Produtos",
        "import": "Importar CSV",
        "import_title": "Importar um CSV de catálogo",
        "check": "Verificar o arquivo",
        "choose": "Escolha primeiro um arquivo CSV.",
        "replaces": "substitui as unidades em estoque",
        "ready": "4 linhas prontas",
        "confirm": "Importar estas linhas",
        "imported": "Importado:",
        "save": "Salvar",
        "saved": "Produto salvo.",
        "settings": "Configurações",
        "messages": "Mensagens aos compradores",
        "language": "Português",
        "save_messages": "Salvar mensagens",
        "messages_saved": "Mensagens salvas.",
    },
    "en": {
        "home": "Open the control room|No live on air",
        "products": "Products",
        "import": "Import CSV",
        "import_title": "Import a catalog CSV",
        "check": "Check the file",
        "choose": "Choose a CSV file first.",
        "replaces": "replaces the units on hand",
        "ready": "4 rows ready",
        "confirm": "Import these rows",
        "imported": "Imported:",
        "save": "Save",
        "saved": "Product saved.",
        "settings": "Settings",
        "messages": "Messages to buyers",
        "language": "English",
        "save_messages": "Save messages",
        "messages_saved": "Messages saved.",
    },
}
CLAIM_TEXT = {
    "es": "¡Listo {buyer}! Apartamos {items}, tienes {minutes} min para pagar.",
    "pt": "Pronto {buyer}! Separamos {items}, você tem {minutes} min para pagar.",
    "en": "Done {buyer}! We saved {items} for you, {minutes} min to pay.",
}
PHONE_HEADER_MAX_PX = 64


def domain_of(seller: Seller) -> str:
    with schema_context("public"):
        domain = seller.get_primary_domain()
    assert domain is not None
    return str(domain.domain)


def header_height(page: Page) -> float:
    """Height of the dashboard's top bar in CSS pixels (0 on pages without one, such as the login page)."""
    return float(page.evaluate("() => document.querySelector('header.topbar')?.getBoundingClientRect().height ?? 0"))


def check_page(page: Page, journey: Journey, name: str, *, text: str) -> None:
    """The page fits the screen, shows `text` (a regex) in the journey's language, and is kept as a screenshot."""
    expect(page.locator("main")).to_contain_text(re.compile(text))
    assert_fits_viewport(page)
    if journey.viewport == "phone":
        height = header_height(page)
        assert height <= PHONE_HEADER_MAX_PX, f"{page.url}: the header is {height} px high on a phone"
    shot(page, f"catalog-{journey.id}-{name}")


def go_to(page: Page, journey: Journey, link: str) -> None:
    """Follow a link of the main menu, opening the menu first on a phone."""
    if journey.viewport == "phone":
        toggle = page.locator("header .menu-toggle")
        expect(toggle).to_be_visible()
        toggle.click()
    page.locator("header nav").get_by_role("link", name=link, exact=True).click()


@pytest.mark.parametrize("journey", JOURNEYS)
def test_seller_imports_an_excel_csv_fixes_a_price_and_rewords_a_message(
    chromium: Browser, web: WebServer, committed_seller: Seller, journey: Journey
) -> None:
    texts = TEXTS[journey.language]
    domain = domain_of(committed_seller)
    with schema_context(committed_seller.schema_name):
        make_product(code="A14", name="Jeans mom fit", price_minor=44900, variants={"7": 6})
    page = open_page(chromium, base_url=f"http://{domain}:{web.port}", journey=journey)
    page.goto("/login/")
    check_page(page, journey, "login", text=".")
    log_in(page, email=f"owner@{domain}", password=OWNER_PASSWORD)
    check_page(page, journey, "home", text=texts["home"])

    # The import page: checking without a file asks for one; the sample downloads and is a valid catalog.
    go_to(page, journey, texts["products"])
    check_page(page, journey, "products", text="Jeans mom fit")
    page.get_by_role("link", name=texts["import"]).click()
    check_page(page, journey, "import", text=texts["import_title"])
    page.get_by_role("button", name=texts["check"]).click()
    expect(page.locator("main")).to_contain_text(texts["choose"])
    with page.expect_download() as download_info:
        page.locator("a[href$='/products/import/sample.csv']").click()
    sample = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert sample.splitlines()[0] == ",".join(COLUMNS)
    assert len(parse_catalog_csv(sample)) >= 6

    # A semicolon file with decimal commas: the preview shows prices and what happens to the stock on hand.
    excel_file = FilePayload(name="catalogo.csv", mimeType="text/csv", buffer=EXCEL_CSV.encode("utf-8"))
    page.set_input_files("#id_file", files=[excel_file])
    page.get_by_role("button", name=texts["check"]).click()
    preview = page.locator("main")
    expect(preview).to_contain_text(texts["ready"])
    expect(preview).to_contain_text(texts["replaces"])
    expect(page.locator("tr", has_text="A14-7")).to_contain_text("6 → 10 (+4)")
    with translation.override(journey.language):
        expect(page.locator("tr", has_text="B7-M")).to_contain_text(money(124990, "MXN"))
        expect(page.locator("tr", has_text="Aretes de filigrana")).to_contain_text(money(18950, "MXN"))
    check_page(page, journey, "import-preview", text=texts["ready"])
    page.get_by_role("button", name=texts["confirm"]).click()
    expect(page.locator(".flash")).to_contain_text(texts["imported"])
    for name in ("Jeans mom fit", "Vestido de lino", "Aretes de filigrana"):
        expect(page.locator("#product-rows")).to_contain_text(name)
    check_page(page, journey, "products-imported", text="Vestido de lino")
    with schema_context(committed_seller.schema_name):
        assert Variant.objects.get(sku="A14-7").stock_on_hand == 10
        assert Product.objects.get(code="B7").price_minor == 124990

    # The product form shows the price as money is written, takes a decimal comma, and saves.
    page.locator("#product-rows").get_by_role("link", name="A14", exact=True).click()
    expect(page.locator("#id_price")).to_have_value("449.00")
    check_page(page, journey, "product-edit", text="Jeans mom fit")
    page.fill("#id_price", "459,90")
    page.get_by_role("button", name=texts["save"], exact=True).click()
    expect(page.locator(".flash")).to_contain_text(texts["saved"])
    expect(page.locator("#id_price")).to_have_value("459.90")

    # Settings → messages to buyers: reword the first reply in the journey's language, preview it, save it.
    go_to(page, journey, texts["settings"])
    check_page(page, journey, "settings", text=texts["settings"])
    page.get_by_role("link", name=texts["messages"]).first.click()
    page.locator(".language-tabs").get_by_role("link", name=texts["language"]).click()
    check_page(page, journey, "messages", text=texts["messages"])
    page.fill("#id_claim", CLAIM_TEXT[journey.language])
    expect(page.locator("#preview-claim")).to_contain_text("Ana", timeout=5_000)
    expect(page.locator("#preview-claim")).to_contain_text("A12 M x2")
    page.get_by_role("button", name=texts["save_messages"]).click()
    expect(page.locator(".flash")).to_contain_text(texts["messages_saved"])
    expect(page.locator("#id_claim")).to_have_value(CLAIM_TEXT[journey.language])
    check_page(page, journey, "messages-saved", text=texts["messages_saved"])
    committed_seller.refresh_from_db()
    assert committed_seller.message_templates == {"claim": {journey.language: CLAIM_TEXT[journey.language]}}
    page.context.close()


def pages_with_content(seller: Seller) -> list[str]:
    """Every dashboard page, each with something on it: products, a live on air with a claim, an order."""
    with schema_context(seller.schema_name):
        make_product(code="A10", name="Blusa campesina bordada", price_minor=34900, variants={"CH": 2, "M": 6})
        make_product(code="A14", name="Jeans mom fit tiro alto", price_minor=44900, variants={"5": 3, "7": 4})
        page_id = PageBinding.objects.filter(seller=seller).values_list("external_id", flat=True).first() or "1"
        live = make_live(page_external_id=page_id, video_id="phone-fit")
        comment = make_comment(live=live, external_id="c-fit-1", author="psid-fit", text="quiero la A10 talla M")
        policy = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=20)
        claim_reserve(comment=comment, items=[ClaimItem("A10", "M", 1)], policy=policy, now=timezone.now())
        order = comment.reservations.get().order
    return [
        "/",
        "/products/",
        "/products/A10/",
        "/products/new/",
        "/products/import/",
        "/settings/",
        "/settings/messages/",
        "/lives/",
        f"/lives/{live.pk}/",
        "/orders/",
        f"/orders/{order.pk}/",
    ]


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_every_dashboard_page_fits_a_390_px_phone(
    chromium: Browser, web: WebServer, committed_seller: Seller, language: str
) -> None:
    journey = Journey(language, "phone")
    domain = domain_of(committed_seller)
    paths = pages_with_content(committed_seller)
    page = open_page(chromium, base_url=f"http://{domain}:{web.port}", journey=journey)
    log_in(page, email=f"owner@{domain}", password=OWNER_PASSWORD)

    too_wide = []
    for path in paths:
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        if response is None or response.status != 200:
            too_wide.append(f"{path} answered {response and response.status}")
            continue
        width = page.evaluate("() => document.documentElement.scrollWidth")
        header = header_height(page)
        if width > 390:
            too_wide.append(f"{path} is {width} px wide")
        if header > PHONE_HEADER_MAX_PX:
            too_wide.append(f"{path}: header {header} px high")
        shot(page, f"phone-fit-{language}-{path.strip('/').replace('/', '-') or 'home'}")
    page.context.close()

    assert not too_wide, "; ".join(too_wide)


@pytest.mark.parametrize("journey", JOURNEYS)
def test_a_new_product_with_a_code_in_use_is_refused_next_to_the_code_then_created_with_a_free_one(
    chromium: Browser, web: WebServer, committed_seller: Seller, journey: Journey
) -> None:
    domain = domain_of(committed_seller)
    with schema_context(committed_seller.schema_name):
        make_product(code="A14", name="Jeans mom fit", price_minor=44900)
    page = open_page(chromium, base_url=f"http://{domain}:{web.port}", journey=journey)
    log_in(page, email=f"owner@{domain}", password=OWNER_PASSWORD)

    page.goto("/products/new/")
    page.fill("#id_code", "a14")
    page.fill("#id_name", "Jeans recto")
    page.fill("#id_price", "399")
    page.locator("main button[type=submit].primary").click()

    with translation.override(journey.language):
        taken = translation.gettext("The code %(code)s is already used by %(product)s.") % {
            "code": "a14",
            "product": "A14 Jeans mom fit",
        }
        created = translation.gettext("Product created.")
    expect(page.locator("p.field.has-error", has=page.locator("#id_code"))).to_contain_text(taken)
    assert_fits_viewport(page)
    shot(page, f"catalog-{journey.id}-code-taken")
    with schema_context(committed_seller.schema_name):
        assert list(Product.objects.values_list("code", "name")) == [("A14", "Jeans mom fit")]

    page.fill("#id_code", "A15")
    page.locator("main button[type=submit].primary").click()

    expect(page).to_have_url(re.compile(r"/products/A15/$"))
    expect(page.locator("body")).to_contain_text(created)
    with schema_context(committed_seller.schema_name):
        assert sorted(Product.objects.values_list("code", flat=True)) == ["A14", "A15"]
