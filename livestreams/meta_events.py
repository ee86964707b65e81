"""Parse a Meta webhook delivery into typed events (platform-contracts.md §A).

One delivery may batch many entries and changes; each becomes at most one event. Fields we do not use are
dropped and counted, never errors. The page's own comments and Messenger echoes are skipped (they would
loop back into our own replies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal["comment", "live_video", "message"]

FEED_VERBS = {"add", "edited", "remove"}


@dataclass(frozen=True, slots=True)
class MetaEvent:
    kind: EventKind
    platform: str  # facebook | instagram
    page_id: str  # entry.id: the Page or the Instagram professional account
    external_id: str  # comment id, live video id, or message mid
    verb: str = "add"  # add | edited | remove for comments; the status for live videos; "add" for messages
    author_id: str = ""
    author_name: str = ""
    text: str = ""
    platform_time: float | None = None  # unix seconds
    reply_to: str = ""  # quick reply / postback payload of a message


@dataclass
class ParsedDelivery:
    events: list[MetaEvent] = field(default_factory=list)
    skipped_own: int = 0
    skipped_unknown: int = 0


class MalformedDelivery(ValueError):
    """The body is JSON but not a Meta webhook envelope."""


def parse_delivery(payload: Any) -> ParsedDelivery:
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise MalformedDelivery("expected an object with an 'entry' list")
    obj = payload.get("object")
    platform = "instagram" if obj == "instagram" else "facebook"
    parsed = ParsedDelivery()
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or "id" not in entry:
            parsed.skipped_unknown += 1
            continue
        page_id = str(entry["id"])
        for change in entry.get("changes") or []:
            _parse_change(parsed, platform, page_id, change)
        for messaging in entry.get("messaging") or []:
            _parse_messaging(parsed, platform, page_id, messaging)
    return parsed


def _parse_change(parsed: ParsedDelivery, platform: str, page_id: str, change: Any) -> None:
    value = change.get("value") if isinstance(change, dict) else None
    if not isinstance(value, dict):
        parsed.skipped_unknown += 1
        return
    field_name = change.get("field")
    if field_name == "feed" and value.get("item") == "comment":
        _feed_comment(parsed, page_id, value)
    elif field_name in ("comments", "live_comments") and platform == "instagram":
        _instagram_comment(parsed, page_id, value)
    elif field_name == "live_videos" and value.get("id") and value.get("status"):
        parsed.events.append(
            MetaEvent(
                kind="live_video",
                platform=platform,
                page_id=page_id,
                external_id=str(value["id"]),
                verb=str(value["status"]),
            )
        )
    else:
        parsed.skipped_unknown += 1


def _feed_comment(parsed: ParsedDelivery, page_id: str, value: dict[str, Any]) -> None:
    author = _object(value.get("from"))
    verb = str(value.get("verb", "add"))
    comment_id = value.get("comment_id")
    if not comment_id or verb not in FEED_VERBS:
        parsed.skipped_unknown += 1
        return
    if str(author.get("id", "")) == page_id:
        parsed.skipped_own += 1
        return
    parsed.events.append(
        MetaEvent(
            kind="comment",
            platform="facebook",
            page_id=page_id,
            external_id=str(comment_id),
            verb=verb,
            author_id=str(author.get("id", "")),
            author_name=str(author.get("name", "")),
            text=str(value.get("message") or ""),
            platform_time=_unix_seconds(value.get("created_time")),
        )
    )


def _instagram_comment(parsed: ParsedDelivery, account_id: str, value: dict[str, Any]) -> None:
    author = _object(value.get("from"))
    if not value.get("id"):
        parsed.skipped_unknown += 1
        return
    if str(author.get("id", "")) == account_id:
        parsed.skipped_own += 1
        return
    parsed.events.append(
        MetaEvent(
            kind="comment",
            platform="instagram",
            page_id=account_id,
            external_id=str(value["id"]),
            author_id=str(author.get("id", "")),
            author_name=str(author.get("username", "")),
            text=str(value.get("text") or ""),
            platform_time=_unix_seconds(value.get("timestamp")),
        )
    )


def _parse_messaging(parsed: ParsedDelivery, platform: str, page_id: str, messaging: Any) -> None:
    if not isinstance(messaging, dict):
        parsed.skipped_unknown += 1
        return
    sender = str(_object(messaging.get("sender")).get("id", ""))
    message = messaging.get("message")
    postback = messaging.get("postback")
    timestamp = messaging.get("timestamp")
    platform_time = timestamp / 1000 if isinstance(timestamp, int | float) else None
    if isinstance(message, dict):
        if message.get("is_echo") or sender == page_id:
            parsed.skipped_own += 1
            return
        if not message.get("mid"):
            parsed.skipped_unknown += 1
            return
        quick_reply = _object(message.get("quick_reply"))
        parsed.events.append(
            MetaEvent(
                kind="message",
                platform=platform,
                page_id=page_id,
                external_id=str(message["mid"]),
                author_id=sender,
                text=str(message.get("text") or ""),
                platform_time=platform_time,
                reply_to=str(quick_reply.get("payload", "")),
            )
        )
    elif isinstance(postback, dict):
        mid = postback.get("mid") or f"postback:{sender}:{timestamp}"
        parsed.events.append(
            MetaEvent(
                kind="message",
                platform=platform,
                page_id=page_id,
                external_id=str(mid),
                author_id=sender,
                text=str(postback.get("title") or ""),
                platform_time=platform_time,
                reply_to=str(postback.get("payload", "")),
            )
        )
    else:
        parsed.skipped_unknown += 1  # deliveries, reads, reactions: not used


def _unix_seconds(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.isdigit():
        return float(value)
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
