"""django-tenants' PostgreSQL backend, minus a round trip per transaction: `SET search_path` is sent only when
the connection's path would change.

django-tenants forgets the path it set whenever a schema is selected, and `schema_context` selects one on entry
and again on exit, so every transaction of a pipeline stage (one seller, batch after batch) began with a `SET`
repeating the path the connection already had. This backend remembers the path the session holds and skips
the `SET` when it is the same. What the server may have undone is forgotten: a rollback (to a savepoint or of
the whole transaction) reverts a `SET` made inside it, and a closed connection has no path.

It relies on session state, as django-tenants' `TENANT_LIMIT_SET_CALLS` does: behind PgBouncer, use session
pooling (docs/scaling.md).
"""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend import base


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    # django-tenants' own state: the path it last set (None: set it on the next cursor), and its re-entry guard.
    search_path_set_schemas: list[str] | None
    _setting_search_path: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.session_search_path: list[str] | None = None  # what the server holds, as far as we know
        super().__init__(*args, **kwargs)

    def _handle_search_path(self, cursor: Any = None) -> None:
        if (
            self.search_path_set_schemas is None
            and self.session_search_path is not None
            and not self._setting_search_path
            and self.schema_name
            and self._get_cursor_search_paths() == self.session_search_path
        ):
            self.search_path_set_schemas = list(self.session_search_path)
            return
        super()._handle_search_path(cursor)
        if not self._setting_search_path:
            self.session_search_path = self.search_path_set_schemas

    def close(self) -> None:
        self.session_search_path = None
        super().close()

    def rollback(self) -> None:
        self.session_search_path = None
        super().rollback()

    def savepoint_rollback(self, sid: str) -> None:
        try:
            super().savepoint_rollback(sid)
        finally:
            self.session_search_path = None
