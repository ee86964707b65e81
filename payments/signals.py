"""What payments tells the apps above it, without importing them.

`buyer_reply_due(work=ReplyWork)`: a change of a cart that the buyer must hear about (paid, promoted from the
waitlist, cancelled…), sent inside the transaction that made the change. Messenger, above payments, receives it
and writes the outbox row in that same transaction (`messenger.apps`), so a committed change always has its
message and a rolled-back one never does. A receiver's error propagates to the sender and rolls the change back.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from core.streams.events import ReplyWork

buyer_reply_due = Signal()


def buyer_reply_send(*, work: ReplyWork) -> None:
    """Send `buyer_reply_due`; with no receiver the message would be lost, so that is an error."""
    if not buyer_reply_due.has_listeners(ReplyWork):
        raise ImproperlyConfigured("no receiver queues buyer replies (is messenger in INSTALLED_APPS?)")
    buyer_reply_due.send(sender=ReplyWork, work=work)
