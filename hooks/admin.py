from django.contrib import admin

from config.admin_sites import seller_admin_site
from hooks.models import Delivery, Endpoint


@admin.register(Endpoint, site=seller_admin_site)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "is_active", "created_at"]
    exclude = ["secret_encrypted"]
    readonly_fields = ["disabled_at", "disabled_reason"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # an endpoint needs its signing secret: the owner adds it in Settings → Webhooks or the API


@admin.register(Delivery, site=seller_admin_site)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
