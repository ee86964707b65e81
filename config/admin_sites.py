"""Two admin sites: the platform's on the public host, and each seller's on the seller's own host."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _


class PlatformAdminSite(AdminSite):
    site_header = _("LiveStreamSell AI — platform")
    site_title = _("LiveStreamSell platform admin")
    index_title = _("Sellers and page bindings")


class SellerAdminSite(AdminSite):
    site_header = "LiveStreamSell AI"
    site_title = "LiveStreamSell"
    index_title = _("Catalog, lives, orders and messages")


platform_admin_site = PlatformAdminSite(name="platform_admin")
seller_admin_site = SellerAdminSite(name="seller_admin")
