"""Import a seller's catalog from CSV: every row validated first, then upserted in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django_tenants.utils import schema_context

from inventory.catalog_csv import COLUMNS, CatalogFileError, decode_catalog_bytes, parse_catalog_csv
from inventory.services import catalog_import
from tenants.models import Seller


class Command(BaseCommand):
    help = (
        f"Import products and variants into a seller's catalog from a CSV file with columns {','.join(COLUMNS)} "
        "(one row per variant). Every row is validated first; on any error nothing is written. Existing "
        "variants are matched by code + variant and their stock set to the file's value."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="The seller's schema name.")
        parser.add_argument(
            "file", help="Path of the CSV file (UTF-8, UTF-16 or Windows-1252; commas, semicolons or tabs)."
        )

    @no_translations  # an operator's command: its messages stay in English whatever the default language
    def handle(self, *args: Any, **options: Any) -> None:
        schema = options["schema"]
        if not Seller.objects.filter(schema_name=schema).exists():
            raise CommandError(f"No seller has the schema {schema!r}; create it with create_seller first.")
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"The file {path} does not exist.") from None
        try:
            rows = parse_catalog_csv(decode_catalog_bytes(raw))
            with schema_context(schema):
                summary = catalog_import(rows=rows, actor=f"system:import_catalog:{path.name}")
        except CatalogFileError as exc:
            for error in exc.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(f"{len(exc.errors)} error(s) in {path}; nothing was imported.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(rows)} row(s) into {schema}: {summary.products_created} product(s) created, "
                f"{summary.products_updated} updated; {summary.variants_created} variant(s) created, "
                f"{summary.variants_updated} updated."
            )
        )
