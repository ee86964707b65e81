"""Build and sign Meta webhook deliveries the way Meta sends them (simulate_live, benchmarks, tests)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any


def sign(body: bytes, *, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    # Meta escapes non-ASCII as \\uXXXX; the signature covers exactly these bytes.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def feed_comment_change(
    *,
    page_id: str,
    comment_id: str,
    author_id: str,
    author_name: str,
    text: str,
    verb: str = "add",
    post_id: str = "777",
    created_time: int | None = None,
) -> dict[str, Any]:
    return {
        "field": "feed",
        "value": {
            "from": {"id": author_id, "name": author_name},
            "post": {"status_type": "added_video", "is_published": True, "id": f"{page_id}_{post_id}"},
            "message": text,
            "post_id": f"{page_id}_{post_id}",
            "comment_id": comment_id,
            "created_time": created_time if created_time is not None else int(time.time()),
            "item": "comment",
            "parent_id": f"{page_id}_{post_id}",
            "verb": verb,
        },
    }


def live_video_change(*, video_id: str, status: str) -> dict[str, Any]:
    return {"field": "live_videos", "value": {"id": video_id, "status": status}}


def page_delivery(*, page_id: str, changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": page_id, "time": int(time.time()), "changes": changes}]}


def instagram_comment_change(
    *, comment_id: str, author_id: str, username: str, text: str, media_id: str = "m1", live: bool = True
) -> dict[str, Any]:
    return {
        "field": "live_comments" if live else "comments",
        "value": {
            "id": comment_id,
            "from": {"id": author_id, "username": username},
            "text": text,
            "media": {"id": media_id, "media_product_type": "LIVE" if live else "FEED"},
        },
    }


def messenger_delivery(*, page_id: str, sender_id: str, mid: str, text: str, payload: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "text": text}
    if payload:
        message["quick_reply"] = {"payload": payload}
    now_ms = int(time.time() * 1000)
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": now_ms,
                "messaging": [
                    {"sender": {"id": sender_id}, "recipient": {"id": page_id}, "timestamp": now_ms, "message": message}
                ],
            }
        ],
    }
