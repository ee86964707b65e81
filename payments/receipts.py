"""Reads for the buyer's pages beyond the cart itself: the lines a checkout covers, and what a paid order cost."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from payments.models import CheckoutSession, Payment


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    name: str
    quantity: int
    unit_amount_minor: int
    amount_minor: int


def checkout_lines(*, session: CheckoutSession) -> list[CheckoutLine]:
    """The lines of a checkout as they were frozen when it was created, each with its total."""
    return [
        CheckoutLine(
            name=str(line["name"]),
            quantity=int(line["quantity"]),
            unit_amount_minor=int(line["unit_amount_minor"]),
            amount_minor=int(line["quantity"]) * int(line["unit_amount_minor"]),
        )
        for line in session.lines
    ]


@dataclass(frozen=True, slots=True)
class Receipt:
    order_id: int
    amount_minor: int
    currency: str


def order_receipt(*, order_id: int) -> Receipt | None:
    """What the buyer paid for the order (its succeeded payments, whatever the catalog says now); None when
    nothing was paid. One query."""
    paid = (
        Payment.objects.filter(order_id=order_id, status=Payment.Status.SUCCEEDED)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("-total")
        .first()
    )
    if paid is None:
        return None
    return Receipt(order_id=order_id, amount_minor=int(paid["total"]), currency=str(paid["currency"]))
