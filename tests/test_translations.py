"""Every string a person reads is translated into Spanish and Portuguese, and the compiled catalogs are current.

The strings are extracted the way the project's own tooling does it: Django's `makemessages` (xgettext over
every template and Python module of every app) runs in a temporary copy of the source tree, merged into a
copy of our .po files; the repository is never touched. A string whose Spanish or Portuguese is empty, or that
gettext only guessed (fuzzy), fails the test with its msgid and where it is used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.processes import ROOT

LANGUAGES = ("es", "pt")
# What is not our source: environments, caches, generated files. Everything else is scanned, as
# `manage.py makemessages` run at the repository's root would.
NOT_SOURCE = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "*.mo", "artifacts", "node_modules", "*.png")
SKIPPED_ROOT_ENTRIES = {"artifacts"}


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def strings_of(message: Message) -> tuple[str, ...]:
    """The translation, or its plural forms (babel reads those as a tuple from .po, a list from .mo)."""
    return tuple(message.string) if isinstance(message.string, tuple | list) else (str(message.string or ""),)


def untranslated(message: Message) -> bool:
    return message.fuzzy or not all(str(text).strip() for text in strings_of(message))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Catalog]:
    """Our .po files merged with every msgid of today's source (makemessages in a copy of the tree)."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge) is missing: apt-get install gettext")
    tree = tmp_path_factory.mktemp("source")
    for entry in ROOT.iterdir():
        if entry.name in SKIPPED_ROOT_ENTRIES or entry.name.startswith("."):
            continue
        target = tree / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, ignore=NOT_SOURCE)
        else:
            shutil.copy2(entry, target)
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-obsolete", *(f"--locale={code}" for code in LANGUAGES)],
        cwd=tree,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"makemessages failed:\n{run.stdout}\n{run.stderr}"
    return {code: read_catalog(tree / "locale" / code / "LC_MESSAGES" / "django.po") for code in LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_and_python_string_has_a_translation(extracted: dict[str, Catalog], language: str) -> None:
    catalog = extracted[language]
    missing = [
        f"{message.id!r}  ({', '.join(f'{path}:{line}' for path, line in message.locations[:3])})"
        for message in catalog
        if message.id and untranslated(message)
    ]
    assert len(catalog) > 100, "makemessages found almost nothing: is the copy of the source complete?"
    assert not missing, f"{len(missing)} string(s) without a {language} translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_po_file(language: str) -> None:
    """The server reads the .mo file: one left behind after a .po edit would show English."""
    directory = ROOT / "locale" / language / "LC_MESSAGES"
    source = read_catalog(directory / "django.po")
    with (directory / "django.mo").open("rb") as handle:
        compiled = read_mo(handle)
    # Babel's read_mo gives a message's context as bytes; the .po reader gives text.
    built_by_key = {
        (_key(m.id), m.context.decode() if isinstance(m.context, bytes) else m.context): m for m in compiled if m.id
    }
    stale = []
    for message in source:
        if not message.id or untranslated(message):
            continue
        built = built_by_key.get((_key(message.id), message.context))
        if built is None or strings_of(built) != strings_of(message):
            stale.append(repr(message.id))
    assert not stale, f"locale/{language}/LC_MESSAGES/django.mo is out of date (run compilemessages): {stale[:10]}"


def _key(message_id: object) -> object:
    """A plural message's id is a list (unhashable): its singular and plural forms as a tuple."""
    return tuple(message_id) if isinstance(message_id, list) else message_id
