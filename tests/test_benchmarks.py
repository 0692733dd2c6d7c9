"""The benchmarks' logic: verdicts, the table, the counts and checks they rest on. Nothing is timed here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch
from benchmarks import build, explorer, training
from benchmarks.__main__ import report
from benchmarks.table import Row, Target, failed, quantity, ratio_text, render
from benchmarks.timing import calibrate, interleaved, one_thread

import linreg
from linreg import train


@pytest.mark.parametrize(
    ("target", "value", "ratio", "met"),
    [
        (Target("<=", 1.2), 5.0, 1.2, True),
        (Target("<=", 1.2), 5.0, 1.21, False),
        (Target(">=", 1000), 1.0, 999.0, False),
        (Target("==", 0, on="value"), 0.0, None, True),
        (Target("==", 0, on="value"), 2.0, None, False),
        (Target("<", 1.0, on="value", unit="s"), 0.5, 99.0, True),
        (Target("<=", 1.5), 5.0, None, None),  # not measured: no verdict either way
        (Target("<=", 1.5), 5.0, float("nan"), None),
    ],
)
def test_target_met(target: Target, value: float, ratio: float | None, met: bool | None) -> None:
    assert target.met(value, ratio) is met


def test_target_rejects_unknown_op() -> None:
    with pytest.raises(ValueError, match="op must be"):
        Target("~", 1.0)


def test_target_text() -> None:
    assert str(Target("<=", 1.05)) == "<= 1.05×"
    assert str(Target("<", 1.0, on="value", unit="s")) == "< 1 s"


def test_row_ratio_and_verdicts() -> None:
    row = Row("p", "w", 3.0, 2.0, target=Target("<=", 1.5))
    assert row.ratio == 1.5
    assert row.verdict == "pass"
    assert Row("p", "w", 3.1, 2.0, target=Target("<=", 1.5)).verdict == "FAIL"
    assert Row("p", "w", 3.0).verdict == "info"
    assert Row("p", "w", None).verdict == "n/a"
    assert Row("p", "w", None, ok=True, expect="identical").verdict == "pass"
    assert Row("p", "w", None, ok=False, expect="identical").verdict == "FAIL"
    # a target met by a command that failed is no pass
    assert Row("p", "w", 0.05, target=Target("<=", 180, on="value"), ok=False).verdict == "FAIL"
    assert Row("p", "w", 0.05, target=Target("<=", 180, on="value"), ok=True).verdict == "pass"
    # a given ratio wins over the quotient
    assert Row("p", "w", 3.0, 2.0, ratio=7.0).ratio == 7.0


def test_failed_lists_only_missed_targets() -> None:
    rows = [
        Row("p", "a", 1.0, 1.0, target=Target("<=", 1.2)),
        Row("p", "b", 2.0, 1.0, target=Target("<=", 1.2)),
        Row("p", "c", 2.0),
    ]
    assert [r.what for r in failed(rows)] == ["b"]


@pytest.mark.parametrize(
    ("x", "unit", "text"),
    [
        (32.2, "s", "32.2 s"),
        (1.5e-3, "s", "1.50 ms"),
        (2.04e-5, "s", "20.4 µs"),
        (111e-6, "s", "111 µs"),
        (6.0, "", "6"),
        (2.67e-5, "", "2.67e-05"),
        (None, "s", "—"),
    ],
)
def test_quantity(x: float | None, unit: str, text: str) -> None:
    assert quantity(x, unit) == text


def test_ratio_text() -> None:
    assert ratio_text(1631.2) == "1,631×"
    assert ratio_text(461.4) == "461×"
    assert ratio_text(0.948) == "0.948×"
    assert ratio_text(1.2) == "1.20×"
    assert ratio_text(None) == "—"


def test_render_is_an_aligned_markdown_table_with_footnotes() -> None:
    rows = [
        Row("build", "cold build", 32.2, 14.9, "floor", target=Target("<=", 1.5), note="exited 1"),
        Row("training", "x", 2e-5, device="cuda: H200"),
    ]
    text = render(rows)
    lines = text.splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 4  # header, rule, two rows
    assert len({len(line) for line in table}) == 1  # aligned
    assert table[0].split("|")[1].strip() == "part"
    assert "cold build [1]" in table[2]
    assert "FAIL" in table[2]
    assert "14.9 s (floor)" in table[2]
    assert "cuda: H200" in table[3]
    assert "info" in table[3]
    assert lines[-1] == "[1] exited 1"


def test_report_is_json() -> None:
    rows = [Row("p", "w", 1.0, 2.0, "floor", target=Target("<=", 1.0))]
    data = json.loads(json.dumps(report(rows, "machine", "today", quick=True)))
    assert data["rows"][0] == {
        "part": "p", "what": "w", "value": 1.0, "against": 2.0, "against_what": "floor", "unit": "s",
        "ratio": 0.5, "target": "<= 1×", "verdict": "pass", "device": "cpu", "note": "",
    }  # fmt: skip


def test_interleaved_and_calibrate_take_turns() -> None:
    calls: list[str] = []
    medians = interleaved([lambda: calls.append("a"), lambda: calls.append("b")], repeats=3)
    assert len(medians) == 2
    assert calls == ["a", "b"] * 4  # one warm-up each, then turns
    assert calibrate(lambda k: None, at_least=0.0) == 1
    ks: list[int] = []
    assert calibrate(ks.append, at_least=float("inf")) == 2**20  # capped
    assert ks[:4] == [1, 2, 4, 8]


def test_one_thread_restores_the_thread_count() -> None:
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


# --- training: the checks the table reports ---------------------------------------------


def test_the_seed_check_passes_on_the_cpu() -> None:
    row = training.check_seed(torch.device("cpu"))
    assert row.ok is True, row.note
    assert row.verdict == "pass"


def test_sufficient_statistics_follow_autograd_at_small_n() -> None:
    data = linreg.make_data(N=4096, D_in=8)
    W0, b0 = linreg.init_params(8)
    gap = training.trajectory_gap(data.X, data.y_true, W0, b0, lr=0.1)
    assert gap <= training.TRAJECTORY_RTOL


def test_run_epochs_is_fits_loop() -> None:
    data, (W0, b0) = linreg.make_data(), linreg.init_params()
    for method in linreg.METHODS:
        losses = train.run_epochs(data.X, data.y_true, W0, b0, 0.07, 40, method)
        assert torch.equal(
            torch.stack(losses), linreg.fit(data.X, data.y_true, W0, b0, 0.07, 40, method).losses
        )


def test_analytic_is_the_loop_of_model_gradients_bit_for_bit() -> None:
    # train._analytic inlines linreg.model.gradients to share the residual with the loss (one
    # pass over X fewer per epoch); it must stay the same arithmetic.
    data = linreg.make_data(N=64, D_in=3, D_out=2)
    W, b = linreg.init_params(3, 2)
    result = linreg.fit(data.X, data.y_true, W, b, 0.05, 25, method="analytic")
    losses = []
    for _ in range(25):
        losses.append(linreg.mse(linreg.predict(data.X, W, b), data.y_true))
        dW, db = linreg.gradients(data.X, data.y_true, W, b)
        W, b = W - 0.05 * dW, b - 0.05 * db
    assert torch.equal(result.losses, torch.stack(losses))
    assert torch.equal(result.W, W)
    assert torch.equal(result.b, b)


def test_sufficient_statistics_are_z_transpose_z() -> None:
    data = linreg.make_data(N=50, D_in=3, D_out=2, dtype="float64")
    Z = linreg.design(data.X)
    G, c, yy, n = train.sufficient_statistics(data.X, data.y_true)
    torch.testing.assert_close(G, Z.T @ Z)
    torch.testing.assert_close(c, Z.T @ data.y_true)
    torch.testing.assert_close(yy, (data.y_true**2).sum())
    assert n == 100


def test_explorer_grid_is_the_pages() -> None:
    bound = 0.9127
    lrs = explorer.grid(bound)
    assert len(lrs) == 100
    assert 0.07 in lrs
    assert lrs == sorted(lrs)
    assert lrs[-1] == pytest.approx(1.2 * bound)


# --- build: copies, counts and outputs ----------------------------------------------------


def test_count_reads_myst_nbs_log() -> None:
    log = (
        "/x/docs/a.md: Executing notebook using local CWD [mystnb]\n"
        "/x/docs/a.md: Executed notebook in 8.09 seconds [mystnb]\n"
        "/x/docs/b.md: Using cached notebook: ID=2 [mystnb]\n"
        "/x/docs/c.md: Executed notebook in 3.47 seconds [mystnb]\n"
    )
    assert build.count(log) == (2, 1)
    assert build.per_notebook(log) == {"a": 8.09, "c": 3.47}


def test_notebook_pages_and_who_imports_linreg(tmp_path: Path) -> None:
    (tmp_path / "prose.md").write_text("# Prose\n\nNo code.\n")
    (tmp_path / "nb.md").write_text("# A\n\n```{code-cell} python\nimport linreg\n```\n")
    (tmp_path / "other.md").write_text("# B\n\n```{code-cell} python\nimport torch\n```\n")
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "copy.md").write_text("```{code-cell} python\nimport linreg\n```\n")
    assert build.notebook_pages(tmp_path) == {"nb.md": True, "other.md": False}


def test_outputs_gathers_what_kernels_printed(tmp_path: Path) -> None:
    folder = tmp_path / "docs" / "_build" / "jupyter_execute"
    folder.mkdir(parents=True)
    nb = {
        "cells": [
            {"cell_type": "code", "outputs": [{"output_type": "stream", "text": ["linreg: ", "0.1.0\n"]}]},
            {"cell_type": "markdown"},
            {
                "cell_type": "code",
                "outputs": [{"output_type": "execute_result", "data": {"text/plain": "42"}}],
            },
        ]
    }
    (folder / "page.ipynb").write_text(json.dumps(nb))
    found = build.outputs(tmp_path)
    assert "linreg: 0.1.0" in found["page"]
    assert "42" in found["page"]


def test_private_copy_takes_what_git_would_see(tmp_path: Path) -> None:
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
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        ".gitignore",
        "sub/new.txt",
        "tracked.txt",
    ]


def test_build_environment_puts_the_copys_library_first(tmp_path: Path) -> None:
    env = build.environment(tmp_path)
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path / "src")


def test_prose_edits_are_named_or_counted_when_they_cover_every_page() -> None:
    assert build.describe(["b.md", "a.md", "b.md"], notebooks=7) == "3 edits: a.md, b.md"
    assert build.describe(["a.md", "b.md", "a.md"], notebooks=2) == "3 edits over all 2 notebook pages"


def test_summary_rows_and_targets() -> None:
    def b(seconds: float, executed: int = 0) -> build.Build:
        return build.Build(seconds, executed, 0, 0, "")

    runs = {
        "noexec": [b(6.0)],
        "cold": [b(30.0, 6)],
        "nochange": [b(5.0), b(5.5)],
        "prose": [b(5.2)],
        "src": [b(31.0, 6)],
    }
    rows = build.summarise(
        runs, kernel=3.0, pages={"a.md": True, "b.md": False}, prose_page="a.md", module="m.py"
    )
    by_what = {r.what: r for r in rows}
    cold = next(r for r in rows if r.what.startswith("cold build"))
    workers = min(build.JOBS, 6)
    assert cold.against == pytest.approx(6 * 3.0 / workers + 6.0)
    assert by_what["no-change rebuild"].against == 6.0
    assert by_what["prose-only edit: notebooks executed"].verdict == "pass"
    assert by_what["edit in src/: notebooks re-executed, of those importing linreg"].ratio == 6.0
