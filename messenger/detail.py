"""The facts of ReplyWork.detail, parsed defensively.

`detail` is JSON written by the payments stage (pipeline.payments_stage / payments.services.replies): the claim
decision under "decision" (items with code, variant_label, reserved, waitlisted, waitlist_position), cart
facts at the top level (language, hold_expires_at, reserved / waitlisted / paid lines, promoted reservation
ids, rejected_reasons). Anything missing or malformed is simply absent from the facts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ItemFact:
    code: str
    variant_label: str
    reserved: int
    waitlisted: int
    requested: int
    waitlist_position: int | None


@dataclass(frozen=True, slots=True)
class DetailFacts:
    items: tuple[ItemFact, ...] = ()
    hold_expires_at: datetime | None = None
    language: str = ""
    codes: tuple[str, ...] = ()
    rejected_reasons: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()  # a swap: what the new items took the place of ("A12 M")


def parse_detail(raw: str) -> DetailFacts:
    """The facts we use from ReplyWork.detail; items may sit at the top level or under "decision"."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        logger.warning("reply work detail is not JSON; composing from the database")
        data = {}
    if not isinstance(data, dict):
        data = {}
    nested = data.get("decision")
    decision: dict[str, Any] = nested if isinstance(nested, dict) else {}
    merged: dict[str, Any] = {**decision, **{k: v for k, v in data.items() if k != "decision"}}
    items = tuple(_item(raw_item) for raw_item in _list(merged.get("items")) if isinstance(raw_item, dict))
    if not items:
        items = _cart_lines(merged)
    hold = merged.get("hold_expires_at") or next(
        (i.get("hold_expires_at") for i in _list(merged.get("items")) if isinstance(i, dict)), None
    )
    codes = merged.get("codes") or ([merged["code"]] if merged.get("code") else [])
    return DetailFacts(
        items=items,
        hold_expires_at=parse_datetime(hold) if isinstance(hold, str) else None,
        language=str(merged.get("language") or merged.get("seller_language") or ""),
        codes=tuple(str(code) for code in _list(codes)),
        rejected_reasons=tuple(str(why) for why in _list(merged.get("rejected_reasons"))),
        replaced=tuple(
            f"{r.get('code', '')} {r.get('variant_label') or ''}".strip()
            for r in _list(merged.get("replaced"))
            if isinstance(r, dict)
        ),
    )


def _cart_lines(data: dict[str, Any]) -> tuple[ItemFact, ...]:
    """Items from the cart facts (promotions, payments): the promoted reservations when named, else the
    paid lines, else what is reserved and waitlisted."""
    promoted = {pk for pk in _list(data.get("promoted_reservation_ids")) if isinstance(pk, int)}
    reserved = [line for line in _list(data.get("reserved")) if isinstance(line, dict)]
    if promoted:
        reserved = [line for line in reserved if line.get("reservation_id") in promoted]
    paid = [line for line in _list(data.get("paid")) if isinstance(line, dict)]
    waitlisted = [line for line in _list(data.get("waitlisted")) if isinstance(line, dict)]
    lines: list[ItemFact] = []
    for line in paid if paid and not promoted else reserved:
        quantity = _count(line.get("quantity"))
        lines.append(ItemFact(str(line.get("name") or ""), "", quantity, 0, quantity, None))
    if not promoted and not paid:
        for line in waitlisted:
            quantity = _count(line.get("quantity"))
            position = line.get("waitlist_position")
            lines.append(
                ItemFact(
                    str(line.get("name") or ""),
                    "",
                    0,
                    quantity,
                    quantity,
                    position if isinstance(position, int) else None,
                )
            )
    return tuple(lines)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: object) -> int:
    try:
        return max(0, int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _item(data: dict[str, Any]) -> ItemFact:
    position = data.get("waitlist_position")
    return ItemFact(
        code=str(data.get("code") or ""),
        variant_label=str(data.get("variant_label") or ""),
        reserved=_count(data.get("reserved")),
        waitlisted=_count(data.get("waitlisted")),
        requested=_count(data.get("requested")),
        waitlist_position=position if isinstance(position, int) else None,
    )
