from __future__ import annotations

from django.contrib import admin

from config.admin_sites import seller_admin_site
from livestreams.models import Comment, LiveSession


@admin.register(LiveSession, site=seller_admin_site)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "status", "featured_product", "started_at", "ended_at")
    list_filter = ("platform", "status")
    list_select_related = ("featured_product",)


@admin.register(Comment, site=seller_admin_site)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("received_at", "author_name", "text", "intent", "is_candidate", "live_session")
    list_filter = ("intent", "is_candidate", "platform")
    search_fields = ("text", "author_name", "external_id")
    list_select_related = ("live_session",)
    readonly_fields = [field.name for field in Comment._meta.fields]
