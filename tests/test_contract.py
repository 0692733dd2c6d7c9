"""One error contract: each bad input of issue 20 is a ValueError or TypeError naming the argument
and the fix, or a correct result, and nothing leaks a warning (filterwarnings=error)."""

import subprocess
import sys
from typing import Any, cast

import pytest
import torch

import linreg
from linreg.shards import fit_chunks
from linreg.sufficient import descend, stats

DATA = linreg.make_data()
X, Y = DATA.X, DATA.y_true
W0, B0 = linreg.init_params()
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone"]


# The type: ignore comments below: the bad inputs are of the wrong type on purpose.
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: linreg.fit(X.to("meta"), Y.to("meta"), W0, B0), ValueError, "X is on the meta device"),
        (lambda: linreg.max_stable_lr(X.to("meta")), ValueError, "X is on the meta device"),
        (lambda: linreg.closed_form(X, Y.to("meta")), ValueError, "y is on the meta device"),
        (lambda: linreg.max_stable_lr(X.numpy()), TypeError, "X must be a torch.Tensor, got ndarray"),  # type: ignore[arg-type]
        (lambda: linreg.init_params(seed=1.5), TypeError, "seed must be an integer, got float 1.5"),  # type: ignore[arg-type]
        (lambda: linreg.make_data(device="cuda:abc"), ValueError, r"device must be one of .*'cuda:<index>'"),
        (lambda: linreg.make_data(device="cpu:0"), ValueError, "device must be one of"),
        (lambda: linreg.init_params(device=3), TypeError, "device must be a str or torch.device"),  # type: ignore[arg-type]
        (
            lambda: fit_chunks([(X, Y), (X, Y, Y)], W0, B0),  # type: ignore[list-item]
            TypeError,
            r"chunk 1: each chunk must be a pair \(X, y\), got a 3-tuple",
        ),
        (
            lambda: fit_chunks([X], W0, B0),  # type: ignore[list-item]
            TypeError,
            r"chunk 0: each chunk must be a pair \(X, y\), got Tensor",
        ),
        (lambda: fit_chunks(X, W0, B0), TypeError, r"chunks must be an iterable of \(X, y\) pairs"),
        (lambda: linreg.sweep(X, Y, W0, B0, lrs=0.1), TypeError, r"lrs must be a sequence .* pass \[0.1\]"),  # type: ignore[arg-type]
        (lambda: linreg.mse(Y, Y[:, 0]), ValueError, r"y_hat has shape \(10, 1\) but y has shape \(10,\)"),
        (lambda: linreg.gradients(X, Y[:, 0], W0, B0), ValueError, "y must have rank 2"),
        (lambda: descend(stats(X, Y), torch.zeros(3, 1), 0.1, 5), ValueError, "theta must have shape"),
        (lambda: descend("stats", torch.zeros(2, 1), 0.1, 5), TypeError, "s must be linreg.sufficient.Stats"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_a_value_or_type_error_naming_the_argument(
    call: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("method", linreg.METHODS)
def test_float32_data_whose_squares_overflow_is_a_value_error_not_the_lrs_fault(method: str) -> None:
    # X * 1e20: its squares (1e40) overflow float32 (3.4e38). Not a DivergenceError blaming lr.
    with pytest.raises(ValueError, match=r"too large for torch.float32|overflow torch.float32") as caught:
        linreg.fit(X * 1e20, Y * 1e20, W0, B0, lr=0.5 * linreg.max_stable_lr(X * 1e20), method=method)
    assert not isinstance(caught.value, linreg.DivergenceError)
    assert "standardize" in str(caught.value)


@pytest.mark.parametrize("method", linreg.METHODS)
def test_inputs_that_require_grad_are_not_touched_and_nothing_stays_on_a_graph(method: str) -> None:
    Xg, yg = X.clone().requires_grad_(), Y.clone().requires_grad_()
    Wg, bg = W0.clone().requires_grad_(), B0.clone().requires_grad_()
    result = linreg.fit(Xg, yg, Wg, bg, method=method)
    assert all(t.grad is None for t in (Xg, yg, Wg, bg))
    assert not any(
        t.requires_grad for t in (result.W, result.b, result.losses, cast(torch.Tensor, result.y_hat))
    )
    reference = linreg.fit(X, Y, W0, B0, method=method)
    assert torch.equal(result.W, reference.W)
    for call in (linreg.max_stable_lr, linreg.hessian):
        call(Xg)
    W, b = linreg.closed_form(Xg, yg)
    assert not W.requires_grad
    assert not b.requires_grad
    assert not linreg.sweep(Xg, yg, Wg, bg, [0.1], epochs=3).W.requires_grad
    assert not fit_chunks([(Xg, yg)], Wg, bg).W.requires_grad


def torchrun(processes: int, *options: str) -> subprocess.CompletedProcess[str]:
    command = [*TORCHRUN, f"--nproc-per-node={processes}", "-m", "linreg", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_three_processes_for_two_rows_is_one_clear_error_exit_2() -> None:
    done = torchrun(3, "-N", "2")
    assert done.stderr.count("linreg: error: N=2 is fewer rows than processes (3)") == 1  # rank 0 alone
    assert "X must not be empty" not in done.stderr
    assert done.stderr.count("exitcode  : 2") >= 1  # the ranks' status, in torchrun's summary
    assert "linreg/cli.py" not in done.stderr  # no traceback from the ranks


@pytest.mark.skipif(torch.cuda.is_available(), reason="asks for CUDA where there is none")
def test_torchrun_asking_for_cuda_without_it_is_one_clear_error_exit_2() -> None:
    done = torchrun(2, "--device", "cuda")
    assert done.stderr.count("linreg: error: device 'cuda' was asked for, but CUDA is not available") == 1
    assert done.stderr.count("exitcode  : 2") >= 1
    assert "linreg/cli.py" not in done.stderr
