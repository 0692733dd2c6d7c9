"""linreg.shards: chunks and torch.distributed shards follow fit's trajectory; bad input stops every rank."""

import gc
import json
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
from reference import seed_notebook

import linreg
from linreg.shards import fit_chunks, fit_sharded

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]


def gap(a: linreg.Result, b: linreg.Result) -> float:
    return max(float(((p - q) / q).abs().max()) for p, q in ((a.W, b.W), (a.b, b.b), (a.losses, b.losses)))


@pytest.mark.parametrize(("dtype", "tolerance"), [("float32", 1e-4), ("float64", 1e-10)])
def test_streamed_chunks_follow_fit_on_all_the_rows(dtype: str, tolerance: float) -> None:
    data, (W0, b0) = (
        linreg.make_data(N=50, D_in=3, D_out=2, dtype=dtype),
        linreg.init_params(3, 2, dtype=dtype),
    )
    streamed = fit_chunks(zip(data.X.split(7), data.y_true.split(7), strict=True), W0, b0, lr=0.1, epochs=30)
    assert gap(streamed, linreg.fit(data.X, data.y_true, W0, b0, lr=0.1, epochs=30)) < tolerance
    assert streamed.y_hat is None
    assert streamed.method == "sufficient"


def test_the_seed_streamed_prints_the_seeds_final_loss() -> None:
    data = linreg.make_data()
    result = fit_chunks(zip(data.X.split(4), data.y_true.split(4), strict=True), *linreg.init_params())
    assert f"{result.final_loss:.4f}" == seed_notebook.printed("Final Loss")


def test_no_chunk_is_kept_once_read() -> None:
    data, (W0, b0) = linreg.make_data(N=40, D_in=2), linreg.init_params(2)
    alive = []

    def chunks() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for start in range(0, 40, 8):
            X = data.X[start : start + 8].clone()
            alive.append(weakref.ref(X))
            yield X, data.y_true[start : start + 8]
            gc.collect()
            assert all(ref() is None for ref in alive[:-1]), "an earlier chunk is still referenced"

    fit_chunks(chunks(), W0, b0)
    assert len(alive) == 5


def test_bad_chunks_are_named() -> None:
    data, (W0, b0) = linreg.make_data(N=10, D_in=2), linreg.init_params(2)
    with pytest.raises(ValueError, match="chunks held no rows"):
        fit_chunks(iter([]), W0, b0)
    bad = [(data.X[:5], data.y_true[:5]), (data.X[5:, :1], data.y_true[5:])]
    with pytest.raises(ValueError, match=r"chunk 1: W must have shape \(D_in, D_out\) = \(1, 1\)"):
        fit_chunks(bad, W0, b0)
    with pytest.raises(ValueError, match="chunk 0: X contains NaN"):
        fit_chunks([(data.X * float("nan"), data.y_true)], W0, b0)


def test_sharded_fit_needs_a_process_group() -> None:
    data = linreg.make_data()
    with pytest.raises(RuntimeError, match="init_process_group"):
        fit_sharded(data.X, data.y_true, *linreg.init_params())


@pytest.mark.parametrize("method", linreg.METHODS)
def test_one_rank_moves_the_numbers_its_method_needs(method: str, tmp_path: Path) -> None:
    data, (W0, b0) = linreg.make_data(N=20, D_in=3, D_out=2), linreg.init_params(3, 2)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'meet'}", rank=0, world_size=1)
    try:
        result = fit_sharded(data.X, data.y_true, W0, b0, lr=0.1, epochs=10, method=method)
    finally:
        dist.destroy_process_group()
    assert gap(result, linreg.fit(data.X, data.y_true, W0, b0, lr=0.1, epochs=10)) < 1e-5
    # sufficient: the centred statistics once (x mean, y mean, Sxx, Sxy, Syy); the loops: each epoch's sums
    expected = 3 + 2 + 3 * 3 + 3 * 2 + 1 if method == "sufficient" else 10 * (3 * 2 + 2 + 1) + 1
    assert result.reduced == expected


@pytest.fixture(scope="module")
def two_ranks() -> list[dict[str, Any]]:
    """tests/shards_cases.py run on 2 processes (torchrun, gloo on loopback): what each rank saw."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [*TORCHRUN, str(Path(__file__).with_name("shards_cases.py")), out],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return [json.loads((Path(out) / f"rank{r}.json").read_text()) for r in (0, 1)]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "D_in differs",
            "the ranks' shards disagree: rank 0: D_in=3, D_out=2, torch.float32; rank 1: D_in=2",
        ),
        ("D_out differs", "rank 1: D_in=3, D_out=1"),
        ("dtype differs", "rank 1: D_in=3, D_out=2, torch.float64"),
        ("a rank without rows", "rank 1: ValueError: X must not be empty"),
        ("NaN in one shard", "rank 1: ValueError: X contains NaN"),
        ("diverges, autograd", "training diverged"),
        ("diverges, analytic", "training diverged"),
        ("diverges, sufficient", "training diverged"),
    ],
)
def test_bad_input_on_one_rank_is_the_same_error_on_every_rank(
    two_ranks: list[dict[str, Any]], case: str, message: str
) -> None:
    assert two_ranks[0][case] == two_ranks[1][case]
    assert message in two_ranks[0][case]


@pytest.mark.parametrize("method", linreg.METHODS)
def test_two_ranks_end_on_one_result_that_follows_fit(two_ranks: list[dict[str, Any]], method: str) -> None:
    data, (W0, b0) = linreg.make_data(N=12, D_in=3, D_out=2), linreg.init_params(3, 2)
    ref = linreg.fit(data.X, data.y_true, W0, b0, lr=0.1, epochs=30)
    ranks = [r[method] for r in two_ranks]
    assert ranks[0]["W"] == ranks[1]["W"]
    assert ranks[0]["losses"] == ranks[1]["losses"]
    assert [r["rows"] for r in ranks] == [6, 6]
    torch.testing.assert_close(torch.tensor(ranks[0]["W"]), ref.W, rtol=1e-5, atol=1e-6)
    # Without the rows, the statistics' least loss is a difference of sums held to float32's
    # digits: the losses agree to float32's rounding of the first loss, not of the last (another
    # CPU's kernels gave 4.7e-6 here, 1.7e-7 of the first loss).
    atol = 1e-6 * float(ref.losses[0])
    torch.testing.assert_close(torch.tensor(ranks[0]["losses"]), ref.losses, rtol=1e-4, atol=atol)


def test_torchrun_prints_the_seeds_report_from_two_processes() -> None:
    done = subprocess.run([*TORCHRUN, "-m", "linreg"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == seed_notebook.printed_outputs().splitlines()


def test_chunks_and_shards_flag_and_warn_of_a_loss_that_grows(tmp_path: Path) -> None:
    data, (W0, b0) = linreg.make_data(), linreg.init_params()
    lr = 1.1 * linreg.max_stable_lr(data.X)
    with pytest.warns(linreg.UnstableWarning, match="lr=1.00397 is above") as caught:
        streamed = fit_chunks(zip(data.X.split(4), data.y_true.split(4), strict=True), W0, b0, lr, 60)
    assert caught[0].filename == __file__  # the warning points at the caller
    assert streamed.diverging
    assert streamed.max_stable_lr == pytest.approx(lr / 1.1, rel=1e-6)  # from float32 statistics
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'meet'}", rank=0, world_size=1)
    try:
        for method in linreg.METHODS:
            with pytest.warns(linreg.UnstableWarning):
                sharded = fit_sharded(data.X, data.y_true, W0, b0, lr, 60, method)
            assert sharded.diverging
    finally:
        dist.destroy_process_group()
