"""``python -m benchmarks``: measure, then print one table (Markdown, aligned for a terminal).

Exit status 1 when a row misses its target, so that a regression is not only a line in a log.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.table import Row, failed, render

PARTS = ("training", "explorer", "build", "tests")
# What runs without --only: the test suite's wall time is minutes of its own (it builds the
# book and drives a browser), so it runs only when asked for.
DEFAULT = ("training", "explorer", "build")


def measure(part: str, quick: bool) -> list[Row]:
    """The rows of one part (imported here: each part's imports cost time of their own)."""
    if part == "training":
        from benchmarks import training

        return training.rows(quick)
    if part == "explorer":
        from benchmarks import explorer

        return explorer.rows(quick)
    if part == "build":
        from benchmarks import build

        return build.rows(quick)
    from benchmarks import suite

    return suite.rows()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        epilog=f"Without --only: {', '.join(DEFAULT)}. The tests part (`make test`) runs when named.",
    )
    parser.add_argument("--only", action="append", choices=PARTS, help="run this part only (repeatable)")
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats (one build of each kind): a smoke run"
    )
    parser.add_argument(
        "--json", type=Path, help="also write the rows, the machine and the date to this file"
    )
    args = parser.parse_args(argv)

    rows: list[Row] = []
    for part in args.only or DEFAULT:
        print(f"measuring {part} ...", file=sys.stderr, flush=True)
        rows += measure(part, args.quick)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = describe()
    print(f"\n{machine}; {when}{'; --quick' if args.quick else ''}\n")
    print(render(rows))
    if args.json:
        args.json.write_text(json.dumps(report(rows, machine, when, args.quick), indent=1) + "\n")
    missed = failed(rows)
    if missed:
        print(f"\n{len(missed)} row(s) missed their target.", file=sys.stderr)
    return 1 if missed else 0


def report(rows: list[Row], machine: str, when: str, quick: bool) -> dict:
    """The run as data: what the book's scaling page reads for devices it cannot measure itself."""
    return {
        "machine": machine,
        "date": when,
        "quick": quick,
        "rows": [
            {
                "part": r.part,
                "what": r.what,
                "value": r.value,
                "against": r.against,
                "against_what": r.against_what,
                "unit": r.unit,
                "ratio": r.ratio,
                "target": str(r.target) if r.target else r.expect,
                "verdict": r.verdict,
                "device": r.device,
                "note": r.note,
            }
            for r in rows
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
