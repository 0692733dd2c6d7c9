r"""The model, its loss and the loss's gradients: one function per equation.

:func:`predict` and :func:`residual_gradients` are unchecked on purpose: they run inside the
training loop, where the inputs were checked once before the first epoch
(:func:`linreg.checks.problem`). :func:`mse` checks that the shapes match (broadcasting
``(N, 1)`` against ``(N,)`` would average an ``N x N`` table), and :func:`gradients` checks its
problem as :func:`linreg.train.fit` does.
"""

from __future__ import annotations

import torch

from linreg import checks


def predict(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""The model :math:`\hat y = XW + b`, with ``b`` broadcast to every row.

    Examples
    --------
    >>> predict(torch.tensor([[1.0], [2.0]]), torch.tensor([[2.0]]), torch.tensor([1.0]))
    tensor([[3.],
            [5.]])
    """
    return X @ W + b


def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Mean squared error :math:`\frac{1}{N D_\text{out}} \lVert \hat y - y \rVert_F^2`.

    ``torch.mean`` averages over all ``N * D_out`` entries, not over the ``N`` rows.

    Examples
    --------
    >>> mse(torch.tensor([[1.0, 3.0]]), torch.tensor([[0.0, 0.0]]))
    tensor(5.)
    """
    for name, t in (("y_hat", y_hat), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if y_hat.shape != y.shape:
        raise ValueError(
            f"y_hat has shape {tuple(y_hat.shape)} but y has shape {tuple(y.shape)}: they must match "
            "(no broadcasting); reshape y to (N, D_out), for example y.reshape(-1, 1)"
        )
    return torch.mean((y_hat - y) ** 2)


def gradients(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Analytic gradients of :func:`mse` of :func:`predict` with respect to ``W`` and ``b``.

    .. math::

        \begin{gathered}
        \nabla_W \mathcal{L} = \tfrac{2}{N D_\text{out}} X^\top (XW + b - y), \\
        \nabla_b \mathcal{L} = \tfrac{2}{N D_\text{out}} (XW + b - y)^\top \mathbf{1}
        \end{gathered}

    Examples
    --------
    >>> X, y = torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [5.0]])
    >>> gradients(X, y, torch.tensor([[0.0]]), torch.tensor([0.0]))
    (tensor([[-13.]]), tensor([-8.]))
    """
    checks.problem(X, y, W, b)
    return residual_gradients(X, predict(X, W, b) - y)


def residual_gradients(X: torch.Tensor, R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The gradients of :func:`gradients`, from the residual :math:`R = XW + b - y` of shape (N, D_out).

    For a loop that has ``R`` already (it computed the loss from it), and for runs stacked on
    leading axes (``R`` of shape (..., N, D_out), as :func:`linreg.sweep.sweep` does).

    Examples
    --------
    >>> X, R = torch.tensor([[1.0], [2.0]]), torch.tensor([[-3.0], [-5.0]])
    >>> residual_gradients(X, R)
    (tensor([[-13.]]), tensor([-8.]))
    """
    scale = 2.0 / (R.shape[-2] * R.shape[-1])
    return scale * (X.T @ R), scale * R.sum(dim=-2)
