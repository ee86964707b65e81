"""The role of each number: a quantity, a variant, a product code, part of a product's name, or neither.

Each number gets its candidate roles with a local plausibility (what its neighbours say: "x2", "talla 8",
"la 15", "jordan 4", "$180", "3 semanas"); then every combination is assembled into items and scored as a whole
(groups.py), and the most consistent reading wins. "la 10 talla 8" reads 10 as the code because 10 and 8 as two
sizes of the product on camera would leave two variants side by side; "las 11 en 11" reads the first 11 as the
model (Jordan 11) because the second takes the size.
"""

from __future__ import annotations

import itertools

from livestreams.intent.local.catalog import CatalogIndex
from livestreams.intent.local.morph import stem
from livestreams.intent.local.reading.elements import NUM, PROD, VAR, Element
from livestreams.intent.local.reading.groups import Role
from livestreams.intent.local.vocab import (
    AGE_WORDS,
    ARTICLES,
    CODE_MARKERS,
    NAME_STOPWORDS,
    NON_ITEM_AFTER_NUMBER,
    ONE_WORDS,
    PRICE_AFTER_NUMBER,
    QTY_PREPOSITIONS,
    QTY_UNITS,
    VARIANT_MARKERS,
)

MAX_READINGS = 48
_PRICE_BEFORE = frozenset({"$", "por", "pra", "a", "en", "em", "for", "at"})
_MEASURE_BEFORE = frozenset({"mido", "mide", "peso", "pesa", "calzo", "weigh", "im", "tengo"})


class _Context:
    def __init__(self, tokens: list[str], elements: list[Element], index: CatalogIndex, bargaining: bool) -> None:
        self.tokens = tokens
        self.elements = elements
        self.index = index
        self.bargaining = bargaining
        self.named = frozenset(code for e in elements if e.kind == PROD and not e.via_synonym for code in e.products)

    def tok(self, i: int) -> str | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def word_before(self, i: int) -> str | None:
        """The nearest word before position i that is not a stopword ("kit de 3" -> "kit")."""
        j = i - 1
        while j >= 0 and (self.tokens[j] in NAME_STOPWORDS or self.tokens[j] in ARTICLES):
            j -= 1
        return self.tokens[j] if j >= 0 and self.tokens[j].isalpha() else None

    def names(self, token: str | None) -> frozenset[str]:
        if token is None or not token.isalpha():
            return frozenset()
        return self.index.names.get(stem(token), frozenset())


def candidate_roles(k: int, ctx: _Context) -> list[Role]:
    element = ctx.elements[k]
    value, tokens = element.value, ctx.tokens
    if element.forced_qty:
        named = _name_after_x(k, ctx) if ctx.tok(element.start) == "x" else None
        return [Role("qty", 2.0)] if named is None else [Role("name", 2.5, named), Role("qty", 2.0)]
    prev = ctx.tok(element.start - 1)
    nxt = ctx.tok(element.end)
    featured = ctx.index.featured
    is_int = value.isdigit()
    roles: list[Role] = []

    ignore = -0.5
    if nxt in NON_ITEM_AFTER_NUMBER or prev == "$" or prev in _MEASURE_BEFORE:
        ignore += 3.0  # "3 semanas", "$180", "mido 1.60 y peso 58", "yo calzo 8"
    elif nxt in AGE_WORDS:
        ignore += 1.2  # "tiene 5 años"; but "el de 6 años" is a kids' size
    if ctx.bargaining and (prev in _PRICE_BEFORE or nxt in PRICE_AFTER_NUMBER):
        ignore += 2.5  # "si me la deja en 300", "se fizer 2 por 50"
    if is_int and len(value) == 4 and 1900 <= int(value) <= 2099:
        ignore += 1.5
    if "." in value and not value.endswith(".5"):
        ignore += 1.0  # "mido 1.60"
    roles.append(Role("ignore", ignore))

    roles.extend(_name_roles(k, ctx, prev, nxt))
    if "x" in value:
        return roles  # "13x4": a dimension is a name part or nothing

    if is_int:
        key = str(int(value))
        code = ctx.index.numeric_codes.get(key)
        marker = prev in CODE_MARKERS or prev in ARTICLES
        if code is not None:
            score = 0.6 + (0.8 if marker else 0.0) + (0.3 if code == featured else 0.0)
            if _next_variant_fits(k, ctx, code):
                score += 0.8  # "10 M e 11 4": a code and one of its own sizes
            if prev in VARIANT_MARKERS and prev not in ("no", "na"):
                score -= 0.8
            if code in ctx.names(ctx.word_before(element.start)):
                score += 1.0  # "jean 10": a noun of the product right before its code
            roles.append(Role("code", score, frozenset({code})))
        partial = ctx.index.digit_codes.get(key)
        if partial is not None and marker:
            roles.append(Role("code", 0.9 + (0.3 if partial == featured else 0.0), frozenset({partial})))
        if code is None and partial is None and (marker or _looks_like_a_code(key, ctx.index.numeric_codes)):
            roles.append(Role("unknown", 0.2 if marker else 0.4))  # "quiero la 45", "I want 110": not a code here

    score = 1.1
    if prev in VARIANT_MARKERS:
        score += 0.6
    elif prev in ("de", "of", "do", "da"):
        score += 0.3
    if element.unit:
        score += 0.3
    roles.append(Role("var", score))

    if is_int and int(value) >= 1:
        qty = int(value)
        score = (
            0.9
            if qty <= 3
            else 0.8
            if qty <= 6
            else 0.6
            if qty <= 12
            else 0.4
            if qty <= 20
            else 0.1
            if qty <= 100
            else -0.2
        )
        if nxt in QTY_UNITS:
            score += 2.0
        elif nxt in QTY_PREPOSITIONS or nxt in ONE_WORDS or ctx.names(nxt):
            score += 0.8  # "2 del 1", "yo 2 una ch", "1000 poleras"
        elif _next_is_word_variant(k, ctx):
            score += 0.8 if qty <= 10 else 0.2  # "2 G"; "103 G" is a code and its size
        if prev in ARTICLES:
            score -= 1.0
        if prev in VARIANT_MARKERS:
            score -= 0.8
        if element.unit or nxt in AGE_WORDS:
            score -= 1.5
        roles.append(Role("qty", score))
    del tokens
    return roles


def _looks_like_a_code(key: str, numeric_codes: dict[str, str]) -> bool:
    """A catalog of numeric codes (101..106): a number with as many digits, just outside them, is a code too."""
    if len(numeric_codes) < 3 or len(key) < 3:
        return False
    values = sorted(int(code) for code in numeric_codes)
    return all(len(code) == len(key) for code in numeric_codes) and values[0] - 20 <= int(key) <= values[-1] + 20


def _next_variant_fits(k: int, ctx: _Context, code: str) -> bool:
    nxt = ctx.elements[k + 1] if k + 1 < len(ctx.elements) else None
    if nxt is None or nxt.kind != VAR or nxt.start != ctx.elements[k].end:
        return False
    return ctx.index.products[code].variant(nxt.keys) is not None


def _name_after_x(k: int, ctx: _Context) -> frozenset[str] | None:
    """'el juego de sartenes x3': the x3 of a name that has it, right after that name's words."""
    element = ctx.elements[k]
    before = ctx.word_before(element.start)
    owners = [
        code
        for code in ctx.index.name_numbers.get(element.value, ())
        if ctx.index.products[code].name_numbers[element.value].after_x and before and code in ctx.names(before)
    ]
    return frozenset(owners) if owners else None


def _next_is_word_variant(k: int, ctx: _Context) -> bool:
    element = ctx.elements[k]
    nxt = ctx.elements[k + 1] if k + 1 < len(ctx.elements) else None
    return nxt is not None and nxt.kind == VAR and nxt.start == element.end


def _name_roles(k: int, ctx: _Context, prev: str | None, nxt: str | None) -> list[Role]:
    element = ctx.elements[k]
    owners = ctx.index.name_numbers.get(element.value)
    if not owners:
        return []
    before = ctx.word_before(element.start)
    before_stem = stem(before) if before else None
    next_stem = stem(nxt) if nxt and nxt.isalpha() else None
    prev_number = _neighbour_number(k, ctx, -1)
    next_number = _neighbour_number(k, ctx, 1)
    roles = []
    for code in owners:
        entry = ctx.index.products[code]
        part = entry.name_numbers[element.value]
        score = 0.3
        also_variant = element.value.isdigit() and entry.numeric_variant(float(element.value), element.unit)
        if also_variant and not _other_number_marked(k, ctx):
            # "quero o creme de 500" (250ml / 500ml): the variant, though the name says 500 ml; but in
            # "las 11 en 11" the second 11 is the size, so the first is the Jordan 11
            score -= 1.0
        if before_stem is not None and before_stem == part.before:
            score += 1.4
        elif before is not None and code in ctx.names(before):
            score += 1.0
        if next_stem is not None and next_stem == part.after:
            score += 1.4
        if (prev_number and prev_number == part.number_before) or (next_number and next_number == part.number_after):
            score += 1.4  # "3 en 1"
        on_hand = code == ctx.index.featured or code in ctx.named
        if on_hand and (prev in ARTICLES or prev in ("de", "of", "do", "da")):
            score += 1.0  # "las 550", "la de 13x4", "el kit de 3"
        if element.unit and element.unit == part.unit:
            score += 0.8
        score += 0.4 if on_hand else -0.4
        roles.append(Role("name", score, frozenset({code})))
    return roles


def _other_number_marked(k: int, ctx: _Context) -> bool:
    return any(e.kind == NUM and j != k and ctx.tok(e.start - 1) in VARIANT_MARKERS for j, e in enumerate(ctx.elements))


def _neighbour_number(k: int, ctx: _Context, step: int) -> str | None:
    j = k + step
    if not 0 <= j < len(ctx.elements):
        return None
    other = ctx.elements[j]
    if other.kind != NUM:
        return None
    low, high = (other.end, ctx.elements[k].start) if step < 0 else (ctx.elements[k].end, other.start)
    between = ctx.tokens[low:high]
    return other.value if all(t in NAME_STOPWORDS for t in between) and len(between) <= 2 else None


def role_options(
    tokens: list[str], elements: list[Element], index: CatalogIndex, *, bargaining: bool
) -> list[list[Role | None]]:
    """For every element, its candidate roles (None for elements that are not numbers), best first, pruned to
    those within reach of the best one."""
    ctx = _Context(tokens, elements, index, bargaining)
    options: list[list[Role | None]] = []
    for k, element in enumerate(elements):
        if element.kind != NUM:
            options.append([None])
            continue
        roles = sorted(candidate_roles(k, ctx), key=lambda r: -r.score)
        best = roles[0].score
        kept: list[Role | None] = []
        for role in roles:
            if role.score >= best - 1.6 and len(kept) < 3:
                kept.append(role)
        options.append(kept)
    return options


def readings(options: list[list[Role | None]]) -> itertools.islice[tuple[Role | None, ...]]:
    return itertools.islice(itertools.product(*options), MAX_READINGS)
