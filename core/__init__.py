"""Infrastructure below every app: what the domain apps share and that knows no domain.

Nothing in `core` imports a domain app (tenants, inventory, livestreams, payments, messenger); the apps import
from here. Domain concepts stay in the app that owns them.
"""
