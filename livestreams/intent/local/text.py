"""Text normalisation and tokenisation shared by the rule engine and the catalog index.

Both sides (comments and catalog labels) go through the same functions, so "18\"", "18 pulgadas", "18 inch"
and "18in" all become the tokens `18 ~in`, "7½", "7,5", "7 1/2" and "siete y medio" all become `7.5`, and a
label like "500ml" is the same two tokens as a comment's "500 ml".
"""

from __future__ import annotations

import re
from typing import NamedTuple

from livestreams.intent.local.numbers import NUMBER_WORDS, merge_number_words

# Accents are dropped so "mío", "mio" and "MÍO" look alike; ñ/ç collapse to n/c on purpose (also Guaraní ĩ/ỹ).
_FOLD = str.maketrans(
    "áàâãäåéèêëẽíìîïĩóòôõöúùûüũýỹçñ¿",
    "aaaaaaeeeeeiiiiiooooouuuuuyycn?",
    "'’‘`´",
)
_LINK = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[a-z0-9-]+\.(?:com|net|org|ly|me|io|co|br|mx|ar|cl|pe|ec|py|uy|es|us|link|site|shop|store|info|gl)"
    r"(?:\.[a-z]{2})?(?:/\S*)?"
)
_HALF_GLYPH = re.compile(r"(\d)\s*½")
_HALF_FRACTION = re.compile(r"(\d+)(?:\s+(?:y|e|and))?\s+1/2(?!\d)")
_THOUSANDS = re.compile(r"(\d)\.(\d{3})(?![\d.])")
_DECIMAL_COMMA = re.compile(r"(?<![\d,])(\d{1,2}),(\d)(?![\d,])")
_UNIT = re.compile(
    r"(\d)\s*(?:(ml|mls|mililitros?)|(lts?|litros?|liters?|litres?)|(cms?|centimetros?)|(mm|milimetros?)"
    r"|(inch(?:es)?|pulgadas?|pulgs?|plg)|(oz|onzas?|ounces?)|(kgs?|kilos?|kilogramos?)|(grs?|gramos?|gramas?))(?![a-z])"
    r"|(\d)\s*(\"|”|“|'')"
)
_UNIT_TOKENS = (None, None, "~ml", "~l", "~cm", "~mm", "~in", "~oz", "~kg", "~g")


def _unit(match: re.Match[str]) -> str:
    if match.group(10):
        return match.group(10) + " ~in"
    return f"{match.group(1)} {_UNIT_TOKENS[match.lastindex or 0]}"


_BARE_LITRE = re.compile(r"(?<![\d~])\b(?:litro|litre|liter)\b")
_UNIT_HINT = re.compile(r"\d\s*(?:[mlciopkg\"”“']|''|\s[mlciopkg])")
# "kieroooo", "holaaa": three or more repeated letters are one letter ("xxxl" keeps its x's; digits stay).
_ELONGATION = re.compile(r"([a-wyz])\1{2,}")
# Plus sizes glued to their digit are one token ("2x", "3x"); "2xl" is "xxl". "2 x" stays a quantity.
_DASHED_CODE = re.compile(r"(?<![a-z0-9])([a-z]{1,3})-(\d)")
_PLUS_SIZE = re.compile(r"(?<![a-z0-9.])([2-5])x([lg])(?![a-z0-9])")
_TOKEN = re.compile(
    r"~[a-z]+|\d+x\d+|(?<![\d.])[1-5]x(?![a-z0-9])|[a-z]{1,3}\d+(?![\d.x])|\d+(?:\.\d+)?|[a-z]+|\?|[.!;:\n]+"
    r"|[,#@$%/&+|]"
)
_GLUED = re.compile(r"^([a-z]{1,3})(\d+)$")
_GLUED_ANY = re.compile(r"(?<![a-z])[a-z]{1,3}\d")
_DIGIT = re.compile(r"\d")
_EMPTY: frozenset[int] = frozenset()

SENTENCE_BREAK = "|"
LINK = "~link"


def normalize(text: str) -> str:
    folded = text.lower().translate(_FOLD)
    if "." in folded or "/" in folded:
        folded = _LINK.sub(" ~link ", folded)
    if "½" in folded:
        folded = _HALF_GLYPH.sub(r"\1.5", folded).replace("½", " 1/2")
    if "1/2" in folded:
        folded = _HALF_FRACTION.sub(r"\1.5", folded)
    if "." in folded:
        folded = _THOUSANDS.sub(r"\1\2", folded)
    if "," in folded:
        folded = _DECIMAL_COMMA.sub(r"\1.\2", folded)
    if _UNIT_HINT.search(folded):
        folded = _UNIT.sub(_unit, folded)
    if "litr" in folded or "liter" in folded:
        folded = _BARE_LITRE.sub(" 1 ~l", folded)
    if "-" in folded:
        folded = _DASHED_CODE.sub(r"\1\2", folded)  # "C-5", "CZ-01": one code, as if glued
    if "x" in folded:
        folded = _PLUS_SIZE.sub(lambda m: "x" * (int(m.group(1)) - 1) + "x" + m.group(2), folded)
    return _ELONGATION.sub(r"\1", folded) if _ELONGATION.search(folded) else folded


class Tokens(NamedTuple):
    words: list[str]
    glued: frozenset[int]  # letters written glued to the digits after them ("a12", "k20", "af1")
    spoken: frozenset[int]  # numbers that were words ("tres", "doce"), not digits


def tokenize(normalized: str) -> list[str]:
    return tokenize_glued(normalized).words


def tokenize_glued(normalized: str) -> Tokens:
    """Tokens, and the positions of letters glued to digits (a glued pair looks like a product code even when
    the catalog has no such code) and of numbers spoken in words."""
    tokens = [SENTENCE_BREAK if t[0] in ".!;:\n" else t for t in _TOKEN.findall(normalized)]
    spoken: set[int] = set()
    digits = _DIGIT.search(normalized) is not None
    if digits or not NUMBER_WORDS.isdisjoint(tokens):
        tokens, spoken = merge_number_words(tokens)
    if not digits or _GLUED_ANY.search(normalized) is None:
        return Tokens(tokens, _EMPTY, frozenset(spoken) if spoken else _EMPTY)
    out: list[str] = []
    glued: set[int] = set()
    moved: set[int] = set()
    for position, token in enumerate(tokens):
        match = _GLUED.match(token) if token[-1].isdigit() and token[0].isalpha() else None
        if position in spoken:
            moved.add(len(out))
        if match:
            glued.add(len(out))
            out.extend(match.groups())
        else:
            out.append(token)
    return Tokens(out, frozenset(glued), frozenset(moved))


def is_number(token: str) -> bool:
    return token[0].isdigit() and token[-1].isdigit() and "x" not in token


def number_value(token: str) -> float:
    return float(token)
