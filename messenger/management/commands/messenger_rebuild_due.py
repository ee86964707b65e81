"""Rebuild the Redis set of sellers with due messages from PostgreSQL (after a Redis restart or data loss)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from messenger.due import due_rebuild


class Command(BaseCommand):
    help = "Re-add every seller with queued or in-flight messages to the sender's due-set."

    def handle(self, *args: Any, **options: Any) -> None:
        pending = due_rebuild()
        self.stdout.write(f"{pending} sellers with pending messages.")
