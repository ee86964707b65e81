"""Sending outgoing webhooks: take the sellers with deliveries due (hooks.due), lease their due deliveries, POST
each signed per Standard Webhooks to the pinned address, record the answer, retry with backoff for three days.

A delivery succeeds on any 2xx (within HOOKS_TIMEOUT_SECONDS); anything else is retried after RETRY_DELAYS (with
±10% jitter). When the last retry fails and the endpoint has delivered nothing since that delivery first failed,
the endpoint is disabled and the seller's owners are told by email. A crash mid-send leaves the lease to run out:
the delivery is sent again with the same webhook-id, which receivers deduplicate on.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context
from standardwebhooks.webhooks import Webhook

from hooks.addresses import AddressRefused, url_check
from hooks.due import HOOKS_DUE, due_rebuild, mark_due, next_due_at
from hooks.models import Attempt, Delivery, Endpoint
from hooks.services import endpoint_disable
from tenants.crypto import decrypt_token

logger = logging.getLogger(__name__)

# After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h (about three days in all).
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 72000))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LEASE = timedelta(seconds=120)
BATCH = 32
REBUILD_SECONDS = 60.0
USER_AGENT = "LiveStreamSell-Webhooks/1.0"


@dataclass(frozen=True, slots=True)
class SendResult:
    delivery_id: int
    status_code: int | None
    error: str
    response_excerpt: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def hooks_tick(*, client: httpx.Client, pool: ThreadPoolExecutor, now: datetime | None = None) -> int:
    """Send what is due for every seller with deliveries due; returns how many attempts were made."""
    now = now or timezone.now()
    attempts = 0
    for schema_name, _due in HOOKS_DUE.take(now=now):
        with schema_context(schema_name):
            try:
                work = deliveries_claim(now=now)
                results = list(pool.map(lambda delivery: delivery_send(client, delivery), work))
                for delivery, result in zip(work, results, strict=True):
                    delivery_record(delivery=delivery, result=result, now=timezone.now())
                attempts += len(results)
            finally:
                upcoming = next_due_at()
                if upcoming is not None:
                    mark_due(schema_name=schema_name, at=upcoming)
    return attempts


def deliveries_claim(*, now: datetime, limit: int = BATCH) -> list[Delivery]:
    """Lease the current schema's due deliveries (and those whose lease ran out) to active endpoints."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                | Q(status=Delivery.Status.SENDING, lease_expires_at__lte=now),
                endpoint__is_active=True,
            )
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.SENDING, lease_expires_at=now + LEASE, next_attempt_at=None
        )
    return list(Delivery.objects.filter(pk__in=ids).select_related("event", "endpoint").order_by("id"))


def delivery_body(delivery: Delivery) -> str:
    event = delivery.event
    return json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def delivery_send(client: httpx.Client, delivery: Delivery) -> SendResult:
    """POST one delivery (no database work here: it runs in the sender's thread pool)."""
    started = time.monotonic()

    def result(status_code: int | None = None, error: str = "", excerpt: str = "") -> SendResult:
        duration = int((time.monotonic() - started) * 1000)
        return SendResult(delivery.pk, status_code, error[:300], excerpt[:500], duration)

    try:
        target = url_check(delivery.endpoint.url)
    except AddressRefused as exc:
        return result(error=str(exc))
    body = delivery_body(delivery)
    sent_at = timezone.now()
    signature = Webhook(decrypt_token(delivery.endpoint.secret_encrypted)).sign(delivery.event.event_id, sent_at, body)
    headers = {
        "Host": target.host,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.event.event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    try:
        response = client.post(
            target.url,
            content=body.encode(),
            headers=headers,
            extensions={"sni_hostname": target.server_name},
        )
    except httpx.TimeoutException:
        return result(error=f"no answer within {settings.HOOKS_TIMEOUT_SECONDS:g} s")
    except httpx.HTTPError as exc:
        return result(error=f"could not connect: {exc.__class__.__name__}")
    return result(status_code=response.status_code, excerpt=response.text)


def delivery_record(*, delivery: Delivery, result: SendResult, now: datetime) -> None:
    """Record the attempt and what comes next: delivered, retried later, or given up (and maybe the endpoint)."""
    attempts = delivery.attempts + 1
    Attempt.objects.create(
        delivery=delivery,
        status_code=result.status_code,
        error=result.error,
        response_excerpt=result.response_excerpt,
        duration_ms=result.duration_ms,
    )
    updates: dict[str, object] = {"attempts": attempts, "lease_expires_at": None}
    if result.ok:
        updates.update(status=Delivery.Status.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif attempts >= MAX_ATTEMPTS:
        updates.update(status=Delivery.Status.FAILED, next_attempt_at=None)
    else:
        delay = RETRY_DELAYS[attempts - 1] * random.uniform(0.9, 1.1)
        updates.update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now + delay,
            first_failed_at=delivery.first_failed_at or now,
        )
    # Only the lease holder records (a lease that ran out may have been taken by another sender).
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(**updates)
    if not result.ok and attempts >= MAX_ATTEMPTS:
        _disable_if_failing(delivery=delivery, now=now)


def _disable_if_failing(*, delivery: Delivery, now: datetime) -> None:
    since = delivery.first_failed_at or now
    if Delivery.objects.filter(endpoint_id=delivery.endpoint_id, delivered_at__gte=since).exists():
        return
    reason = f"Every delivery failed since {since:%Y-%m-%d %H:%M} UTC."
    if endpoint_disable(endpoint_id=delivery.endpoint_id, reason=reason, now=now):
        _tell_owners(endpoint=Endpoint.objects.get(pk=delivery.endpoint_id), reason=reason)


def _tell_owners(*, endpoint: Endpoint, reason: str) -> None:
    owners = list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not owners:
        return
    try:
        send_mail(
            subject="LiveStreamSell: a webhook endpoint was disabled",
            message=(
                f"We stopped sending events to {endpoint.url}: {reason}\n\n"
                "Fix the endpoint, then turn it back on in Settings → Webhooks; failed deliveries can be sent again "
                "from its delivery log."
            ),
            from_email=None,
            recipient_list=owners,
        )
    except Exception:  # the endpoint stays disabled and shows why in settings
        logger.exception("hooks: could not email the owners about endpoint %s", endpoint.pk)


def run_hooks_sender(*, stop: threading.Event) -> None:
    """The sender's loop (a thread of run_pipeline, or its own process: run_hooks_sender)."""
    timeout = httpx.Timeout(settings.HOOKS_TIMEOUT_SECONDS, connect=min(5.0, settings.HOOKS_TIMEOUT_SECONDS))
    last_rebuild = float("-inf")
    with (
        httpx.Client(timeout=timeout, follow_redirects=False) as client,
        ThreadPoolExecutor(max_workers=settings.HOOKS_SEND_CONCURRENCY, thread_name_prefix="hooks-send") as pool,
    ):
        while not stop.is_set():
            try:
                if time.monotonic() - last_rebuild > REBUILD_SECONDS:
                    due_rebuild()
                    last_rebuild = time.monotonic()
                if not hooks_tick(client=client, pool=pool):
                    HOOKS_DUE.wait_for_wake_sync(timeout=1.0)
            except (DatabaseError, redis.RedisError) as exc:
                logger.warning("hooks sender: %s; retrying", exc.__class__.__name__)
                stop.wait(1.0)
            finally:
                close_old_connections()
