"""Two admin sites: the platform's on the public host, and each seller's on the seller's own host."""

from __future__ import annotations

from typing import Any

import redis
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext_lazy as _

from core.streams import keys
from core.streams.connection import get_redis
from tenants.models import InboxDelivery

# Django's admin templates and scripts set a few inline styles (change_list.html's <style>, style attributes);
# its pages allow inline styles, and nothing else more than the rest of the site (scripts stay 'self' only).
admin_styles = csp_replace({"style-src": [SELF, UNSAFE_INLINE]})


def _allow_admin_styles(patterns: list[Any]) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _allow_admin_styles(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = admin_styles(pattern.callback)


class OurAdminSite(AdminSite):
    def get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super().get_urls()
        _allow_admin_styles(urls)
        return urls


class PlatformAdminSite(OurAdminSite):
    site_header = _("LiveStreamSell AI — platform")
    site_title = _("LiveStreamSell platform admin")
    index_title = _("Sellers and page bindings")
    index_template = "admin/platform_index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The index also says how the pipeline is: dead letters to look at, deliveries waiting for Redis."""
        return super().index(request, {**(extra_context or {}), "pipeline": pipeline_health()})


def pipeline_health() -> dict[str, int | None]:
    """Dead letters over every shard (None when Redis cannot be reached) and inbox deliveries not yet relayed."""
    try:
        client = get_redis()
        dead: int | None = sum(
            int(client.xlen(keys.dead_letter_stream(shard))) for shard in range(settings.STREAM_SHARDS)
        )
    except redis.RedisError:
        dead = None
    return {"dead_letters": dead, "inbox_pending": InboxDelivery.objects.filter(relayed_at__isnull=True).count()}


class SellerAdminSite(OurAdminSite):
    site_header = "LiveStreamSell AI"
    site_title = "LiveStreamSell"
    index_title = _("Catalog, lives, orders and messages")


platform_admin_site = PlatformAdminSite(name="platform_admin")
seller_admin_site = SellerAdminSite(name="seller_admin")
