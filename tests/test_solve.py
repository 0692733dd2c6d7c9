"""linreg.solve: the closed form and the stability bound, against independent computations."""

import numpy as np
import pytest
import torch

from linreg import DivergenceError, closed_form, fit, hessian, init_params, make_data, max_stable_lr


def test_closed_form_recovers_w_true_and_b_true_from_noiseless_data() -> None:
    W_true = torch.tensor([[1.5, -2.0], [0.5, 3.0], [-1.0, 0.25]])
    b_true = torch.tensor([0.75, -0.5])
    data = make_data(N=50, D_in=3, D_out=2, W_true=W_true, b_true=b_true, dtype="float64")
    W, b = closed_form(data.X, data.y_true)
    torch.testing.assert_close(W, W_true.double(), rtol=0, atol=1e-12)
    torch.testing.assert_close(b, b_true.double(), rtol=0, atol=1e-12)


def test_closed_form_matches_numpy_least_squares_on_noisy_data() -> None:
    g = torch.Generator().manual_seed(1)
    X = torch.randn(40, 2, generator=g, dtype=torch.float64)
    y = torch.randn(40, 3, generator=g, dtype=torch.float64)
    W, b = closed_form(X, y)
    Z = np.hstack([X.numpy(), np.ones((40, 1))])
    theta, *_ = np.linalg.lstsq(Z, y.numpy(), rcond=None)
    np.testing.assert_allclose(W.numpy(), theta[:-1], atol=1e-12)
    np.testing.assert_allclose(b.numpy(), theta[-1], atol=1e-12)


def test_long_gradient_descent_ends_at_the_closed_form() -> None:
    g = torch.Generator().manual_seed(2)
    X = torch.randn(30, 2, generator=g, dtype=torch.float64)
    y = torch.randn(30, 1, generator=g, dtype=torch.float64)
    W0, b0 = torch.zeros(2, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    result = fit(X, y, W0, b0, lr=0.9 * max_stable_lr(X), epochs=5000, method="analytic")
    W, b = closed_form(X, y)
    torch.testing.assert_close(result.W, W, rtol=0, atol=1e-9)
    torch.testing.assert_close(result.b, b, rtol=0, atol=1e-9)


def test_hessian_matches_autograds_second_derivatives() -> None:
    g = torch.Generator().manual_seed(3)
    X = torch.randn(9, 3, generator=g, dtype=torch.float64)
    y = torch.randn(9, 2, generator=g, dtype=torch.float64)

    def loss(theta: torch.Tensor) -> torch.Tensor:
        return torch.mean((X @ theta[:-1] + theta[-1] - y) ** 2)

    H_full = torch.autograd.functional.hessian(loss, torch.zeros(4, 2, dtype=torch.float64))
    # d2L / d theta[:, k] d theta[:, k] for output column k = 0
    torch.testing.assert_close(H_full[:, 0, :, 0], hessian(X, D_out=2))
    assert torch.all(H_full[:, 0, :, 1] == 0)


def test_max_stable_lr_is_two_over_numpys_largest_eigenvalue() -> None:
    X = make_data().X
    Z = np.hstack([X.double().numpy(), np.ones((10, 1))])
    lam = np.linalg.eigvalsh(2 / 10 * Z.T @ Z).max()
    assert max_stable_lr(X) == pytest.approx(2 / lam, rel=1e-12)


@pytest.mark.parametrize("method", ["autograd", "analytic", "sufficient"])
def test_just_under_the_bound_converges_just_over_it_diverges(method: str) -> None:
    data = make_data(dtype="float64")
    W0, b0 = init_params(dtype="float64")
    bound = max_stable_lr(data.X)
    under = fit(data.X, data.y_true, W0, b0, lr=0.99 * bound, epochs=5000, method=method)
    assert under.loss_after < 1e-12
    with pytest.raises(DivergenceError, match=r"non-finite at epoch \d+") as caught:
        fit(data.X, data.y_true, W0, b0, lr=1.05 * bound, epochs=20000, method=method)
    assert caught.value.max_stable_lr == pytest.approx(bound)
    assert f"{bound:.6g}" in str(caught.value)


def test_closed_form_rejects_mismatched_rows() -> None:
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        closed_form(torch.zeros(3, 1), torch.zeros(2, 1))


def test_underdetermined_closed_form_leaves_the_intercept_unpenalised_as_scikit_learn() -> None:
    # N = 5 rows, D_in = 10: many W fit exactly; the least-norm W, with b outside the norm.
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    W, b = closed_form(torch.tensor(X[:5]), torch.tensor(y[:5, None]))
    ours = LinearRegression().fit(X[:5], y[:5, None])
    np.testing.assert_allclose(W.numpy(), ours.coef_.T, rtol=0, atol=1e-10)
    np.testing.assert_allclose(b.numpy(), ours.intercept_, rtol=0, atol=1e-10)
    # and so its predictions on the other rows, the least-norm W of the centred problem's
    np.testing.assert_allclose((torch.tensor(X[5:]) @ W + b).numpy(), ours.predict(X[5:]), rtol=0, atol=1e-8)
    Xc, yc = X[:5] - X[:5].mean(axis=0), y[:5] - y[:5].mean()
    np.testing.assert_allclose(W.numpy()[:, 0], np.linalg.pinv(Xc) @ yc, rtol=0, atol=1e-10)
