"""Helpers shared by the checkout, Stripe and payments-stage tests (no tests here)."""

from __future__ import annotations

from typing import NamedTuple

from payments.reservations import ClaimDecision


class Claimed(NamedTuple):
    """A claim that reached a cart: its order id and cart token are known (not optional)."""

    order_id: int
    order_token: str
    decision: ClaimDecision


def claimed(decision: ClaimDecision) -> Claimed:
    assert decision.order_id is not None and decision.order_token is not None, decision
    return Claimed(order_id=decision.order_id, order_token=decision.order_token, decision=decision)
