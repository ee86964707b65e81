"""Reads of comments for the stages above livestreams (the payments stage composes replies from them)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from config.db_rows import columns, select_models_later
from livestreams.models import Comment, LiveSession


def comments_with_live(*, comment_ids: Collection[int]) -> dict[int, Comment]:
    """Comments by id with their live session loaded (one statement; the payments stage reads them for every
    batch of replies)."""
    return comments_with_live_later(comment_ids=comment_ids)()


def comments_with_live_later(*, comment_ids: Collection[int]) -> Callable[[], dict[int, Comment]]:
    """`comments_with_live`: the statement is sent now, the comments are read when the result is called."""
    if not comment_ids:
        return dict
    read = select_models_later(
        f"SELECT {columns(Comment, 'c')}, {columns(LiveSession, 'l')}"  # noqa: S608 (our tables)
        f" FROM {Comment._meta.db_table} c LEFT JOIN {LiveSession._meta.db_table} l ON l.id = c.live_session_id"
        " WHERE c.id = ANY(%s)",
        [sorted(comment_ids)],
        [Comment, LiveSession],
    )

    def comments() -> dict[int, Comment]:
        found: dict[int, Comment] = {}
        for comment, live in read():
            assert isinstance(comment, Comment)
            comment.live_session = live if isinstance(live, LiveSession) else None
            found[comment.pk] = comment
        return found

    return comments
