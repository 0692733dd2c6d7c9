r"""Full-batch gradient descent, :math:`W \leftarrow W - \eta \nabla_W \mathcal{L}`, three ways.

``"autograd"``
    The seed's loop: ``loss.backward()``, updates under ``torch.no_grad()``, then zeroed grads.
``"analytic"``
    The same steps with the gradients of :func:`linreg.model.gradients` in place of autograd
    (from :func:`linreg.model.residual_gradients`, sharing the residual with the loss).
``"sufficient"``
    One pass over the data forms :math:`Z^\top Z` and :math:`Z^\top y` (:math:`Z = [X\;\mathbf 1]`);
    the epochs then follow from them in closed form (:mod:`linreg.sufficient`), whatever ``N`` is.

All three follow one trajectory (to float tolerance); ``"autograd"`` is bit-identical to the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from linreg import checks
from linreg.model import mse, predict, residual_gradients
from linreg.solve import max_stable_lr
from linreg.sufficient import descend, stats

METHODS = ("autograd", "analytic", "sufficient")

# Each method appends the epochs' losses (0-d tensors, never synced to the host in the loop)
# and returns the final W, b and the last epoch's predictions (None after 0 epochs).
Losses = list[torch.Tensor]
Trajectory = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]


class DivergenceError(ArithmeticError):
    """Training produced a non-finite loss: the learning rate is too large for the data."""

    def __init__(self, epoch: int, lr: float, max_lr: float) -> None:
        self.epoch, self.lr, self.max_stable_lr = epoch, lr, max_lr
        super().__init__(
            f"training diverged: the loss became non-finite at epoch {epoch} with lr={lr:g}; "
            f"the largest stable learning rate for this data is 2/lambda_max = {max_lr:.6g}"
        )


@dataclass(frozen=True)
class Result:
    """What a run of :func:`fit` produced, and what was run.

    ``losses[i]`` is the loss of epoch ``i + 1``, computed before that epoch's update.
    ``final_loss`` and ``y_hat`` belong to the last epoch, before its update: they are
    the seed's "Final Loss" and "Final y_hats". ``loss_after`` is the loss of the
    returned ``W`` and ``b``, after the last update.
    """

    W: torch.Tensor
    b: torch.Tensor
    losses: torch.Tensor
    y_hat: torch.Tensor | None
    loss_after: float
    lr: float
    epochs: int
    method: str
    device: torch.device
    dtype: torch.dtype

    @property
    def final_loss(self) -> float | None:
        """The last epoch's loss before its update (the seed's "Final Loss"); None if 0 epochs."""
        return float(self.losses[-1]) if self.epochs else None


def _autograd(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, lr: float, epochs: int, losses: Losses
) -> Trajectory:
    W, b = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    y_hat = None
    for _ in range(epochs):
        y_hat = X @ W + b
        loss = torch.mean((y_hat - y) ** 2)
        loss.backward()
        with torch.no_grad():  # the update is not part of the model: keep it off the graph
            W -= lr * W.grad  # type: ignore[operator]  # backward() has just set .grad
            b -= lr * b.grad  # type: ignore[operator]
        W.grad.zero_()  # type: ignore[union-attr]  # backward() accumulates: zero it each epoch
        b.grad.zero_()  # type: ignore[union-attr]
        losses.append(loss.detach())
    return W.detach(), b.detach(), y_hat


def _analytic(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, lr: float, epochs: int, losses: Losses
) -> Trajectory:
    # The loss and the gradients share one residual: two passes over X per epoch, not three.
    y_hat = None
    for _ in range(epochs):
        y_hat = predict(X, W, b)
        R = y_hat - y
        losses.append(torch.mean(R**2))  # linreg.model.mse, op for op
        dW, db = residual_gradients(X, R)
        W, b = W - lr * dW, b - lr * db
    return W, b, y_hat


def _sufficient(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, lr: float, epochs: int, losses: Losses
) -> Trajectory:
    # One pass over X forms the statistics; the epochs then follow in closed form, whatever N is.
    trace, before, theta = descend(stats(X, y), torch.cat([W, b[None, :]]), lr, epochs)
    losses.extend(trace[:-1])
    # the last epoch's predictions cost one more pass over X, once, not once per epoch
    y_hat = predict(X, before[:-1], before[-1]) if epochs else None
    return theta[:-1], theta[-1], y_hat


_STEPS: dict[str, Callable[..., Trajectory]] = {
    "autograd": _autograd,
    "analytic": _analytic,
    "sufficient": _sufficient,
}


def fit(
    X: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    lr: float = 0.07,
    epochs: int = 40,
    method: str = "autograd",
) -> Result:
    r"""Run ``epochs`` steps of full-batch gradient descent on :func:`linreg.model.mse`.

    Training runs where its inputs are; inputs on different devices are an error.
    ``W`` and ``b`` are not modified.

    Raises
    ------
    DivergenceError
        If a loss is non-finite; says at which epoch, and the largest stable ``lr``.

    Examples
    --------
    >>> from linreg import make_data, init_params
    >>> data = make_data()
    >>> result = fit(data.X, data.y_true, *init_params(), lr=0.07, epochs=40)
    >>> print(f"Final Loss: {result.final_loss:.4f}")
    Final Loss: 0.0007
    >>> result.W, result.b
    (tensor([[1.9722]]), tensor([1.0117]))
    """
    checks.problem(X, y, W, b)
    lr, epochs = checks.learning_rate(lr), checks.epochs(epochs)
    if method not in _STEPS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    losses: list[torch.Tensor] = []
    W_out, b_out, y_hat = _STEPS[method](X, y, W.detach(), b.detach(), lr, epochs, losses)
    trace = torch.stack(losses) if losses else X.new_empty(0)
    finite = torch.isfinite(trace)
    if not bool(finite.all()):
        first = int((~finite).nonzero()[0, 0]) + 1
        raise DivergenceError(first, lr, max_stable_lr(X, y.shape[1]))
    return Result(
        W=W_out,
        b=b_out,
        losses=trace,
        y_hat=None if y_hat is None else y_hat.detach(),
        loss_after=float(mse(predict(X, W_out, b_out), y)),
        lr=lr,
        epochs=epochs,
        method=method,
        device=X.device,
        dtype=X.dtype,
    )
