"""The README's test command, ``make test``, timed on a private copy of the repository.

It builds the book from scratch and drives a browser, so it is its own part (``--only tests``).
The copy is a clone of the repository with the working tree's files on top. It borrows this
checkout's ``.venv`` by a symbolic link, and ``make -o .venv/.installed`` keeps make from
reinstalling into it: timing the tests must never modify the environment.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.build import ROOT, environment, private_copy
from benchmarks.table import Row, Target

PART = "tests"
# "Under a few minutes on 2 cores after install" (issue 5): three.
LIMIT_S = 180.0


def rows() -> list[Row]:
    """One row: the wall time of ``make test``, and whether it passed."""
    with tempfile.TemporaryDirectory(prefix="linreg-bench-tests-") as tmp:
        # a clone first: some tests clone the repository's HEAD themselves (the Read the Docs
        # replay); then the working tree on top, as in the build part
        copy = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(copy)], check=True)
        private_copy(copy)
        (copy / ".venv").symlink_to(ROOT / ".venv")
        start = time.perf_counter()
        run = subprocess.run(
            ["make", "-o", ".venv/.installed", "test"],
            cwd=copy,
            env=environment(copy),
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
    # what went wrong, if anything: the last lines before make's own complaint
    lines = [
        line
        for line in (run.stdout + run.stderr).splitlines()
        if line.strip() and not line.startswith("make")
    ]
    note = f"exit {run.returncode}" + (f": {' / '.join(lines[-3:])[:300]}" if run.returncode else "")
    return [
        Row(
            PART,
            "`make test` (ruff, pytest: the book built from scratch, the browser)",
            seconds,
            target=Target("<=", LIMIT_S, on="value", unit="s"),
            ok=run.returncode == 0,
            note=note,
        )
    ]
