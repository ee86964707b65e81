"""Create the demo seller with its sample catalog and a bound demo page; print where to log in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tenants.models import Seller
from tenants.selectors import public_absolute_url, seller_absolute_url
from tenants.services import seller_provision

DEMO_EMAIL = "owner@demo.localhost"
DEMO_PASSWORD = "demo-live-2026"
DEMO_PAGE_ID = "100000000000001"


class Command(BaseCommand):
    help = "Create (or reuse) the demo seller 'demo' on demo.localhost with the sample catalog in demo/catalog.csv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--catalog", default=str(Path(settings.BASE_DIR) / "demo" / "catalog.csv"))
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Drop the demo seller first (its schema, lives, carts and messages), so every demo starts alike.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            existing = Seller.objects.filter(schema_name="demo").first()
            if existing is not None:
                existing.delete(force_drop=True)  # the schema goes with it (django-tenants)
                self.stdout.write("Previous demo seller dropped.")
        result = seller_provision(
            schema_name="demo",
            name="Boutique Demo",
            domain="demo.localhost",
            owner_email=DEMO_EMAIL,
            owner_password=DEMO_PASSWORD,
            facebook_page_id=DEMO_PAGE_ID,
            page_token="demo-page-token",
        )
        call_command("import_catalog", options["catalog"], schema="demo", verbosity=0)
        seller = Seller.objects.get(pk=result.seller.pk)
        self.stdout.write(self.style.SUCCESS("Demo seller ready."))
        self.stdout.write(f"  Dashboard:     {seller_absolute_url(seller=seller, path='/')}")
        self.stdout.write(f"  Seller admin:  {seller_absolute_url(seller=seller, path='/admin/')}")
        self.stdout.write(f"  Login:         {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Meta webhook:  {public_absolute_url(path='/webhooks/meta/')} (page {DEMO_PAGE_ID})")
