"""The catalog-aware reading, class by class (issue 19): half sizes, numbers that belong to a name, codes spelled
out, conditional offers, variant synonyms and ladders, quantities from the sentence, words shared by several
products, swaps and corrections, chatter and spam, codes without digits. Each class in several wordings."""

from __future__ import annotations

import pytest

from livestreams.intent.local.catalog import index_for
from livestreams.intent.local.morph import stem
from livestreams.intent.local.text import normalize, tokenize, tokenize_glued
from livestreams.intent.local_engine import parse_comment
from livestreams.intent.types import CatalogProduct, ClaimItem, LiveContext

Item = tuple[str, str | None, int]


def p(code: str, name: str, *variants: str) -> CatalogProduct:
    return CatalogProduct(code=code, name=name, variants=variants)


SHOES = (
    p("Z1", "Nike Air Force 1 blancas", "6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10"),
    p("Z2", "Jordan 4 Retro", "7", "7.5", "8", "8.5", "9", "9.5", "10"),
    p("B5", "Botas de cuero", "36", "37", "38", "39"),
    p("DP", "Sandalias de plataforma", "36", "37", "38"),
    p("L8", "Chanclas playeras", "negro", "azul", "rosado"),
)
BEAUTY = (
    p("K1", "Crema para peinar", "250ml", "500ml"),
    p("K2", "Peluca lace 13x4", "18", "22", "26"),
    p("K3", "Extensiones clip-in", "18", "22", "26"),
    p("K4", "Set de 3 labiales"),
    p("KX", "Perfume floral", "50ml", "100ml"),
    p("K6", "Colonia", "100ml", "250ml"),
    p("K7", "Shampoo", "400ml", "1000ml"),
)
CLOTHES = (
    p("A10", "Blusa bordada", "CH", "M", "G", "XG"),
    p("A11", "Vestido midi", "CH", "M", "G"),
    p("A12", "Blusa satinada", "S", "M", "L", "XL"),
    p("BLUSA1", "Blusa de encaje", "S", "M", "L", "XL", "2X", "3X"),
    p("C04", "Biquini vermelho", "P", "M", "G", "GG"),
    p("V7", "Vestido bodycon", "rojo", "negro", "azul"),
    p("CZ-01", "Cazuela de barro", "chico", "mediano", "grande"),
    p("#204", "Juego de 3 sartenes", "rojo", "negro"),
    p("P9", "Pantalon", "XS", "S", "M"),
    p("12", "Caja de tazas"),
)
CATALOGS = {"shoes": SHOES, "beauty": BEAUTY, "clothes": CLOTHES}
N = None
Case = tuple[str, str | None, str, str, list[Item]]


def same(catalog: str, featured: str | None, texts: list[str], intent: str, items: list[Item]) -> list[Case]:
    """One expected reading for several wordings."""
    return [(catalog, featured, text, intent, items) for text in texts]


CASES: list[Case] = [
    # half sizes
    *same(
        "shoes",
        "Z1",
        [
            "7.5",
            "7,5",
            "7½",
            "7 1/2",
            "7 y 1/2",
            "siete y medio",
            "siete y media",
            "sete e meio",
            "seven and a half",
            "7 and a half",
            "talla 7.5",
            "size 7 1/2",
            "en 7,5 porfa",
            "mías en siete y medio",
            "quiero las de 7 y medio",
            "yo 7.5",
            "una en 7.5",
            "7.5 pa mi",
            "me las apartas en 7,5?",
            "sold 7.5",
            "n° 7,5",
            "numero 7.5",
            "las quiero en 7.5",
            "talla siete y medio porfa",
            "7 y medio",
            "I'll take a 7.5",
            "7.5 for me",
        ],
        "purchase",
        [("Z1", "7.5", 1)],
    ),
    ("shoes", "Z1", "dame unas 8½", "purchase", [("Z1", "8.5", 1)]),
    ("shoes", "Z1", "un par en 9 y medio", "purchase", [("Z1", "9.5", 1)]),
    ("shoes", "Z1", "2 pares en 8,5", "purchase", [("Z1", "8.5", 2)]),
    ("shoes", "Z1", "8.5 y 9.5", "purchase", [("Z1", "8.5", 1), ("Z1", "9.5", 1)]),
    ("shoes", "Z1", "ocho y medio y nueve", "purchase", [("Z1", "8.5", 1), ("Z1", "9", 1)]),
    # numbers in names
    ("shoes", "Z2", "las jordan 4 en 9", "purchase", [("Z2", "9", 1)]),
    ("shoes", "Z1", "jordan 4 talla 8", "purchase", [("Z2", "8", 1)]),
    ("shoes", "Z2", "las 4 en 10", "purchase", [("Z2", "10", 1)]),
    ("shoes", "Z2", "quiero las 4 en diez", "purchase", [("Z2", "10", 1)]),
    ("shoes", "Z2", "las force 1 en 8", "purchase", [("Z1", "8", 1)]),
    ("shoes", "Z2", "air force 1 en 9.5", "purchase", [("Z1", "9.5", 1)]),
    ("shoes", "Z2", "af1 en 10", "purchase", [("Z1", "10", 1)]),
    ("shoes", "Z2", "2 jordan 4 en 8", "purchase", [("Z2", "8", 2)]),
    ("shoes", "Z2", "las jordan 4 en 9 x2", "purchase", [("Z2", "9", 2)]),
    ("beauty", "K1", "crema 500", "purchase", [("K1", "500ml", 1)]),
    ("beauty", "K1", "la crema de 500ml", "purchase", [("K1", "500ml", 1)]),
    ("beauty", "K1", "crema de 250", "purchase", [("K1", "250ml", 1)]),
    ("beauty", "K1", "la grande", "purchase", [("K1", "500ml", 1)]),
    ("beauty", "K1", "la pequeña", "purchase", [("K1", "250ml", 1)]),
    ("beauty", "K1", "2 de 500", "purchase", [("K1", "500ml", 2)]),
    ("beauty", "K1", "dos cremas de 250", "purchase", [("K1", "250ml", 2)]),
    ("beauty", "K7", "el de litro", "purchase", [("K7", "1000ml", 1)]),
    ("beauty", "K2", "peluca 13x4 en 22", "purchase", [("K2", "22", 1)]),
    ("beauty", "K2", "la 13x4 de 26", "purchase", [("K2", "26", 1)]),
    ("beauty", "K3", "extensiones 22", "purchase", [("K3", "22", 1)]),
    ("beauty", "K3", "extensiones de 18 pulgadas", "purchase", [("K3", "18", 1)]),
    ("beauty", "K3", "2 extensiones de 26", "purchase", [("K3", "26", 2)]),
    ("beauty", "K4", "el set de 3", "purchase", [("K4", None, 1)]),
    ("beauty", "K4", "set de 3 x2", "purchase", [("K4", None, 2)]),
    ("beauty", "K4", "2 sets de 3", "purchase", [("K4", None, 2)]),
    ("beauty", "K4", "el set de 3 labiales pa mi", "purchase", [("K4", None, 1)]),
    ("clothes", "#204", "el juego de 3 en rojo", "purchase", [("#204", "rojo", 1)]),
    # codes spelled
    ("shoes", "Z1", "la be cinco", "purchase", [("B5", None, 1)]),
    ("shoes", "Z1", "be cinco en 38", "purchase", [("B5", "38", 1)]),
    ("shoes", "Z1", "ele ocho azul", "purchase", [("L8", "azul", 1)]),
    ("shoes", "Z1", "de pe en 37", "purchase", [("DP", "37", 1)]),
    ("shoes", "Z1", "DP 36", "purchase", [("DP", "36", 1)]),
    ("shoes", "Z1", "las dp en 38", "purchase", [("DP", "38", 1)]),
    ("beauty", "K1", "ká xis de 100", "purchase", [("KX", "100ml", 1)]),
    ("beauty", "K1", "KX 50", "purchase", [("KX", "50ml", 1)]),
    ("beauty", "K1", "ka dos en 22", "purchase", [("K2", "22", 1)]),
    ("clothes", "A11", "a 12 en M", "purchase", [("A12", "M", 1)]),
    ("clothes", "A11", "a doce en M", "purchase", [("A12", "M", 1)]),
    ("clothes", "A11", "la A 12 talla L", "purchase", [("A12", "L", 1)]),
    ("clothes", "A11", "ce ze cero uno grande", "purchase", [("CZ-01", "grande", 1)]),
    ("clothes", "A11", "cz1 mediana", "purchase", [("CZ-01", "mediano", 1)]),
    ("clothes", "A11", "dos cero cuatro negro", "purchase", [("#204", "negro", 1)]),
    ("clothes", "A11", "la 204 en rojo", "purchase", [("#204", "rojo", 1)]),
    ("clothes", "A11", "blusa uno en M", "purchase", [("BLUSA1", "M", 1)]),
    ("clothes", "A11", "blusa 1 talla L", "purchase", [("BLUSA1", "L", 1)]),
    ("clothes", "A11", "BLUSA1 XL", "purchase", [("BLUSA1", "XL", 1)]),
    ("clothes", "A11", "pe nueve en S", "purchase", [("P9", "S", 1)]),
    # conditionals and offers
    *same(
        "clothes",
        "A11",
        [
            "si me lo rebajas a 200 lo quiero",
            "si llega en negro me lo aparto",
            "si lo tienes en XL me lo llevo",
            "se tiver GG eu quero",
            "if it comes in black ill take it",
            "si hay en S me apartas uno",
            "si me das 2 por 300 me los llevo",
            "me lo dejas en 150?",
            "en 200 me lo llevo?",
            "si me haces descuento me llevo dos",
            "would you do 2 for 40?",
            "si baja de precio lo compro",
        ],
        "question",
        [],
    ),
    # synonyms, diminutives, gender, ladders
    ("clothes", "V7", "azulito", "purchase", [("V7", "azul", 1)]),
    ("clothes", "V7", "el azulito pa mi", "purchase", [("V7", "azul", 1)]),
    ("clothes", "V7", "la negrita", "purchase", [("V7", "negro", 1)]),
    ("clothes", "V7", "rojito porfa", "purchase", [("V7", "rojo", 1)]),
    ("clothes", "V7", "the red one", "purchase", [("V7", "rojo", 1)]),
    ("clothes", "V7", "em preto", "purchase", [("V7", "negro", 1)]),
    ("clothes", "V7", "o vermelho pra mim", "purchase", [("V7", "rojo", 1)]),
    ("clothes", "C04", "a vermelha no M", "purchase", [("C04", "M", 1)]),
    ("clothes", "A11", "la grande", "purchase", [("A11", "G", 1)]),
    ("clothes", "A12", "la grande", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "la chica", "purchase", [("A12", "S", 1)]),
    ("clothes", "A12", "mediana", "purchase", [("A12", "M", 1)]),
    ("clothes", "A11", "en large", "purchase", [("A11", "G", 1)]),
    ("clothes", "A11", "small pls", "purchase", [("A11", "CH", 1)]),
    ("beauty", "K6", "las chiquitas", "purchase", [("K6", "100ml", 1)]),
    ("beauty", "K6", "la grandota", "purchase", [("K6", "250ml", 1)]),
    ("clothes", "BLUSA1", "XXXL", "purchase", [("BLUSA1", "3X", 1)]),
    ("clothes", "BLUSA1", "en XXL", "purchase", [("BLUSA1", "2X", 1)]),
    ("clothes", "BLUSA1", "3X", "purchase", [("BLUSA1", "3X", 1)]),
    ("clothes", "BLUSA1", "2xl pa mi", "purchase", [("BLUSA1", "2X", 1)]),
    ("clothes", "P9", "s", "purchase", [("P9", "S", 1)]),
    ("clothes", "P9", "xs", "purchase", [("P9", "XS", 1)]),
    ("clothes", "P9", "extra small", "purchase", [("P9", "XS", 1)]),
    ("clothes", "CZ-01", "la pequena", "purchase", [("CZ-01", "chico", 1)]),
    ("clothes", "CZ-01", "la mediana", "purchase", [("CZ-01", "mediano", 1)]),
    ("clothes", "CZ-01", "la chiquita", "purchase", [("CZ-01", "chico", 1)]),
    ("clothes", "CZ-01", "grandota", "purchase", [("CZ-01", "grande", 1)]),
    ("clothes", "A10", "talla ele", "purchase", [("A10", "G", 1)]),
    ("clothes", "A10", "en eme", "purchase", [("A10", "M", 1)]),
    ("clothes", "A10", "extra grande", "purchase", [("A10", "XG", 1)]),
    ("clothes", "C04", "no gê gê", "purchase", [("C04", "GG", 1)]),
    ("clothes", "C04", "tamanho pê", "purchase", [("C04", "P", 1)]),
    # quantities from the sentence
    ("clothes", "A11", "una pa mí y otra pa mi mamá", "purchase", [("A11", None, 2)]),
    ("clothes", "A11", "una para mí y otra para mi hermana en M", "purchase", [("A11", "M", 2)]),
    ("clothes", "C04", "uma pra mim e outra pra minha mãe", "purchase", [("C04", None, 2)]),
    ("clothes", "A12", "one for me and one for my sister", "purchase", [("A12", None, 2)]),
    ("clothes", "A12", "M for me and my mom", "purchase", [("A12", "M", 2)]),
    ("clothes", "A11", "3 cajas de la 12", "purchase", [("12", None, 3)]),
    ("clothes", "A11", "dos de la 12", "purchase", [("12", None, 2)]),
    ("clothes", "A11", "2 del 12", "purchase", [("12", None, 2)]),
    ("clothes", "A12", "quiero 2, una S y una M", "purchase", [("A12", "S", 1), ("A12", "M", 1)]),
    ("clothes", "A12", "me llevo tres", "purchase", [("A12", None, 3)]),
    ("clothes", "A12", "x3", "purchase", [("A12", None, 3)]),
    ("clothes", "A12", "3 unidades", "purchase", [("A12", None, 3)]),
    ("clothes", "A12", "M x2", "purchase", [("A12", "M", 2)]),
    ("clothes", "A12", "dos M", "purchase", [("A12", "M", 2)]),
    ("clothes", "A12", "2 M y 1 L", "purchase", [("A12", "M", 2), ("A12", "L", 1)]),
    # a word shared by several products
    ("clothes", "A10", "la blusa en M", "purchase", [("A10", "M", 1)]),
    ("clothes", "A10", "la blusa satinada en M", "purchase", [("A12", "M", 1)]),
    ("clothes", "A10", "la blusa de encaje en 2X", "purchase", [("BLUSA1", "2X", 1)]),
    # swaps and corrections
    ("clothes", "A12", "talla L en vez de M", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "la L en vez de la M", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "en vez de la M la L", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "perdón no la M, la L", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "cámbiame la M por la L", "purchase", [("A12", "L", 1)]),
    ("clothes", "C04", "troca a M pela G", "purchase", [("C04", "G", 1)]),
    ("clothes", "A12", "swap my M for an L", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "change my M to L please", "purchase", [("A12", "L", 1)]),
    ("clothes", "V7", "en lugar del negro quiero el azul", "purchase", [("V7", "azul", 1)]),
    ("clothes", "A12", "me equivoqué, era L", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "sorry I meant L not M", "purchase", [("A12", "L", 1)]),
    ("clothes", "A12", "mejor la L", "purchase", [("A12", "L", 1)]),
    # chatter and spam
    *same(
        "clothes",
        "A11",
        [
            "qué lindo ese vestido 😍",
            "que bonito",
            "que linda blusa!!",
            "mira esto www.ofertas.com",
            "sígueme en tiktok",
            "follow me!!",
            "gana dinero desde casa escríbeme",
            "ay qué bello vestido, me encanta",
            "ese vestido es lo máximo",
            "jajaja que chistosa",
            "te ves hermosa amiga",
            "qué bonita la modelo",
            "lindo lindo",
            "wow 🔥🔥",
            "Holaaa desde Lima 🇵🇪",
            "visita mi perfil para ver mis productos",
        ],
        "other",
        [],
    ),
    # codes with no digit
    ("shoes", "DP", "DP", "purchase", [("DP", None, 1)]),
    ("shoes", "Z1", "la DP en 38", "purchase", [("DP", "38", 1)]),
    ("beauty", "K1", "KX de 100ml", "purchase", [("KX", "100ml", 1)]),
]


def read(catalog: str, featured: str | None, text: str) -> tuple[str, list[Item]]:
    result = parse_comment(text, LiveContext(products=CATALOGS[catalog], featured=featured))
    return result.intent, sorted((i.code, i.variant, i.qty) for i in result.items)


@pytest.mark.parametrize(("catalog", "featured", "text", "intent", "items"), CASES, ids=[c[2] for c in CASES])
def test_each_class_of_comment_reads_the_right_intent_and_items(
    catalog: str, featured: str | None, text: str, intent: str, items: list[Item]
) -> None:
    got_intent, got_items = read(catalog, featured, text)
    assert got_intent == intent
    if intent == "purchase":
        assert got_items == sorted(items)


@pytest.mark.parametrize(
    "written", ["7.5", "7,5", "7½", "7 1/2", "7 y 1/2", "siete y medio", "sete e meia", "seven and a half"]
)
def test_half_sizes_are_one_number_however_they_are_written(written: str) -> None:
    assert tokenize(normalize(written)) == ["7.5"]


@pytest.mark.parametrize(
    ("written", "tokens"),
    [
        ('18"', ["18", "~in"]),
        ("26 pulgadas", ["26", "~in"]),
        ("500ml", ["500", "~ml"]),
        ("6 litros", ["6", "~l"]),
        ("el de litro", ["el", "de", "1", "~l"]),
        ("2xl", ["xxl"]),
        ("13x4", ["13x4"]),
    ],
)
def test_units_and_dimensions_are_read_the_same_in_catalogs_and_comments(written: str, tokens: list[str]) -> None:
    assert tokenize(normalize(written)) == tokens


def test_spoken_numbers_are_marked_so_an_everyday_word_spells_a_code_only_with_them() -> None:
    spoken = tokenize_glued(normalize("la de tres"))
    written = tokenize_glued(normalize("botella de 3 litros"))
    assert spoken.words[-1] == "3" and 2 in spoken.spoken
    assert written.spoken == frozenset()
    catalog = (p("D3", "Vestido"), p("B1", "Botella termica", "negra"))
    assert read_with(catalog, "B1", "la de tres") == ("purchase", [("D3", None, 1)])
    assert read_with(catalog, "B1", "botella de 3 litros") != ("purchase", [("D3", None, 1)])


def read_with(catalog: tuple[CatalogProduct, ...], featured: str | None, text: str) -> tuple[str, list[Item]]:
    result = parse_comment(text, LiveContext(products=catalog, featured=featured))
    return result.intent, sorted((i.code, i.variant, i.qty) for i in result.items)


@pytest.mark.parametrize(
    ("base", "form"),
    [
        ("rosado", "rosaditas"),
        ("preto", "pretinha"),
        ("chico", "chiquita"),
        ("grande", "grandotas"),
        ("chocolate", "chocolatico"),
        ("blanca", "blanquita"),
        ("pequeno", "pequenininho"),
        ("gris", "grises"),
        ("body", "bodies"),
    ],
)
def test_gender_plural_and_diminutives_share_one_stem(base: str, form: str) -> None:
    assert stem(base) == stem(form)


def test_every_spelling_of_a_code_is_derived_from_the_catalog() -> None:
    index = index_for(LiveContext(products=(p("CZ-01", "Cazuela", "chico"), p("KX", "Perfume")), featured=None))
    for written in ("cz 01", "cz 1", "ce ze cero uno", "cz01"):
        assert index.codes.get(tuple(tokenize(normalize(written)))) == "CZ-01", written
    for written in ("kx", "ka xis", "k x"):
        assert index.codes.get(tuple(tokenize(normalize(written)))) == "KX", written


def test_a_catalog_size_answers_to_every_ladder() -> None:
    context = LiveContext(products=(p("A10", "Blusa", "CH", "M", "G", "XG"),), featured="A10")
    for written, label in [("small", "CH"), ("la chica", "CH"), ("mediana", "M"), ("large", "G"), ("gg", "XG")]:
        assert parse_comment(written, context).items == (ClaimItem("A10", label, 1),), written


def test_a_swap_names_what_it_replaces() -> None:
    context = LiveContext(products=CLOTHES, featured="A12")
    result = parse_comment("la L en vez de la M", context)
    assert result.items == (ClaimItem("A12", "L", 1),)
    assert result.replaces == (ClaimItem("A12", "M", 1),)


def test_a_correction_without_the_old_variant_replaces_any_other_variant_of_the_product() -> None:
    result = parse_comment("perdón, me equivoqué: era L", LiveContext(products=CLOTHES, featured="A12"))
    assert result.items == (ClaimItem("A12", "L", 1),)
    assert result.replaces == (ClaimItem("A12", None, 1),)


@pytest.mark.parametrize("text", ["la M no, la L", "M no. L"])
def test_a_no_after_a_variant_takes_that_variant_back(text: str) -> None:
    result = parse_comment(text, LiveContext(products=CLOTHES, featured="A12"))
    assert result.intent == "purchase"
    assert result.items == (ClaimItem("A12", "L", 1),)
    assert result.replaces == (ClaimItem("A12", "M", 1),)


@pytest.mark.parametrize("text", ["no, la L", "ay no, mejor en L", "actually L instead", "na verdade, a L"])
def test_a_clause_that_opens_with_no_or_rather_corrects_to_what_follows(text: str) -> None:
    result = parse_comment(text, LiveContext(products=CLOTHES, featured="A12"))
    assert result.intent == "purchase", text
    assert result.items == (ClaimItem("A12", "L", 1),), text


@pytest.mark.parametrize("text", ["la M me queda chica, mejor la L", "me gusta la M pero mejor la L"])
def test_after_a_later_mejor_only_what_follows_is_claimed(text: str) -> None:
    result = parse_comment(text, LiveContext(products=CLOTHES, featured="A12"))
    assert result.intent == "purchase", text
    assert result.items == (ClaimItem("A12", "L", 1),), text
    assert result.replaces == (ClaimItem("A12", None, 1),), text


@pytest.mark.parametrize(
    ("featured", "text"),
    [("A12", "los dos colores del bodycon"), ("V7", "both colours please"), ("A12", "quero as duas cores do bodycon")],
)
def test_both_colours_claims_one_of_each_colour_of_the_product_named(featured: str, text: str) -> None:
    catalog = (*CLOTHES[:5], p("V7", "Vestido bodycon", "rojo", "negro"))
    result = parse_comment(text, LiveContext(products=catalog, featured=featured))
    assert result.intent == "purchase", text
    assert set(result.items) == {ClaimItem("V7", "negro", 1), ClaimItem("V7", "rojo", 1)}, text


def test_an_ambiguous_number_is_not_confident() -> None:
    catalog = (p("1", "Coleira", "P", "M", "G"), p("5", "Roupinha", "P", "M"), p("6", "Comedouro", "azul", "rosa"))
    result = parse_comment("1 M, 5 P e 6 rosa", LiveContext(products=catalog, featured="6"))
    assert result.confidence < 0.6
