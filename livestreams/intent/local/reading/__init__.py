"""Catalog-aware reading of a comment: which products, which variants, how many, and what it replaces.

Three passes: `elements.scan` finds every mention (codes however spelled, name words, variant phrases, numbers,
quantity and swap words); `roles` gives each number its candidate roles and enumerates the combinations;
`groups` assembles each combination into items and scores it. The best reading wins; the margin to the second
best says how sure the reading is.
"""

from __future__ import annotations

from dataclasses import dataclass

from livestreams.intent.local.catalog import CatalogIndex
from livestreams.intent.local.reading.elements import BREAK, NUM, VAR, Element, scan
from livestreams.intent.local.reading.groups import Assembled, Group, Role, assemble, finish, split_quantities
from livestreams.intent.local.reading.roles import readings, role_options
from livestreams.intent.types import ClaimItem

__all__ = ["CERTAIN_MARGIN", "Reading", "read"]

CERTAIN_MARGIN = 1.5  # a reading this far ahead of every other is not in doubt


@dataclass(slots=True)
class Reading:
    items: tuple[ClaimItem, ...]  # what the comment names (to claim, or to cancel)
    replaced: tuple[ClaimItem, ...]  # a swap or correction: what the new items take the place of
    kept: tuple[ClaimItem, ...]  # named after "me quedo con": kept, not cancelled
    unresolved: bool  # a product mention that could not be told apart ("la blusa" with two blusas)
    unknown_code: bool  # a code this catalog does not have ("A30", "la 45")
    unresolved_variant: bool  # a variant the product does not have
    explicit: bool  # a product named by its code
    named: bool  # a product named by code or by name words (not only by being on camera)
    has_refs: bool  # any product or variant mentioned at all
    elements: list[Element]  # the mentions found (see `consumed`)
    margin: float  # score of the best reading minus the best reading with other items
    swapped: bool  # "en vez de", "cámbiame ... por", "troca ... pelo"
    negated: bool  # "no la M", "não, a média": something named was taken back

    @property
    def consumed(self) -> frozenset[int]:
        """Token positions the reading explains (every mention's span)."""
        return frozenset(i for e in self.elements if e.kind != BREAK for i in range(e.start, e.end))


def read(
    tokens: list[str],
    glued: frozenset[int],
    index: CatalogIndex,
    *,
    spoken: frozenset[int] = frozenset(),
    default_to_featured: bool = True,
    bargaining: bool = False,
) -> Reading:
    elements = scan(tokens, glued, index, spoken)
    if not elements:
        return _nothing_named(index, default_to_featured)
    if all(e.kind != NUM for e in elements):
        roles: tuple[Role | None, ...] = (None,) * len(elements)
        assembled = assemble(elements, list(roles), index, tokens)
        groups = finish(assembled, index, default_to_featured=default_to_featured)
        return _reading(elements, groups, assembled, roles, index, margin=9.0)
    options = role_options(tokens, elements, index, bargaining=bargaining)
    combos = [(_local_score(combo), combo) for combo in readings(options)]
    if len(combos) > 1:
        combos.sort(key=_first, reverse=True)
    # What the assembly can add to a reading's local score is bounded (a resolved variant is worth 0.4), so once
    # the next reading's local score plus that bound falls clearly behind the best one (by the margin that makes
    # a reading certain, see local_engine._margin_confidence), the rest need not be assembled.
    words = 0.4 * sum(1 for e in elements if e.kind == VAR)
    scored: list[tuple[float, list[Group], Assembled]] = []
    best_score = float("-inf")
    unseen = float("-inf")  # the best score a reading not assembled could reach
    for local, combo in combos:
        reach = local + words + 0.4 * sum(1 for r in combo if r is not None and r.kind == "var")
        if reach + CERTAIN_MARGIN <= best_score:
            unseen = max(unseen, reach)
            continue
        assembled = assemble(elements, list(combo), index, tokens)
        groups = finish(assembled, index, default_to_featured=default_to_featured)
        total = assembled.score + local
        scored.append((total, groups, assembled))
        best_score = max(best_score, total)
    best = 0
    for n in range(1, len(scored)):
        if scored[n][0] > scored[best][0]:
            best = n
    score, groups, assembled = scored[best]
    runner_up = unseen
    maps = _item_maps(groups, assembled, index)
    if len(scored) > 1:
        for n, (other, other_groups, other_assembled) in enumerate(scored):
            if n != best and other > runner_up and _item_maps(other_groups, other_assembled, index)[0] != maps[0]:
                runner_up = other
    margin = score - runner_up if runner_up > float("-inf") else 9.0
    return _reading(elements, groups, assembled, combos[best][1], index, margin=margin, maps=maps)


def _reading(
    elements: list[Element],
    groups: list[Group],
    assembled: Assembled,
    roles: tuple[Role | None, ...],
    index: CatalogIndex,
    *,
    margin: float,
    maps: tuple[
        dict[tuple[str, str | None], int], dict[tuple[str, str | None], int], dict[tuple[str, str | None], int], bool
    ]
    | None = None,
) -> Reading:
    items, replaced, kept, unresolved = maps or _item_maps(groups, assembled, index)
    explicit = named = has_refs = False
    for group in groups:
        explicit |= group.explicit
        if not group.implicit and not group.default:
            named = has_refs = True
        elif group.picks or (group.default and group.qty is not None):
            has_refs = True
    return Reading(
        items=_claim_items(items),
        replaced=_claim_items(replaced),
        kept=_claim_items(kept),
        unresolved=unresolved,
        unknown_code=assembled.unknown_code or any(r is not None and r.kind == "unknown" for r in roles),
        unresolved_variant=assembled.unresolved_variant,
        explicit=explicit,
        named=named,
        has_refs=has_refs or assembled.unknown_code,
        elements=elements,
        margin=margin,
        swapped=assembled.swapped,
        negated=assembled.negated,
    )


def _local_score(roles: tuple[Role | None, ...]) -> float:
    total = 0.0
    for role in roles:
        if role is not None:
            total += role.score
    return total


def _first(entry: tuple[float, tuple[Role | None, ...]]) -> float:
    return entry[0]


def _item_maps(
    groups: list[Group], assembled: Assembled, index: CatalogIndex
) -> tuple[
    dict[tuple[str, str | None], int], dict[tuple[str, str | None], int], dict[tuple[str, str | None], int], bool
]:
    """(items, replaced, kept) as (code, label) -> quantity, and whether some mention stayed unresolved."""
    units = max(assembled.beneficiaries, assembled.loose_units)
    if assembled.both and len(groups) == 1:
        units = max(units, 2)
    items: dict[tuple[str, str | None], int] = {}
    kept: dict[tuple[str, str | None], int] = {}
    replaced: dict[tuple[str, str | None], int] = {}
    unresolved = False
    for group in groups:
        if group.code is None:
            unresolved = True
            continue
        target = kept if group.kept else items
        if group.each and not group.picks and index.products[group.code].labels:
            for each_label in index.products[group.code].labels:
                target[(group.code, each_label)] = 1
            continue
        kept_labels = {p.label for p in group.picks if p.kept}
        for label, qty in split_quantities(group, units if units >= 2 else None):
            key: tuple[str, str | None] = (group.code, label)
            into = kept if label in kept_labels and label is not None else target
            into[key] = max(into.get(key, 0), qty)
        for pick in group.replaced:
            old: tuple[str, str | None] = (group.code, pick.label)
            replaced[old] = max(replaced.get(old, 0), group.qty or 1)
    return items, replaced, kept, unresolved


_CLAIM_ITEMS: dict[tuple[str, str | None, int], ClaimItem] = {}


def _claim_items(table: dict[tuple[str, str | None], int]) -> tuple[ClaimItem, ...]:
    """ClaimItems are immutable and repeat all night ("A12", "M", 1): build each once."""
    if not table:
        return ()
    out = []
    for (code, label), qty in table.items():
        item = _CLAIM_ITEMS.get((code, label, qty))
        if item is None:
            if len(_CLAIM_ITEMS) > 50_000:
                _CLAIM_ITEMS.clear()
            item = _CLAIM_ITEMS[(code, label, qty)] = ClaimItem(code=code, variant=label, qty=qty)
        out.append(item)
    return tuple(out)


def _nothing_named(index: CatalogIndex, default_to_featured: bool) -> Reading:
    """A comment that names no product, variant or number: the product on camera, if any (built once)."""
    key = ("<nothing>", index.featured, default_to_featured)
    found = index.memo.get(key)
    if isinstance(found, Reading):
        return found
    featured = index.featured if default_to_featured else None
    reading = Reading(
        items=_claim_items({(featured, None): 1}) if featured is not None else (),
        replaced=(),
        kept=(),
        unresolved=False,
        unknown_code=False,
        unresolved_variant=False,
        explicit=False,
        named=False,
        has_refs=False,
        elements=[],
        margin=9.0,
        swapped=False,
        negated=False,
    )
    index.memo[key] = reading
    return reading
