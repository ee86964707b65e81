from __future__ import annotations

from django.contrib import admin

from config.admin_sites import seller_admin_site
from payments.models import Buyer, Order, Payment, Reservation


class ReservationInline(admin.TabularInline):
    model = Reservation
    extra = 0
    fields = ("variant", "quantity", "status", "hold_expires_at", "source_comment")
    readonly_fields = fields


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    readonly_fields = ("provider", "external_id", "amount_minor", "currency", "status", "created_at")


@admin.register(Buyer, site=seller_admin_site)
class BuyerAdmin(admin.ModelAdmin):
    list_display = ("name", "platform", "platform_user_id", "created_at")
    search_fields = ("name", "platform_user_id")


@admin.register(Order, site=seller_admin_site)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "buyer", "live_session", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("buyer", "live_session")
    readonly_fields = ("token", "status", "buyer", "live_session", "created_at", "updated_at")
    inlines = [ReservationInline, PaymentInline]
