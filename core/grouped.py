"""Group commit on an event loop: calls that arrive while the previous group is running go together in the next.

Under load, N concurrent requests cost one round trip (one Redis pipeline, one INSERT) instead of N, and each
waits for at most two groups; alone, a call runs at once in a group of one. `per_loop(factory)` keeps one group
per event loop (a web worker has one; tests start many)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Grouped(Generic[T, R]):
    """`run(items)` gets every item of a group, in arrival order, and returns one result per item; if it raises,
    every caller of that group gets the exception."""

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._run = run
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def call(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                group, self._pending = self._pending, []
                try:
                    results = await self._run([item for item, _ in group])
                except Exception as exc:  # every caller of the group hears it
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for (_, future), result in zip(group, results, strict=True):
                        if not future.done():
                            future.set_result(result)
        finally:
            self._task = None


def per_loop(factory: Callable[[], Grouped[T, R]]) -> Callable[[], Grouped[T, R]]:
    """The group of the running event loop, made on first use."""
    groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Grouped[T, R]] = weakref.WeakKeyDictionary()

    def current() -> Grouped[T, R]:
        loop = asyncio.get_running_loop()
        group = groups.get(loop)
        if group is None:
            group = groups[loop] = factory()
        return group

    return current
