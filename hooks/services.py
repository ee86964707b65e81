"""Outgoing webhooks: write events to the outbox (`hook_emit`, in the caller's transaction), register and manage
endpoints, replay a delivery. Sending is hooks.sender's."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hooks import due
from hooks.addresses import AddressRefused, url_check
from hooks.models import EVENT_TYPES, Delivery, Endpoint, Event
from tenants.crypto import encrypt_token


class EndpointError(Exception):
    """An endpoint the owner cannot register (the message says why)."""


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: Endpoint
    secret: str  # "whsec_…": shown to the owner once, on creation


def hook_emit(events: Iterable[tuple[str, dict[str, Any]]], *, now: datetime | None = None) -> int:
    """Write each (type, data) to the outbox with one delivery per active endpoint subscribed to its type, in the
    caller's transaction (so an event exists exactly when what caused it was committed). One statement whatever
    the number of events; nothing is stored when no endpoint listens. Returns the deliveries created."""
    rows = [(type_, data) for type_, data in events]
    if not rows:
        return 0
    unknown = {type_ for type_, _ in rows} - set(EVENT_TYPES)
    if unknown:
        raise ValueError(f"unknown webhook event types: {sorted(unknown)}")
    now = now or timezone.now()
    events_table, deliveries_table, endpoints_table = (
        Event._meta.db_table,
        Delivery._meta.db_table,
        Endpoint._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH hook_events AS (
                SELECT * FROM unnest(%s::text[], %s::text[], %s::jsonb[]) WITH ORDINALITY AS e(event_id, type, data, n)
            ), listened AS (
                SELECT e.* FROM hook_events e
                WHERE EXISTS (SELECT 1 FROM {endpoints_table} p WHERE p.is_active AND e.type = ANY(p.event_types))
            ), ins AS (
                INSERT INTO {events_table} (event_id, type, data, created_at)
                SELECT event_id, type, data, %s FROM listened ORDER BY n
                RETURNING id, type
            )
            INSERT INTO {deliveries_table} (event_id, endpoint_id, status, attempts, next_attempt_at, created_at)
            SELECT ins.id, p.id, 'pending', 0, %s, %s
            FROM ins JOIN {endpoints_table} p ON p.is_active AND ins.type = ANY(p.event_types)
            ORDER BY ins.id, p.id
            """,  # noqa: S608 (table names are ours)
            [
                [f"msg_{uuid.uuid4().hex}" for _ in rows],
                [type_ for type_, _ in rows],
                [json.dumps(data, cls=DjangoJSONEncoder) for _, data in rows],
                now,
                now,
                now,
            ],
        )
        created = cursor.rowcount
    if created:
        due.mark_due_on_commit(at=now)
    return created


def endpoint_create(*, url: str, event_types: list[str], description: str = "") -> CreatedEndpoint:
    """Register an endpoint with a new signing secret. Raises EndpointError for an address we will not call or an
    unknown event type."""
    types = sorted(set(event_types))
    if not types or set(types) - set(EVENT_TYPES):
        raise EndpointError(_("Choose at least one event, from the list of events."))
    try:
        url_check(url)
    except AddressRefused as exc:
        raise EndpointError(str(exc)) from exc
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    endpoint = Endpoint.objects.create(
        url=url, event_types=types, description=description[:200], secret_encrypted=encrypt_token(secret)
    )
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def endpoint_update(
    *, endpoint: Endpoint, event_types: list[str] | None = None, description: str | None = None
) -> None:
    if event_types is not None:
        types = sorted(set(event_types))
        if not types or set(types) - set(EVENT_TYPES):
            raise EndpointError(_("Choose at least one event, from the list of events."))
        endpoint.event_types = types
    if description is not None:
        endpoint.description = description[:200]
    endpoint.save(update_fields=["event_types", "description"])


def endpoint_disable(*, endpoint_id: int, reason: str, now: datetime | None = None) -> bool:
    """Stop sending to an endpoint; its pending deliveries fail. False if it was already disabled."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = Endpoint.objects.filter(pk=endpoint_id, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:300]
        )
        if changed:
            Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED, next_attempt_at=None
            )
    return bool(changed)


def endpoint_enable(*, endpoint_id: int) -> bool:
    """Send to a disabled endpoint again (new events; failed deliveries can be replayed one by one)."""
    return bool(
        Endpoint.objects.filter(pk=endpoint_id, is_active=False).update(
            is_active=True, disabled_at=None, disabled_reason=""
        )
    )


def delivery_replay(*, endpoint_id: int, delivery_id: int, now: datetime | None = None) -> bool:
    """Send a delivery again now, with the same webhook-id (receivers deduplicate on it). Only to an active
    endpoint and not while it is being sent; a delivered one may be replayed (the owner asks for it)."""
    now = now or timezone.now()
    changed = (
        Delivery.objects.filter(pk=delivery_id, endpoint_id=endpoint_id, endpoint__is_active=True)
        .exclude(status=Delivery.Status.SENDING)
        .update(status=Delivery.Status.PENDING, next_attempt_at=now, attempts=0, first_failed_at=None)
    )
    if changed:
        due.mark_due_on_commit(at=now)
    return bool(changed)
