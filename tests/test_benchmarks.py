"""The benchmarks' logic: verdicts, the table, the copy and the checks they rest on. Nothing is timed here."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from benchmarks import build, training
from benchmarks.rows import Row, shown, table

import linreg


@pytest.mark.parametrize(
    ("row", "verdict"),
    [
        (Row("p", "w", 3.0, 2.0, op="<=", bound=1.5), "pass"),
        (Row("p", "w", 3.1, 2.0, op="<=", bound=1.5), "FAIL"),
        (Row("p", "w", 1.0, 1e-3, op=">=", bound=1000), "pass"),
        (Row("p", "w", 1.0, 2e-3, op=">=", bound=1000), "FAIL"),
        (Row("p", "w", 2e-5, unit="", op="<=", bound=1e-4, on="value"), "pass"),
        (Row("p", "w", 0.0, unit="", op="<=", bound=0, on="value"), "pass"),
        (Row("p", "w", 1.0, unit="", op="<=", bound=0, on="value"), "FAIL"),
        (Row("p", "w", None, op="<=", bound=1.5), "n/a"),  # not measured: no verdict either way
        (Row("p", "w", 3.0), "info"),
        (Row("p", "w", None, ok=True), "pass"),
        (Row("p", "w", None, ok=False), "FAIL"),
        (Row("p", "w", 1.0, 2.0, op="<=", bound=1.5, ok=False), "FAIL"),  # a met target of a failed run
    ],
)
def test_a_row_passes_exactly_when_its_target_is_met(row: Row, verdict: str) -> None:
    assert row.verdict == verdict


def test_rows_keep_the_json_format_the_scaling_page_reads() -> None:
    kept = Row("training", "fit", 2.0, 1.0, "floor", op="<=", bound=3, device="cpu").as_json()
    assert kept == {
        "part": "training", "what": "fit", "value": 2.0, "against": 1.0, "against_what": "floor", "unit": "s",
        "device": "cpu", "note": "", "ratio": 2.0, "target": "<= 3×", "verdict": "pass",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("x", "unit", "text"),
    [
        (32.2, "s", "32.2 s"),
        (1.5e-3, "s", "1.50 ms"),
        (344e-6, "s", "344 µs"),
        (6.0, "", "6"),
        (2.67e-5, "", "2.67e-05"),
    ],
)
def test_numbers_are_shown_with_three_significant_digits(x: float, unit: str, text: str) -> None:
    assert shown(x, unit) == text


def test_the_table_aligns_columns_and_numbers_the_notes() -> None:
    lines = table([Row("p", "a", 1.0, note="first"), Row("p", "b", 2.0)]).splitlines()
    assert len({len(line) for line in lines[:4]}) == 1
    assert "p: a [1]" in lines[2]
    assert lines[-1] == "[1] first"


def test_the_seed_row_passes_on_the_cpu() -> None:
    check = training.seed_rows(linreg.make_data().X.device, rounds=1)[1]
    assert check.verdict == "pass", check.note


def test_sufficient_statistics_stay_near_autograds_trajectory() -> None:
    data, (W0, b0) = linreg.make_data(N=4096, D_in=8), linreg.init_params(8)
    assert 0 < training.trajectory_gap(data.X, data.y_true, W0, b0) <= 1e-4


def test_the_private_copy_takes_what_git_would_see(tmp_path: Path) -> None:
    repo, dest = tmp_path / "repo", tmp_path / "copy"
    repo.mkdir()
    dest.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / ".gitignore").write_text("ignored/\n")
    (repo / "tracked.txt").write_text("t")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "c"], cwd=repo, check=True)
    (repo / "sub").mkdir()
    (repo / "sub" / "new.txt").write_text("n")
    (repo / "ignored").mkdir()
    (repo / "ignored" / "x.txt").write_text("x")
    build.private_copy(dest, repo)
    found = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert found == [".gitignore", "sub/new.txt", "tracked.txt"]
