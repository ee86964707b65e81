"""Text normalisation and tokenisation shared by the rule engine and the catalog index."""

from __future__ import annotations

import re

# Accents are dropped so "mío", "mio" and "MÍO" look alike; ñ/ç collapse to n/c on purpose.
# Sentence punctuation becomes "|" so a prompt injection can be cut off at its sentence; apostrophes vanish
# ("i'll" -> "ill", "it's" -> "its", so no stray "s" reads as size S).
_FOLD = str.maketrans(
    "áàâãäåéèêëíìîïóòôõöúùûüçñ.!;:\n",
    "aaaaaaeeeeiiiiooooouuuucn|||||",
    "'’‘`´",
)
# "kieroooo", "holaaa", "yaaa": three or more repeated letters are one letter (digits are left alone: 1000).
_ELONGATION = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[a-z]{1,2}-\d+|[a-z]+\d+|[a-z]+|\d+|[?/#%@$,|]")

_GLUED_ARTICLE = re.compile(r"(?<![a-z])([ao])(\d+)\b")

SENTENCE_BREAK = "|"

_UNITS = {
    "cero": 0, "zero": 0,
    "dos": 2, "dois": 2, "duas": 2, "two": 2,
    "tres": 3, "three": 3,
    "cuatro": 4, "quatro": 4, "four": 4,
    "cinco": 5, "five": 5,
    "seis": 6, "six": 6,
    "siete": 7, "sete": 7, "seven": 7,
    "ocho": 8, "oito": 8, "eight": 8,
    "nueve": 9, "nove": 9, "nine": 9,
}  # fmt: skip
_TEENS = {
    "diez": 10, "dez": 10, "ten": 10,
    "once": 11, "onze": 11, "eleven": 11,
    "doce": 12, "doze": 12, "twelve": 12,
    "trece": 13, "treze": 13, "thirteen": 13,
    "catorce": 14, "catorze": 14, "quatorze": 14, "fourteen": 14,
    "quince": 15, "quinze": 15, "fifteen": 15,
    "dieciseis": 16, "dezesseis": 16, "dezasseis": 16, "sixteen": 16,
    "diecisiete": 17, "dezessete": 17, "seventeen": 17,
    "dieciocho": 18, "dezoito": 18, "eighteen": 18,
    "diecinueve": 19, "dezenove": 19, "nineteen": 19,
    "veintiuno": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}  # fmt: skip
_TENS = {
    "veinte": 20, "vinte": 20, "twenty": 20,
    "treinta": 30, "trinta": 30, "thirty": 30,
    "cuarenta": 40, "quarenta": 40, "forty": 40,
    "cincuenta": 50, "cinquenta": 50, "fifty": 50,
}  # fmt: skip
_HUNDREDS = {
    "cien": 100, "ciento": 100, "cem": 100, "cento": 100, "hundred": 100,
    "doscientos": 200, "duzentos": 200, "trescientos": 300, "trezentos": 300,
    "quinientos": 500, "quinhentos": 500,
}  # fmt: skip
# Articles read as "one" only when they count something ("una M y una G"), never as a product code.
_ONE_AFTER_TENS = {"uno": 1, "una": 1, "um": 1, "uma": 1, "one": 1}
_PLURAL_ARTICLES = frozenset({"os", "los", "as", "las", "the"})
_TWO = frozenset({"dos", "dois", "duas", "two"})
_CONNECTORS = frozenset({"y", "e", "and"})

NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TEENS) | frozenset(_TENS) | frozenset(_HUNDREDS)
_NUMBER_TRIGGERS = NUMBER_WORDS | _PLURAL_ARTICLES


def normalize(text: str) -> str:
    folded = text.lower().translate(_FOLD)
    return _ELONGATION.sub(r"\1", folded) if _ELONGATION.search(folded) else folded


def tokenize(normalized: str) -> list[str]:
    tokens = _TOKEN.findall(normalized)
    if "-" in normalized:  # "B-7" and "b7" are the same code; the dash only survives inside such a token
        tokens = [t.replace("-", "") for t in tokens]
    if _GLUED_ARTICLE.search(normalized):  # "quero a20" is "quero a 20"; code A20 still matches "a 20"
        tokens = _split_glued_articles(tokens)
    if _NUMBER_TRIGGERS.isdisjoint(tokens):
        return tokens
    return merge_number_words(tokens)


def _split_glued_articles(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        glued = _GLUED_ARTICLE.match(token)
        out.extend(glued.groups() if glued else (token,))
    return out


def merge_number_words(tokens: list[str]) -> list[str]:
    """Turn spoken numbers ("treinta y ocho", "cento e tres", "twelve") into digit tokens."""
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok in _PLURAL_ARTICLES and i + 1 < n and tokens[i + 1] in _TWO:
            out.append("both")  # "os dois M", "las dos en negro": the same variant for both products
            i += 2
            continue
        if tok not in NUMBER_WORDS:
            out.append(tok)
            i += 1
            continue
        value, i = _read_number(tokens, i)
        out.append(str(value))
    return out


def _read_number(tokens: list[str], i: int) -> tuple[int, int]:
    tok = tokens[i]
    if tok in _HUNDREDS:
        value = _HUNDREDS[tok]
        rest, j = _read_below_hundred(tokens, _skip_connector(tokens, i + 1))
        return (value + rest, j) if rest else (value, i + 1)
    value, j = _read_below_hundred(tokens, i)
    return value, j


def _read_below_hundred(tokens: list[str], i: int) -> tuple[int, int]:
    if i >= len(tokens):
        return 0, i
    tok = tokens[i]
    if tok in _TEENS:
        return _TEENS[tok], i + 1
    if tok in _UNITS:
        return _UNITS[tok], i + 1
    if tok in _TENS:
        j = _skip_connector(tokens, i + 1)
        if j < len(tokens):
            unit = _UNITS.get(tokens[j]) or _ONE_AFTER_TENS.get(tokens[j])
            if unit:
                return _TENS[tok] + unit, j + 1
        return _TENS[tok], i + 1
    return 0, i


def _skip_connector(tokens: list[str], i: int) -> int:
    return i + 1 if i < len(tokens) and tokens[i] in _CONNECTORS else i


_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """Crude es/pt/en stem so plurals and gender agree: poleras/polera/polero -> poler."""
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) > 50_000:
            _STEMS.clear()
        found = _STEMS[word] = _stem(word)
    return found


def _stem(word: str) -> str:
    if len(word) > 3 and word[-1] == "s":
        word = word[:-1]
    if len(word) > 3 and word[-1] in "ao":
        word = word[:-1]
    return word
