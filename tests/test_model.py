"""linreg.model against autograd and against the formulas written out element by element."""

from typing import Any, cast

import pytest
import torch

from linreg import gradients, mse, predict
from linreg.model import residual_gradients


def test_predict_broadcasts_b_to_every_row() -> None:
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    W = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    b = torch.tensor([10.0, 20.0, 30.0])
    y_hat = predict(X, W, b)
    for i in range(3):
        for k in range(3):
            assert y_hat[i, k].item() == sum(X[i, j].item() * W[j, k].item() for j in range(2)) + b[k].item()


def test_mse_divides_by_n_times_d_out_not_n() -> None:
    y_hat = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = torch.zeros(2, 2)
    N, D_out = 2, 2
    total = 1 + 4 + 9 + 16
    assert mse(y_hat, y).item() == total / (N * D_out)
    assert mse(y_hat, y).item() != total / N


@pytest.mark.parametrize(("N", "D_in", "D_out"), [(1, 1, 1), (10, 1, 1), (7, 3, 2), (33, 5, 4), (4, 8, 1)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_analytic_gradients_equal_autograd_on_random_shapes(
    N: int, D_in: int, D_out: int, dtype: torch.dtype
) -> None:
    g = torch.Generator().manual_seed(N * 100 + D_in * 10 + D_out)
    X, y = torch.randn(N, D_in, generator=g, dtype=dtype), torch.randn(N, D_out, generator=g, dtype=dtype)
    W = torch.randn(D_in, D_out, generator=g, dtype=dtype, requires_grad=True)
    b = torch.randn(D_out, generator=g, dtype=dtype, requires_grad=True)
    torch.mean((X @ W + b - y) ** 2).backward()
    dW, db = gradients(X, y, W.detach(), b.detach())
    tol: dict[str, Any] = (
        {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    )
    torch.testing.assert_close(dW, W.grad, **tol)
    torch.testing.assert_close(db, b.grad, **tol)
    assert dW.shape == W.shape
    assert db.shape == b.shape


def test_gradients_against_central_differences() -> None:
    g = torch.Generator().manual_seed(0)
    X, y = (
        torch.randn(6, 2, generator=g, dtype=torch.float64),
        torch.randn(6, 3, generator=g, dtype=torch.float64),
    )
    W, b = (
        torch.randn(2, 3, generator=g, dtype=torch.float64),
        torch.randn(3, generator=g, dtype=torch.float64),
    )
    dW, db = gradients(X, y, W, b)
    h = 1e-6
    for j in range(2):
        for k in range(3):
            E = torch.zeros_like(W)
            E[j, k] = h
            numeric = (mse(predict(X, W + E, b), y) - mse(predict(X, W - E, b), y)) / (2 * h)
            assert dW[j, k].item() == pytest.approx(numeric.item(), rel=1e-6)
    for k in range(3):
        e = torch.zeros_like(b)
        e[k] = h
        numeric = (mse(predict(X, W, b + e), y) - mse(predict(X, W, b - e), y)) / (2 * h)
        assert db[k].item() == pytest.approx(numeric.item(), rel=1e-6)


def test_residual_gradients_of_stacked_runs_are_each_runs_own_against_autograd() -> None:
    # Three runs on the same data, stacked on a leading axis (as linreg.sweep does).
    g = torch.Generator().manual_seed(3)
    X, y = (
        torch.randn(7, 3, generator=g, dtype=torch.float64),
        torch.randn(7, 2, generator=g, dtype=torch.float64),
    )
    W = torch.randn(3, 3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    R = X @ W + b[:, None, :] - y
    # run i's loss depends on W[i], b[i] only
    cast(torch.Tensor, sum(torch.mean(R[i] ** 2) for i in range(3))).backward()
    dW, db = residual_gradients(X, R.detach())
    assert dW.shape == W.shape
    assert db.shape == b.shape
    torch.testing.assert_close(dW, W.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(db, b.grad, rtol=1e-12, atol=1e-12)
