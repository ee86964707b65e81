"""Import a seller's catalog from CSV: every row validated first, then upserted in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from inventory.catalog_csv import COLUMNS, CatalogFileError, parse_catalog_csv
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
        parser.add_argument("file", help="Path of the CSV file (UTF-8).")

    def handle(self, *args: Any, **options: Any) -> None:
        schema = options["schema"]
        if not Seller.objects.filter(schema_name=schema).exists():
            raise CommandError(f"No seller has the schema {schema!r}; create it with create_seller first.")
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"The file {path} does not exist.") from None
        except UnicodeDecodeError:
            raise CommandError(f"The file {path} is not UTF-8 text.") from None
        try:
            rows = parse_catalog_csv(text)
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
