from __future__ import annotations

from django.contrib import admin

from config.admin_sites import seller_admin_site
from payments.models import Buyer, CheckoutSession, Order, OrderEvent, Payment, Reservation


class ReservationInline(admin.TabularInline):
    model = Reservation
    extra = 0
    fields = ("variant", "quantity", "status", "hold_expires_at", "source_comment")
    readonly_fields = fields


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    readonly_fields = ("provider", "external_id", "amount_minor", "currency", "status", "created_at")


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "from_status", "to_status", "cause")


class CheckoutSessionInline(admin.TabularInline):
    model = CheckoutSession
    extra = 0
    can_delete = False
    fields = ("provider", "external_id", "status", "amount_minor", "currency", "hold_expires_at", "created_at")
    readonly_fields = fields


@admin.register(Buyer, site=seller_admin_site)
class BuyerAdmin(admin.ModelAdmin):
    list_display = ("name", "platform", "platform_user_id", "created_at")
    search_fields = ("name", "platform_user_id")


@admin.register(Order, site=seller_admin_site)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "buyer", "live_session", "status", "needs_refund", "created_at")
    list_filter = ("status", "needs_refund")
    list_select_related = ("buyer", "live_session")
    readonly_fields = ("token", "status", "needs_refund", "buyer", "live_session", "created_at", "updated_at")
    inlines = [ReservationInline, CheckoutSessionInline, PaymentInline, OrderEventInline]
