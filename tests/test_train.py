"""linreg.train against the seed's own loop, its printed outputs, and an independent loop."""

import re
from collections.abc import Iterator
from typing import Any, cast

import pytest
import torch
from reference import seed_notebook

from linreg import Data, DivergenceError, Result, fit, init_params, make_data, max_stable_lr

METHODS = ["autograd", "analytic", "sufficient"]


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+", text)]


@pytest.fixture(scope="module")
def seed_run() -> tuple[Data, Result]:
    data = make_data()
    return data, fit(data.X, data.y_true, *init_params(), lr=0.07, epochs=40)


def test_autograd_is_bit_identical_to_the_seeds_loop(seed_run: tuple[Data, Result]) -> None:
    _, result = seed_run
    seed = seed_notebook.run()
    assert torch.equal(result.W, seed["W"].detach())
    assert torch.equal(result.b, seed["b"].detach())
    assert torch.equal(cast(torch.Tensor, result.y_hat), seed["y_hat"].detach())
    assert result.final_loss == seed["loss"].item()


def test_final_loss_w_b_print_as_the_seed_printed(seed_run: tuple[Data, Result]) -> None:
    _, result = seed_run
    assert f"{result.final_loss:.4f}" == seed_notebook.printed("Final Loss")
    assert numbers(seed_notebook.printed("Final W")) == [round(result.W.item(), 4)]
    assert numbers(seed_notebook.printed("Final b")) == [round(result.b.item(), 4)]


def test_final_predictions_and_truth_print_as_the_seed_printed(seed_run: tuple[Data, Result]) -> None:
    data, result = seed_run
    y_hat, y_true = cast(torch.Tensor, result.y_hat).flatten().tolist(), data.y_true.flatten().tolist()
    assert numbers(seed_notebook.printed("Final y_hats")) == [round(v, 4) for v in y_hat]
    assert numbers(seed_notebook.printed("True y_hats")) == [round(v, 4) for v in y_true]


def test_final_loss_is_before_the_last_update_and_loss_after_is_after(seed_run: tuple[Data, Result]) -> None:
    data, result = seed_run
    W, b = result.W, result.b
    after = torch.mean((data.X @ W + b - data.y_true) ** 2).item()
    assert result.loss_after == after
    assert result.loss_after < cast(float, result.final_loss)
    assert result.final_loss == result.losses[-1].item()
    assert len(result.losses) == 40


def test_result_records_what_was_run(seed_run: tuple[Data, Result]) -> None:
    _, result = seed_run
    assert (result.lr, result.epochs, result.method) == (0.07, 40, "autograd")
    assert (result.device, result.dtype) == (torch.device("cpu"), torch.float32)
    assert not result.W.requires_grad
    assert not result.b.requires_grad


def independent_loop(
    # X, y, W, b: tensors, rebound below to their lists (Any, so that mypy lets them be both).
    X: Any,
    y: Any,
    W: Any,
    b: Any,
    lr: float,
    epochs: int,
) -> Iterator[torch.Tensor]:
    """Gradient descent in float64 with the gradients written out as sums: no linreg, no autograd."""
    N, D_in = X.shape
    D_out = y.shape[1]
    X, y, W, b = (t.double().tolist() for t in (X, y, W, b))
    losses = []
    for _ in range(epochs):
        R = [
            [sum(X[i][j] * W[j][k] for j in range(D_in)) + b[k] - y[i][k] for k in range(D_out)]
            for i in range(N)
        ]
        losses.append(sum(r * r for row in R for r in row) / (N * D_out))
        dW = [
            [2 / (N * D_out) * sum(X[i][j] * R[i][k] for i in range(N)) for k in range(D_out)]
            for j in range(D_in)
        ]
        db = [2 / (N * D_out) * sum(R[i][k] for i in range(N)) for k in range(D_out)]
        W = [[W[j][k] - lr * dW[j][k] for k in range(D_out)] for j in range(D_in)]
        b = [b[k] - lr * db[k] for k in range(D_out)]
    return (torch.tensor(v, dtype=torch.float64) for v in (W, b, losses))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("N", "D_in", "D_out"), [(10, 1, 1), (12, 3, 2), (5, 2, 4)])
def test_every_method_follows_the_independent_trajectory(method: str, N: int, D_in: int, D_out: int) -> None:
    data = make_data(N, D_in, D_out, W_true=torch.linspace(-1, 2, D_in * D_out).reshape(D_in, D_out), seed=N)
    W0, b0 = init_params(D_in, D_out, seed=N + 1)
    lr = 0.5 * max_stable_lr(data.X, D_out)
    result = fit(data.X, data.y_true, W0, b0, lr=lr, epochs=25, method=method)
    W, b, losses = independent_loop(data.X, data.y_true, W0, b0, lr, 25)
    torch.testing.assert_close(result.W.double(), W, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(result.b.double(), b, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(result.losses.double(), losses, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("method", ["analytic", "sufficient"])
def test_methods_agree_with_autograd_on_the_seed_to_float_tolerance(
    method: str, seed_run: tuple[Data, Result]
) -> None:
    data, reference = seed_run
    result = fit(data.X, data.y_true, *init_params(), method=method)
    torch.testing.assert_close(result.W, reference.W, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(result.b, reference.b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(result.y_hat, reference.y_hat, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(result.losses, reference.losses, rtol=1e-3, atol=1e-6)
    assert f"{result.final_loss:.4f}" == seed_notebook.printed("Final Loss")


def test_float64_run_is_close_to_float32_and_keeps_its_dtype() -> None:
    data = make_data(dtype="float64")
    result = fit(data.X, data.y_true, *init_params(dtype="float64"))
    assert result.W.dtype == torch.float64
    assert result.dtype == torch.float64
    assert f"{result.final_loss:.4f}" == seed_notebook.printed("Final Loss")


def test_fit_does_not_modify_its_inputs() -> None:
    data = make_data()
    W0, b0 = init_params()
    W_copy, b_copy = W0.clone(), b0.clone()
    fit(data.X, data.y_true, W0, b0)
    assert torch.equal(W0, W_copy)
    assert torch.equal(b0, b_copy)


def test_zero_epochs_returns_the_initial_parameters() -> None:
    data = make_data()
    W0, b0 = init_params()
    result = fit(data.X, data.y_true, W0, b0, epochs=0)
    assert torch.equal(result.W, W0)
    assert torch.equal(result.b, b0)
    assert result.final_loss is None
    assert result.y_hat is None
    assert len(result.losses) == 0


def test_divergence_names_the_epoch_and_the_largest_stable_lr() -> None:
    data = make_data()
    bound = max_stable_lr(data.X)
    with pytest.raises(DivergenceError) as caught:
        fit(data.X, data.y_true, *init_params(), lr=50.0, epochs=400)
    error = caught.value
    assert error.lr == 50.0
    assert error.max_stable_lr == pytest.approx(bound)
    # the reported epoch is the first non-finite loss of an independent float32 loop
    X, y = data.X, data.y_true
    W, b = init_params()
    epoch = 1
    while torch.isfinite(torch.mean((X @ W + b - y) ** 2)):
        R = X @ W + b - y
        W, b = W - 50.0 * 2 / 10 * X.T @ R, b - 50.0 * 2 / 10 * R.sum(0)
        epoch += 1
    assert error.epoch == epoch
    assert f"epoch {epoch}" in str(error)


X, Y = make_data().X, make_data().y_true
W0, B0 = init_params()


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((X[:5], Y, W0, B0), {}, ValueError, "X has 5 rows but y has 10"),
        ((X[:, 0], Y, W0, B0), {}, ValueError, "X must have rank 2"),
        ((X, Y[:, 0], W0, B0), {}, ValueError, "y must have rank 2"),
        ((X, Y, W0[0], B0), {}, ValueError, "W must have rank 2"),
        ((X, Y, W0, B0[0]), {}, ValueError, "b must have rank 1"),
        ((X, Y, torch.zeros(2, 1), B0), {}, ValueError, r"W must have shape \(D_in, D_out\) = \(1, 1\)"),
        ((X, Y, W0, torch.zeros(2)), {}, ValueError, r"b must have shape \(D_out,\) = \(1,\)"),
        ((X[:0], Y[:0], W0, B0), {}, ValueError, "X must not be empty"),
        ((X * float("nan"), Y, W0, B0), {}, ValueError, "X contains NaN or infinite"),
        ((X, Y * float("inf"), W0, B0), {}, ValueError, "y contains NaN or infinite"),
        ((X.long(), Y, W0, B0), {}, TypeError, "X must be float32 or float64"),
        ((X.to(torch.complex64), Y, W0, B0), {}, TypeError, "X must be float32 or float64"),
        ((X.double(), Y, W0, B0), {}, TypeError, "y is torch.float32 but X is torch.float64"),
        ((X.numpy(), Y, W0, B0), {}, TypeError, "X must be a torch.Tensor"),
        ((X, Y, W0, B0), {"lr": 0.0}, ValueError, "lr must be a positive finite number"),
        ((X, Y, W0, B0), {"lr": -0.1}, ValueError, "lr must be a positive finite number"),
        ((X, Y, W0, B0), {"lr": float("inf")}, ValueError, "lr must be a positive finite number"),
        ((X, Y, W0, B0), {"lr": float("nan")}, ValueError, "lr must be a positive finite number"),
        ((X, Y, W0, B0), {"lr": "0.1"}, TypeError, "lr must be a real number"),
        ((X, Y, W0, B0), {"epochs": -1}, ValueError, "epochs must be >= 0"),
        ((X, Y, W0, B0), {"epochs": 2.5}, TypeError, "epochs must be an integer"),
        ((X, Y, W0, B0), {"method": "newton"}, ValueError, "method must be one of"),
    ],
)
def test_bad_input_is_a_clear_error(
    args: Any, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fit(*args, **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_run_matches_the_seed_bit_for_bit() -> None:
    data = make_data(device="cuda")
    result = fit(data.X, data.y_true, *init_params(device="cuda"))
    seed = seed_notebook.run()
    assert result.device.type == "cuda"
    assert torch.equal(result.W.cpu(), seed["W"].detach())
    assert torch.equal(result.b.cpu(), seed["b"].detach())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_inputs_on_different_devices_are_an_error() -> None:
    with pytest.raises(ValueError, match="W is on cpu but X is on cuda"):
        fit(X.cuda(), Y.cuda(), W0, B0)
