"""API keys of a seller's public API (/api/v1/), in the seller's schema: a key opens only its seller's data."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "read"
        WRITE = "write", "write"

    name = models.CharField(max_length=100, help_text="What the owner calls it (the shop, the ERP).")
    # The first characters of the key, shown in settings so the owner can tell keys apart; not a secret.
    prefix = models.CharField(max_length=16)
    # SHA-256 of the whole key: keys are 256 random bits, so a fast hash is enough and lookups stay one query.
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=Scope.choices)
    created_by = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=["read", "write"]), name="api_key_scope_known"),
            models.CheckConstraint(condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="api_key_hash_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.scope})"


class IdempotentRequest(models.Model):
    """A POST made with an Idempotency-Key, and the answer it got: a retry with the same key gets that answer
    again instead of doing it twice. Written in the transaction of the change it answers."""

    caller = models.CharField(max_length=64, help_text="key:<api key id> or user:<user id>")
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and JSON body.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "idempotency_key"], name="api_idempotency_key_unique_per_caller")
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.idempotency_key} → {self.status_code}"
