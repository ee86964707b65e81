"""Throughput of the local intent engine and of the webhook prefilter, on one core, without Django.

usage: python bench/intent_throughput.py [DATASET.jsonl CATALOGS.json ...]

Without arguments: every labelled set (livestreams.intent.evaluation.known_sets: the shared ones, found by walking
up from the repository or at $LSS_EVAL_DIR, and the ones committed under tests/livestreams/data). The engine is the
one callers get (livestreams.intent.engine): the mypyc-compiled copy when it is built for the current sources,
else pure Python; the pure engine is measured too.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livestreams.intent import engine  # noqa: E402
from livestreams.intent.evaluation import (  # noqa: E402
    Catalogs,
    Engine,
    context_for,
    known_sets,
    load_catalogs,
    load_dataset,
    measure_throughput,
)
from livestreams.intent.local_engine import parse_comment as pure_parse_comment  # noqa: E402
from livestreams.intent.prefilter import is_candidate  # noqa: E402

CLAIM_INTENTS = ("purchase", "cancel")
TARGET = 20_000  # comments per second on one core (issue 19)


def default_sets() -> list[tuple[Path, Path]]:
    sets = [(labelled.dataset, labelled.catalogs) for labelled in known_sets()]
    if not sets:
        raise SystemExit("no dataset given and none found (set LSS_EVAL_DIR or pass DATASET CATALOGS)")
    return sets


def best_pass_rate(rows: list[dict[str, Any]], catalogs: Catalogs, parse: Engine, seconds: float = 2.0) -> float:
    """Comments/s of the fastest single pass: the engine's own speed, less disturbed by other processes."""
    work = [(r["text"], context_for(r, catalogs)) for r in rows]
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        begin = time.perf_counter()
        for text, context in work:
            parse(text, context)
        best = min(best, time.perf_counter() - begin)
    return len(work) / best


def prefilter_report(rows: list[dict[str, Any]]) -> tuple[float, float, float]:
    """(recall on purchase/cancel, share of the other comments dropped, microseconds per call)."""
    claims = [r for r in rows if r["label"]["intent"] in CLAIM_INTENTS]
    others = [r for r in rows if r["label"]["intent"] not in CLAIM_INTENTS]
    recall = sum(is_candidate(r["text"]) for r in claims) / len(claims) if claims else 1.0
    dropped = sum(not is_candidate(r["text"]) for r in others) / len(others) if others else 0.0
    texts = [r["text"] for r in rows]
    rounds, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        for text in texts:
            is_candidate(text)
        rounds += 1
    per_call = (time.perf_counter() - start) / (rounds * len(texts)) * 1e6
    return recall, dropped, per_call


def main() -> int:
    args = sys.argv[1:]
    if len(args) % 2:
        raise SystemExit("give datasets as DATASET.jsonl CATALOGS.json pairs")
    sets = [(Path(a), Path(b)) for a, b in zip(args[::2], args[1::2], strict=True)] if args else default_sets()
    kind = "compiled (mypyc)" if engine.NATIVE else "pure Python (run scripts/build_intent_native.py to compile)"
    print(f"engine: {kind}")
    slowest = float("inf")
    for dataset, catalogs_path in sets:
        rows = load_dataset(dataset)
        catalogs = load_catalogs(catalogs_path)
        rate = measure_throughput(rows, catalogs, engine.parse_comment, min_seconds=2.0)
        best = best_pass_rate(rows, catalogs, engine.parse_comment)
        pure = best_pass_rate(rows, catalogs, pure_parse_comment, seconds=1.0) if engine.NATIVE else best
        recall, dropped, per_call = prefilter_report(rows)
        slowest = min(slowest, best)
        print(f"dataset: {dataset.relative_to(dataset.parents[1])} ({len(rows)} comments)")
        print(
            f"  local engine: {rate:.0f} comments/s on one core (over 2 s; fastest pass {best:.0f}/s; "
            f"pure Python fastest pass {pure:.0f}/s)"
        )
        print(
            f"  prefilter: recall on purchase/cancel {recall:.3f}, drops {dropped:.1%} of the other comments, "
            f"{per_call:.2f} us per call"
        )
        if recall < 1.0:
            print("  PREFILTER DROPS CLAIMS: every purchase and cancel must pass it")
            return 1
    verdict = "meets" if slowest >= TARGET else "BELOW"
    print(f"slowest set: {slowest:.0f} comments/s on one core, {verdict} the {TARGET} comments/s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
