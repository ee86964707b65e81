"""Per-live lookup tables derived from the catalog: codes, product nouns and variant synonyms.

Built once per LiveContext (frozen, hence hashable) and cached, so parsing a comment only does dict lookups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from livestreams.intent.local.lexicon import (
    BOTH_WORDS,
    COLOUR_CLASSES,
    FILLERS,
    NAME_STOPWORDS,
    NEGATORS,
    NOUN_SYNONYMS,
    ONE_WORDS,
    SHADE_FAMILY,
    SIZE_CLASSES,
)
from livestreams.intent.local.text import normalize, stem, tokenize
from livestreams.intent.types import CatalogProduct, LiveContext

Alias = tuple[str, ...]


class _ProductWords(dict[str, "frozenset[str] | None"]):
    """Memo of token -> products whose own nouns (else translated nouns) share its stem."""

    def __init__(self, names: dict[str, frozenset[str]], synonyms: dict[str, frozenset[str]]) -> None:
        super().__init__()
        self.names = names
        self.synonyms = synonyms

    def __missing__(self, token: str) -> frozenset[str] | None:
        if len(self) > 20_000:
            self.clear()
        key = stem(token)
        found = self.names.get(key) or self.synonyms.get(key)
        self[token] = found
        return found


_LETTER_DIGITS = re.compile(r"^([a-z]+)(\d+)$")


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    codes: dict[Alias, str]  # token sequence -> catalog code ("a12" and "a 12" -> "A12")
    numeric_codes: dict[str, str]  # "15" -> "15" for pure-number codes, whose role depends on context
    code_prefixes: frozenset[str]  # letters that start codes ("a" for A10..A17): "a20" is an unknown code
    digit_codes: dict[str, str]  # "15" -> "A15" when only one code has those digits: "la 15" means A15
    names: dict[str, frozenset[str]]  # stem of a product noun -> codes whose name/code contains it
    noun_synonyms: dict[str, frozenset[str]]  # same, through translations ("earrings" -> "Aretes ...")
    variants: dict[str, dict[Alias, str]]  # code -> alias -> variant label as the catalog spells it
    numeric_variants: dict[str, dict[str, str]]  # code -> "38" -> "38"
    variant_words: frozenset[Alias]  # every alias of every product, to spot variants before knowing the product
    max_alias_len: int
    code_starts: frozenset[str]  # first tokens of codes and aliases, so most words skip the lookups
    alias_starts: frozenset[str]
    inert: frozenset[str]  # filler words that are neither a variant nor a product noun in this catalog
    interesting: frozenset[str]  # words that always need the full reading (codes, aliases, roles, colours)
    featured: str | None
    product_words: _ProductWords  # token as written -> products it names (memoised stem lookups)


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
        index = by_featured[context.featured] = _with_featured(_index_products(products), context)
    return index


def _with_featured(base: CatalogIndex, context: LiveContext) -> CatalogIndex:
    featured = context.featured if context.featured in base.variants else None
    return replace(base, featured=featured)


@lru_cache(maxsize=256)
def _index_products(products: tuple[CatalogProduct, ...]) -> CatalogIndex:
    context = LiveContext(products=products, featured=None)
    codes: dict[Alias, str] = {}
    numeric_codes: dict[str, str] = {}
    prefixes: set[str] = set()
    names: dict[str, set[str]] = {}
    synonyms: dict[str, set[str]] = {}
    variants: dict[str, dict[Alias, str]] = {}
    numeric_variants: dict[str, dict[str, str]] = {}
    for product in context.products:
        _index_code(product.code, codes, numeric_codes, prefixes)
        own, translated = _name_words(product)
        for word in own:
            names.setdefault(word, set()).add(product.code)
        for word in translated - own:
            synonyms.setdefault(word, set()).add(product.code)
        variants[product.code], numeric_variants[product.code] = _variant_aliases(product)
    variant_words = frozenset(alias for table in variants.values() for alias in table)
    name_table = {word: frozenset(found) for word, found in names.items()}
    digit_codes = _codes_by_digits(codes, numeric_codes)
    synonym_table = {word: frozenset(found) for word, found in synonyms.items()}
    return CatalogIndex(
        codes=codes,
        numeric_codes=numeric_codes,
        code_prefixes=frozenset(prefixes),
        digit_codes=digit_codes,
        names=name_table,
        noun_synonyms=synonym_table,
        variants=variants,
        numeric_variants=numeric_variants,
        variant_words=variant_words,
        max_alias_len=max((len(a) for a in variant_words), default=1),
        code_starts=frozenset(alias[0] for alias in codes),
        alias_starts=frozenset(alias[0] for alias in variant_words),
        inert=_inert_words(variant_words, name_table, synonym_table) - {alias[0] for alias in codes},
        interesting=frozenset(alias[0] for alias in codes)
        | frozenset(alias[0] for alias in variant_words)
        | ONE_WORDS
        | NEGATORS
        | BOTH_WORDS
        | {"from", "|"}
        | ANY_VARIANT_WORD,
        featured=None,
        product_words=_ProductWords(name_table, synonym_table),
    )


def _any_variant_words() -> frozenset[str]:
    words: set[str] = set()
    for members in (*SIZE_CLASSES.values(), *COLOUR_CLASSES.values()):
        for member in members:
            if " " not in member:
                words |= _inflections(member) if len(member) > 2 else {member}
    return frozenset(words)


def _codes_by_digits(codes: dict[Alias, str], numeric: dict[str, str]) -> dict[str, str]:
    by_digits: dict[str, set[str]] = {}
    for alias, code in codes.items():
        if len(alias) == 2 and alias[0].isalpha() and alias[1].isdigit():
            by_digits.setdefault(str(int(alias[1])), set()).add(code)
    return {d: next(iter(c)) for d, c in by_digits.items() if len(c) == 1 and d not in numeric}


def _inert_words(
    variant_words: frozenset[Alias], names: dict[str, frozenset[str]], synonyms: dict[str, frozenset[str]]
) -> frozenset[str]:
    """Fillers that play no part in reading items here: not a variant, a product noun, or a role word."""
    starts = {alias[0] for alias in variant_words}
    return frozenset(
        w
        for w in FILLERS - ONE_WORDS - NEGATORS - BOTH_WORDS - {"em", "from", "|", "x", "#"}
        if w not in starts and stem(w) not in names and stem(w) not in synonyms
    )


def _index_code(code: str, codes: dict[Alias, str], numeric: dict[str, str], prefixes: set[str]) -> None:
    tokens = tuple(t for t in tokenize(normalize(code)) if t not in "#/,|")
    if len(tokens) == 1 and tokens[0].isdigit():
        numeric[str(int(tokens[0]))] = code
        return
    if not any(ch.isdigit() for ch in code):
        return  # a code made of words ("blusa roja") is found through the product nouns
    codes[tokens] = code
    pieces: list[str] = []
    for token in tokens:
        match = _LETTER_DIGITS.match(token)
        pieces.extend(match.groups() if match else (token,))
    codes[tuple(pieces)] = code
    codes[("".join(pieces),)] = code
    if pieces[0].isalpha():
        prefixes.add(pieces[0])


def _name_words(product: CatalogProduct) -> tuple[set[str], set[str]]:
    """Stems of the product's own nouns, and stems of their translations."""
    words = set(tokenize(normalize(product.name)))
    if not any(ch.isdigit() for ch in product.code):
        words |= set(tokenize(normalize(product.code)))
    useful = {w for w in words if w.isalpha() and len(w) >= 3 and w not in NAME_STOPWORDS}
    translated = set(useful)
    for group in NOUN_SYNONYMS:
        if useful & set(group):
            translated |= set(group)
    return _stems(useful), _stems(translated)


def _stems(words: set[str]) -> set[str]:
    stems = set()
    for word in words:
        stems.add(stem(word))
        stems.add(stem(word + "es"))  # azul -> azules
    return stems


def _inflections(word: str) -> set[str]:
    """negro -> negra/negros/negras, azul -> azules, dorado -> dorao (Andalusian)."""
    forms = {word, word + "s"}
    if word[-1] in "oa":
        base = word[:-1]
        forms |= {base + "o", base + "a", base + "os", base + "as"}
        if word.endswith("ado"):
            forms.add(word[:-3] + "ao")
    elif word[-1].isalpha():
        forms.add(word + "es")
    return forms


def _alias_forms(phrase: str) -> set[Alias]:
    tokens = tuple(t for t in tokenize(normalize(phrase)) if t != ",")
    if len(tokens) == 1 and tokens[0].isalpha() and len(tokens[0]) > 2:
        return {(form,) for form in _inflections(tokens[0])}
    return {tokens} if tokens else set()


def _class_of(label: str) -> tuple[str, str] | None:
    words = normalize(label).split()
    for kind, classes in (("size", SIZE_CLASSES), ("colour", COLOUR_CLASSES)):
        for name, members in classes.items():
            if normalize(label) in members or (words and words[0] in members and kind == "colour"):
                return kind, name
    return None


def _variant_aliases(product: CatalogProduct) -> tuple[dict[Alias, str], dict[str, str]]:
    table: dict[Alias, str] = {}
    numeric: dict[str, str] = {}
    for label in product.variants:
        norm = normalize(label).strip()
        if norm.isdigit():
            numeric[str(int(norm))] = label
            continue
        for alias in _alias_forms(label):
            table[alias] = label
        if "/" in norm:  # "S/M": also "sm"
            table[(norm.replace("/", ""),)] = label
    _add_class_synonyms(product, table)
    return table, numeric


def _add_class_synonyms(product: CatalogProduct, table: dict[Alias, str]) -> None:
    """Synonyms only where they are unambiguous for this product; own labels always win."""
    by_class: dict[tuple[str, str], list[str]] = {}
    for label in product.variants:
        found = _class_of(label)
        if found:
            by_class.setdefault(found, []).append(label)
        for part in normalize(label).split("/"):  # "L/XL" answers to L and XL
            part_class = _class_of(part) if "/" in label else None
            if part_class:
                by_class.setdefault(part_class, []).append(label)
    for (kind, name), labels in by_class.items():
        if len(set(labels)) != 1:
            continue
        members = SIZE_CLASSES[name] if kind == "size" else COLOUR_CLASSES[name]
        for member in members:
            for alias in _alias_forms(member) if kind == "colour" else {tuple(member.split())}:
                table.setdefault(alias, labels[0])
    own_colours = {name for (kind, name) in by_class if kind == "colour"}
    for label in product.variants:
        family = next((SHADE_FAMILY[w] for w in normalize(label).split() if w in SHADE_FAMILY), None)
        if family and family not in own_colours:
            for member in COLOUR_CLASSES[family]:
                for alias in _alias_forms(member):
                    table.setdefault(alias, label)


# Every colour and size word we know, whatever the catalog: naming one the product lacks is worth flagging.
ANY_VARIANT_WORD = _any_variant_words()
