"""`manage.py eval_intent --dataset dev.jsonl --catalogs catalogs.json`: score the intent engine on a labelled set."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from livestreams.intent.evaluation import (
    DatasetError,
    Engine,
    format_report,
    load_catalogs,
    load_dataset,
    measure_throughput,
    predict_dataset,
    score,
)
from livestreams.intent.local_engine import parse_comment


class Command(BaseCommand):
    help = "Score the intent engine on a labelled comment set and report its throughput."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dataset", required=True, help="labelled comments, one JSON object per line")
        parser.add_argument("--catalogs", required=True, help="JSON object of catalog_id -> products")
        parser.add_argument("--engine", choices=("local", "openai"), default="local")
        parser.add_argument("--predictions", help="also write the predictions to this JSONL file")

    def handle(self, *args: Any, **options: Any) -> None:
        engine = self._engine(options["engine"])
        try:
            catalogs = load_catalogs(options["catalogs"])
            gold = load_dataset(options["dataset"])
            predictions = predict_dataset(options["dataset"], catalogs, engine)
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        if options["predictions"]:
            self._write_predictions(Path(options["predictions"]), predictions)
        for line in format_report(score(gold, predictions)):
            self.stdout.write(line)
        rate = measure_throughput(gold, catalogs, engine, min_seconds=1.0)
        self.stdout.write(f"{options['engine']} engine: {rate:.0f} comments/s on one core")

    def _engine(self, name: str) -> Engine:
        if name == "openai":
            raise CommandError("the openai engine is not configured: set OPENAI_API_KEY")
        return parse_comment

    def _write_predictions(self, path: Path, predictions: list[dict[str, Any]]) -> None:
        try:
            with path.open("w", encoding="utf-8") as handle:
                for prediction in predictions:
                    handle.write(json.dumps(prediction, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise CommandError(f"cannot write predictions to {path}: {exc.strerror}.") from exc
