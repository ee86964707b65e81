"""Run every benchmark, print their numbers, and write them to BENCHMARKS.md with the machine and the date.

usage: python bench/run.py        (make bench sets up .venv, PostgreSQL and Redis first)
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = [
    ("Seller provisioning", ["bench/create_seller.py"]),
    ("Intent engine", ["bench/intent_throughput.py"]),
    ("Ingest vs peer", ["bench/ingest.py"]),
    ("Sold-out burst", ["bench/burst.py"]),
    ("Claims stage scaling", ["bench/scaling.py"]),
    ("Replies", ["bench/messages.py"]),
    ("End to end", ["bench/e2e.py"]),
]


def main() -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sections: list[tuple[str, str, float, int]] = []
    for title, args in BENCHES:
        if not (ROOT / args[0]).exists():
            continue
        print(f"== {title}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        output = (result.stdout + ("" if result.returncode == 0 else result.stderr[-2000:])).strip()
        print(output, flush=True)
        sections.append((title, output, time.monotonic() - started, result.returncode))
    _write_report(sections)
    failed = [title for title, _, _, code in sections if code != 0]
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


def _write_report(sections: list[tuple[str, str, float, int]]) -> None:
    cpu = _cpu_model()
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`python bench/run.py`) on",
        f"{platform.node()}: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}. Numbers vary with what else the machine is doing; rerun to compare.",
        "",
        "| benchmark | seconds | result |",
        "| --- | --- | --- |",
    ]
    for title, _output, seconds, code in sections:
        lines.append(f"| {title} | {seconds:.0f} | {'ok' if code == 0 else 'FAILED'} |")
    for title, output, _seconds, _code in sections:
        lines += ["", f"## {title}", "", "```", output, "```"]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    raise SystemExit(main())
