"""The local intent engine callers use: the mypyc-compiled copy when a build of the current sources exists, else
the pure-Python engine (local_engine.py), which is always the reference.

`scripts/build_intent_native.py` (run by `make venv`) copies the engine's modules into `livestreams/intent/_native/`
with their imports rewritten and compiles them with mypyc: the same code, two to three times faster. The copy is
used only if its manifest carries the digest of the sources as they are now, so editing the engine never runs a
stale build; `LSS_INTENT_NATIVE=0` turns the compiled copy off.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from livestreams.intent import local_engine
from livestreams.intent.types import IntentResult, LiveContext

PACKAGE_DIR = Path(__file__).resolve().parent
NATIVE_DIR = PACKAGE_DIR / "_native"
MANIFEST = NATIVE_DIR / "manifest.json"


def engine_sources() -> list[Path]:
    """The modules the compiled copy is made of, in a stable order."""
    local = PACKAGE_DIR / "local"
    return [PACKAGE_DIR / "local_engine.py", *sorted(local.rglob("*.py"))]


def sources_digest() -> str:
    digest = hashlib.sha256()
    for path in engine_sources():
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _native_parse_comment() -> Callable[[str, LiveContext], IntentResult] | None:
    if os.environ.get("LSS_INTENT_NATIVE", "1") == "0":
        return None
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("digest") != sources_digest():
        return None  # no build, or a build of other sources: the pure engine is the truth
    try:
        from livestreams.intent._native.local_engine import parse_comment as compiled  # type: ignore[import-not-found]
    except ImportError:
        return None
    return compiled  # type: ignore[no-any-return]


_native = _native_parse_comment()
NATIVE = _native is not None
parse_comment: Callable[[str, LiveContext], IntentResult] = _native or local_engine.parse_comment
