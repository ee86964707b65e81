"""Per-live lookup tables derived from the catalog: every way a code, a name and each variant can be written.

- Codes: as written, spaced or glued ("CZ-01", "cz01", "cz 1"), digits spelled one by one ("dos cero cuatro"),
  letters read aloud ("ce ze cero uno", "la be cinco", "ká xis", "dee one"), word codes read with number words
  ("blusa uno").
- Names: the stems of the name's words (so "jarrito" finds "Jarro"), their translations ("earrings" ->
  "Aretes"), initials ("AF1", "NB"), and the numbers that belong to the name ("Jordan 4", "13x4", "6 litros").
- Variants: each label's own forms, its size on the common S/M/L scale ("G" = L, "2X" = XXL, "CH" = S), its
  colour class in three languages with every gender/diminutive form, its rank among sized variants ("la grande"
  of 250ml/500ml), and its number with or without the unit ("500", "500 ml", "26 pulgadas").

Built once per catalog (a frozen tuple, hence hashable) and cached, so reading a comment only does dict lookups.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from livestreams.intent.local.morph import near_keys, stem
from livestreams.intent.local.names import NameNumber, code_parts, name_numbers, name_tokens, name_words
from livestreams.intent.local.text import is_number, normalize, tokenize
from livestreams.intent.local.vocab import (
    ARTICLES,
    COLOUR_CLASSES,
    LADDER_RUNG,
    LADDER_WORDS,
    LETTER_SPELLINGS,
    NAME_STOPWORDS,
    ONE_WORDS,
    SHADE_FAMILY,
    SIZE_FORMS,
    VARIANT_MARKERS,
)
from livestreams.intent.types import CatalogProduct, LiveContext

Key = tuple[str, str]  # ("lit", "s/m"), ("size", "XL"), ("colour", "black"), ("word", "chic"), ("ladder", "large")
Span = tuple[str, ...]


_UNIT_SCALE = {"~l": ("~ml", 1000.0), "~kg": ("~g", 1000.0)}
_RANGED = re.compile(r"(\d{1,3})\s*[-–a]\s*(\d{1,3})")
# Letter names that are everyday words: they spell a one-letter code only when the catalog has such a code, and
# never these prepositions ("en 5" is a size, not code N5).
_NEVER_A_LETTER = frozenset({"en", "em", "e"})


@dataclass(frozen=True, slots=True)
class ProductEntry:
    code: str
    keys: dict[Key, str]  # variant key -> label as the catalog spells it
    numbers: tuple[tuple[float, str | None, str], ...]  # numeric labels: (value, unit, label)
    name_numbers: dict[str, NameNumber]
    labels: tuple[str, ...]

    def variant(self, keys: tuple[Key, ...]) -> str | None:
        for key in keys:
            label = self.keys.get(key)
            if label is not None:
                return label
        return None

    def numeric_variant(self, value: float, unit: str | None) -> str | None:
        if unit in _UNIT_SCALE:
            unit, scale = _UNIT_SCALE[unit]
            value *= scale
        for label_value, label_unit, label in self.numbers:
            if label_value == value and (unit is None or label_unit is None or unit == label_unit):
                return label
        return None


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    products: dict[str, ProductEntry]  # code -> entry
    codes: dict[Span, str]  # token forms of letter codes -> code
    code_starts: frozenset[str]
    max_code_len: int
    numeric_codes: dict[str, str]  # "204" -> "#204", "1" -> "1"
    digit_codes: dict[str, str]  # "15" -> "A15" when only one letter code has those digits
    code_prefixes: frozenset[str]  # letter parts of codes ("a", "cz"): "A30" is an unknown code, not a size
    names: dict[str, frozenset[str]]  # stem of a name word -> codes
    synonyms: dict[str, frozenset[str]]  # stem of a translated noun -> codes
    name_near: dict[str, frozenset[str]]  # one-deletion keys of long name stems -> codes (typos)
    name_numbers: dict[str, frozenset[str]]  # number token -> codes with it in the name
    spans: dict[Span, tuple[Key, ...]]  # exact token phrases that name a variant
    stem_spans: dict[str, tuple[Key, ...]]  # single words (by stem) that name a variant
    variant_near: dict[str, str]  # one-deletion keys of long variant word stems -> stem (typos)
    max_span: int
    span_starts: frozenset[str]
    featured: str | None
    memo: dict[Any, Any]  # token -> what it can be here (reading/elements.py), filled as comments come
    name_tokens: frozenset[str] = frozenset()  # every token of every product name, as written


# Hashing a LiveContext walks the whole catalog; the webhook passes the same products tuple again and again,
# so an identity check answers first and the hash-keyed cache only runs for a new tuple.
_LAST: dict[int, tuple[tuple[CatalogProduct, ...], dict[str | None, CatalogIndex]]] = {}


def index_for(context: LiveContext) -> CatalogIndex:
    products = context.products
    entry = _LAST.get(id(products))
    if entry is None or entry[0] is not products:
        if len(_LAST) > 256:
            _LAST.clear()
        entry = (products, {})
        _LAST[id(products)] = entry
    by_featured = entry[1]
    index = by_featured.get(context.featured)
    if index is None:
        base = _index_products(products)
        featured = context.featured if context.featured in base.products else None
        index = by_featured[context.featured] = replace(base, featured=featured)
    return index


@lru_cache(maxsize=256)
def _index_products(products: tuple[CatalogProduct, ...]) -> CatalogIndex:
    codes: dict[Span, str] = {}
    numeric: dict[str, str] = {}
    prefixes: set[str] = set()
    by_digits: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    synonyms: dict[str, set[str]] = {}
    name_numbers: dict[str, set[str]] = {}
    entries: dict[str, ProductEntry] = {}
    for product in products:
        _index_code(product.code, codes, numeric, prefixes, by_digits)
        own, translated = name_words(product)
        for word in own:
            names.setdefault(word, set()).add(product.code)
        for word in translated - own:
            synonyms.setdefault(word, set()).add(product.code)
        entry = _product_entry(product)
        entries[product.code] = entry
        for value in entry.name_numbers:
            name_numbers.setdefault(value, set()).add(product.code)
    spans, stem_spans = _variant_vocabulary(products)
    near: dict[str, set[str]] = {}
    for word, found in names.items():
        if len(word) >= 5:
            for key in near_keys(word) - {word}:
                near.setdefault(key, set()).update(found)
    variant_near: dict[str, str] = {}
    for word in stem_spans:
        if len(word) >= 4 and word.isalpha():
            for key in near_keys(word) - {word}:
                variant_near.setdefault(key, word)
    return CatalogIndex(
        products=entries,
        codes=codes,
        code_starts=frozenset(form[0] for form in codes),
        max_code_len=max((len(form) for form in codes), default=1),
        numeric_codes=numeric,
        digit_codes={d: next(iter(c)) for d, c in by_digits.items() if len(c) == 1 and d not in numeric},
        code_prefixes=frozenset(prefixes),
        names=_frozen(names),
        synonyms=_frozen(synonyms),
        name_near={k: frozenset(v) for k, v in near.items() if k not in names},
        name_numbers=_frozen(name_numbers),
        spans=spans,
        stem_spans=stem_spans,
        variant_near={k: v for k, v in variant_near.items() if k not in stem_spans},
        max_span=max((len(span) for span in spans), default=1),
        span_starts=frozenset(span[0] for span in spans),
        featured=None,
        memo={},
        name_tokens=frozenset(t for product in products for t in name_tokens(product) if t.isalpha()),
    )


def _frozen(table: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(value) for key, value in table.items()}


# --- codes -------------------------------------------------------------------------------------------------------
def _index_code(
    code: str,
    codes: dict[Span, str],
    numeric: dict[str, str],
    prefixes: set[str],
    by_digits: dict[str, set[str]],
) -> None:
    parts = code_parts(code)
    if not parts:
        return
    if len(parts) == 1 and is_number(parts[0]):
        numeric[str(int(float(parts[0])))] = code
        return
    if any(len(p) > 4 and p.isalpha() for p in parts) and not any(is_number(p) for p in parts):
        return  # a code made of words ("blusa roja") is found through the product's name words
    forms = [_part_forms(part, single=len(parts) == 1) for part in parts]
    for combo in itertools.product(*forms):
        form = tuple(token for piece in combo for token in piece)
        codes.setdefault(form, code)
    if len(parts) == 2 and parts[0].isalpha() and is_number(parts[1]):
        prefixes.add(parts[0])
        by_digits.setdefault(str(int(parts[1])), set()).add(code)


def _part_forms(part: str, *, single: bool) -> list[Span]:
    if is_number(part):
        forms: set[Span] = {(part,), (str(int(part)),)}
        if len(part) >= 2:
            digits = [("1", *sorted(ONE_WORDS - {"otra", "otro", "outra", "outro", "another"})) if d == "1" else (d,)
                      for d in part]  # fmt: skip
            forms.update(itertools.product(*digits))
        if int(part) == 1:
            forms.update((w,) for w in ("uno", "una", "un", "um", "uma", "one"))
        return sorted(forms)
    forms = {(part,)}
    if len(part) > 3:
        forms.add((stem(part),))
        return sorted(forms)
    spellings = []
    for letter in part:
        names = [s for s in LETTER_SPELLINGS.get(letter, (letter,)) if s not in _NEVER_A_LETTER or len(part) > 1]
        spellings.append(names)
    forms.update(itertools.product(*spellings))
    if single and len(part) == 1:
        return [(part,)]  # a one-letter code with no digits is too easy to meet by chance
    return sorted(forms)


# --- names -------------------------------------------------------------------------------------------------------
# --- variants ----------------------------------------------------------------------------------------------------
def _colour_of(word: str) -> str | None:
    return _COLOUR_STEMS.get(stem(word))


def _product_entry(product: CatalogProduct) -> ProductEntry:
    keys: dict[Key, str] = {}
    numbers: list[tuple[float, str | None, str]] = []
    shared: dict[Key, set[str]] = {}

    def offer(key: Key, label: str) -> None:
        shared.setdefault(key, set()).add(label)

    for label in product.variants:
        tokens = [t for t in tokenize(normalize(label)) if t != "|"]
        if not tokens:
            continue
        joined = " ".join(tokens)
        keys.setdefault(("lit", joined), label)
        if is_number(tokens[0]) and (len(tokens) == 1 or (len(tokens) == 2 and tokens[1].startswith("~"))):
            unit = tokens[1] if len(tokens) == 2 else None
            value = float(tokens[0])
            if unit in _UNIT_SCALE:
                unit, scale = _UNIT_SCALE[unit]
                value *= scale
            numbers.append((value, unit, label))
        rung = SIZE_FORMS.get(tuple(tokens)) or (SIZE_FORMS.get((tokens[0],)) if _RANGED.search(label) else None)
        if rung:
            offer(("size", rung), label)  # "M", and "M (37-38)" answers to M
        elif "/" in tokens:  # "S/M" answers to S and to M (unless the product also has them on their own)
            keys.setdefault(("lit", joined.replace(" / ", "")), label)
            for part in " ".join(tokens).split(" / "):
                part_rung = SIZE_FORMS.get(tuple(part.split()))
                if part_rung:
                    offer(("size", part_rung), label)
        for low, high in _RANGED.findall(label):
            for number in range(int(low), int(high) + 1):  # "L (39-40)" is the size for 39 and 40; "2-4" for 3
                numbers.append((float(number), None, label))
        for token in tokens:
            if token.isalpha() and token not in NAME_STOPWORDS:
                offer(("word", stem(token)), label)
                rank = _LADDER_STEMS.get(stem(token))
                if rank is not None:  # "chico / mediano / grande" are also S / M / L
                    offer(("size", LADDER_RUNG[rank]), label)
                colour = _colour_of(token)
                if colour:
                    offer(("colour", colour), label)
        phrase_colour = _COLOUR_PHRASES.get(joined)
        if phrase_colour:
            offer(("colour", phrase_colour), label)
    own_colours = {key[1] for key in shared if key[0] == "colour"}
    for label in product.variants:
        for token in tokenize(normalize(label)):
            family = SHADE_FAMILY.get(token) or SHADE_FAMILY.get(stem(token))
            if family and family not in own_colours:
                offer(("colour", family), label)
    for key, labels in shared.items():
        if len(labels) == 1:
            keys.setdefault(key, next(iter(labels)))
    _rank_sized(numbers, keys)
    return ProductEntry(
        code=product.code,
        keys=keys,
        numbers=tuple(numbers),
        name_numbers=name_numbers(product),
        labels=product.variants,
    )


def _rank_sized(numbers: list[tuple[float, str | None, str]], keys: dict[Key, str]) -> None:
    """'la grande', 'o pequeno', 'the big one' among sized presentations (250ml/500ml, 14/20/30 cm)."""
    sized = sorted((value, label) for value, unit, label in numbers if unit is not None)
    if len(sized) < 2 or len(sized) != len(numbers):
        return
    keys.setdefault(("ladder", "small"), sized[0][1])
    keys.setdefault(("ladder", "large"), sized[-1][1])
    if len(sized) == 3:
        keys.setdefault(("ladder", "medium"), sized[1][1])


def _variant_vocabulary(
    products: tuple[CatalogProduct, ...],
) -> tuple[dict[Span, tuple[Key, ...]], dict[str, tuple[Key, ...]]]:
    """Every phrase and word of the comment that can name a variant of some product here, with its keys in the
    order they are tried (the label itself first, then its words, its size, its colour, its rank)."""
    spans: dict[Span, list[Key]] = {}
    stems: dict[str, list[Key]] = {}

    def add(table: dict, entry: object, key: Key) -> None:  # type: ignore[type-arg]
        keys = table.setdefault(entry, [])
        if key not in keys:
            keys.append(key)

    for product in products:
        for label in product.variants:
            tokens = tuple(t for t in tokenize(normalize(label)) if t != "|")
            if not tokens or (is_number(tokens[0]) and (len(tokens) == 1 or tokens[1].startswith("~"))):
                continue  # numbers (with or without their unit) are read by the role search (roles.py)
            add(spans, tokens, ("lit", " ".join(tokens)))
            if "/" in tokens:
                add(spans, ("".join(t for t in tokens if t != "/"),), ("lit", " ".join(tokens).replace(" / ", "")))
            for token in tokens:
                if token.isalpha() and token not in NAME_STOPWORDS and len(token) >= 3:
                    add(stems, stem(token), ("word", stem(token)))
    for form, rung in SIZE_FORMS.items():
        add(spans, form, ("size", rung))
    for word, rank in LADDER_WORDS.items():
        add(stems, stem(word), ("size", LADDER_RUNG[rank]))
        add(stems, stem(word), ("ladder", rank))
    for phrase, colour in _COLOUR_PHRASES.items():
        add(spans, tuple(phrase.split()), ("colour", colour))
    for word_stem, colour in _COLOUR_STEMS.items():
        add(stems, word_stem, ("colour", colour))
    for shade in SHADE_FAMILY:
        add(stems, stem(shade), ("word", stem(shade)))
    for form, keys in spans.items():
        if len(form) == 1:  # "grande" is a label of one product and a size (L) of another
            for key in stems.get(stem(form[0]), ()):
                if key not in keys:
                    keys.append(key)
    ordered = {k: tuple(sorted(v, key=_key_rank)) for k, v in spans.items()}
    return ordered, {k: tuple(sorted(v, key=_key_rank)) for k, v in stems.items()}


_KEY_ORDER = {"lit": 0, "word": 1, "size": 2, "colour": 3, "ladder": 4}


def _key_rank(key: Key) -> int:
    return _KEY_ORDER[key[0]]


_LADDER_STEMS: dict[str, str] = {stem(word): rank for word, rank in LADDER_WORDS.items()}
_COLOUR_STEMS: dict[str, str] = {
    stem(member): name for name, members in COLOUR_CLASSES.items() for member in members if " " not in member
}
_COLOUR_PHRASES: dict[str, str] = {
    member: name for name, members in COLOUR_CLASSES.items() for member in members if " " in member
}
ROLE_WORDS = ARTICLES | VARIANT_MARKERS
