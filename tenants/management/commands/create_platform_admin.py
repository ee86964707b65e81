"""Create the platform operator's login for the platform admin (/admin/ on PUBLIC_HOSTS), or reset its password."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from tenants.services import ProvisioningError, platform_admin_set


class Command(BaseCommand):
    help = (
        "Create a platform-admin login (a superuser of the public schema, who manages sellers, domains and page "
        "bindings at https://<public host>/admin/), or set a new password on an existing one. Without --password "
        "it asks for the password twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="E-mail address, also the login.")
        parser.add_argument("--password", help="The password (omit it to be asked, so it stays out of the history).")

    @no_translations  # operators read these messages in English, like the rest of the command's output
    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None:
            password = self._ask_password()
        try:
            created = platform_admin_set(email=options["email"], password=password)
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        verb = "created" if created else "updated with the new password"
        self.stdout.write(self.style.SUCCESS(f"Platform admin {options['email'].strip().lower()} {verb}."))

    @staticmethod
    def _ask_password() -> str:
        if not sys.stdin.isatty():
            raise CommandError("Give --password, or run the command in a terminal to be asked for the password.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was changed.")
        return password
