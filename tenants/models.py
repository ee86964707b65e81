"""Public-schema models: sellers, their domains, and the page bindings that route webhooks to them."""

from __future__ import annotations

from django.db import connection, models
from django.db.models import Q
from django_tenants.clone import CloneSchema
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists
from psycopg import sql


class Language(models.TextChoices):
    SPANISH = "es", "Español"
    ENGLISH = "en", "English"
    PORTUGUESE = "pt", "Português"


# ISO 4217 codes a seller may sell in: the currencies of Latin America, plus USD and EUR.
SELLER_CURRENCIES = (
    "ARS", "BOB", "BRL", "CLP", "COP", "CRC", "DOP", "EUR", "GTQ", "HNL",
    "MXN", "NIO", "PAB", "PEN", "PYG", "USD", "UYU", "VES",
)  # fmt: skip


class HoldStart(models.TextChoices):
    CLAIM = "claim", "When the buyer claims"
    LIVE_END = "live_end", "When the live ends"


class PaymentProvider(models.TextChoices):
    LOCAL = "local", "Test checkout (no real money)"
    STRIPE = "stripe", "Stripe"


class IntentEngine(models.TextChoices):
    LOCAL = "local", "Local engine"
    LOCAL_OPENAI = "local_openai", "Local engine + OpenAI when unsure"


class Seller(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    default_language = models.CharField(max_length=2, choices=Language.choices, default=Language.SPANISH)
    currency = models.CharField(max_length=3, default="MXN")
    hold_minutes = models.PositiveIntegerField(default=15)
    hold_starts = models.CharField(max_length=16, choices=HoldStart.choices, default=HoldStart.CLAIM)
    max_units_per_claim = models.PositiveIntegerField(default=5)
    max_units_per_live = models.PositiveIntegerField(default=20)
    payment_provider = models.CharField(max_length=16, choices=PaymentProvider.choices, default=PaymentProvider.LOCAL)
    stripe_account_id = models.CharField(max_length=64, blank=True, help_text="Connected Stripe account (acct_…).")
    intent_engine = models.CharField(max_length=16, choices=IntentEngine.choices, default=IntentEngine.LOCAL)
    answer_questions = models.BooleanField(
        default=False, help_text="Answer price and availability questions automatically from the catalog."
    )
    # Seller's own wording of buyer messages, by template name and language; missing ones use our defaults.
    message_templates = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(hold_minutes__gte=1, hold_minutes__lte=7 * 24 * 60), name="seller_hold_minutes_range"
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="seller_currency_iso"),
            models.CheckConstraint(condition=Q(max_units_per_claim__gte=1), name="seller_max_units_per_claim_positive"),
            models.CheckConstraint(condition=Q(max_units_per_live__gte=1), name="seller_max_units_per_live_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    def create_schema(self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1) -> bool:
        """Clone the migrated template schema (TENANT_BASE_SCHEMA) instead of running every migration.

        The clone copies the template's django_migrations rows, so django-tenants' extra fake-migrate
        pass is skipped; without a template we fall back to the library's full migration.
        """
        base_schema = self.get_base_schema()
        if sync_schema and base_schema and schema_exists(base_schema) and not schema_exists(self.schema_name):
            if filled := template_tables_with_rows(base_schema):
                raise TemplateNotEmptyError(base_schema, filled)
            CloneSchema().clone_schema(base_schema, self.schema_name, self.clone_mode)
            _restore_constraint_names(template=base_schema, clone=self.schema_name)
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            return True
        return bool(super().create_schema(check_if_exists, sync_schema, verbosity))


class TemplateNotEmptyError(Exception):
    """The template schema holds rows beyond TEMPLATE_FRAMEWORK_TABLES: every new seller would inherit
    them, so no seller is cloned from it until an operator empties it."""

    def __init__(self, schema: str, tables: list[str]) -> None:
        super().__init__(
            f"The template schema {schema!r} is not empty (rows in {', '.join(tables)}): no seller is created "
            f"from it until those rows are removed."
        )
        self.tables = tables


# What migrating the template writes by design: its migration records, and the content types and permissions that
# Django's post_migrate signal creates (the same in every seller).
TEMPLATE_FRAMEWORK_TABLES = ("django_migrations", "django_content_type", "auth_permission")


def template_tables_with_rows(schema: str) -> list[str]:
    """The tables of `schema` that hold at least one row, TEMPLATE_FRAMEWORK_TABLES aside (two statements)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' "
            "AND NOT (table_name = ANY(%s)) ORDER BY table_name",
            [schema, list(TEMPLATE_FRAMEWORK_TABLES)],
        )
        tables = [row[0] for row in cursor.fetchall()]
        if not tables:
            return []
        # identifiers from information_schema, quoted by PostgreSQL's own rules (psycopg.sql.Identifier)
        probes = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT %s WHERE EXISTS (SELECT 1 FROM {})").format(sql.Identifier(schema, table))
            for table in tables
        )
        cursor.execute(probes, tables)
        return [row[0] for row in cursor.fetchall()]


def _restore_constraint_names(*, template: str, clone: str) -> None:
    """Give the clone's UNIQUE constraints the template's names.

    The clone function recreates them with PostgreSQL's default names, so a later migration that alters a
    constraint by name would fail on every cloned seller. Constraints are matched by table and definition.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT rel.relname, c.conname, t.conname
            FROM pg_constraint c
            JOIN pg_class rel ON rel.oid = c.conrelid
            JOIN pg_namespace n ON n.oid = c.connamespace AND n.nspname = %(clone)s
            JOIN pg_constraint t ON t.contype = c.contype
                AND pg_get_constraintdef(t.oid) = pg_get_constraintdef(c.oid)
                AND t.conname <> c.conname
            JOIN pg_class trel ON trel.oid = t.conrelid AND trel.relname = rel.relname
            JOIN pg_namespace tn ON tn.oid = t.connamespace AND tn.nspname = %(template)s
            WHERE c.contype = 'u'
            """,
            {"clone": clone, "template": template},
        )
        for table, current, wanted in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{clone}"."{table}" RENAME CONSTRAINT "{current}" TO "{wanted}"')


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"


class PageBinding(models.Model):
    """A connected Facebook Page or Instagram account; `entry.id` of a Meta webhook routes through it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnecting"

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="page_bindings")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    # Fernet ciphertext of the page access token (tenants.crypto); never the token itself.
    access_token_encrypted = models.TextField(blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="page_binding_unique_per_platform"),
            models.CheckConstraint(condition=~Q(external_id=""), name="page_binding_external_id_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class InboxDelivery(models.Model):
    """Every webhook delivery we answered 200 with new events: PostgreSQL is the record of what was accepted.

    Written before the answer. Queued to Redis at once (`relayed_at` set), or, while Redis was unavailable,
    kept pending until the relay queues it. The accepted-events sweep checks each queued delivery's comments
    were stored and queues the missing ones again (Redis lost them), then sets `confirmed_at`.
    """

    source = models.CharField(max_length=16, default="meta")
    body = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)
    relayed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(relayed_at__isnull=True), name="inbox_pending_idx"),
            models.Index(
                fields=["id"],
                condition=Q(relayed_at__isnull=False, confirmed_at__isnull=True),
                name="inbox_unconfirmed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} delivery {self.pk} ({'relayed' if self.relayed_at else 'pending'})"


class ShardFence(models.Model):
    """The fencing token of the consumer that owns a stage's shard (core.streams.consumer): a consumer's batch
    commits only while its token is the shard's current one, so one that lost its lease (paused, slow) cannot
    commit after the next owner started."""

    stage = models.CharField(max_length=32)
    shard = models.PositiveSmallIntegerField()
    token = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stage", "shard"], name="shard_fence_one_per_shard")]

    def __str__(self) -> str:
        return f"{self.stage}/{self.shard}: {self.token}"
