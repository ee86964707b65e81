"""simulate_live plays a script through the real signed webhook and reports what the database holds."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from tenants.models import Seller
from tests.factories import make_product
from tests.processes import ManageProcess, WebServer


def write_script(tmp_path: Path, lines: list[dict[str, object]]) -> str:
    path = tmp_path / "live.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_scripted_live_reserves_first_come_first_served_and_reports_it(
    committed_seller: Seller, tmp_path: Path
) -> None:
    with schema_context(committed_seller.schema_name):
        make_product(code="A12", variants={"M": 1, "G": 2})
        make_product(code="A15", variants={"": 5})
    script = write_script(
        tmp_path,
        [
            {"at_ms": 0, "featured": "A12"},
            {"at_ms": 10, "author": "psid-1", "name": "Ana", "text": "mía en M"},
            {"at_ms": 20, "author": "psid-2", "name": "Bea", "text": "yo también en M"},
            {"at_ms": 30, "author": "psid-3", "name": "Caro", "text": "holaaa ❤️"},
            {"at_ms": 40, "featured": "A15"},
            {"at_ms": 50, "author": "psid-4", "name": "Dani", "text": "eu quero 2"},
            {"at_ms": 60, "author": "psid-5", "name": "Eva", "text": "quiero la A99"},
        ],
    )
    server = WebServer()
    consumer = ManageProcess("run_consumer", "claims", "--block-ms", "50")
    out = StringIO()
    try:
        call_command(
            "simulate_live",
            schema=committed_seller.schema_name,
            url=server.url,
            script=script,
            json=True,
            timeout=60,
            stdout=out,
        )
    finally:
        consumer.terminate()
        server.stop()

    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert [(o["author"], o["intent"], o["items"]) for o in result["outcomes"]] == [
        ("psid-1", "purchase", [{"code": "A12", "variant": "M", "qty": 1, "status": "reserved"}]),
        ("psid-2", "purchase", [{"code": "A12", "variant": "M", "qty": 1, "status": "waitlisted"}]),
        ("psid-3", "other", []),
        ("psid-4", "purchase", [{"code": "A15", "variant": None, "qty": 2, "status": "reserved"}]),
        ("psid-5", "purchase", []),
    ]
    stock = {
        (row["code"], row["variant"]): (row["initial"], row["available"], row["reserved"]) for row in result["stock"]
    }
    assert stock == {("A12", "M"): (1, 0, 1), ("A12", "G"): (2, 2, 0), ("A15", None): (5, 3, 2)}


def test_bad_script_line_is_reported_with_its_line_number(committed_seller: Seller, tmp_path: Path) -> None:
    script = tmp_path / "bad.jsonl"
    script.write_text('{"at_ms": 0, "featured": "A12"}\n{"at_ms": 5, "text": "no author"}\n', encoding="utf-8")

    with pytest.raises(CommandError, match=r"bad.jsonl:2: not a script line"):
        call_command("simulate_live", schema=committed_seller.schema_name, url="http://127.0.0.1:9", script=str(script))


def test_featuring_a_product_not_in_the_catalog_is_refused(committed_seller: Seller, tmp_path: Path) -> None:
    script = write_script(tmp_path, [{"at_ms": 0, "featured": "ZZ9"}])

    with pytest.raises(CommandError, match="not in the catalog: ZZ9"):
        call_command("simulate_live", schema=committed_seller.schema_name, url="http://127.0.0.1:9", script=script)
