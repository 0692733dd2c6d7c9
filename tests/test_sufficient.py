"""linreg.sufficient: the statistics are Z'Z, Z'y, y'y; their closed form is the loop of gradient descent."""

import numpy as np
import pytest
import torch

from linreg import design, fit, init_params, make_data, max_stable_lr
from linreg.sufficient import Stats, descend, stats


def loop(
    X: torch.Tensor, y: torch.Tensor, theta: torch.Tensor, lr: float, epochs: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradient descent on theta = [W; b] in float64, step by step: the reference for descend.

    The loss of each of the ``epochs + 1`` thetas, and theta before and after the last update."""
    Z, n = design(X).double(), y.numel()
    thetas = [theta.double()]
    for _ in range(epochs):
        thetas.append(thetas[-1] - 2 * lr / n * Z.T @ (Z @ thetas[-1] - y.double()))
    losses = [float(((Z @ th - y.double()) ** 2).sum() / n) for th in thetas]
    return torch.tensor(losses, dtype=torch.float64), thetas[-2], thetas[-1]


def test_the_statistics_are_the_means_and_the_co_moments_about_them() -> None:
    data = make_data(N=50, D_in=3, D_out=2, dtype="float64")
    X, y = data.X.numpy(), data.y_true.numpy()
    s = stats(data.X, data.y_true)
    Xc, yc = X - X.mean(axis=0), y - y.mean(axis=0)
    np.testing.assert_allclose(s.mean_x.numpy(), X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(s.mean_y.numpy(), y.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(s.Sxx.numpy(), Xc.T @ Xc, rtol=1e-12)
    np.testing.assert_allclose(s.Sxy.numpy(), Xc.T @ yc, rtol=1e-12)
    np.testing.assert_allclose(float(s.Syy), (yc**2).sum(), rtol=1e-12)
    # and Z'Z, Z'y formed from them
    Z = np.hstack([X, np.ones((50, 1))])
    np.testing.assert_allclose(s.G.numpy(), Z.T @ Z, rtol=1e-12)
    np.testing.assert_allclose(s.c.numpy(), Z.T @ y, rtol=1e-12)
    assert (s.rows, s.n) == (50, 100)


def test_statistics_of_chunks_merge_pairwise_to_the_whole() -> None:
    data = make_data(N=30, D_in=2, D_out=2, dtype="float64")
    whole = stats(data.X, data.y_true)
    parts = stats(data.X[:11], data.y_true[:11]) + stats(data.X[11:13], data.y_true[11:13])
    parts = parts + stats(data.X[13:], data.y_true[13:])
    for a, b in zip(
        (whole.mean_x, whole.mean_y, whole.Sxx, whole.Sxy, whole.Syy),
        (parts.mean_x, parts.mean_y, parts.Sxx, parts.Sxy, parts.Syy),
        strict=True,
    ):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert whole.rows == parts.rows == 30


def test_float32_statistics_of_offset_data_do_not_cancel() -> None:
    # y = 1000 + noise: y'y / N is a million, the loss about one; uncentred float32 sums keep
    # 7 digits of the million, so the loss would keep none. Centred, it keeps float32's digits.
    g = torch.Generator().manual_seed(5)
    X = torch.randn(4000, 3, generator=g, dtype=torch.float64) + 50.0
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 1000.0
    y = y + torch.randn(4000, 1, generator=g, dtype=torch.float64)
    theta = torch.zeros(4, 1, dtype=torch.float64)
    theta[:-1, 0] = torch.tensor([1.0, -2.0, 0.5])
    theta[-1] = 990.0
    lr = 0.5 * max_stable_lr(X)
    ref, _, ref_after = loop(X, y, theta, lr, 20)
    losses, _, after = descend(stats(X.float(), y.float()), theta.float(), lr, 20)
    # float32 rounding of the data alone moves the loss by about 1e-6 of y's size: 1e-3 here
    torch.testing.assert_close(losses.double(), ref, rtol=2e-3, atol=0)
    torch.testing.assert_close(after.double(), ref_after, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("N", "D_in", "D_out", "fraction"), [(10, 1, 1, 0.07), (40, 4, 3, 0.9), (12, 3, 2, 0.5)]
)
def test_the_closed_form_is_the_loop_of_gradient_descent(
    N: int, D_in: int, D_out: int, fraction: float
) -> None:
    data = make_data(N, D_in, D_out, dtype="float64", seed=N)
    W0, b0 = init_params(D_in, D_out, dtype="float64", seed=N + 1)
    theta = torch.cat([W0, b0[None, :]])
    lr = fraction * max_stable_lr(data.X, D_out)
    losses, before, after = descend(stats(data.X, data.y_true), theta, lr, 30)
    ref_losses, ref_before, ref_after = loop(data.X, data.y_true, theta, lr, 30)
    torch.testing.assert_close(losses, ref_losses, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(before, ref_before, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(after, ref_after, rtol=1e-12, atol=1e-12)
    assert len(losses) == 31


def test_a_flat_direction_stays_put_and_zero_epochs_change_nothing() -> None:
    X = torch.ones(4, 1, dtype=torch.float64)  # Z = [x 1] has equal columns: G is singular
    y = 3 * X
    theta = torch.tensor([[0.5], [0.25]], dtype=torch.float64)
    losses, _, after = descend(stats(X, y), theta, 0.1, 200)
    assert torch.isfinite(losses).all()
    assert float(after.sum()) == pytest.approx(3.0)  # the fit, along the steep direction
    assert float(after[0] - after[1]) == pytest.approx(0.25)  # untouched along the flat one
    assert torch.equal(descend(stats(X, y), theta, 0.1, 0)[2], theta)


def test_above_the_bound_the_loss_overflows_and_fit_says_where() -> None:
    data = make_data()
    with pytest.raises(Exception, match=r"diverged.*largest stable learning rate"):
        fit(data.X, data.y_true, *init_params(), lr=50.0, epochs=400, method="sufficient")


def test_statistics_keep_the_dtype_and_device_of_the_data() -> None:
    data = make_data()
    s = stats(data.X, data.y_true)
    assert isinstance(s, Stats)
    assert s.Sxx.dtype == s.Sxy.dtype == s.Syy.dtype == torch.float32
    losses, _, after = descend(s, torch.zeros(2, 1), 0.07, 3)
    assert losses.dtype == after.dtype == torch.float32
