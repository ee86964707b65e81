"""Last pass of the reading: mentions with their roles become items (product, variant, quantity).

Every product mention opens a group; variants and quantities attach to the group they belong to (the one just
named, else the next one named, else the product on camera). Swaps and corrections ("en vez de", "troca ... pelo",
"no la M, la L") move the old variant to `replaced`. The assembly also scores how consistent the reading is, so
the role search can compare readings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livestreams.intent.local.catalog import CatalogIndex, Key
from livestreams.intent.local.reading.elements import (
    AND,
    BENEF,
    BOTH,
    BREAK,
    EACH,
    KEEP,
    NEG,
    NEG_PREV,
    ONE,
    PROD,
    QTY,
    SWAP_FROM,
    SWAP_TO,
    SWAP_VERB,
    UNKNOWN,
    VAR,
    Element,
)
from livestreams.intent.local.vocab import ARTICLES, QTY_PREPOSITIONS, VARIANT_MARKERS

NUMERIC = "numeric"  # a VAR read from a number


@dataclass(slots=True)
class Pick:
    keys: tuple[Key, ...]
    number: tuple[float, str | None] | None  # a numeric variant: (value, unit)
    label: str | None = None
    own_qty: int | None = None
    marked: bool = False  # written after a size word ("talla", "en", "no", "size")
    kept: bool = False  # named after "me quedo con": kept, not cancelled


@dataclass(slots=True)
class Group:
    candidates: frozenset[str]
    code: str | None
    explicit: bool
    implicit: bool = False  # the featured product, only because a variant was named before any product
    qty: int | None = None
    picks: list[Pick] = field(default_factory=list)
    replaced: list[Pick] = field(default_factory=list)
    end: int = -1
    kept: bool = False  # named after "me quedo con": kept, not cancelled
    each: bool = False
    default: bool = False  # nothing named at all: the product on camera


@dataclass(slots=True)
class Assembled:
    groups: list[Group]
    score: float
    unknown_code: bool = False
    unresolved_variant: bool = False
    beneficiaries: int = 0
    loose_units: int = 0  # "una pa mí y otra pa mi mamá": units named without a variant
    both: bool = False
    pending_qty: int | None = None  # a quantity no product or variant took ("quero 500")
    negated: bool = False
    swapped: bool = False


@dataclass(slots=True)
class Role:
    """What a NUM element is in one reading; `products` for code/name, `score` its local plausibility."""

    kind: str  # "qty", "var", "code", "name", "ignore"
    score: float
    products: frozenset[str] = frozenset()


def resolve(index: CatalogIndex, code: str | None, pick: Pick) -> str | None:
    if code is None:
        return None
    entry = index.products.get(code)
    if entry is None:
        return None
    if pick.number is not None:
        return entry.numeric_variant(*pick.number)
    return entry.variant(pick.keys)


_BETWEEN_NAME_WORDS = ARTICLES | QTY_PREPOSITIONS | {"con", "com", "with", "para", "pra", "for"}
_ROLE_KINDS = {"code": PROD, "name": PROD, "var": VAR, "qty": QTY, "unknown": UNKNOWN}


class _Assembly:
    def __init__(
        self, elements: list[Element], roles: list[Role | None], index: CatalogIndex, tokens: list[str]
    ) -> None:
        self.elements = elements
        self.roles = roles
        self.index = index
        self.tokens = tokens
        self.kinds = [
            element.kind if role is None else _ROLE_KINDS.get(role.kind, "ignore")
            for element, role in zip(elements, roles, strict=True)
        ]
        self.groups: list[Group] = []
        self.loose: list[Pick] = []
        self.pending_qty: int | None = None
        self.own_qty: int | None = None
        self.negate = False
        self.swap_from = False  # after "cámbiame": variants are the old ones until "por"
        self.from_next = False  # after "en vez de": the next variant is the old one
        self.swap_replaced = 0
        self.kept = False
        self.pending_each = False  # "los dos colores del vestido": "each" before its product
        self.score = 0.0
        self.last_was_variant = False
        self.result = Assembled(groups=self.groups, score=0.0)

    @property
    def current(self) -> Group | None:
        return self.groups[-1] if self.groups else None

    def kind_of(self, k: int) -> str:
        return self.kinds[k]

    def run(self) -> Assembled:
        kinds, roles = self.kinds, self.roles
        for k, element in enumerate(self.elements):
            kind = kinds[k]
            role = roles[k]
            was_variant, self.last_was_variant = self.last_was_variant, False
            if kind == VAR:
                self.last_was_variant = was_variant
            if kind == PROD:
                products = role.products if role is not None else element.products
                explicit = element.explicit or (role is not None and role.kind == "code")
                self.product(products, explicit, element)
            elif kind == VAR:
                self.variant(element, numeric=role is not None)
            elif kind == QTY:
                self.quantity(k, int(float(element.value)))
            else:
                self.marker(kind, element, k)
        self.result.score = self.score
        self.result.pending_qty = self.pending_qty if self.pending_qty is not None else self.own_qty
        return self.result

    # --- products -------------------------------------------------------------------------------------------
    def product(self, products: frozenset[str], explicit: bool, element: Element) -> None:
        group = self.current
        if group is not None and not group.implicit and self.adjacent(group.end, element.start):
            narrowed = group.candidates & products
            if narrowed and not (group.explicit and explicit and group.code not in products):
                group.candidates = narrowed
                group.code = self.single(narrowed)
                group.explicit |= explicit
                group.end = element.end - 1
                self.negate = False
                if self.own_qty is not None and group.qty is None:
                    group.qty, self.own_qty = self.own_qty, None
                return
        if self.negate:
            self.negate = False  # "no la blusa, el vestido": the product taken back is not claimed
            return
        group = Group(candidates=products, code=self.single(products), explicit=explicit, end=element.end - 1)
        group.kept = self.kept
        group.each, self.pending_each = self.pending_each, False
        if self.own_qty is not None:
            group.qty, self.own_qty = self.own_qty, None
        elif self.pending_qty is not None:
            group.qty, self.pending_qty = self.pending_qty, None
        self.groups.append(group)

    def single(self, candidates: frozenset[str]) -> str | None:
        if len(candidates) == 1:
            return next(iter(candidates))
        featured = self.index.featured
        return featured if featured in candidates else None

    def adjacent(self, end: int, start: int) -> bool:
        """Two mentions of one product: nothing but articles and 'de' between them ("bolsa de palha")."""
        return start - end <= 3 and all(t in _BETWEEN_NAME_WORDS for t in self.tokens[end + 1 : start])

    # --- variants -------------------------------------------------------------------------------------------
    def variant(self, element: Element, *, numeric: bool) -> None:
        pick = Pick(
            keys=element.keys,
            number=(float(element.value), element.unit) if numeric else None,
            marked=element.start > 0 and self.tokens[element.start - 1] in VARIANT_MARKERS,
            kept=self.kept,
        )
        target = self.current
        if target is None and self.index.featured is not None:
            target = Group(
                candidates=frozenset({self.index.featured}),
                code=self.index.featured,
                explicit=False,
                implicit=True,
                end=element.end - 1,
            )
            target.kept = self.kept
            if self.pending_qty is not None:
                target.qty, self.pending_qty = self.pending_qty, None
            self.groups.append(target)
        if target is not None and element.name_of and resolve(self.index, target.code, pick) is None:
            self.product(element.name_of, False, element)  # "la negra": the black product, not a colour of this one
            return
        if self.negate or self.swap_from or self.from_next:
            self.negate = self.from_next = False
            self.result.negated = True
            if target is not None:
                target.replaced.append(pick)
                self.swap_replaced += 1
            return
        if self.last_was_variant and pick.marked:
            self.score -= 1.0  # "la 10 talla 8" as two sizes: the size word says which number is the size
        pick.own_qty, self.own_qty = self.own_qty, None
        if target is None:
            self.loose.append(pick)
        else:
            target.picks.append(pick)
            target.end = max(target.end, element.end - 1)
        self.last_was_variant = True

    # --- quantities -----------------------------------------------------------------------------------------
    def quantity(self, k: int, qty: int) -> None:
        element = self.elements[k]
        group = self.current
        times = element.forced_qty and element.value != "1" and element.start < self.elements[k].end - 1
        if times and group is not None and group.qty is None and not group.implicit:
            group.qty = qty  # "jean 10 x 2 talla 6 y 8": the x2 counts the jean named before it
            return
        nxt = self.next_item(k)
        follows_one = k + 1 < len(self.elements) and self.elements[k + 1].kind == ONE
        if nxt is not None and not follows_one:
            self.own_qty = qty  # "2 jeans", "dos de 18", "2 G", "x2 en 8,5"
            return
        if follows_one and group is None:
            self.pending_qty = qty  # "quero 2, um P e um G": the total, split by what follows
            return
        group = self.current
        if group is not None and group.qty is None:
            group.qty = qty  # "A12 x2", "cholas azules 2"
        elif group is not None:
            self.score -= 0.8  # a second quantity for the same item
        else:
            self.pending_qty = qty

    def next_item(self, k: int) -> Element | None:
        """The product or variant a quantity counts, when it comes right after it ("2 del 1", "dos de 18")."""
        element = self.elements[k]
        for j in range(k + 1, min(k + 3, len(self.elements))):
            kind = self.kind_of(j)
            nxt = self.elements[j]
            if nxt.start - element.end > 2:
                return None
            if kind in (PROD, VAR):
                return nxt
            if kind not in (ONE,):
                return None
        return None

    # --- markers --------------------------------------------------------------------------------------------
    def marker(self, kind: str, element: Element, k: int) -> None:
        if kind == ONE:
            nxt = self.elements[k + 1] if k + 1 < len(self.elements) else None
            if nxt is not None and nxt.kind == BENEF:
                self.result.loose_units += 1  # "una pa mí y otra pa mi mamá"
            elif self.own_qty is None:
                self.own_qty = 1
        elif kind == BREAK:
            self.own_qty = None
            self.negate = self.swap_from = self.from_next = False
        elif kind == NEG:
            self.negate = True
        elif kind == NEG_PREV:
            group = self.current
            if group is not None and group.picks:
                group.replaced.append(group.picks.pop())
                self.result.negated = True
        elif kind == SWAP_VERB:
            self.swap_from = True
            self.swap_replaced = 0
            self.result.swapped = True
        elif kind == SWAP_FROM:
            self.from_next = True
            self.result.swapped = True
        elif kind == SWAP_TO:
            self.swap_from = False
            group = self.current
            if not self.swap_replaced and group is not None and group.picks:
                group.replaced.append(group.picks.pop())  # "tira o body P, troca pelo M"
        elif kind == KEEP:
            self.kept = True
        elif kind == BOTH:
            self.result.both = True
        elif kind == EACH:
            group = self.current
            if group is not None:
                group.each = True
            elif any(kind == PROD for kind in self.kinds[k + 1 :]):
                self.pending_each = True
            elif self.index.featured is not None:
                featured = frozenset({self.index.featured})
                self.groups.append(Group(candidates=featured, code=self.index.featured, explicit=False, each=True))
        elif kind == BENEF:
            if element.value == "1":
                self.result.beneficiaries += 1
        elif kind == UNKNOWN:
            self.result.unknown_code = True
        elif kind == AND:
            self.own_qty = self.own_qty if self.own_qty is not None else None


def assemble(elements: list[Element], roles: list[Role | None], index: CatalogIndex, tokens: list[str]) -> Assembled:
    return _Assembly(elements, roles, index, tokens).run()


def finish(assembled: Assembled, index: CatalogIndex, *, default_to_featured: bool) -> list[Group]:
    """Groups as the items will be read: implicit groups merged into the product named later, loose variants
    attached, a trailing variant shared ("el azul y el negro en 8"), labels resolved, and scored."""
    score = 0.0
    groups, dropped = _merge_implicit(assembled.groups, index)
    for group in dropped:
        for pick in group.picks:
            if pick.number is not None and not pick.marked:
                score -= 1.4  # a number read as a size the product on camera does not have, and dropped
    if not groups and default_to_featured and index.featured:
        groups = [Group(candidates=frozenset({index.featured}), code=index.featured, explicit=False, default=True)]
        groups[0].qty = assembled.pending_qty
    if len(groups) >= 2:
        _share_trailing_variant(groups, index)
    for group in groups:
        if group.code is None and (group.picks or group.replaced):
            group.code = _told_apart_by_variants(index, group)
        for pick in (*group.picks, *group.replaced):
            pick.label = resolve(index, group.code, pick)
        if any(p.label is not None for p in group.picks):
            unmatched = [p for p in group.picks if p.label is None]
            score -= 0.6 * len(unmatched)
            group.picks = [p for p in group.picks if p.label is not None]  # "zapatilla blanca talla 38"
        for pick in group.picks:
            if pick.label is not None:
                score += 0.4
            elif group.code is not None:
                score -= 0.4 if pick.marked or pick.number is None else 1.4
                assembled.unresolved_variant = True
        if group.code is None:
            score -= 0.5
    assembled.score += score
    return groups


def _merge_implicit(groups: list[Group], index: CatalogIndex) -> tuple[list[Group], list[Group]]:
    """A variant named before the product ("mio en ch el vestido") belongs to the product named later. Returns
    the groups, and the implicit groups dropped as misreadings (a bare number the product on camera lacks)."""
    implicit = [g for g in groups if g.implicit]
    named = [g for g in groups if not g.implicit]
    if not implicit or not named:
        return list(groups), []
    keep = [g for g in implicit if g.qty is not None or g.replaced or any(_belongs(index, g, p) for p in g.picks)]
    dropped = [g for g in implicit if g not in keep]
    target = next((g for g in named if not g.picks), None)
    if target is None and all(not g.picks for g in keep):
        target = named[0]  # "troca meu M da vermelha pelo G": the M replaced is the red one's
    if target is None:
        return [g for g in groups if not g.implicit or g in keep], dropped
    for group in keep:
        target.picks[:0] = group.picks
        target.replaced[:0] = group.replaced
        if target.qty is None:
            target.qty = group.qty
    return named, dropped


def _told_apart_by_variants(index: CatalogIndex, group: Group) -> str | None:
    """'la blusa en 2X' with two blouses, only one in 2X; 'el cinto de 90 por el de 95': the product whose
    variants the comment names, when exactly one of the candidates has them all."""
    fitting = [
        code
        for code in sorted(group.candidates)
        if all(resolve(index, code, pick) is not None for pick in (*group.picks, *group.replaced))
    ]
    return fitting[0] if len(fitting) == 1 else None


def _belongs(index: CatalogIndex, group: Group, pick: Pick) -> bool:
    """A word variant or a marked number belongs to the product named later; a bare number the product on camera
    lacks was not a variant at all."""
    return pick.number is None or pick.marked or resolve(index, group.code, pick) is not None


def _share_trailing_variant(groups: list[Group], index: CatalogIndex) -> None:
    """'a ciganinha e o cropped, os dois M': the last size serves them all."""
    last = next((g for g in reversed(groups) if g.picks), None)
    if last is None or len(last.picks) != 1:
        return
    pick = last.picks[0]
    for group in groups:
        if not group.picks and resolve(index, group.code, pick) is not None:
            group.picks.append(Pick(keys=pick.keys, number=pick.number))


def split_quantities(group: Group, units: int | None) -> list[tuple[str | None, int]]:
    """'2 poleras M y una L' -> M:2, L:1; 'quiero 2, una S y otra M' -> S:1, M:1; 'x2 talla 6 y 8' -> 6:1, 8:1.
    `units`: how many the comment counts otherwise ("una pa mí y otra pa mi mamá"), used when nothing else does."""
    if not group.picks:
        return [(None, group.qty or units or 1)]
    without_own = [p for p in group.picks if p.own_qty is None]
    if len(group.picks) == 1 and group.picks[0].own_qty is None:
        share = group.qty or units or 1
    elif len(without_own) == 1:
        share = group.qty or 1
    elif group.qty in (len(group.picks), len(without_own)):
        share = 1
    else:
        share = group.qty or 1
    return [(p.label, p.own_qty if p.own_qty is not None else share) for p in group.picks]
