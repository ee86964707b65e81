"""evaluation.py re-implements the shared score.py rules; both must agree on every comment."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from livestreams.intent.evaluation import (
    DatasetError,
    by_seller,
    format_report,
    format_table,
    load_catalogs,
    load_dataset,
    measure_throughput,
    predict_dataset,
    score,
    summary_row,
    wrong_and_confident,
)
from livestreams.intent.evaluation import shared_eval_dir as find_shared_eval_dir
from livestreams.intent.local_engine import parse_comment
from livestreams.intent.types import ClaimItem, IntentResult, LiveContext

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(__file__).resolve().parent / "data"
HOLDOUT = DATA_DIR / "intent_holdout.jsonl"
HOLDOUT_CATALOGS = DATA_DIR / "intent_holdout_catalogs.json"


def shared_eval_dir() -> Path | None:
    shared = find_shared_eval_dir()
    return shared if shared is not None and (shared / "score.py").is_file() else None


def reference_scorer() -> tuple[ModuleType, Path]:
    shared = shared_eval_dir()
    if shared is None:
        pytest.skip("shared score.py not available")
    spec = importlib.util.spec_from_file_location("shared_score", shared / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, shared


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def degraded(predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Predictions with every kind of mistake: missing ids, wrong intents, wrong items, case differences."""
    out = []
    for n, p in enumerate(predictions):
        p = json.loads(json.dumps(p))
        if n % 7 == 0:
            continue  # missing prediction counts as "other"
        if n % 5 == 0:
            p["intent"] = "question"
        if n % 3 == 0 and p["items"]:
            p["items"][0]["qty"] += 1
        if n % 4 == 0:
            for item in p["items"]:
                item["code"] = item["code"].lower()
                item["variant"] = item["variant"].upper() if item["variant"] else ""
        out.append(p)
    return out


def test_score_agrees_with_score_py_on_the_dev_set(tmp_path: Path) -> None:
    shared_score, shared = reference_scorer()
    dataset = shared / "dev.jsonl"
    catalogs = load_catalogs(shared / "catalogs.json")
    predictions = predict_dataset(dataset, catalogs, parse_comment)
    for variant in (predictions, degraded(predictions)):
        preds_path = write_jsonl(tmp_path / "preds.jsonl", variant)
        assert score(load_dataset(dataset), variant) == shared_score.score(str(dataset), str(preds_path))


def test_score_agrees_with_score_py_on_the_holdout_set(tmp_path: Path) -> None:
    shared_score, _ = reference_scorer()
    catalogs = load_catalogs(HOLDOUT_CATALOGS)
    predictions = degraded(predict_dataset(HOLDOUT, catalogs, parse_comment))
    preds_path = write_jsonl(tmp_path / "preds.jsonl", predictions)
    assert score(load_dataset(HOLDOUT), predictions) == shared_score.score(str(HOLDOUT), str(preds_path))


def test_report_prints_what_score_py_prints(tmp_path: Path) -> None:
    _, shared = reference_scorer()
    dataset = shared / "dev.jsonl"
    predictions = degraded(predict_dataset(dataset, load_catalogs(shared / "catalogs.json"), parse_comment))
    preds_path = write_jsonl(tmp_path / "preds.jsonl", predictions)
    printed = subprocess.run(
        [sys.executable, str(shared / "score.py"), str(dataset), str(preds_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "\n".join(format_report(score(load_dataset(dataset), predictions))) + "\n" == printed


def test_a_missing_prediction_counts_as_other() -> None:
    gold = [{"id": 1, "text": "mio", "label": {"intent": "purchase", "items": [{"code": "A", "variant": None}]}}]
    result = score(gold, [])
    assert result["confusion"] == {"purchase->other": 1}
    assert result["items_exact"] == 0.0
    assert result["per_intent"]["other"]["precision"] == 0.0


def test_items_compare_case_insensitively_and_empty_variant_is_null() -> None:
    gold: list[dict[str, Any]] = [
        {"id": 1, "text": "x", "label": {"intent": "purchase", "items": [{"code": "A1", "variant": "M", "qty": 2}]}}
    ]
    pred: list[dict[str, Any]] = [{"id": 1, "intent": "purchase", "items": [{"code": "a1", "variant": "m", "qty": 2}]}]
    assert score(gold, pred)["items_exact"] == 1.0
    gold[0]["label"]["items"][0]["variant"] = None
    pred[0]["items"][0]["variant"] = ""
    assert score(gold, pred)["items_exact"] == 1.0


def test_predict_dataset_writes_one_line_per_comment(tmp_path: Path) -> None:
    def always_mine(text: str, context: LiveContext) -> IntentResult:
        return IntentResult(intent="purchase", items=(ClaimItem(context.featured or "?", None, 1),), confidence=1.0)

    predictions = predict_dataset(HOLDOUT, load_catalogs(HOLDOUT_CATALOGS), always_mine)
    assert len(predictions) == len(load_dataset(HOLDOUT))
    assert set(predictions[1]) == {"id", "intent", "items", "confidence"}  # score.py reads the first three
    assert predictions[2]["items"] == [{"code": "B-7", "variant": None, "qty": 1}]


def test_load_catalogs_keeps_codes_and_variants_as_written() -> None:
    catalogs = load_catalogs(HOLDOUT_CATALOGS)
    assert catalogs["pe_calzado"][0].code == "B-7"
    assert catalogs["pe_calzado"][0].variants == ("36", "37", "38", "39", "40")


def test_missing_or_malformed_files_raise_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_catalogs(tmp_path / "nope.json")
    with pytest.raises(DatasetError, match="not valid JSON"):
        load_catalogs(write_bad(tmp_path / "bad.json", "{oops"))
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="line 2"):
        load_dataset(write_bad(tmp_path / "bad.jsonl", '{"id": 1, "text": "a"}\n{oops\n'))
    with pytest.raises(DatasetError, match="catalog"):
        predict_dataset(HOLDOUT, {}, parse_comment)


def write_bad(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def test_throughput_is_measured_in_comments_per_second() -> None:
    rows = load_dataset(HOLDOUT)[:10]
    rate = measure_throughput(rows, load_catalogs(HOLDOUT_CATALOGS), parse_comment, min_seconds=0.05)
    assert rate > 0


def test_wrong_and_confident_counts_only_mistakes_at_or_above_the_threshold() -> None:
    gold: list[dict[str, Any]] = [
        {"id": 1, "text": "mio", "label": {"intent": "purchase", "items": [{"code": "A", "variant": None, "qty": 1}]}},
        {"id": 2, "text": "hola", "label": {"intent": "other", "items": []}},
        {"id": 3, "text": "?", "label": {"intent": "question", "items": []}},
    ]
    predictions = [
        {"id": 1, "intent": "purchase", "items": [{"code": "B", "variant": None, "qty": 1}], "confidence": 0.9},
        {"id": 2, "intent": "purchase", "items": [], "confidence": 0.55},
        {"id": 3, "intent": "question", "items": [], "confidence": 0.9},
    ]

    sure = wrong_and_confident(gold, predictions, threshold=0.6)

    assert [f["id"] for f in sure] == [1]  # 2 is wrong but unsure (it goes to review), 3 is right


def test_the_table_has_a_row_per_seller_and_a_total() -> None:
    gold = load_dataset(HOLDOUT)
    predictions = predict_dataset(HOLDOUT, load_catalogs(HOLDOUT_CATALOGS), parse_comment)

    rows = [summary_row(seller, lines, predictions, 0.6) for seller, lines in by_seller(gold).items()]
    total = summary_row("all", gold, predictions, 0.6)
    lines = format_table([*rows, total])

    assert [row["name"] for row in rows] == ["br_praia", "pe_calzado", "us_kids"]
    assert sum(row["n"] for row in rows) == total["n"] == len(gold)
    assert lines[0].split()[:3] == ["n", "acc", "P(buy)"] and lines[-1].startswith("all")
    assert len(lines) == 5


def test_eval_intent_scores_several_sets_with_a_table_each(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "eval_intent",
        "--dataset", str(HOLDOUT), "--catalogs", str(HOLDOUT_CATALOGS),
        "--dataset", str(DATA_DIR / "intent_dev3" / "comments.jsonl"),
        "--catalogs", str(DATA_DIR / "intent_dev3" / "catalogs.json"),
        "--predictions", str(tmp_path), "--no-throughput",
        stdout=out,
    )  # fmt: skip

    printed = out.getvalue()
    assert "== intent_holdout:" in printed and "== intent_dev3:" in printed and "== all sets" in printed
    for seller in ("pe_calzado", "gt_celulares", "all intent_holdout", "all intent_dev3"):
        assert seller in printed
    assert "wrong&sure" in printed
    assert (tmp_path / "intent_holdout.jsonl").is_file() and (tmp_path / "intent_dev3.jsonl").is_file()


def test_eval_intent_needs_one_catalogs_file_per_dataset() -> None:
    with pytest.raises(CommandError, match="one --catalogs per --dataset"):
        call_command("eval_intent", "--dataset", str(HOLDOUT), "--no-throughput")
    with pytest.raises(CommandError, match="nothing to score"):
        call_command("eval_intent", "--no-throughput")
