"""Find the items a comment talks about: which products, which variants, how many.

One left-to-right pass over the tokens. Every product mention opens a group; variants and quantities attach to
the current group. A number is the hard part: it may be a product code ("la 15"), a size ("en 38") or a quantity
("2 del 1"), and its neighbours decide which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from livestreams.intent.local.catalog import ANY_VARIANT_WORD, Alias, CatalogIndex
from livestreams.intent.local.lexicon import (
    ARTICLES,
    BOTH_WORDS,
    CODE_MARKERS,
    NEGATORS,
    NON_ITEM_AFTER_NUMBER,
    ONE_WORDS,
    QTY_PREPOSITIONS,
    QTY_UNITS,
    VARIANT_MARKERS,
)
from livestreams.intent.local.text import SENTENCE_BREAK
from livestreams.intent.types import ClaimItem

_LETTER_CODE = re.compile(r"^([a-z]{1,2})(\d+)$")
_X_QTY = re.compile(r"^x(\d+)$")
_AND = frozenset({"y", "e", "and", ",", "&"})


@dataclass(slots=True)
class VariantPick:
    alias: Alias  # as written, so it can be re-read against another product
    label: str | None  # as the catalog spells it, or None when the product has no such variant
    own_qty: int | None = None


@dataclass(slots=True)
class Group:
    candidates: frozenset[str]  # every product the mention could mean
    code: str | None  # the product it means, once known
    explicit: bool  # named by code, not by a noun or by being on camera
    implicit: bool = False  # the featured product, only because a variant of it was named
    qty: int | None = None
    variants: list[VariantPick] = field(default_factory=list)
    end: int = -1  # index of the last token of the mention


@dataclass(slots=True)
class Extraction:
    groups: list[Group] = field(default_factory=list)
    loose: list[VariantPick] = field(default_factory=list)  # variants named before any product
    pending_qty: int | None = None  # "2 del 1": a quantity waiting for its product
    consumed: set[int] = field(default_factory=set)  # token positions explained as item parts
    unknown_code: bool = False
    unresolved_variant: bool = False
    ambiguous_number: bool = False
    explicit_refs: bool = False

    @property
    def has_refs(self) -> bool:
        return bool(self.groups or self.loose or self.unknown_code)


class _Scanner:
    def __init__(self, tokens: list[str], index: CatalogIndex) -> None:
        self.tokens = tokens
        self.index = index
        self.ex = Extraction()
        self.own_qty: int | None = None  # "una M", "2 G": a quantity waiting for its variant
        self.negate_next = False
        self.last_role = ""

    # --- helpers ------------------------------------------------------------------------------------------------
    def tok(self, i: int) -> str | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    @property
    def current(self) -> Group | None:
        return self.ex.groups[-1] if self.ex.groups else None

    def context_code(self) -> str | None:
        group = self.current
        if group is not None:
            return group.code
        return self.index.featured

    def consume(self, start: int, end: int) -> None:
        self.ex.consumed.update(range(start, end))

    def start_group(self, candidates: frozenset[str], explicit: bool, at: int, end: int) -> Group:
        code = next(iter(candidates)) if len(candidates) == 1 else None
        if code is None and self.index.featured in candidates:
            code = self.index.featured
        group = Group(candidates=candidates, code=code, explicit=explicit, end=end)
        if self.ex.pending_qty is not None:
            group.qty, self.ex.pending_qty = self.ex.pending_qty, None
        elif self.own_qty is not None:
            group.qty, self.own_qty = self.own_qty, None  # "um kimono"
        self.ex.groups.append(group)
        self.ex.explicit_refs |= explicit
        self.consume(at, end + 1)
        self.last_role = "product"
        return group

    def add_qty(self, qty: int) -> None:
        group = self.current
        if group is not None and group.qty is None:
            group.qty = qty
        else:
            self.ex.pending_qty = qty
        self.last_role = "qty"

    def add_variant(self, alias: Alias, label: str | None) -> None:
        pick = VariantPick(alias=alias, label=label, own_qty=self.own_qty)
        self.own_qty = None
        group = self.current
        if group is None and label is not None and self.index.featured:
            group = Group(
                candidates=frozenset({self.index.featured}), code=self.index.featured, explicit=False, implicit=True
            )
            group.qty, self.ex.pending_qty = self.ex.pending_qty, None
            self.ex.groups.append(group)
        if group is None:
            self.ex.loose.append(pick)
        else:
            group.variants.append(pick)
        if label is None:
            self.ex.unresolved_variant = True
        self.last_role = "variant"

    def variant_label(self, code: str | None, alias: Alias) -> str | None:
        if code is None:
            return None
        if len(alias) == 1 and alias[0].isdigit():
            return self.index.numeric_variants.get(code, {}).get(str(int(alias[0])))
        return self.index.variants.get(code, {}).get(alias)

    def name_candidates(self, token: str) -> frozenset[str] | None:
        return self.index.product_words[token]

    # --- scanning -----------------------------------------------------------------------------------------------
    def run(self) -> Extraction:
        tokens, index = self.tokens, self.index
        quick_skip, interesting, words = index.inert, index.interesting, index.product_words
        i, n = 0, len(tokens)
        while i < n:
            tok = tokens[i]
            # Most tokens are fillers or words of no product: skip them without the full dispatch.
            if tok in quick_skip or (
                tok not in interesting and tok.isalpha() and (tok != "em" or i + 1 < n) and words[tok] is None
            ):
                i += 1
                continue
            i = self.step(i)
        return self.ex

    def step(self, i: int) -> int:
        tok = self.tokens[i]
        if tok == SENTENCE_BREAK:
            self.negate_next = False
            return i + 1
        if tok in self.index.code_starts:
            for length in (3, 2, 1):
                code = self.index.codes.get(tuple(self.tokens[i : i + length]))
                if code:
                    self.start_group(frozenset({code}), explicit=True, at=i, end=i + length - 1)
                    return i + length
        if tok.isdigit():
            return self.number(i)
        if tok[-1].isdigit():
            return self.letters_and_digits(i, tok)
        if tok in ONE_WORDS:
            self.own_qty = 1
            return i + 1
        if tok in NEGATORS or tok == "from":
            self.negate_next = True
            return i + 1
        if tok in BOTH_WORDS:
            return i + 1
        return self.word(i)

    def letters_and_digits(self, i: int, tok: str) -> int:
        x_qty = _X_QTY.match(tok)
        if x_qty:
            self.add_qty(int(x_qty.group(1)))
        elif _LETTER_CODE.match(tok):
            self.ex.unknown_code = True  # looks like a product code ("P12", "T30") but is not in the catalog
        self.consume(i, i + 1)
        return i + 1

    def word(self, i: int) -> int:
        alias = self.match_alias(i)
        if alias is not None:
            end = i + len(alias)
            if self.negate_next:  # "era M, nao P": the negated one is not wanted
                self.negate_next = False
                self.consume(i, end)
                return end
            label = self.variant_label(self.context_code(), alias)
            names = self.name_candidates(self.tokens[i]) if len(alias) == 1 else None
            if label is not None or not names:
                self.add_variant(alias, label)
                self.consume(i, end)
                return end
        else:
            names = self.name_candidates(self.tokens[i])
        if names:
            self.noun(i, names)
        elif self.tokens[i] in ANY_VARIANT_WORD:  # a colour or size no product of this live has
            self.add_variant((self.tokens[i],), None)
        return i + 1

    def match_alias(self, i: int) -> Alias | None:
        if self.tokens[i] not in self.index.alias_starts:
            if self.tokens[i] == "em" and self.tok(i + 1) in (None, SENTENCE_BREAK):
                return ("m",)  # voice typing of "M" at the end: "sold 12 em"
            return None
        for length in range(min(self.index.max_alias_len, len(self.tokens) - i), 0, -1):
            alias = tuple(self.tokens[i : i + length])
            if alias in self.index.variant_words:
                return alias
        if self.tokens[i] == "em" and self.tok(i + 1) in (None, SENTENCE_BREAK):
            return ("m",)  # voice typing of "M" at the end: "sold 12 em"
        return None

    def noun(self, i: int, names: frozenset[str]) -> None:
        group = self.current
        if group is not None and not group.implicit and self.adjacent(group.end, i):
            narrowed = group.candidates & names
            if narrowed:  # "polera blanca", "bolsa de palha", "jean 10": one product, several words
                if not group.explicit:
                    group.candidates = narrowed
                    group.code = _single(narrowed, self.index.featured)
                group.end = i
                self.consume(i, i + 1)
                return
        self.start_group(names, explicit=False, at=i, end=i)

    def adjacent(self, end: int, i: int) -> bool:
        between = self.tokens[end + 1 : i]
        return all(t in QTY_PREPOSITIONS or t in ARTICLES for t in between) and len(between) <= 2

    def number(self, i: int) -> int:
        tok, prev, nxt = self.tokens[i], self.tok(i - 1), self.tok(i + 1)
        value = int(tok)
        key = str(value)
        if nxt in NON_ITEM_AFTER_NUMBER:
            return i + 2  # "3 weeks ago", "100% off"
        if prev == "x" or nxt in QTY_UNITS or (nxt == "x" and not (self.tok(i + 2) or "").isdigit()):
            self.add_qty(value)
            self.consume(i, i + 2 if nxt in QTY_UNITS or nxt == "x" else i + 1)
            return i + 1
        self.consume(i, i + 1)
        code = self.index.numeric_codes.get(key)
        context = self.context_code()
        fits_context = self.variant_label(context, (key,)) is not None
        group = self.current
        if code is not None and group is not None and self.narrows_noun(group, code, i):
            return i + 1
        if prev in VARIANT_MARKERS or (prev in _AND and self.last_role == "variant" and fits_context):
            return self.number_as(i, key, code, "variant" if fits_context or code is None else "code")
        if prev in CODE_MARKERS or prev in ARTICLES:
            code = code or self.index.digit_codes.get(key)  # "la 15" when the catalog says A15
            if code is not None:
                return self.number_as(i, key, code, "code")
            if fits_context:
                return self.number_as(i, key, code, "variant")
            self.ex.unknown_code = True
            return i + 1
        if nxt in QTY_PREPOSITIONS or nxt in ONE_WORDS or (nxt is not None and self.name_candidates(nxt)):
            self.ex.pending_qty = value  # "2 del 1", "dos faldas", "yo 2 una ch"
            self.last_role = "qty"
            return i + 1
        if self.followed_by_variant(i):
            if code is not None and not (value <= 3 and self.own_qty is None and prev is None):
                return self.number_as(i, key, code, "code")
            self.own_qty = value  # "kiero 1 G"
            self.last_role = "qty"
            return i + 1
        if fits_context:
            self.ex.ambiguous_number |= code is not None
            return self.number_as(i, key, code, "variant")
        if code is not None:
            return self.number_as(i, key, code, "code")
        self.ex.ambiguous_number |= key in self.index.digit_codes  # "quiero 10": ten, or A10?
        self.add_qty(value)  # "quero 500"
        return i + 1

    def narrows_noun(self, group: Group, code: str, i: int) -> bool:
        """'jean 10': a noun right before a number that is one of its products' codes."""
        if group.explicit or group.end != i - 1 or code not in group.candidates:
            return False
        group.candidates, group.code, group.explicit, group.end = frozenset({code}), code, True, i
        self.ex.explicit_refs = True
        return True

    def number_as(self, i: int, key: str, code: str | None, role: str) -> int:
        if role == "code" and code is not None:
            self.start_group(frozenset({code}), explicit=True, at=i, end=i)
        elif self.negate_next:
            self.negate_next = False
        else:
            self.add_variant((key,), self.variant_label(self.context_code(), (key,)))
        return i + 1

    def followed_by_variant(self, i: int) -> bool:
        nxt = self.tok(i + 1)
        if nxt is None:
            return False
        return nxt in VARIANT_MARKERS or self.match_alias(i + 1) is not None


def _single(candidates: frozenset[str], featured: str | None) -> str | None:
    if len(candidates) == 1:
        return next(iter(candidates))
    return featured if featured in candidates else None


def extract(tokens: list[str], index: CatalogIndex) -> Extraction:
    return _Scanner(tokens, index).run()


def build_items(ex: Extraction, index: CatalogIndex, default_to_featured: bool) -> tuple[list[ClaimItem], bool]:
    """Items of the comment, and whether some mention could not be resolved to one product."""
    groups = _merge_implicit(ex, index)
    if not groups and default_to_featured and index.featured:
        groups = [Group(candidates=frozenset({index.featured}), code=index.featured, explicit=False)]
        groups[0].qty = ex.pending_qty
    if groups and ex.loose:
        _attach_loose(groups, ex.loose, index)
    _share_trailing_variant(groups, index)
    items: dict[tuple[str, str | None], int] = {}
    unresolved = False
    for group in groups:
        if group.code is None:
            unresolved = True
            continue
        for variant, qty in _split_quantities(group):
            key = (group.code, variant)
            items[key] = max(items.get(key, 0), qty)
    return [_claim_item(c, v, q) for (c, v), q in items.items()], unresolved


_ITEMS: dict[tuple[str, str | None, int], ClaimItem] = {}


def _claim_item(code: str, variant: str | None, qty: int) -> ClaimItem:
    """ClaimItems are immutable and repeat all night ("A12", "M", 1): build each once."""
    key = (code, variant, qty)
    item = _ITEMS.get(key)
    if item is None:
        if len(_ITEMS) > 50_000:
            _ITEMS.clear()
        item = _ITEMS[key] = ClaimItem(code=code, variant=variant, qty=qty)
    return item


def _merge_implicit(ex: Extraction, index: CatalogIndex) -> list[Group]:
    """A variant named before the product ("mio en ch el vestido") belongs to the product named later."""
    implicit = [g for g in ex.groups if g.implicit]
    named = [g for g in ex.groups if not g.implicit]
    if not implicit or not named:
        return list(ex.groups)
    target = next((g for g in named if not g.variants), None)
    for group in implicit:
        if target is None:
            break
        for pick in group.variants:
            target.variants.append(VariantPick(pick.alias, _relabel(index, target.code, pick.alias), pick.own_qty))
        if target.qty is None:
            target.qty = group.qty
    return named


def _attach_loose(groups: list[Group], loose: list[VariantPick], index: CatalogIndex) -> None:
    for pick in loose:
        target = next((g for g in groups if _relabel(index, g.code, pick.alias) is not None), groups[0])
        target.variants.append(VariantPick(pick.alias, _relabel(index, target.code, pick.alias), pick.own_qty))


def _share_trailing_variant(groups: list[Group], index: CatalogIndex) -> None:
    """'el azul y el negro en 8', 'a ciganinha e o cropped, os dois M': the last size serves them all."""
    if len(groups) < 2 or len(groups[-1].variants) != 1:
        return
    pick = groups[-1].variants[0]
    for group in groups[:-1]:
        label = _relabel(index, group.code, pick.alias)
        if not group.variants and label is not None:
            group.variants.append(VariantPick(pick.alias, label, None))


def _relabel(index: CatalogIndex, code: str | None, alias: Alias) -> str | None:
    if code is None:
        return None
    if len(alias) == 1 and alias[0].isdigit():
        return index.numeric_variants.get(code, {}).get(str(int(alias[0])))
    return index.variants.get(code, {}).get(alias)


def _split_quantities(group: Group) -> list[tuple[str | None, int]]:
    """'2 poleras M y una L' -> M:2, L:1; 'quiero 2, una S y otra M' -> S:1, M:1; 'x2 talla 6 y 8' -> 6:1, 8:1."""
    if any(p.label is not None for p in group.variants):  # "zapatilla blanca talla 38": drop the size it lacks
        group.variants = [p for p in group.variants if p.label is not None]
    if not group.variants:
        return [(None, group.qty or 1)]
    without_own = [p for p in group.variants if p.own_qty is None]
    if len(without_own) == 1:
        share = group.qty or 1
    elif group.qty in (len(group.variants), len(without_own)):
        share = 1
    else:
        share = group.qty or 1
    return [(p.label, p.own_qty if p.own_qty is not None else share) for p in group.variants]
