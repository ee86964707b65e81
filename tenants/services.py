"""Writes on the public schema: provisioning sellers, their domains, owners and page bindings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.crypto import encrypt_token
from tenants.models import (
    SELLER_CURRENCIES,
    Domain,
    Language,
    PageBinding,
    Platform,
    Seller,
    TemplateNotEmptyError,
)

SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
RESERVED_SCHEMAS = {"public", "tenant_template", "information_schema"}


class ProvisioningError(Exception):
    """The request conflicts with an existing seller or is invalid; the message says which and why."""


@dataclass(frozen=True)
class PageRequest:
    platform: str
    external_id: str


@dataclass(frozen=True)
class ProvisionResult:
    seller: Seller
    created: bool
    changes: tuple[str, ...]


def _validate_schema_name(schema_name: str) -> None:
    if not SCHEMA_NAME_RE.match(schema_name) or schema_name.startswith("pg_") or schema_name in RESERVED_SCHEMAS:
        raise ProvisioningError(
            f"Schema {schema_name!r} is not allowed: use 2-41 lowercase letters, digits or underscores, "
            "starting with a letter (not 'public', 'tenant_template' or 'pg_…')."
        )


def _validate_choices(*, currency: str, default_language: str) -> None:
    if currency.upper() not in SELLER_CURRENCIES:
        raise ProvisioningError(
            f"Currency {currency!r} is not supported: use one of the ISO 4217 codes {', '.join(SELLER_CURRENCIES)}."
        )
    if default_language not in Language.values:
        raise ProvisioningError(
            f"Language {default_language!r} is not supported: use one of {', '.join(Language.values)}."
        )


def _validate_login(*, email: str, password: str | None) -> None:
    """The e-mail must be one, and a password must pass AUTH_PASSWORD_VALIDATORS (checked against this login)."""
    try:
        validate_email(email)
    except ValidationError:
        raise ProvisioningError(f"{email!r} is not an e-mail address.") from None
    if password is None:
        return
    try:
        validate_password(password, user=get_user_model()(username=email, email=email))
    except ValidationError as exc:
        raise ProvisioningError(f"The password for {email} is refused: {' '.join(exc.messages)}") from None


def _check_conflicts(*, schema_name: str, name: str, domain: str, pages: list[PageRequest]) -> Seller | None:
    existing = Seller.objects.filter(schema_name=schema_name).first()
    if existing is not None and existing.name != name:
        raise ProvisioningError(f"Schema {schema_name!r} already belongs to seller {existing.name!r}.")
    domain_owner = Domain.objects.filter(domain=domain).select_related("tenant").first()
    if domain_owner is not None and domain_owner.tenant.schema_name != schema_name:
        raise ProvisioningError(f"Domain {domain!r} already belongs to seller {domain_owner.tenant.schema_name!r}.")
    if existing is not None and domain_owner is None:
        primary = existing.get_primary_domain()
        current = primary.domain if primary else None
        raise ProvisioningError(f"Seller {schema_name!r} already exists with domain {current!r}, not {domain!r}.")
    for page in pages:
        binding = (
            PageBinding.objects.filter(platform=page.platform, external_id=page.external_id)
            .select_related("seller")
            .first()
        )
        if binding is not None and binding.seller.schema_name != schema_name:
            raise ProvisioningError(
                f"{page.platform} page {page.external_id!r} is already bound to seller {binding.seller.schema_name!r}."
            )
    return existing


def seller_provision(
    *,
    schema_name: str,
    name: str,
    domain: str,
    owner_email: str | None = None,
    owner_password: str | None = None,
    facebook_page_id: str | None = None,
    instagram_account_id: str | None = None,
    page_token: str | None = None,
    default_language: str = Language.SPANISH,
    currency: str = "MXN",
) -> ProvisionResult:
    """Create a seller with its schema (cloned from the template), domain, owner and page bindings.

    Idempotent: the same arguments again change nothing. Anything that belongs to another seller raises
    ProvisioningError before a row is written.
    """
    _validate_schema_name(schema_name)
    domain = domain.strip().lower()
    pages = [PageRequest(Platform.FACEBOOK, facebook_page_id)] if facebook_page_id else []
    if instagram_account_id:
        pages.append(PageRequest(Platform.INSTAGRAM, instagram_account_id))
    if owner_password and not owner_email:
        raise ProvisioningError("--owner-password needs --owner-email.")
    _validate_choices(currency=currency, default_language=default_language)
    if owner_email:
        _validate_login(email=owner_email, password=owner_password)

    changes: list[str] = []
    with transaction.atomic():
        seller = _check_conflicts(schema_name=schema_name, name=name, domain=domain, pages=pages)
        created = seller is None
        if seller is None:
            seller = Seller(
                schema_name=schema_name,
                name=name,
                default_language=default_language,
                currency=currency.upper(),
                payment_provider=settings.PAYMENT_PROVIDER,
            )
            try:
                seller.save(verbosity=0)
            except TemplateNotEmptyError as exc:
                raise ProvisioningError(str(exc)) from None
            Domain.objects.create(domain=domain, tenant=seller, is_primary=True)
            changes.append(f"created schema {schema_name} and domain {domain}")
        for page in pages:
            binding, binding_created = PageBinding.objects.get_or_create(
                platform=page.platform,
                external_id=page.external_id,
                defaults={"seller": seller, "access_token_encrypted": encrypt_token(page_token or "")},
            )
            if binding_created:
                changes.append(f"bound {page.platform} page {page.external_id}")
            elif page_token:
                PageBinding.objects.filter(pk=binding.pk).update(access_token_encrypted=encrypt_token(page_token))
        if owner_email:
            with schema_context(schema_name):
                if _owner_create(email=owner_email, password=owner_password):
                    changes.append(f"created owner {owner_email}")
    return ProvisionResult(seller=seller, created=created, changes=tuple(changes))


def _owner_create(*, email: str, password: str | None) -> bool:
    """Create the seller's owner in the current schema; an existing owner is left untouched."""
    user_model = get_user_model()
    if user_model.objects.filter(username=email).exists():
        return False
    user_model.objects.create_user(username=email, email=email, password=password, is_staff=True, is_superuser=True)
    return True


def platform_admin_set(*, email: str, password: str) -> bool:
    """Create the platform operator's login, or set a new password on an existing one: a superuser of the public
    schema, who signs in to the platform admin on PUBLIC_HOSTS. Returns True when the login was created.
    Raises ProvisioningError for an address that is not an e-mail or a password AUTH_PASSWORD_VALIDATORS refuse."""
    email = email.strip().lower()
    _validate_login(email=email, password=password)
    user_model = get_user_model()
    with schema_context(get_public_schema_name()), transaction.atomic():
        user, created = user_model.objects.get_or_create(username=email, defaults={"email": email})
        user.email, user.is_active, user.is_staff, user.is_superuser = email, True, True, True
        user.set_password(password)
        user.save()
    return created


def page_binding_set_token(*, binding: PageBinding, token: str) -> None:
    PageBinding.objects.filter(pk=binding.pk).update(
        access_token_encrypted=encrypt_token(token), status=PageBinding.Status.ACTIVE
    )


@dataclass(frozen=True)
class SellerSettings:
    """What a seller's owner may change from the dashboard's settings page (the messages to buyers have their
    own page and service, `seller_message_templates_update`)."""

    default_language: str
    hold_minutes: int
    hold_starts: str
    max_units_per_claim: int
    max_units_per_live: int
    intent_engine: str
    answer_questions: bool
    payment_provider: str
    stripe_account_id: str


def seller_settings_update(*, seller: Seller, values: SellerSettings) -> Seller:
    """Store the owner's settings. The table's CHECK constraints refuse out-of-range values."""
    Seller.objects.filter(pk=seller.pk).update(
        default_language=values.default_language,
        hold_minutes=values.hold_minutes,
        hold_starts=values.hold_starts,
        max_units_per_claim=values.max_units_per_claim,
        max_units_per_live=values.max_units_per_live,
        intent_engine=values.intent_engine,
        answer_questions=values.answer_questions,
        payment_provider=values.payment_provider,
        stripe_account_id=values.stripe_account_id.strip(),
    )
    return Seller.objects.get(pk=seller.pk)


def seller_message_templates_update(*, seller: Seller, language: str, texts: Mapping[str, str | None]) -> Seller:
    """Set the owner's wording of messages to buyers in one `language`: `texts` maps a message name to its new
    text, or to None to go back to the default wording. Other messages and languages stay as they are.

    The caller has checked the texts (placeholders, length: messenger knows what each message is filled
    with). The seller row is locked while its templates are merged, so two owners saving different languages
    at once both keep their changes.
    """
    with transaction.atomic():
        current = Seller.objects.select_for_update().values_list("message_templates", flat=True).get(pk=seller.pk)
        templates: dict[str, dict[str, str]] = {
            name: dict(by_language) for name, by_language in (current or {}).items() if isinstance(by_language, dict)
        }
        for name, text in texts.items():
            by_language = templates.setdefault(name, {})
            if text is None:
                by_language.pop(language, None)
            else:
                by_language[language] = text
            if not by_language:
                del templates[name]
        Seller.objects.filter(pk=seller.pk).update(message_templates=templates)
    return Seller.objects.get(pk=seller.pk)


@dataclass(frozen=True)
class PageConnection:
    """A page binding as the settings page shows it: never the token, only whether there is one."""

    binding_id: int
    platform: str
    external_id: str
    name: str
    status: str
    has_token: bool

    @property
    def healthy(self) -> bool:
        return self.status == PageBinding.Status.ACTIVE and self.has_token


def page_connections(*, seller: Seller) -> list[PageConnection]:
    return [
        PageConnection(
            binding_id=b.pk,
            platform=b.platform,
            external_id=b.external_id,
            name=b.name,
            status=b.status,
            has_token=bool(b.access_token_encrypted),
        )
        for b in PageBinding.objects.filter(seller=seller).order_by("platform", "external_id")
    ]


def page_connection_save(*, seller: Seller, platform: str, external_id: str, name: str, token: str) -> PageBinding:
    """Connect a page to this seller, or refresh the name and token of one it already has.

    A page bound to another seller raises ProvisioningError: webhooks route by page, so a page has one owner.
    """
    external_id = external_id.strip()
    if not external_id:
        raise ProvisioningError(_("The page id is required."))
    with transaction.atomic():
        binding, created = PageBinding.objects.select_for_update().get_or_create(
            platform=platform,
            external_id=external_id,
            defaults={"seller": seller, "name": name, "access_token_encrypted": encrypt_token(token) if token else ""},
        )
        if binding.seller_id != seller.pk:
            raise ProvisioningError(_("This page is already connected to another seller."))
        if not created:
            changes: dict[str, object] = {"name": name or binding.name}
            if token:
                changes.update(access_token_encrypted=encrypt_token(token), status=PageBinding.Status.ACTIVE)
            PageBinding.objects.filter(pk=binding.pk).update(**changes)
            binding.refresh_from_db()
    return binding
