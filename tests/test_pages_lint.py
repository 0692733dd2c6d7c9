"""The pages' code, visible and hidden, passes the linter the library passes (pyproject's ruff)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pages import ROOT, notebook_pages, script


@pytest.mark.parametrize("page", notebook_pages())
def test_the_code_cells_pass_ruff(page: str) -> None:
    ruff = [sys.executable, "-m", "ruff", "check", "--output-format", "concise", "--no-cache"]
    done = subprocess.run(
        [*ruff, "--stdin-filename", f"docs/{page}.md.py", "-"],
        input=script(page),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout.replace(f"{page}.md.py:", f"{page}.md:") + done.stderr
