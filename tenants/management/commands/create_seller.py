"""Provision a seller: schema (cloned from the template), domain, owner user and page bindings."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from tenants.models import SELLER_CURRENCIES, Language
from tenants.services import ProvisioningError, seller_provision


class Command(BaseCommand):
    help = (
        "Create a seller with its own schema, primary domain, optional owner login and Facebook/Instagram "
        "page bindings. Running it again with the same arguments changes nothing; anything that belongs to "
        "another seller is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="Schema name, e.g. 'demo' (lowercase, digits, _).")
        parser.add_argument("--name", required=True, help="The seller's display name.")
        parser.add_argument("--domain", required=True, help="Primary host, e.g. demo.localhost.")
        parser.add_argument("--owner-email", help="E-mail (and login) of the seller's owner.")
        parser.add_argument("--owner-password", help="Password for a new owner; ignored if the owner exists.")
        parser.add_argument("--facebook-page", help="Facebook Page id to bind.")
        parser.add_argument("--instagram-account", help="Instagram professional account id to bind.")
        parser.add_argument("--page-token", help="Page access token, stored encrypted.")
        parser.add_argument(
            "--language", default=Language.SPANISH, help=f"Language of buyer messages: {', '.join(Language.values)}."
        )
        parser.add_argument(
            "--currency", default="MXN", help=f"ISO 4217 currency, one of {', '.join(SELLER_CURRENCIES)}."
        )

    @no_translations  # operators read these messages in English, like the rest of the command's output
    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = seller_provision(
                schema_name=options["schema"],
                name=options["name"],
                domain=options["domain"],
                owner_email=options["owner_email"],
                owner_password=options["owner_password"],
                facebook_page_id=options["facebook_page"],
                instagram_account_id=options["instagram_account"],
                page_token=options["page_token"],
                default_language=options["language"],
                currency=options["currency"],
            )
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - started
        if not result.changes:
            self.stdout.write(f"Seller {result.seller.schema_name} already exists as requested; nothing to do.")
            return
        for change in result.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(self.style.SUCCESS(f"Seller {result.seller.schema_name} ready in {elapsed:.2f} s."))
