"""Play a scripted live through the real, signed HTTP webhook and read back what the pipeline decided.

Script lines (JSON Lines):
  {"at_ms": 0, "featured": "A12"}                                   switch the product on camera
  {"at_ms": 15, "author": "psid-1", "name": "Ana", "text": "mío"}   a viewer comment
Comment ids increase in script order. Comments are sent one at a time, in order, at their offsets, so the
order they reach the webhook is the script's order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django_tenants.utils import schema_context

from dashboard.control import live_session_feature, live_session_schedule
from demo.meta_payloads import encode, feed_comment_change, live_video_change, page_delivery, sign
from inventory.selectors import product_get_by_code
from livestreams.models import Comment, LiveSession
from payments.models import Reservation
from payments.selectors import stock_snapshot
from tenants.models import PageBinding, Platform, Seller


class SimulationError(Exception):
    """The script or the set-up is wrong; the message says what to fix."""


@dataclass(frozen=True)
class ScriptComment:
    at_ms: int
    author: str
    name: str
    text: str


@dataclass(frozen=True)
class ScriptFeature:
    at_ms: int
    code: str


ScriptLine = ScriptComment | ScriptFeature


@dataclass
class Simulation:
    live_id: int
    video_id: str
    comment_ids: list[str] = field(default_factory=list)  # external ids, in script order
    sent_seconds: float = 0.0
    idle_seconds: float = 0.0  # from the last comment sent to the last decision


def read_script(path: Path) -> list[ScriptLine]:
    lines: list[ScriptLine] = []
    try:
        raw_lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SimulationError(f"The script {path} does not exist.") from None
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            at_ms = int(data["at_ms"])
            if "featured" in data:
                lines.append(ScriptFeature(at_ms=at_ms, code=str(data["featured"])))
            else:
                lines.append(
                    ScriptComment(
                        at_ms=at_ms, author=str(data["author"]), name=str(data.get("name", "")), text=str(data["text"])
                    )
                )
        except (ValueError, KeyError, TypeError) as exc:
            raise SimulationError(f"{path}:{number}: not a script line ({exc.__class__.__name__}: {exc}).") from None
        if at_ms < 0 or (lines and at_ms < lines[-1].at_ms):
            raise SimulationError(f"{path}:{number}: at_ms must be >= 0 and never go back in time.")
    if not lines:
        raise SimulationError(f"{path} has no script lines.")
    return lines


def simulate_live(
    *,
    schema_name: str,
    url: str,
    script: list[ScriptLine],
    timeout: float = 120.0,
    speed: float = 1.0,
    batch_ms: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    title: str = "",
    end_when_done: bool = False,
) -> Simulation:
    """Start a live on the seller's Facebook page, play the script, wait until every comment is decided.

    With `batch_ms`, comments written within that many milliseconds of each other go out in one delivery,
    as Meta batches them under load; deliveries are sent one after another, so arrival order is script order.
    With `title`, the live is first scheduled with that title, as a seller does on the lives page, so Meta's
    "live" status starts it. With `end_when_done`, Meta's "live_stopped" ends it once every comment is decided.
    """
    seller = Seller.objects.filter(schema_name=schema_name).first()
    if seller is None:
        raise SimulationError(f"No seller has the schema {schema_name!r}.")
    binding = PageBinding.objects.filter(seller=seller, platform=Platform.FACEBOOK).first()
    if binding is None:
        raise SimulationError(f"Seller {schema_name} has no Facebook page bound; add one with create_seller.")
    with schema_context(schema_name):
        products = {
            line.code: product_get_by_code(code=line.code) for line in script if isinstance(line, ScriptFeature)
        }
    missing = sorted(code for code, product in products.items() if product is None)
    if missing:
        raise SimulationError(f"The script features products that are not in the catalog: {', '.join(missing)}.")

    video_id = f"sim{int(time.time() * 1000)}"
    if title:
        with schema_context(schema_name):
            live_session_schedule(seller=seller, page_binding_id=binding.pk, title=title, platform_video_id=video_id)
    with httpx.Client(base_url=url, timeout=10) as client:
        _post(
            client,
            page_delivery(page_id=binding.external_id, changes=[live_video_change(video_id=video_id, status="live")]),
        )
        live = _wait_for_live(schema_name, video_id, timeout=timeout)
        simulation = Simulation(live_id=live.pk, video_id=video_id)
        total = sum(isinstance(line, ScriptComment) for line in script)
        started = time.monotonic()
        pending: list[dict[str, Any]] = []  # comments waiting to go out in one delivery, like Meta batches them
        window_ends = 0.0

        def flush() -> None:
            if pending:
                _post(client, page_delivery(page_id=binding.external_id, changes=list(pending)))
                pending.clear()
                if progress is not None:
                    progress(len(simulation.comment_ids), total)

        for line in script:
            due = line.at_ms / 1000 / speed
            if pending and due >= window_ends:
                flush()
            delay = started + due - time.monotonic()
            if delay > 0 and not pending:
                time.sleep(delay)
            if isinstance(line, ScriptFeature):
                flush()
                with schema_context(schema_name):
                    live_session_feature(live_id=live.pk, product_id=products[line.code].pk)  # type: ignore[union-attr]
                continue
            comment_id = f"{video_id}_{len(simulation.comment_ids) + 1}"
            simulation.comment_ids.append(comment_id)
            if not pending:
                window_ends = due + batch_ms / 1000
            pending.append(
                feed_comment_change(
                    page_id=binding.external_id,
                    comment_id=comment_id,
                    author_id=line.author,
                    author_name=line.name,
                    text=line.text,
                    post_id=video_id,
                )
            )
            if batch_ms <= 0:
                flush()
        flush()
    sent_at = time.monotonic()
    simulation.sent_seconds = sent_at - started
    _wait_until_decided(schema_name, simulation.comment_ids, timeout=timeout)
    simulation.idle_seconds = time.monotonic() - sent_at
    if end_when_done:
        with httpx.Client(base_url=url, timeout=10) as client:
            _post(
                client,
                page_delivery(
                    page_id=binding.external_id, changes=[live_video_change(video_id=video_id, status="live_stopped")]
                ),
            )
        _wait_for_status(schema_name, video_id, LiveSession.Status.ENDED, timeout=timeout)
    return simulation


def _post(client: httpx.Client, payload: dict[str, Any]) -> None:
    body = encode(payload)
    for attempt in range(5):  # like Meta: retry what was not accepted
        response = client.post(
            "/webhooks/meta/",
            content=body,
            headers={
                "X-Hub-Signature-256": sign(body, app_secret=settings.META_APP_SECRET),
                "Content-Type": "application/json",
            },
        )
        if response.status_code == 200:
            return
        if response.status_code < 500:
            raise SimulationError(f"The webhook refused a delivery: {response.status_code} {response.text}")
        time.sleep(0.2 * (attempt + 1))
    raise SimulationError(f"The webhook kept failing: {response.status_code} {response.text}")


def _wait_for_live(schema_name: str, video_id: str, *, timeout: float) -> LiveSession:
    return _wait_for_status(schema_name, video_id, LiveSession.Status.LIVE, timeout=timeout)


def _wait_for_status(schema_name: str, video_id: str, status: str, *, timeout: float) -> LiveSession:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with schema_context(schema_name):
            live = LiveSession.objects.filter(platform_video_id=video_id, status=status).first()
        if live is not None:
            return live
        time.sleep(0.05)
    happened = "started" if status == LiveSession.Status.LIVE else "ended"
    raise SimulationError(f"The live never {happened}: is the pipeline running (manage.py run_pipeline)?")


def _wait_until_decided(schema_name: str, comment_ids: list[str], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with schema_context(schema_name):
            comments = Comment.objects.filter(platform="facebook", external_id__in=comment_ids)
            stored = comments.count()
            undecided = comments.filter(is_candidate=True, decided_at__isnull=True).count()
        if stored == len(comment_ids) and undecided == 0:
            return
        if time.monotonic() > deadline:
            raise SimulationError(
                f"Timed out: {stored}/{len(comment_ids)} comments stored, {undecided} not decided yet."
            )
        time.sleep(0.05)


def simulation_outcomes(*, schema_name: str, simulation: Simulation) -> dict[str, Any]:
    """What the database holds for the simulated comments, in script order, and the stock of every variant."""
    with schema_context(schema_name):
        comments = {
            c.external_id: c
            for c in Comment.objects.filter(platform="facebook", external_id__in=simulation.comment_ids)
        }
        reservations: dict[int, list[Reservation]] = {}
        for reservation in (
            Reservation.objects.filter(source_comment__in=comments.values())
            .select_related("variant__product")
            .order_by("source_comment_id", "part")
        ):
            reservations.setdefault(reservation.source_comment_id, []).append(reservation)
        outcomes = [_outcome(comments[cid], reservations.get(comments[cid].pk, [])) for cid in simulation.comment_ids]
        stock = [
            {
                "code": row["code"],
                "variant": row["variant"] or None,
                "initial": row["initial"],
                "available": row["available"],
                "reserved": row["reserved"],
            }
            for row in stock_snapshot()
        ]
    return {"outcomes": outcomes, "stock": stock}


def _outcome(comment: Comment, reservations: list[Reservation]) -> dict[str, Any]:
    items = [
        {"code": r.variant.product.code, "variant": r.variant.label or None, "qty": r.quantity, "status": r.status}
        for r in reservations
    ]
    if comment.intent == "purchase" and not reservations:
        parsed = (comment.parse_result or {}).get("items", [])
        items = [{"code": i["code"], "variant": i["variant"], "qty": i["qty"], "status": "rejected"} for i in parsed]
    return {
        "author": comment.author_platform_id,
        "text": comment.text,
        "intent": comment.intent or "other",
        "items": items,
    }
