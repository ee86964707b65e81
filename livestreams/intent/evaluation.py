"""Score an intent engine on labelled comment sets (the `eval_intent` management command is a thin shell).

The scoring rules are those of the shared `score.py` used to grade every engine: per-intent precision/recall/F1
over comments, and `items_exact` = among comments labelled purchase, the share predicted purchase with exactly the
same multiset of (code, variant, qty), codes and variants compared case-insensitively.

On top of score.py: "wrong and confident" (comments the engine gets wrong with a confidence at or above the
threshold, i.e. that neither OpenAI nor the seller's review list would see), and the same table per seller
(catalog), so a change that helps one seller and hurts another shows.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from livestreams.intent.types import CatalogProduct, IntentResult, LiveContext

INTENTS = ("purchase", "question", "cancel", "other")

Engine = Callable[[str, LiveContext], IntentResult]
Catalogs = dict[str, tuple[CatalogProduct, ...]]


REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED_SETS = REPO_ROOT / "tests" / "livestreams" / "data"


class LabelledSet(NamedTuple):
    name: str
    dataset: Path
    catalogs: Path


def shared_eval_dir() -> Path | None:
    """The shared labelled sets: $LSS_EVAL_DIR, else the first `shared/eval` found walking up from the
    repository (a checkout at /work/main or a worktree at /work/wt/x both find /work/shared/eval)."""
    explicit = os.environ.get("LSS_EVAL_DIR")
    candidates = [Path(explicit)] if explicit else [base / "shared" / "eval" for base in REPO_ROOT.parents]
    return next((c for c in candidates if (c / "dev.jsonl").is_file() and (c / "catalogs.json").is_file()), None)


def known_sets() -> list[LabelledSet]:
    """Every labelled set we have: the shared ones (when present) and the ones committed with the tests."""
    sets: list[LabelledSet] = []
    shared = shared_eval_dir()
    if shared is not None:
        sets.append(LabelledSet("dev", shared / "dev.jsonl", shared / "catalogs.json"))
        for folder in sorted(p for p in shared.iterdir() if (p / "comments.jsonl").is_file()):
            sets.append(LabelledSet(folder.name, folder / "comments.jsonl", folder / "catalogs.json"))
    if (COMMITTED_SETS / "intent_holdout.jsonl").is_file():
        sets.append(
            LabelledSet(
                "intent_holdout",
                COMMITTED_SETS / "intent_holdout.jsonl",
                COMMITTED_SETS / "intent_holdout_catalogs.json",
            )
        )
    for folder in sorted(p for p in COMMITTED_SETS.iterdir() if (p / "comments.jsonl").is_file()):
        sets.append(LabelledSet(folder.name, folder / "comments.jsonl", folder / "catalogs.json"))
    return sets


class DatasetError(ValueError):
    """A dataset or catalog file is missing or malformed; the message is one sentence for the user."""


def load_catalogs(path: str | Path) -> Catalogs:
    raw = _read_json(Path(path))
    if not isinstance(raw, dict):
        raise DatasetError(f"{path} must hold a JSON object of catalog_id -> list of products.")
    try:
        return {
            str(catalog_id): tuple(
                CatalogProduct(code=str(p["code"]), name=str(p.get("name", "")), variants=tuple(p.get("variants", [])))
                for p in products
            )
            for catalog_id, products in raw.items()
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise DatasetError(f"{path} has a product without a code or with malformed variants ({exc}).") from exc


def load_dataset(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"dataset file {path} does not exist.")
    lines = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path} line {number} is not valid JSON ({exc.msg}).") from exc
            if not isinstance(row, dict) or "id" not in row or "text" not in row:
                raise DatasetError(f"{path} line {number} lacks an id or a text.")
            lines.append(row)
    return lines


def context_for(row: dict[str, Any], catalogs: Catalogs) -> LiveContext:
    catalog_id = row.get("catalog_id")
    if catalog_id not in catalogs:
        raise DatasetError(f"comment {row['id']} refers to catalog {catalog_id!r}, which the catalogs file lacks.")
    return LiveContext(products=catalogs[catalog_id], featured=row.get("featured"))


def predict_dataset(dataset_path: str | Path, catalogs: Catalogs, engine: Engine) -> list[dict[str, Any]]:
    """One prediction per comment: the score.py fields (id, intent, items) and the engine's confidence."""
    return predict_rows(load_dataset(dataset_path), catalogs, engine)


def predict_rows(rows: list[dict[str, Any]], catalogs: Catalogs, engine: Engine) -> list[dict[str, Any]]:
    predictions = []
    for row in rows:
        result = engine(row["text"], context_for(row, catalogs))
        predictions.append(
            {
                "id": row["id"],
                "intent": result.intent,
                "items": [{"code": i.code, "variant": i.variant, "qty": i.qty} for i in result.items],
                "confidence": result.confidence,
            }
        )
    return predictions


def measure_throughput(
    rows: list[dict[str, Any]], catalogs: Catalogs, engine: Engine, min_seconds: float = 1.0
) -> float:
    """Comments per second on one core, repeating the set until at least `min_seconds` have passed, after one
    pass not counted (it builds each catalog's index and the signal scanners, once per process)."""
    work = [(row["text"], context_for(row, catalogs)) for row in rows]
    if not work:
        return 0.0
    for text, context in work:
        engine(text, context)
    done, start = 0, time.perf_counter()
    while True:
        for text, context in work:
            engine(text, context)
        done += len(work)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def _norm_items(items: Iterable[dict[str, Any]] | None) -> Counter[tuple[str, str | None, int]]:
    out: Counter[tuple[str, str | None, int]] = Counter()
    for item in items or []:
        code = str(item.get("code", "")).strip().lower()
        variant = item.get("variant")
        variant = None if variant in (None, "") else str(variant).strip().lower()
        out[(code, variant, int(item.get("qty", 1)))] += 1
    return out


def score(gold_lines: list[dict[str, Any]], predictions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Same rules and output keys as score.py: n, per_intent, items_exact, accuracy, confusion, failures."""
    by_id = {p["id"]: p for p in predictions}
    confusion: Counter[tuple[str, str]] = Counter()
    exact = gold_purchases = 0
    failures = []
    for gold in gold_lines:
        pred = by_id.get(gold["id"], {"intent": "other", "items": []})
        gold_intent, pred_intent = gold["label"]["intent"], pred.get("intent", "other")
        confusion[(gold_intent, pred_intent)] += 1
        ok = gold_intent == pred_intent
        if gold_intent == "purchase":
            gold_purchases += 1
            same = pred_intent == "purchase" and _norm_items(gold["label"]["items"]) == _norm_items(pred.get("items"))
            exact += same
            ok = ok and same
        if not ok:
            failures.append(
                {
                    "id": gold["id"],
                    "text": gold["text"],
                    "gold": gold["label"],
                    "pred": {"intent": pred_intent, "items": pred.get("items")},
                }
            )
    return {
        "n": len(gold_lines),
        "per_intent": {intent: _intent_scores(confusion, intent) for intent in INTENTS},
        "items_exact": round(exact / gold_purchases, 4) if gold_purchases else 1.0,
        "accuracy": round(sum(confusion[(i, i)] for i in INTENTS) / len(gold_lines), 4) if gold_lines else 1.0,
        "confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items())},
        "failures": failures,
    }


def wrong_and_confident(
    gold_lines: list[dict[str, Any]], predictions: Iterable[dict[str, Any]], threshold: float
) -> list[dict[str, Any]]:
    """The failures (as score() counts them) whose confidence is at or above `threshold`: mistakes the engine
    would act on by itself, without OpenAI or the seller's review list. A missing confidence counts as 1.0."""
    by_id = {p["id"]: p for p in predictions}
    return [
        failure
        for failure in score(gold_lines, by_id.values())["failures"]
        if float(by_id.get(failure["id"], {}).get("confidence", 1.0)) >= threshold
    ]


def by_seller(gold_lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    sellers: dict[str, list[dict[str, Any]]] = {}
    for row in gold_lines:
        sellers.setdefault(str(row.get("catalog_id")), []).append(row)
    return dict(sorted(sellers.items()))


def summary_row(
    name: str, gold_lines: list[dict[str, Any]], predictions: list[dict[str, Any]], threshold: float
) -> dict[str, Any]:
    """One line of the per-set / per-seller table."""
    ids = {row["id"] for row in gold_lines}
    mine = [p for p in predictions if p["id"] in ids]
    result = score(gold_lines, mine)
    purchase = result["per_intent"]["purchase"]
    confident_wrong = wrong_and_confident(gold_lines, mine, threshold)
    return {
        "name": name,
        "n": result["n"],
        "accuracy": result["accuracy"],
        "purchase_precision": purchase["precision"],
        "purchase_recall": purchase["recall"],
        "items_exact": result["items_exact"],
        "question_f1": result["per_intent"]["question"]["f1"],
        "cancel_f1": result["per_intent"]["cancel"]["f1"],
        "other_f1": result["per_intent"]["other"]["f1"],
        "wrong_confident": len(confident_wrong),
        "wrong_confident_share": round(len(confident_wrong) / result["n"], 4) if result["n"] else 0.0,
        "unsure_share": round(sum(float(p.get("confidence", 1.0)) < threshold for p in mine) / len(mine), 4)
        if mine
        else 0.0,
    }


_TABLE_HEADER = (
    f"{'':<22}{'n':>5}{'acc':>7}{'P(buy)':>8}{'R(buy)':>8}{'items':>7}{'F1(q)':>7}{'F1(c)':>7}{'F1(o)':>7}"
    f"{'wrong&sure':>12}{'unsure':>8}"
)


def format_table(rows: list[dict[str, Any]]) -> list[str]:
    """The per-seller rows then the set's total, aligned; 'wrong&sure' = count (share of comments); 'unsure' = share
    of comments below the threshold (what OpenAI or the seller's review list gets)."""
    lines = [_TABLE_HEADER]
    for row in rows:
        lines.append(
            f"{row['name'][:21]:<22}{row['n']:>5}{row['accuracy']:>7.3f}{row['purchase_precision']:>8.3f}"
            f"{row['purchase_recall']:>8.3f}{row['items_exact']:>7.3f}{row['question_f1']:>7.3f}"
            f"{row['cancel_f1']:>7.3f}{row['other_f1']:>7.3f}"
            f"{row['wrong_confident']:>5} ({row['wrong_confident_share']:>5.1%}){row['unsure_share']:>8.1%}"
        )
    return lines


def _intent_scores(confusion: Counter[tuple[str, str]], intent: str) -> dict[str, float | int]:
    tp = confusion[(intent, intent)]
    fp = sum(confusion[(g, intent)] for g in INTENTS if g != intent)
    fn = sum(confusion[(intent, p)] for p in INTENTS if p != intent)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": tp + fn}


def format_report(result: dict[str, Any]) -> list[str]:
    """The lines score.py prints: failures first, then the summary."""
    lines = [f"#{f['id']} {f['text']!r}\n    gold {f['gold']}\n    pred {f['pred']}" for f in result["failures"]]
    lines.append(f"n={result['n']} accuracy={result['accuracy']} items_exact={result['items_exact']}")
    for intent, m in result["per_intent"].items():
        lines.append(f"  {intent:9} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} (n={m['support']})")
    return lines


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise DatasetError(f"catalogs file {path} does not exist.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"catalogs file {path} is not valid JSON ({exc.msg}).") from exc
