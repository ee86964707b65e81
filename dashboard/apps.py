from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The seller's dashboard: home, lives and the live control room, orders. Its pages and actions read and
    change several domain apps at once, so they live above all of them. It owns no table."""

    name = "dashboard"
