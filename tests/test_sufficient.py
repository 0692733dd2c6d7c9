"""linreg.sufficient: the statistics are Z'Z, Z'y, y'y; their closed form is the loop of gradient descent."""

import pytest
import torch

from linreg import design, fit, init_params, make_data, max_stable_lr
from linreg.sufficient import Stats, descend, stats


def loop(X, y, theta, lr, epochs):
    """Gradient descent on theta = [W; b] in float64, step by step: the reference for descend.

    The loss of each of the ``epochs + 1`` thetas, and theta before and after the last update."""
    Z, n = design(X).double(), y.numel()
    thetas = [theta.double()]
    for _ in range(epochs):
        thetas.append(thetas[-1] - 2 * lr / n * Z.T @ (Z @ thetas[-1] - y.double()))
    losses = [float(((Z @ th - y.double()) ** 2).sum() / n) for th in thetas]
    return torch.tensor(losses, dtype=torch.float64), thetas[-2], thetas[-1]


def test_the_statistics_are_z_transpose_z_z_transpose_y_and_y_transpose_y():
    data = make_data(N=50, D_in=3, D_out=2, dtype="float64")
    Z, s = design(data.X), stats(data.X, data.y_true)
    torch.testing.assert_close(s.G, Z.T @ Z)
    torch.testing.assert_close(s.c, Z.T @ data.y_true)
    torch.testing.assert_close(s.yy, (data.y_true**2).sum())
    assert s.n == 100


def test_statistics_of_two_chunks_add_up_to_the_whole():
    data = make_data(N=30, D_in=2, D_out=2, dtype="float64")
    whole, parts = (
        stats(data.X, data.y_true),
        stats(data.X[:11], data.y_true[:11]) + stats(data.X[11:], data.y_true[11:]),
    )
    for a, b in ((whole.G, parts.G), (whole.c, parts.c), (whole.yy, parts.yy)):
        torch.testing.assert_close(a, b)
    assert whole.n == parts.n


@pytest.mark.parametrize(
    ("N", "D_in", "D_out", "fraction"), [(10, 1, 1, 0.07), (40, 4, 3, 0.9), (12, 3, 2, 0.5)]
)
def test_the_closed_form_is_the_loop_of_gradient_descent(N, D_in, D_out, fraction):
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


def test_a_flat_direction_stays_put_and_zero_epochs_change_nothing():
    X = torch.ones(4, 1, dtype=torch.float64)  # Z = [x 1] has equal columns: G is singular
    y = 3 * X
    theta = torch.tensor([[0.5], [0.25]], dtype=torch.float64)
    losses, _, after = descend(stats(X, y), theta, 0.1, 200)
    assert torch.isfinite(losses).all()
    assert float(after.sum()) == pytest.approx(3.0)  # the fit, along the steep direction
    assert float(after[0] - after[1]) == pytest.approx(0.25)  # untouched along the flat one
    assert torch.equal(descend(stats(X, y), theta, 0.1, 0)[2], theta)


def test_above_the_bound_the_loss_overflows_and_fit_says_where():
    data = make_data()
    with pytest.raises(Exception, match=r"diverged.*largest stable learning rate"):
        fit(data.X, data.y_true, *init_params(), lr=50.0, epochs=400, method="sufficient")


def test_statistics_keep_the_dtype_and_device_of_the_data():
    data = make_data()
    s = stats(data.X, data.y_true)
    assert isinstance(s, Stats)
    assert s.G.dtype == torch.float32
    losses, _, after = descend(s, torch.zeros(2, 1), 0.07, 3)
    assert losses.dtype == after.dtype == torch.float32
