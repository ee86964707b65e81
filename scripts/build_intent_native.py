"""Compile the local intent engine with mypyc (see livestreams/intent/engine.py).

usage: python scripts/build_intent_native.py [--force]

Copies livestreams/intent/local_engine.py and livestreams/intent/local/ into livestreams/intent/_native/ (imports
rewritten to the copy), compiles the copy in place with mypyc and writes a manifest with the digest of the
sources. Does nothing when the manifest already matches. Exit status 0 also when no C compiler is available (the
pure-Python engine is used then); 1 when the build itself fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livestreams.intent.engine import MANIFEST, NATIVE_DIR, PACKAGE_DIR, engine_sources, sources_digest  # noqa: E402

_MYPY_CONFIG = "[mypy]\nignore_missing_imports = True\nfollow_imports = silent\n"
_SETUP = """
from setuptools import setup
from mypyc.build import mypycify
import sys
paths = sys.argv[1:]
sys.argv = [sys.argv[0], "build_ext", "--inplace", "--build-temp", {build!r}, "--build-lib", {build!r}]
setup(
    name="intent_native",
    packages=[],
    py_modules=[],
    ext_modules=mypycify(
        ["--config-file", {config!r}, *paths], target_dir={build!r}, group_name="livestreams.intent._native.engine"
    ),
)
"""


def _copy_sources() -> list[Path]:
    shutil.rmtree(NATIVE_DIR, ignore_errors=True)
    copies = []
    for source in engine_sources():
        target = NATIVE_DIR / source.relative_to(PACKAGE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        text = text.replace("livestreams.intent.local_engine", "livestreams.intent._native.local_engine")
        text = text.replace("livestreams.intent.local.", "livestreams.intent._native.local.")
        text = text.replace("from livestreams.intent.local import", "from livestreams.intent._native.local import")
        target.write_text(text, encoding="utf-8")
        copies.append(target)
    (NATIVE_DIR / "__init__.py").write_text('"""Compiled copy of the local intent engine (generated)."""\n')
    return copies


def main(argv: list[str]) -> int:
    digest = sources_digest()
    if "--force" not in argv and MANIFEST.is_file():
        try:
            if json.loads(MANIFEST.read_text(encoding="utf-8")).get("digest") == digest:
                print("intent engine: compiled copy is up to date")
                return 0
        except ValueError:
            pass
    if shutil.which(os.environ.get("CC", "cc")) is None and shutil.which("gcc") is None:
        print("intent engine: no C compiler found; the pure-Python engine will be used")
        return 0
    started = time.monotonic()
    copies = _copy_sources()
    with tempfile.TemporaryDirectory(prefix="intent-native-") as work:
        config = Path(work) / "mypy.ini"
        config.write_text(_MYPY_CONFIG)
        setup = Path(work) / "setup.py"
        setup.write_text(_SETUP.format(build=str(Path(work) / "build"), config=str(config)))
        result = subprocess.run(
            [sys.executable, str(setup), *[str(p.relative_to(ROOT)) for p in copies]],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        shutil.rmtree(NATIVE_DIR, ignore_errors=True)
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
        print("intent engine: the mypyc build failed; the pure-Python engine will be used", file=sys.stderr)
        return 1
    MANIFEST.write_text(json.dumps({"digest": digest, "built_at": time.time()}) + "\n", encoding="utf-8")
    print(f"intent engine: compiled with mypyc in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
