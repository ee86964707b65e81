from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from config.admin_sites import seller_admin_site
from inventory.models import Product, StockMovement, Variant


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ("label", "sku", "stock_on_hand", "reserved")
    readonly_fields = ("stock_on_hand", "reserved")


@admin.register(Product, site=seller_admin_site)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "price_minor", "currency", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")
    inlines = [VariantInline]


@admin.register(Variant, site=seller_admin_site)
class VariantAdmin(admin.ModelAdmin):
    list_display = ("product", "label", "sku", "stock_on_hand", "reserved")
    search_fields = ("product__code", "label", "sku")
    list_select_related = ("product",)
    # Stock changes go through services so every change is recorded as a movement.
    readonly_fields = ("stock_on_hand", "reserved")


@admin.register(StockMovement, site=seller_admin_site)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ("created_at", "variant", "reason", "on_hand_delta", "reserved_delta", "actor", "note")
    list_filter = ("reason",)
    list_select_related = ("variant__product",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


seller_admin_site.register(User, UserAdmin)
seller_admin_site.register(Group, GroupAdmin)
