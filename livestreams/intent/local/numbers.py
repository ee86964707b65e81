"""Spoken numbers in Spanish, Portuguese, English (and the Guaraní numerals heard in Paraguayan lives).

`merge_number_words` turns "treinta y ocho", "cento e três", "twenty two", "mokõi" into digit tokens and reads
half sizes however they are said ("siete y medio", "oito e meia", "six and a half", "7 y medio") as "7.5".
"uno/una/um/one" stay words: they are an article, a quantity or the digit of a code, and only the reading of the
whole comment can tell which.
"""

from __future__ import annotations

UNITS: dict[str, int] = {
    "cero": 0, "zero": 0,
    "dos": 2, "dois": 2, "duas": 2, "two": 2,
    "tres": 3, "three": 3,
    "cuatro": 4, "quatro": 4, "four": 4,
    "cinco": 5, "five": 5,
    "seis": 6, "six": 6,
    "siete": 7, "sete": 7, "seven": 7,
    "ocho": 8, "oito": 8, "eight": 8,
    "nueve": 9, "nove": 9, "nine": 9,
    # Guaraní (Paraguay); "po" (5) and "pa" (10) are left out: they are also Spanish words ("pa mí")
    "mokoi": 2, "mbohapy": 3, "irundy": 4, "potei": 6, "pokoi": 7, "poapy": 8, "porundy": 9,
}  # fmt: skip
TEENS: dict[str, int] = {
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
    "veintiuno": 21, "veintiuna": 21, "veintiun": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}  # fmt: skip
TENS: dict[str, int] = {
    "veinte": 20, "vinte": 20, "twenty": 20,
    "treinta": 30, "trinta": 30, "thirty": 30,
    "cuarenta": 40, "quarenta": 40, "forty": 40,
    "cincuenta": 50, "cinquenta": 50, "fifty": 50,
    "sesenta": 60, "sessenta": 60, "sixty": 60,
    "setenta": 70, "seventy": 70,
    "ochenta": 80, "oitenta": 80, "eighty": 80,
    "noventa": 90, "ninety": 90,
}  # fmt: skip
HUNDREDS: dict[str, int] = {
    "cien": 100, "ciento": 100, "cem": 100, "cento": 100, "hundred": 100,
    "doscientos": 200, "doscientas": 200, "duzentos": 200, "duzentas": 200,
    "trescientos": 300, "trescientas": 300, "trezentos": 300, "trezentas": 300,
    "cuatrocientos": 400, "cuatrocientas": 400, "quatrocentos": 400, "quatrocentas": 400,
    "quinientos": 500, "quinientas": 500, "quinhentos": 500, "quinhentas": 500,
    "seiscientos": 600, "seiscientas": 600, "seiscentos": 600, "seiscentas": 600,
    "setecientos": 700, "setecientas": 700, "setecentos": 700, "setecentas": 700,
    "ochocientos": 800, "ochocientas": 800, "oitocentos": 800, "oitocentas": 800,
    "novecientos": 900, "novecientas": 900, "novecentos": 900, "novecentas": 900,
}  # fmt: skip
# "one" after a ten ("twenty one", "treinta y uno"); alone these words are articles or quantities.
ONE_AFTER_TENS: dict[str, int] = {"uno": 1, "una": 1, "un": 1, "um": 1, "uma": 1, "one": 1}
HALF_WORDS = frozenset({"medio", "media", "meio", "meia", "half"})
CONNECTORS = frozenset({"y", "e", "and"})

NUMBER_WORDS = frozenset(UNITS) | frozenset(TEENS) | frozenset(TENS) | frozenset(HUNDREDS)


def merge_number_words(tokens: list[str]) -> tuple[list[str], set[int]]:
    """Spoken numbers become digit tokens; a half after a number ("7 y medio") becomes "7.5". Also returns the
    positions of the numbers that were spoken ("tres"), as opposed to written in digits ("3")."""
    out: list[str] = []
    spoken: set[int] = set()
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok in NUMBER_WORDS:
            value, i = _read_number(tokens, i)
            spoken.add(len(out))
            out.append(str(value))
        else:
            out.append(tok)
            i += 1
            if not tok[0].isdigit():
                continue
        half_end = _half_after(tokens, i)
        if half_end and "." not in out[-1]:
            out[-1] += ".5"
            i = half_end
    return out, spoken


def _half_after(tokens: list[str], i: int) -> int:
    """End of "y medio" / "e meia" / "and a half" starting at i, or 0."""
    if i >= len(tokens) or tokens[i] not in CONNECTORS:
        return 0
    j = i + 1
    if j < len(tokens) and tokens[j] == "a" and j + 1 < len(tokens) and tokens[j + 1] == "half":
        return j + 2
    if j < len(tokens) and tokens[j] in HALF_WORDS:
        return j + 1
    return 0


def _read_number(tokens: list[str], i: int) -> tuple[int, int]:
    tok = tokens[i]
    if tok in HUNDREDS:
        value = HUNDREDS[tok]
        rest, j = _read_below_hundred(tokens, _skip_connector(tokens, i + 1))
        return (value + rest, j) if rest else (value, i + 1)
    return _read_below_hundred(tokens, i)


def _read_below_hundred(tokens: list[str], i: int) -> tuple[int, int]:
    if i >= len(tokens):
        return 0, i
    tok = tokens[i]
    if tok in TEENS:
        return TEENS[tok], i + 1
    if tok in UNITS:
        return UNITS[tok], i + 1
    if tok in TENS:
        j = _skip_connector(tokens, i + 1)
        if j < len(tokens):
            unit = UNITS.get(tokens[j]) or ONE_AFTER_TENS.get(tokens[j])
            if unit:
                return TENS[tok] + unit, j + 1
        return TENS[tok], i + 1
    return 0, i


def _skip_connector(tokens: list[str], i: int) -> int:
    return i + 1 if i < len(tokens) and tokens[i] in CONNECTORS else i
