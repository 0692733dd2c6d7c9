"""The README's Python example runs, and prints the seed's final loss."""

import contextlib
import io
import re
from pathlib import Path

from reference import seed_notebook

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs_and_prints_the_seeds_final_loss() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python example"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(README), "exec"), {})
    assert f"Final Loss: {seed_notebook.printed('Final Loss')}" in out.getvalue().splitlines()


def test_readme_shows_exactly_the_three_commands_and_ci_runs_the_test_one() -> None:
    section = README.read_text().split("## Three commands")[1].split("##")[0]
    commands = re.findall(r"^make (\w+)", section, re.M)
    assert commands == ["book", "check", "test"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)
