"""Both reservation entry points decide alike: the control room's `claim_reserve` (one claim at a time) and the
claims stage's `claims_reserve_batch` (many claims in one transaction) give the same decisions and leave the
same rows on the same claims."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from inventory.models import Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment
from payments.models import Reservation
from payments.reservations import ClaimDecision, ClaimPolicy, claim_reserve, claims_reserve_batch
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors

POLICY = ClaimPolicy(hold_minutes=15, hold_starts="claim", max_units_per_claim=5, max_units_per_live=6)

# (comment id, author, items) in arrival order: reserve, partial, waitlist, limits, unknown code and variant,
# a variant required, two items in one claim.
CLAIMS: list[tuple[str, str, tuple[ClaimItem, ...]]] = [
    ("c1", "ana", (ClaimItem("A12", "M", 2),)),
    ("c2", "bea", (ClaimItem("a12", "m", 2),)),
    ("c3", "ana", (ClaimItem("A12", "M", 1),)),
    ("c4", "caro", (ClaimItem("A12", None, 1),)),
    ("c5", "dani", (ClaimItem("Z99", None, 1),)),
    ("c6", "eva", (ClaimItem("B7", None, 9),)),
    ("c7", "fer", (ClaimItem("A12", "XL", 1),)),
    ("c8", "gil", (ClaimItem("A12", "L", 1), ClaimItem("B7", None, 1))),
    ("c9", "ana", (ClaimItem("A12", "L", 3), ClaimItem("B7", None, 3))),
    ("c10", "hugo", (ClaimItem("A12", "M", 0),)),
]
REDELIVERED = ("c1", "c6")

Outcome = tuple[list[tuple], list[tuple], dict[str, int]]


def _outcome(decisions: list[ClaimDecision], comments: dict[str, Comment]) -> Outcome:
    """Decisions and rows without database ids: cart ids become the order in which carts first appear."""
    carts: dict[int, int] = {}
    decided = [
        (
            d.replayed,
            None if d.order_id is None else carts.setdefault(d.order_id, len(carts)),
            [
                (
                    i.code,
                    i.variant_label,
                    i.requested,
                    i.reserved,
                    i.waitlisted,
                    i.status,
                    i.reason,
                    i.waitlist_position,
                )
                for i in d.items
            ],
        )
        for d in decisions
    ]
    external = {c.pk: ext for ext, c in comments.items()}
    rows = sorted(
        (external[r.source_comment_id], r.variant.product.code, r.variant.label, r.part, r.status, r.quantity)
        for r in Reservation.objects.select_related("variant__product")
    )
    stock = {f"{v.product.code}/{v.label}": v.reserved for v in Variant.objects.select_related("product")}
    return decided, rows, stock


def _run(decide: Callable[[dict[str, Comment]], list[ClaimDecision]]) -> Outcome:
    """Decide CLAIMS on a fresh catalog and live, return the outcome, and roll everything back."""
    outcome: Outcome | None = None

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            a12 = make_product(code="A12", variants={"M": 3, "L": 1})
            b7 = make_product(code="B7", variants={"U": 2})
            live = make_live()
            comments = {ext: make_comment(live=live, external_id=ext, author=f"psid-{a}") for ext, a, _ in CLAIMS}
            decisions = decide(comments)
            outcome = _outcome(decisions, comments)
            initial = {v.pk: v.stock_on_hand for p in (a12, b7) for v in p.variants.all()}
            assert stock_conservation_errors(initial=initial) == []
            raise Rollback
    except Rollback:
        pass
    assert outcome is not None
    return outcome


def _one_at_a_time(comments: dict[str, Comment]) -> list[ClaimDecision]:
    now = timezone.now()
    items_of = {ext: items for ext, _, items in CLAIMS}
    order = [ext for ext, _, _ in CLAIMS] + list(REDELIVERED)
    return [claim_reserve(comment=comments[ext], items=items_of[ext], policy=POLICY, now=now) for ext in order]


def _in_batches(comments: dict[str, Comment]) -> list[ClaimDecision]:
    now = timezone.now()
    items_of = {ext: items for ext, _, items in CLAIMS}
    decisions = []
    for batch in ([ext for ext, _, _ in CLAIMS], list(REDELIVERED)):
        with transaction.atomic():
            decided = claims_reserve_batch(
                claims=[(comments[ext], items_of[ext]) for ext in batch], policy_for=lambda _live: POLICY, now=now
            )
        decisions.extend(decided.decisions)
    return decisions


def test_manual_review_and_claims_stage_decide_the_same_claims_alike(in_seller_a: Seller) -> None:
    one_at_a_time, batched = _run(_one_at_a_time), _run(_in_batches)

    assert one_at_a_time == batched
    decided, rows, stock = batched
    assert [status for _, _, items in decided[:3] for *_, status, _reason, _pos in items] == [
        "reserved",
        "partial",
        "waitlisted",
    ]
    assert decided[2][1] == decided[0][1]  # ana's second claim goes into her cart
    assert [replayed for replayed, _, _ in decided] == [False] * len(CLAIMS) + [True] * len(REDELIVERED)
    assert stock == {"A12/M": 3, "A12/L": 1, "B7/U": 2}
    assert ("c2", "A12", "M", 1, "waitlisted", 1) in rows
