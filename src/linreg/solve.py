r"""What gradient descent is heading for, and how fast it may go there.

Both rest on the design matrix :math:`Z = [X \; \mathbf{1}]`: with
:math:`\theta = [W; b]` the loss is :math:`\frac{1}{N D_\text{out}} \lVert Z\theta - y \rVert_F^2`,
a quadratic whose Hessian is :math:`\frac{2}{N D_\text{out}} Z^\top Z` for each output column.
"""

from __future__ import annotations

import torch

from linreg import checks


def design(X: torch.Tensor) -> torch.Tensor:
    r""":math:`Z = [X \; \mathbf{1}]`, the inputs with a column of ones for the bias."""
    return torch.cat([X, torch.ones_like(X[:, :1])], dim=1)


def hessian(X: torch.Tensor, D_out: int = 1) -> torch.Tensor:
    r"""The loss's Hessian in one output column, :math:`\frac{2}{N D_\text{out}} Z^\top Z`.

    It does not depend on ``y``, ``W`` or ``b``: the loss is quadratic.

    Examples
    --------
    >>> hessian(torch.tensor([[1.0], [3.0]]))
    tensor([[10.,  4.],
            [ 4.,  2.]])
    """
    X = checks.tensor("X", X, 2).detach()
    D_out = checks.positive_int("D_out", D_out)
    Z = design(X)
    return 2.0 / (X.shape[0] * D_out) * (Z.T @ Z)


def max_stable_lr(X: torch.Tensor, D_out: int | torch.Tensor = 1) -> float:
    r"""The largest stable learning rate of full-batch gradient descent, :math:`2/\lambda_\text{max}`.

    Along the Hessian's top eigenvector each step multiplies the error by
    :math:`1 - \eta\lambda_\text{max}`; above this bound its size grows every epoch, and
    :func:`linreg.train.fit` flags the run once its loss has risen. Between
    :math:`1/\lambda_\text{max}` and this bound that factor is negative but of size below 1: the
    error changes sign every epoch and still shrinks, and so does the loss. The loss
    averages over all :math:`N D_\text{out}` entries of ``y``, so the bound is ``D_out`` times the
    bound of one output: pass ``D_out``, or the targets ``y`` (N, D_out) and it is read from them.

    Examples
    --------
    >>> round(max_stable_lr(torch.tensor([[1.0], [3.0]])), 4)
    0.1716
    >>> round(max_stable_lr(torch.tensor([[1.0], [3.0]]), torch.zeros(2, 3)), 4)
    0.5147
    """
    X = checks.tensor("X", X, 2)
    if isinstance(D_out, torch.Tensor):
        y = checks.tensor("y", D_out, 2, values=False)
        checks.same_rows(X, y)
        D_out = y.shape[1]
    H = hessian(X.double(), D_out)  # float64: the bound is a property of the data, not of its dtype
    return 2.0 / float(torch.linalg.eigvalsh(H)[-1])


def closed_form(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The least-squares fit, with the intercept unpenalised, as scikit-learn's ``LinearRegression``.

    :math:`W^\star` solves the centred problem
    :math:`\min \lVert (X - \bar x) W - (y - \bar y) \rVert_F` and
    :math:`b^\star = \bar y - \bar x W^\star`: a minimum of the loss. When the minimum is not
    unique (``N <= D_in``, or columns of ``X`` that are linear combinations of others), it
    returns the :math:`W^\star` of least Frobenius norm among the minimisers and its
    :math:`b^\star`, ``b`` not counted in the norm (it is not the least-norm :math:`[W; b]`).
    Solved in float64 (LAPACK's ``gelsd``) and returned in ``X``'s dtype, on ``X``'s device.

    Examples
    --------
    >>> X = torch.tensor([[0.0], [1.0], [2.0]])
    >>> closed_form(X, 3 * X + 1)
    (tensor([[3.]]), tensor([1.]))
    """
    X, y = checks.tensor("X", X, 2), checks.tensor("y", y, 2)
    checks.same_device_and_dtype(X=X, y=y)
    checks.same_rows(X, y)
    X64, y64 = X.detach().double().cpu(), y.detach().double().cpu()
    mean_x, mean_y = X64.mean(dim=0), y64.mean(dim=0)
    W = torch.linalg.lstsq(X64 - mean_x, y64 - mean_y, driver="gelsd").solution
    b = mean_y - mean_x @ W
    return W.to(X.device, X.dtype), b.to(X.device, X.dtype)
