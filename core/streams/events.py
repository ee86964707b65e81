"""Typed stream payloads. Stream entries are flat string maps; these dataclasses are their only shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class IngestEvent:
    """What the webhook accepted, on its way to the claims stage. `type` names the schema version."""

    TYPE: ClassVar[str] = "meta_event.v1"

    schema: str  # the seller's schema name (tenant)
    kind: str  # comment | live_video | message
    platform: str
    page_id: str
    external_id: str
    verb: str
    author_id: str
    author_name: str
    text: str
    platform_time: str  # unix seconds or ""
    received_time: str  # unix seconds
    candidate: str  # "1" when the prefilter kept it for the intent engine

    def to_fields(self) -> dict[str, str]:
        # Every field is a string, so no deep copy (dataclasses.asdict) is needed: this runs per comment at ingest.
        return {"type": self.TYPE, **{name: getattr(self, name) for name in _INGEST_FIELDS}}

    @classmethod
    def from_fields(cls, data: dict[str, str]) -> IngestEvent:
        if data.get("type") != cls.TYPE:
            raise ValueError(f"not a {cls.TYPE} entry: type={data.get('type')!r}")
        return cls(**{f.name: data[f.name] for f in fields(cls)})


_INGEST_FIELDS = tuple(f.name for f in fields(IngestEvent))


@dataclass(frozen=True, slots=True)
class ClaimDecided:
    """The claims stage decided a comment (purchase, cancel, question…); the payments stage prepares the cart
    link and writes the buyer's reply to the outbox."""

    TYPE: ClassVar[str] = "claim_decided.v1"

    schema: str
    comment_id: str
    intent: str  # purchase | cancel | question | other
    decision: str  # JSON of payments.reservations.ClaimDecision.as_dict(), or "" when nothing was reserved
    needs_review: str  # "1" when the seller must resolve it (the engine was unsure)
    received_time: str

    def to_fields(self) -> dict[str, str]:
        return {"type": self.TYPE, **asdict(self)}

    @classmethod
    def from_fields(cls, data: dict[str, str]) -> ClaimDecided:
        if data.get("type") != cls.TYPE:
            raise ValueError(f"not a {cls.TYPE} entry: type={data.get('type')!r}")
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class ReplyWork:
    """Something to tell a buyer: a value handed to messenger.services.reply_work_enqueue in the same transaction,
    which writes it to the outbox (never a stream entry)."""

    schema: str
    reason: str  # claim | waitlisted | promoted | cancelled | paid | expired | question
    comment_id: str  # the comment that caused it ("" when none, e.g. a promotion)
    order_id: str  # "" when there is no cart
    cart_url: str
    detail: str  # JSON with the decision or the facts the message needs
