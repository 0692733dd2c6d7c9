"""Divergence and instability on real data: flagged, warned of, stopped early, in bounded memory.

The data: scikit-learn's bundled diabetes set (442 x 10, columns standardized, y as shipped:
its mean square is 2.9e4, the least loss 2.86e3) and linnerud (20 x 3, D_out = 3).
"""

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import torch
from sklearn.datasets import load_diabetes, load_linnerud

import linreg
from linreg import UnstableWarning, fit, max_stable_lr
from linreg.sufficient import descend, stats


def standardized(X: Any) -> Any:
    return (X - X.mean(axis=0)) / X.std(axis=0)


@pytest.fixture(scope="module")
def diabetes() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    X, y = load_diabetes(return_X_y=True)
    X, y = torch.tensor(standardized(X)), torch.tensor(y)[:, None]
    return X, y, torch.zeros(10, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)


def eigenvalues(X: torch.Tensor, D_out: int = 1) -> npt.NDArray[np.float64]:
    """The Hessian's eigenvalues by numpy, in float64: 2 / (N D_out) Z'Z."""
    Z = np.hstack([X.double().numpy(), np.ones((len(X), 1))])
    return np.linalg.eigvalsh(2 / (len(X) * D_out) * Z.T @ Z)


@pytest.mark.parametrize(("factor", "epochs"), [(1.01, 1000), (1.1, 100)])
@pytest.mark.parametrize("method", linreg.METHODS)
def test_a_run_whose_loss_grows_is_flagged_and_warned_of_naming_the_bound(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    factor: float,
    epochs: int,
    method: str,
) -> None:
    X, y, W0, b0 = diabetes
    bound = 2 / eigenvalues(X)[-1]
    with pytest.warns(UnstableWarning, match=rf"lr={factor * bound:g} is above .* = {bound:.6g}"):
        result = fit(X, y, W0, b0, lr=factor * bound, epochs=epochs, method=method)
    assert result.diverging
    assert result.max_stable_lr == pytest.approx(bound, rel=1e-12)
    assert result.loss_after > 1e3 * float(result.losses[0])  # it did grow: 2.9e4 to above 1e18


@pytest.mark.parametrize("factor", [0.5, 0.99, 1.0])
@pytest.mark.parametrize("method", linreg.METHODS)
def test_below_the_bound_even_above_one_over_lambda_max_nothing_is_flagged(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], factor: float, method: str
) -> None:
    # Between 1/lambda_max and 2/lambda_max each step still multiplies every eigendirection's
    # squared error by (1 - lr lambda)^2 < 1: the loss falls every epoch; filterwarnings=error
    # turns any warning into a failure.
    X, y, W0, b0 = diabetes
    bound = 2 / eigenvalues(X)[-1]
    result = fit(X, y, W0, b0, lr=factor * bound, epochs=1000, method=method)
    assert not result.diverging
    assert result.max_stable_lr is None
    losses = result.losses.numpy()
    assert factor == 1.0 or (np.diff(losses) <= 1e-9 * losses[:-1]).all()


def test_a_stable_run_never_computes_the_bound(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The verdict reads the losses the run has: X'X is formed only when the loss rose.
    X, y, W0, b0 = diabetes

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("max_stable_lr was computed for a stable run")

    monkeypatch.setattr(linreg.train, "max_stable_lr", forbidden)
    for method in linreg.METHODS:
        assert not fit(X, y, W0, b0, lr=0.2, epochs=500, method=method).diverging


def test_the_warning_is_a_category_callers_can_silence(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W0, b0 = diabetes
    assert issubclass(UnstableWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableWarning)
        result = fit(X, y, W0, b0, lr=0.3, epochs=200)
    assert result.diverging


class Matmuls(torch.overrides.TorchFunctionMode):
    """Counts the matrix products run under it: the epochs a loop ran, two or three per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(
        self, func: Any, types: Any, args: Any = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        if getattr(func, "__name__", "") in ("matmul", "__matmul__"):
            self.count += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("method", ["autograd", "analytic"])
def test_the_loop_stops_within_16_epochs_of_the_first_non_finite_loss(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], method: str
) -> None:
    X, y, W0, b0 = diabetes
    bound = 2 / eigenvalues(X)[-1]
    with Matmuls() as counted, pytest.raises(linreg.DivergenceError) as caught:
        fit(X, y, W0, b0, lr=3 * bound, epochs=100_000, method=method)
    epoch = caught.value.epoch
    # the first non-finite loss of an independent float64 loop
    W, b, t = W0.clone(), b0.clone(), 1
    while np.isfinite(float(((X @ W + b - y) ** 2).mean())):
        R = X @ W + b - y
        W, b, t = W - 3 * bound * 2 / 442 * X.T @ R, b - 3 * bound * 2 / 442 * R.sum(0), t + 1
    assert epoch == t
    assert (
        epoch + 1 <= counted.count <= 3 * (epoch + 16)
    )  # X @ W once an epoch (and more), not 100,000 epochs


def test_sufficient_memory_does_not_grow_with_epochs_times_d_in_times_d_out() -> None:
    # 30,000 epochs, D_in = 10, D_out = 100,000: the path would be 3e4 x 11 x 1e5 float64s (264 GB)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(50, 10, generator=g, dtype=torch.float64)
    y = torch.randn(50, 100_000, generator=g, dtype=torch.float64)
    theta = torch.zeros(11, 100_000, dtype=torch.float64)
    losses, _, after = descend(stats(X, y), theta, 0.5 * max_stable_lr(X, y), 30_000)
    assert losses.shape == (30_001,)
    assert torch.isfinite(losses).all()
    # 30,000 epochs at half the bound reach the least squares fit
    W, b = linreg.closed_form(X, y)
    torch.testing.assert_close(after, torch.cat([W, b[None, :]]), rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", linreg.METHODS)
def test_an_epoch_count_whose_losses_cannot_fit_is_a_clear_error(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], method: str
) -> None:
    X, y, W0, b0 = diabetes
    with pytest.raises(ValueError, match=r"epochs=1000000000000000 needs .* GiB for its losses alone"):
        fit(X, y, W0, b0, lr=0.1, epochs=10**15, method=method)


def test_float32_sufficient_is_as_close_to_the_closed_form_as_analytic(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, _, _ = diabetes
    X32, y32 = X.float(), y.float()
    W_star, b_star = linreg.closed_form(X, y)
    gaps = {}
    for method in linreg.METHODS:
        result = fit(X32, y32, torch.zeros(10, 1), torch.zeros(1), 0.9 * max_stable_lr(X), 20_000, method)
        gaps[method] = float((result.W.double() - W_star).abs().max())
        assert float((result.b.double() - b_star).abs().max()) < 1e-4
    assert gaps["sufficient"] <= gaps["analytic"]
    assert gaps["sufficient"] <= gaps["autograd"]


def test_float32_statistics_of_diabetes_keep_float32s_digits(
    diabetes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, _, _ = diabetes
    s32, s64 = stats(X.float(), y.float()), stats(X.float().double(), y.float().double())
    for name in ("Sxx", "Sxy"):
        ours, exact = getattr(s32, name).double(), getattr(s64, name)
        # 2e-7 here; one uncentred float32 product gave 2.6e-6: a margin for other CPUs' kernels
        assert float((ours - exact).abs().max() / exact.abs().max()) < 1e-6


def test_max_stable_lr_reads_d_out_from_y_on_linnerud() -> None:
    X, Y = load_linnerud(return_X_y=True)
    X, Y = torch.tensor(standardized(X)), torch.tensor(Y)
    bound = 2 / eigenvalues(X, D_out=3)[-1]
    assert max_stable_lr(X, Y) == pytest.approx(bound, rel=1e-12)
    assert max_stable_lr(X, 3) == pytest.approx(bound, rel=1e-12)
    assert bound == pytest.approx(1.3366, abs=1e-4)


def test_float32_sufficient_losses_do_not_cancel_on_the_scaling_pages_problem() -> None:
    # y'y / N is about 270 here against a loss of 0.22: from uncentred float32 sums the final
    # loss came out 0.220126 against the exact 0.220080.
    data, (W0, b0) = linreg.make_data(N=1024, D_in=64), linreg.init_params(64)
    exact = fit(data.X.double(), data.y_true.double(), W0.double(), b0.double(), 0.1, 20, "analytic")
    for method in linreg.METHODS:
        result = fit(data.X, data.y_true, W0, b0, 0.1, 20, method)
        gap = (result.losses.double() - exact.losses).abs() / exact.losses
        assert float(gap.max()) < 2e-6, method
