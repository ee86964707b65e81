from __future__ import annotations

from django.contrib import admin

from config.admin_sites import seller_admin_site
from messenger.models import OutboundMessage


@admin.register(OutboundMessage, site=seller_admin_site)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reason", "kind", "recipient_id", "status", "attempts", "last_error_code", "sent_at")
    list_filter = ("status", "kind", "reason")
    search_fields = ("recipient_id", "text", "external_message_id")
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]
