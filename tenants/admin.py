from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from config.admin_sites import platform_admin_site
from tenants.models import Domain, PageBinding, Seller


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class PageBindingInline(admin.TabularInline):
    model = PageBinding
    extra = 0
    fields = ("platform", "external_id", "name", "status")


@admin.register(Seller, site=platform_admin_site)
class SellerAdmin(admin.ModelAdmin):
    list_display = ("name", "schema_name", "status", "default_language", "currency", "hold_minutes", "created_at")
    list_filter = ("status", "default_language")
    search_fields = ("name", "schema_name")
    inlines = [DomainInline, PageBindingInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Renaming a schema would orphan its tables; sellers are created by `create_seller`.
        return ("schema_name", "created_at") if obj else ("created_at",)


@admin.register(Domain, site=platform_admin_site)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
    search_fields = ("domain",)


@admin.register(PageBinding, site=platform_admin_site)
class PageBindingAdmin(admin.ModelAdmin):
    list_display = ("platform", "external_id", "name", "seller", "status", "updated_at")
    list_filter = ("platform", "status")
    search_fields = ("external_id", "name", "seller__schema_name")
    list_select_related = ("seller",)
    exclude = ("access_token_encrypted",)


platform_admin_site.register(User, UserAdmin)
platform_admin_site.register(Group, GroupAdmin)
