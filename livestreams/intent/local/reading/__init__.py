"""Catalog-aware reading of a comment: which products, which variants, how many, and what it replaces.

Three passes: `elements.scan` finds every mention (codes however spelled, name words, variant phrases, numbers,
quantity and swap words); `roles` gives each number its candidate roles and enumerates the combinations;
`groups` assembles each combination into items and scores it. The best reading wins; the margin to the second
best says how sure the reading is.
"""

from __future__ import annotations

from dataclasses import dataclass

from livestreams.intent.local.catalog import CatalogIndex
from livestreams.intent.local.reading.elements import BREAK, NUM, PROD, Element, scan
from livestreams.intent.local.reading.groups import Assembled, Group, Role, assemble, finish, split_quantities
from livestreams.intent.local.reading.roles import readings, role_options
from livestreams.intent.local.vocab import VARIANT_MARKERS
from livestreams.intent.types import ClaimItem

__all__ = ["Reading", "read"]


@dataclass(frozen=True, slots=True)
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
    consumed: frozenset[int]  # token positions the reading explains
    margin: float  # score of the best reading minus the best reading with other items
    swapped: bool  # "en vez de", "cámbiame ... por", "troca ... pelo"
    negated: bool  # "no la M", "não, a média": something named was taken back


def read(
    tokens: list[str],
    glued: frozenset[int],
    index: CatalogIndex,
    *,
    default_to_featured: bool = True,
    bargaining: bool = False,
) -> Reading:
    elements = scan(tokens, glued, index)
    marked = {i + 1 for i, t in enumerate(tokens) if t in VARIANT_MARKERS}
    options = role_options(tokens, elements, index, bargaining=bargaining)
    best: tuple[float, list[Group], Assembled, tuple[Role | None, ...]] | None = None
    best_items: tuple[ClaimItem, ...] = ()
    runner_up = float("-inf")
    for roles in readings(options):
        assembled = assemble(elements, list(roles), index, marked)
        groups = finish(assembled, index, default_to_featured=default_to_featured)
        score = assembled.score + sum(r.score for r in roles if r is not None)
        if best is None or score > best[0]:
            if best is not None:
                candidate_items = _items(best[1], best[2], index)[0]
                if candidate_items != _items(groups, assembled, index)[0]:
                    runner_up = max(runner_up, best[0])
            best = (score, groups, assembled, roles)
        else:
            if _items(groups, assembled, index)[0] != _items(best[1], best[2], index)[0]:
                runner_up = max(runner_up, score)
    assert best is not None
    score, groups, assembled, roles = best
    best_items, replaced, kept, unresolved = _items(groups, assembled, index)
    consumed = {i for e in elements if e.kind != BREAK for i in range(e.start, e.end)}
    return Reading(
        items=best_items,
        replaced=replaced,
        kept=kept,
        unresolved=unresolved,
        unknown_code=assembled.unknown_code or any(r is not None and r.kind == "unknown" for r in roles),
        unresolved_variant=assembled.unresolved_variant,
        explicit=any(g.explicit for g in groups),
        named=any(not g.implicit and g.explicit or _named(g, elements) for g in groups),
        has_refs=bool(groups and any(not g.implicit or g.picks for g in groups)) or assembled.unknown_code,
        consumed=frozenset(consumed),
        margin=score - runner_up if runner_up > float("-inf") else 9.0,
        swapped=assembled.swapped,
        negated=assembled.negated,
    )


def _named(group: Group, elements: list[Element]) -> bool:
    return not group.implicit and any(e.kind in (PROD, NUM) for e in elements)


def _items(
    groups: list[Group], assembled: Assembled, index: CatalogIndex
) -> tuple[tuple[ClaimItem, ...], tuple[ClaimItem, ...], tuple[ClaimItem, ...], bool]:
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
        if group.each and not group.picks:
            for label in index.products[group.code].labels:
                target[(group.code, label)] = 1
            continue
        kept_labels = {p.label for p in group.picks if p.kept}
        for label, qty in split_quantities(group, units if units >= 2 else None):
            key = (group.code, label)
            into = kept if label in kept_labels and label is not None else target
            into[key] = max(into.get(key, 0), qty)
        for pick in group.replaced:
            key = (group.code, pick.label)
            replaced[key] = max(replaced.get(key, 0), group.qty or 1)
    return (
        tuple(ClaimItem(code=c, variant=v, qty=q) for (c, v), q in items.items()),
        tuple(ClaimItem(code=c, variant=v, qty=q) for (c, v), q in replaced.items()),
        tuple(ClaimItem(code=c, variant=v, qty=q) for (c, v), q in kept.items()),
        unresolved,
    )
