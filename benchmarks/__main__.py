"""``python -m benchmarks``: measure, print one table, and exit 1 when a row misses its target."""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
from pathlib import Path

import torch

from benchmarks.rows import Row, table

PARTS = ("training", "shards", "build", "pages")


def machine() -> str:
    """Processor, cores, GPU, Python and torch: the numbers mean little without them."""
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.machine()
    )
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu}, {os.cpu_count()} cores, {gpu}; Python {platform.python_version()}, torch {torch.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", choices=PARTS, help="run this part only (repeatable)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke run")
    parser.add_argument("--json", type=Path, help="also write the rows, the machine and the date here")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for part in args.only or PARTS:
        print(f"measuring {part} ...", file=sys.stderr, flush=True)
        rows += importlib.import_module(f"benchmarks.{part}").rows(args.quick)
    when = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    print(f"\n{machine()}; {when}{'; --quick' if args.quick else ''}\n\n{table(rows)}")
    if args.json:
        kept = {"machine": machine(), "date": when, "quick": args.quick, "rows": [r.as_json() for r in rows]}
        args.json.write_text(json.dumps(kept, indent=1) + "\n")
    missed = [r for r in rows if r.verdict == "FAIL"]
    print(f"\n{len(missed)} row(s) missed their target." if missed else "", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
