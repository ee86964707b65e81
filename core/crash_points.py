"""Crash points: named places where a crash test stops a process at a moment it chose, never on a timer.

A test starts a process with `CRASH_POINT=<name>:<after>` and `CRASH_READY_FILE=<path>` (read by
config.settings.test only: other settings never enable a crash point). When the process has passed the named
point with `after` items or more in total (stream entries, messages), it writes the total to the ready file
and blocks the calling thread for good; the test waits for the file, then kills the process exactly there.

With `CRASH_RESUME_FILE=<path>` as well, the process only pauses there: it goes on once the test creates that
file (a consumer stalled past its lease, then waking up: the test decides when).

The points sit where a crash hurts most, e.g. `claims.before_ack`: the batch's transaction has committed but
its stream entries are not acknowledged yet, so they will be delivered again.
"""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache

from django.conf import settings

_passed: dict[str, int] = {}
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _armed() -> tuple[str, int, str] | None:
    point = getattr(settings, "CRASH_POINT", "")
    if not point:
        return None
    name, _, after = point.partition(":")
    ready_file = getattr(settings, "CRASH_READY_FILE", "")
    if not ready_file:
        raise RuntimeError("CRASH_POINT needs CRASH_READY_FILE: the test waits for that file before it kills.")
    return name, int(after or "1"), ready_file


def crash_point(name: str, *, items: int = 1) -> None:
    """Mark that `items` passed the point `name`; block here for good once the armed point's count is reached."""
    armed = _armed()
    if armed is None or armed[0] != name:
        return
    with _lock:
        _passed[name] = total = _passed.get(name, 0) + items
    if total < armed[1]:
        return
    partial = f"{armed[2]}.partial"
    with open(partial, "w") as ready:  # renamed into place: the test never reads a half-written file
        ready.write(str(total))
    os.replace(partial, armed[2])
    resume = getattr(settings, "CRASH_RESUME_FILE", "")
    if not resume:
        threading.Event().wait()  # until the test's SIGKILL
    while not os.path.exists(resume):  # paused until the test says go on
        time.sleep(0.02)
    with _lock:
        _passed[name] = -(10**9)  # pause once
