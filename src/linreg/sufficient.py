r"""Sufficient statistics: the loss of every :math:`(W, b)` from three sums over the rows.

With :math:`Z = [X\;\mathbf 1]` and :math:`\theta = [W; b]`, the loss is

.. math::

    \mathcal{L}(\theta) = \frac{\operatorname{tr}(\theta^\top G \theta) - 2 \operatorname{tr}(\theta^\top c)
    + y^\top y}{N D_\text{out}}, \qquad G = Z^\top Z, \quad c = Z^\top y .

All three are sums over rows, so the statistics of two chunks of rows, or of two processes'
shards, add up (``+``). Gradient descent on :math:`\mathcal{L}` is linear in :math:`\theta`,
:math:`\theta \leftarrow \theta - a (G\theta - c)` with :math:`a = 2\eta / (N D_\text{out})`:
along each eigenvector of :math:`G`, with eigenvalue :math:`g`, one step multiplies the
coordinate by :math:`r = 1 - a g` and adds :math:`a` times that coordinate of :math:`c`. So every
epoch's :math:`\theta` and loss is a formula (:func:`descend`): one eigendecomposition of a
:math:`(D_\text{in}+1)^2` matrix, then a few tensor operations for all the epochs together, not
a loop of small ones (which, on a GPU, would cost a kernel launch each).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Stats:
    """:math:`G = Z^\\top Z`, :math:`c = Z^\\top y`, :math:`y^\\top y` and ``n``, the entries of ``y``."""

    G: torch.Tensor
    c: torch.Tensor
    yy: torch.Tensor
    n: int

    def __add__(self, other: Stats) -> Stats:
        """The statistics of both sets of rows together."""
        return Stats(self.G + other.G, self.c + other.c, self.yy + other.yy, self.n + other.n)


def stats(X: torch.Tensor, y: torch.Tensor) -> Stats:
    r"""The statistics of the rows ``X``, ``y``: one pass over the data.

    Formed blockwise (:math:`Z^\top Z = [[X^\top X, X^\top \mathbf 1], [\mathbf 1^\top X, N]]`):
    the :math:`N \times (D_\text{in}+1)` copy that :func:`linreg.solve.design` makes is never built.

    Examples
    --------
    >>> s = stats(torch.tensor([[1.0], [3.0]]), torch.tensor([[2.0], [4.0]]))
    >>> s.G, s.c.T, s.yy, s.n
    (tensor([[10.,  4.],
            [ 4.,  2.]]), tensor([[14.,  6.]]), tensor(20.), 2)
    """
    s = X.sum(dim=0, keepdim=True)  # 1'X
    rows = torch.full((1, 1), X.shape[0], dtype=X.dtype, device=X.device)
    G = torch.cat([torch.cat([X.T @ X, s.T], dim=1), torch.cat([s, rows], dim=1)])
    c = torch.cat([X.T @ y, y.sum(dim=0, keepdim=True)])
    return Stats(G, c, (y * y).sum(), y.numel())


def descend(
    s: Stats, theta: torch.Tensor, lr: float, epochs: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""``epochs`` steps of gradient descent from ``theta`` = :math:`[W; b]`, in closed form.

    Returns the losses of :math:`\theta_0, \dots, \theta_\text{epochs}` (each epoch's before its
    update, then the loss after the last update: ``epochs + 1`` values), and :math:`\theta`
    before and after the last update, in ``theta``'s dtype and device. Computed in float64 on the CPU:
    with :math:`G = Q \operatorname{diag}(g) Q^\top`, :math:`r = 1 - a g` and
    :math:`\tilde\theta = Q^\top \theta`, :math:`\tilde c = Q^\top c`,

    .. math::

        \tilde\theta_t = r^t \tilde\theta_0 + a\, \frac{1 - r^t}{1 - r}\, \tilde c, \qquad
        \mathcal{L}_t = \frac{\sum (g \tilde\theta_t - 2 \tilde c) \odot \tilde\theta_t + y^\top y}
        {N D_\text{out}} .

    Examples
    --------
    >>> s = stats(torch.tensor([[0.0], [1.0]]), torch.tensor([[1.0], [3.0]]))
    >>> losses, before, after = descend(s, torch.zeros(2, 1), lr=0.25, epochs=2)
    >>> losses, after.T  # by hand: theta_1 = a c, theta_2 = theta_1 - a (G theta_1 - c)
    (tensor([5.0000, 0.7812, 0.2441]), tensor([[1.0625, 1.3125]]))
    """
    G, c, theta0 = (t.detach().to("cpu", torch.float64) for t in (s.G, s.c, theta))
    g, Q = torch.linalg.eigh(G)
    a = 2.0 * lr / s.n
    ag = a * g  # 1 - r
    t = torch.arange(epochs + 1, dtype=torch.float64)[:, None]
    powers = (1 - ag) ** t  # r^t, (epochs + 1, D)
    # (1 - r^t) / (1 - r), the sum of r^k for k < t; for r near 1, from log1p and expm1, whose
    # difference does not cancel; for g = 0 (a flat direction) it is t.
    near_one = -torch.expm1(t * torch.log1p(-ag.clamp(max=0.5)))
    geometric = torch.where(ag < 0.5, near_one, 1 - powers) / torch.where(ag == 0, 1.0, ag)
    geometric = torch.where(ag == 0, t, geometric)
    ct = Q.T @ c
    path = powers[..., None] * (Q.T @ theta0) + a * geometric[..., None] * ct  # (epochs + 1, D, D_out)
    losses = (((g[:, None] * path - 2 * ct) * path).sum(dim=(1, 2)) + float(s.yy)) / s.n
    losses = losses.to(theta.device, theta.dtype)
    if not epochs:  # no step: theta itself, not its round trip through Q
        return losses, theta, theta
    before, after = (Q @ path[-2:]).to(theta.device, theta.dtype)
    return losses, before, after
