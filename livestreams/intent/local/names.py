"""What a product's name and code say, for the catalog index (`local.catalog`): the stems of the name's
words with their translations and initials ("AF1", "NB"), the numbers that belong to the name ("Jordan 4",
"13x4", "6 litros"), and a code's parts."""

from __future__ import annotations

from dataclasses import dataclass

from livestreams.intent.local.morph import stem
from livestreams.intent.local.text import is_number, normalize, tokenize
from livestreams.intent.local.vocab import (
    COLOUR_CLASSES,
    LETTER_NAMES,
    NAME_STOPWORDS,
    NOUN_SYNONYMS,
    SIZE_FORMS,
    words,
)
from livestreams.intent.types import CatalogProduct

_COMMON_SHORT = words(
    "yo me mi tu su si se no ya va ok te le lo es eu um ta na da do de la el lo os as ao pa pra por en em un "
    "ni al del eh ah oh uy ay bb jk"
)


@dataclass(frozen=True, slots=True)
class NameNumber:
    """A number that is part of a product's name ("Jordan 4", "Set de 6 tazas", "13x4")."""

    unit: str | None
    before: str | None  # stem of the name word right before it (stopwords skipped), if any
    after: str | None  # stem of the name word right after it, if any
    number_before: str | None = None  # "Shampoo 3 en 1": the 1 has the 3 before it
    number_after: str | None = None
    letters_before: str | None = None  # "Samsung A54": the letters written glued to the number
    after_x: bool = False  # "Juego de sartenes x3": written as a quantity, but part of the name


def code_parts(code: str) -> list[str]:
    return [t for t in tokenize(normalize(code)) if t not in ("#", "/", ",", "|", "+", "&")]


def name_tokens(product: CatalogProduct) -> list[str]:
    tokens = tokenize(normalize(product.name))
    parts = code_parts(product.code)
    if not any(is_number(p) for p in parts) and any(len(p) > 4 for p in parts):
        tokens += parts  # a word code ("blusa roja") names the product too
    return tokens


def name_words(product: CatalogProduct) -> tuple[set[str], set[str]]:
    """Stems of the product's own name words (with initials and colour translations), and of their translations."""
    tokens = name_tokens(product)
    useful = [t for t in tokens if t.isalpha() and len(t) >= 3 and t not in NAME_STOPWORDS]
    own = {stem(t) for t in useful}
    own |= _initials(tokens)
    translated = set(own)
    for token in useful:
        word = stem(token)
        for members in COLOUR_CLASSES.values():
            if word in {stem(m) for m in members if " " not in m}:
                translated |= {stem(m) for m in members if " " not in m}
        for group in NOUN_SYNONYMS:
            group_stems = {stem(w) for w in group}
            if word in group_stems:
                translated |= group_stems
    return own, translated


def _initials(tokens: list[str]) -> set[str]:
    """'Nike Air Force 1' -> 'af', 'naf'; 'New Balance 550' -> 'nb': how buyers abbreviate model names."""
    found: set[str] = set()
    run: list[str] = []
    for token in [*tokens, "|"]:
        if token.isalpha() and token not in NAME_STOPWORDS and len(token) >= 2:
            run.append(token)
            continue
        for size in (2, 3):
            for start in range(len(run) - size + 1):
                initials = "".join(w[0] for w in run[start : start + size])
                if initials not in _COMMON_SHORT and initials not in LETTER_NAMES and (initials,) not in SIZE_FORMS:
                    found.add(initials)
        run = []
    return found


def name_numbers(product: CatalogProduct) -> dict[str, NameNumber]:
    tokens = name_tokens(product)
    found: dict[str, NameNumber] = {}
    for i, token in enumerate(tokens):
        if not token[0].isdigit():
            continue
        unit = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].startswith("~") else None
        found[token] = NameNumber(
            unit=unit,
            before=_neighbour(tokens, i, -1),
            after=_neighbour(tokens, i, 1),
            number_before=_number_neighbour(tokens, i, -1),
            number_after=_number_neighbour(tokens, i, 1),
            letters_before=tokens[i - 1] if i > 0 and tokens[i - 1].isalpha() and len(tokens[i - 1]) <= 3 else None,
            after_x=i > 0 and tokens[i - 1] == "x",
        )
    return found


def _number_neighbour(tokens: list[str], i: int, step: int) -> str | None:
    j = i + step
    while 0 <= j < len(tokens) and tokens[j] in NAME_STOPWORDS and abs(j - i) <= 2:
        j += step
    return tokens[j] if 0 <= j < len(tokens) and tokens[j][0].isdigit() and j != i else None


def _neighbour(tokens: list[str], i: int, step: int) -> str | None:
    j = i + step
    while 0 <= j < len(tokens):
        token = tokens[j]
        if token.startswith("~") or token in NAME_STOPWORDS or token in ("|", ",", "/", "x"):
            j += step
            continue
        return stem(token) if token.isalpha() else None
    return None
