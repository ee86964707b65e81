"""`manage.py eval_intent --dataset a.jsonl --catalogs a.json [--dataset b.jsonl --catalogs b.json ...]`: score the
intent engine on several labelled sets in one run, with a table per set and per seller."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from livestreams.intent.engine import parse_comment
from livestreams.intent.evaluation import (
    DatasetError,
    Engine,
    by_seller,
    format_report,
    format_table,
    known_sets,
    load_catalogs,
    load_dataset,
    measure_throughput,
    predict_rows,
    score,
    summary_row,
    wrong_and_confident,
)


class Command(BaseCommand):
    help = "Score the intent engine on labelled comment sets (per set and per seller) and report its throughput."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dataset", action="append", default=[], help="labelled comments, one JSON object per line (repeat)"
        )
        parser.add_argument(
            "--catalogs", action="append", default=[], help="JSON object of catalog_id -> products, one per dataset"
        )
        parser.add_argument(
            "--all", action="store_true", help="also score every known set (shared/eval and tests/livestreams/data)"
        )
        parser.add_argument("--engine", choices=("local", "openai"), default="local")
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="confidence at or above which a mistake counts as 'wrong and sure' (default: the setting)",
        )
        parser.add_argument("--predictions", help="write each set's predictions to this directory (one JSONL per set)")
        parser.add_argument("--failures", action="store_true", help="also list every failure, as score.py does")
        parser.add_argument("--no-throughput", action="store_true", help="skip the throughput measurement")

    def handle(self, *args: Any, **options: Any) -> None:
        datasets, catalog_files = list(options["dataset"]), list(options["catalogs"])
        if len(datasets) != len(catalog_files):
            raise CommandError(
                f"give one --catalogs per --dataset ({len(datasets)} datasets, {len(catalog_files)} catalogs files)."
            )
        if options["all"]:
            for labelled in known_sets():
                datasets.append(str(labelled.dataset))
                catalog_files.append(str(labelled.catalogs))
        if not datasets:
            raise CommandError("nothing to score: give --dataset/--catalogs pairs or --all.")
        threshold = options["threshold"] if options["threshold"] is not None else settings.INTENT_CONFIDENCE_THRESHOLD
        engine = self._engine(options["engine"])
        totals: list[dict[str, Any]] = []
        work: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
        for dataset, catalogs_path in zip(datasets, catalog_files, strict=True):
            try:
                catalogs = load_catalogs(catalogs_path)
                gold = load_dataset(dataset)
                predictions = predict_rows(gold, catalogs, engine)
            except DatasetError as exc:
                raise CommandError(str(exc)) from exc
            work.append((gold, catalogs))
            name = _set_name(dataset)
            if options["predictions"]:
                self._write_predictions(Path(options["predictions"]) / f"{name}.jsonl", predictions)
            self.stdout.write(f"== {name}: {dataset} ({len(gold)} comments)")
            if options["failures"]:
                sure = {f["id"] for f in wrong_and_confident(gold, predictions, threshold)}
                confidence = {p["id"]: p["confidence"] for p in predictions}
                for line, failure in zip(
                    format_report(score(gold, predictions)), score(gold, predictions)["failures"], strict=False
                ):
                    mark = "SURE " if failure["id"] in sure else "     "
                    self.stdout.write(f"{mark}{confidence.get(failure['id'], 1.0):.2f} {line}")
            rows = [summary_row(seller, lines, predictions, threshold) for seller, lines in by_seller(gold).items()]
            total = summary_row(f"all {name}", gold, predictions, threshold)
            totals.append(total)
            for line in format_table([*rows, total]):
                self.stdout.write(line)
            self.stdout.write("")
        if len(totals) > 1:
            self.stdout.write("== all sets")
            for line in format_table(totals):
                self.stdout.write(line)
        self.stdout.write(f"'wrong&sure': mistakes with confidence >= {threshold} (acted on without review)")
        if not options["no_throughput"]:
            rows_all = [row for gold, _ in work for row in gold]
            catalogs_all = {k: v for _, catalogs in work for k, v in catalogs.items()}
            rate = measure_throughput(rows_all, catalogs_all, engine, min_seconds=1.0)
            self.stdout.write(f"{options['engine']} engine: {rate:.0f} comments/s on one core")

    def _engine(self, name: str) -> Engine:
        if name == "openai":
            raise CommandError("the openai engine is not configured: set OPENAI_API_KEY")
        return parse_comment

    def _write_predictions(self, path: Path, predictions: list[dict[str, Any]]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as handle:
                for prediction in predictions:
                    handle.write(json.dumps(prediction, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise CommandError(f"cannot write predictions to {path}: {exc.strerror}.") from exc


def _set_name(dataset: str) -> str:
    path = Path(dataset)
    return path.parent.name if path.stem in ("comments", "dataset") else path.stem
