"""The compiled copy of the local engine (livestreams/intent/engine.py) is the same engine: it gives the same
answer as the pure-Python one on every labelled comment, and it is only used when built from the sources as they
are now."""

from __future__ import annotations

import pytest

from livestreams.intent import engine, local_engine
from livestreams.intent.evaluation import LabelledSet, context_for, known_sets, load_catalogs, load_dataset


def test_callers_get_the_compiled_engine_only_when_its_build_matches_the_sources() -> None:
    if engine.NATIVE:
        assert engine.parse_comment is not local_engine.parse_comment
        assert engine.MANIFEST.is_file()
    else:
        assert engine.parse_comment is local_engine.parse_comment


def test_the_compiled_copy_is_off_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSS_INTENT_NATIVE", "0")
    assert engine._native_parse_comment() is None


def test_a_build_of_other_sources_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "sources_digest", lambda: "not-the-digest-of-any-build")
    assert engine._native_parse_comment() is None


@pytest.mark.skipif(not engine.NATIVE, reason="the compiled engine is not built (scripts/build_intent_native.py)")
@pytest.mark.parametrize("labelled", known_sets(), ids=lambda s: s.name)
def test_the_compiled_engine_answers_exactly_like_the_pure_one(labelled: LabelledSet) -> None:
    catalogs = load_catalogs(labelled.catalogs)
    differences = []
    for row in load_dataset(labelled.dataset):
        context = context_for(row, catalogs)
        compiled, pure = engine.parse_comment(row["text"], context), local_engine.parse_comment(row["text"], context)
        if (compiled.intent, compiled.items, compiled.replaces, compiled.confidence) != (
            pure.intent,
            pure.items,
            pure.replaces,
            pure.confidence,
        ):
            differences.append(row["text"])
    assert differences == []
