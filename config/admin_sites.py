"""Two admin sites: the platform's on the public host, and each seller's on the seller's own host."""

from __future__ import annotations

from django.contrib.admin import AdminSite


class PlatformAdminSite(AdminSite):
    site_header = "LiveStreamSell AI — platform"
    site_title = "LiveStreamSell platform admin"
    index_title = "Sellers and page bindings"


class SellerAdminSite(AdminSite):
    site_header = "LiveStreamSell AI"
    site_title = "LiveStreamSell"
    index_title = "Catalog, lives, orders and messages"


platform_admin_site = PlatformAdminSite(name="platform_admin")
seller_admin_site = SellerAdminSite(name="seller_admin")
