"""Throughput of the local intent engine and of the webhook prefilter, on one core, without Django.

usage: python bench/intent_throughput.py [DATASET.jsonl CATALOGS.json]
(defaults to the shared dev set in ../shared/eval or /work/shared/eval)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livestreams.intent.evaluation import context_for, load_catalogs, load_dataset, measure_throughput  # noqa: E402
from livestreams.intent.local_engine import parse_comment  # noqa: E402
from livestreams.intent.prefilter import is_candidate  # noqa: E402

CLAIM_INTENTS = ("purchase", "cancel")


def default_paths() -> tuple[Path, Path]:
    for base in (ROOT.parent / "shared" / "eval", Path("/work/shared/eval")):
        if (base / "dev.jsonl").is_file():
            return base / "dev.jsonl", base / "catalogs.json"
    raise SystemExit("no dataset given and no shared/eval/dev.jsonl found")


def best_pass_rate(rows: list[dict], catalogs: dict, seconds: float = 2.0) -> float:
    """Comments/s of the fastest single pass: the engine's own speed, less disturbed by other processes."""
    work = [(r["text"], context_for(r, catalogs)) for r in rows]
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        begin = time.perf_counter()
        for text, context in work:
            parse_comment(text, context)
        best = min(best, time.perf_counter() - begin)
    return len(work) / best


def prefilter_report(rows: list[dict]) -> tuple[float, float, float]:
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
    dataset, catalogs_path = (Path(sys.argv[1]), Path(sys.argv[2])) if len(sys.argv) > 2 else default_paths()
    rows = load_dataset(dataset)
    catalogs = load_catalogs(catalogs_path)
    rate = measure_throughput(rows, catalogs, parse_comment, min_seconds=2.0)
    best = best_pass_rate(rows, catalogs)
    recall, dropped, per_call = prefilter_report(rows)
    print(f"dataset: {dataset} ({len(rows)} comments)")
    print(f"local engine: {rate:.0f} comments/s on one core (over 2 s; fastest pass {best:.0f} comments/s)")
    print(
        f"prefilter: recall on purchase/cancel {recall:.3f}, drops {dropped:.1%} of the other comments, "
        f"{per_call:.2f} us per call"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
