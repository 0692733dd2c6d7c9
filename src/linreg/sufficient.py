r"""Sufficient statistics: the loss of every :math:`(W, b)` from a few sums over the rows.

The statistics are centred: the means :math:`\bar x, \bar y` and the co-moments about them,

.. math::

    \begin{aligned}
    S_{xx} &= \textstyle\sum_i (x_i - \bar x)^\top (x_i - \bar x), \\
    S_{xy} &= \textstyle\sum_i (x_i - \bar x)^\top (y_i - \bar y), \\
    S_{yy} &= \textstyle\sum_i \lVert y_i - \bar y \rVert^2 .
    \end{aligned}

With the mean residual :math:`e = \bar x W + b - \bar y`, the loss is

.. math::

    \begin{aligned}
    \mathcal{L}(W, b) &= \frac{1}{N D_\text{out}} \big( \operatorname{tr}(W^\top S_{xx} W) \\
    &\quad - 2 \operatorname{tr}(W^\top S_{xy}) + S_{yy} + N \lVert e \rVert^2 \big) .
    \end{aligned}

Centred sums do not cancel: the uncentred :math:`y^\top y` is :math:`N` times the mean square
of ``y``, which can be thousands of times the loss, and float32 keeps 7 digits of it; the
centred ones are as large as the spread of the data. The statistics of two chunks of rows (or of
two processes' shards) merge with the pairwise formula of Chan, Golub and LeVeque (``+``).

Gradient descent on :math:`\theta = [W; b]` is linear: with :math:`G = Z^\top Z` (formed from
the centred statistics in float64, :math:`Z = [X\;\mathbf 1]`), :math:`c = Z^\top y` and
:math:`a = 2\eta / (N D_\text{out})`, :math:`\theta \leftarrow \theta - a (G\theta - c)`. Along
each eigenvector of :math:`G`, with eigenvalue :math:`g`, one step multiplies the distance to a
minimum :math:`\theta^\star` by :math:`r = 1 - a g`. So every epoch's :math:`\theta` and loss is a
formula (:func:`descend`): the loss is the least loss plus :math:`\sum g\, r^{2t}` times the
squared distance along each eigenvector, a sum of terms that cannot cancel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from linreg import checks

# Epochs computed together by descend: memory O(BLOCK * D) at a time, plus the losses.
BLOCK = 4096
# On the CPU, stats centres ROWS rows at a time and merges them: the centred copy of a block
# stays in cache, and forming the statistics costs about what X'X alone costs. (On a GPU, one
# block: a kernel launch per block would cost more than the copy.)
ROWS = 4096
TILE = 64


@dataclass(frozen=True)
class Stats:
    r"""Centred statistics of ``rows`` rows: :math:`\bar x, \bar y, S_{xx}, S_{xy}, S_{yy}`.

    ``mean_x`` has shape (D_in,), ``mean_y`` (D_out,), ``Sxx`` (D_in, D_in), ``Sxy`` (D_in, D_out),
    ``Syy`` is 0-d (the sum over all outputs), in the data's dtype and device.
    """

    rows: int
    mean_x: torch.Tensor
    mean_y: torch.Tensor
    Sxx: torch.Tensor
    Sxy: torch.Tensor
    Syy: torch.Tensor

    @property
    def n(self) -> int:
        """The entries of ``y``, ``N * D_out``: the loss averages over them."""
        return self.rows * self.mean_y.shape[0]

    def __add__(self, other: Stats) -> Stats:
        r"""The statistics of both sets of rows together (Chan et al.'s pairwise update).

        With :math:`\delta = \bar x_B - \bar x_A` (and likewise for ``y``):
        :math:`\bar x = \bar x_A + \delta\, n_B / n`,
        :math:`S_{xx} = S_{xx}^A + S_{xx}^B + \delta^\top \delta\, n_A n_B / n`.
        """
        if not isinstance(other, Stats):
            return NotImplemented
        nA, nB = self.rows, other.rows
        n = nA + nB
        dx, dy = other.mean_x - self.mean_x, other.mean_y - self.mean_y
        w = nA * nB / n
        return Stats(
            n,
            self.mean_x + dx * (nB / n),
            self.mean_y + dy * (nB / n),
            self.Sxx + other.Sxx + w * torch.outer(dx, dx),
            self.Sxy + other.Sxy + w * torch.outer(dx, dy),
            self.Syy + other.Syy + w * (dy * dy).sum(),
        )

    @property
    def G(self) -> torch.Tensor:
        r""":math:`Z^\top Z` in float64 (on the CPU), formed from the centred statistics."""
        N, mx, Sxx = self.rows, self.mean_x.double().cpu(), self.Sxx.double().cpu()
        top = torch.cat([Sxx + N * torch.outer(mx, mx), N * mx[:, None]], dim=1)
        bottom = torch.cat([N * mx, torch.tensor([float(N)], dtype=torch.float64)])[None, :]
        return torch.cat([top, bottom])

    @property
    def c(self) -> torch.Tensor:
        r""":math:`Z^\top y` in float64 (on the CPU), formed from the centred statistics."""
        N, mx, my = self.rows, self.mean_x.double().cpu(), self.mean_y.double().cpu()
        return torch.cat([self.Sxy.double().cpu() + N * torch.outer(mx, my), N * my[None, :]])


def stats(X: torch.Tensor, y: torch.Tensor) -> Stats:
    r"""The centred statistics of the rows ``X`` (N, D_in), ``y`` (N, D_out): one pass over the data.

    On the CPU, each block of ``ROWS`` rows is centred on its own means, its co-moments summed
    over tiles of ``TILE`` rows, and the blocks merge pairwise as a tree (:func:`merge`): in
    float32, the co-moments of the diabetes data come out about ten times closer to float64's
    than one matrix product's.

    Examples
    --------
    >>> s = stats(torch.tensor([[1.0], [3.0]]), torch.tensor([[2.0], [4.0]]))
    >>> s.rows, s.mean_x, s.mean_y, s.Sxx, s.Sxy, s.Syy
    (2, tensor([2.]), tensor([3.]), tensor([[2.]]), tensor([[2.]]), tensor(2.))
    >>> s.G, s.c.T
    (tensor([[10.,  4.],
            [ 4.,  2.]], dtype=torch.float64), tensor([[14.,  6.]], dtype=torch.float64))
    """
    X, y = checks.tensor("X", X, 2, values=False), checks.tensor("y", y, 2, values=False)
    checks.same_device_and_dtype(X=X, y=y)
    checks.same_rows(X, y)
    X, y = X.detach(), y.detach()
    if X.device.type != "cpu":
        return _centred(X, y, tile=0)
    return merge([_centred(Xb, yb, TILE) for Xb, yb in zip(X.split(ROWS), y.split(ROWS), strict=True)])


def merge(parts: list[Stats]) -> Stats:
    """The statistics of all ``parts`` together, merged as a balanced tree (rounding grows as log)."""
    if not parts:
        raise ValueError("parts must hold at least one Stats")
    while len(parts) > 1:
        parts = [parts[i] + parts[i + 1] if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


def _centred(X: torch.Tensor, y: torch.Tensor, tile: int) -> Stats:
    mean_x, mean_y = X.mean(dim=0), y.mean(dim=0)
    Xc, yc = X - mean_x, y - mean_y
    if not tile:
        return Stats(X.shape[0], mean_x, mean_y, Xc.T @ Xc, Xc.T @ yc, (yc * yc).sum())
    # The co-moments from the products of TILE rows at a time, then their sum: a float32 dot
    # product of N terms (as one matrix product accumulates on the CPU) rounds about N times,
    # these about TILE times plus a pairwise sum. Rows of zeros pad the last tile: they add nothing.
    pad = -X.shape[0] % tile
    Xt, yt = (
        (torch.cat([t, t.new_zeros(pad, t.shape[1])]) if pad else t).reshape(-1, tile, t.shape[1])
        for t in (Xc, yc)
    )
    XtT = Xt.transpose(1, 2)
    # one output: products and sums (a batched matrix-vector product is slower than the rest together)
    Sxy = (Xt * yt).sum(1).sum(0)[:, None] if yc.shape[1] == 1 else (XtT @ yt).sum(0)
    return Stats(X.shape[0], mean_x, mean_y, (XtT @ Xt).sum(0), Sxy, (yc * yc).sum())


# Below e^-230 (1e-100) a power is 0: its square stays a normal float (arithmetic on subnormal
# ones is a hundred times slower on x86), and what it drops is 1e-200 of the start's distance.
TINY = -230.0


def _power(r: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    # r^t for the epochs t (a column), from exp(t log|r|) clamped at TINY, then its sign
    magnitude = torch.exp((t * torch.log(r.abs())).clamp(min=TINY))
    magnitude = torch.where(magnitude <= math.exp(TINY), 0.0, magnitude)
    powers = torch.where((r < 0) & (torch.remainder(t, 2) == 1), -magnitude, magnitude)
    return torch.where(t == 0, 1.0, powers)  # (for r = 0 and t > 0, the clamp made it 0)


def _geometric(ag: torch.Tensor, r: torch.Tensor, powers: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    # (1 - r^t) / (1 - r), the sum of r^k for k < t; for r near 1, from log1p and expm1, whose
    # difference does not cancel; for g = 0 (a flat direction) it is t.
    near_one = -torch.expm1((t * torch.log1p(-ag.clamp(max=0.5))).clamp(min=TINY))
    geometric = torch.where(ag < 0.5, near_one, 1 - powers) / torch.where(ag == 0, 1.0, ag)
    return torch.where(ag == 0, t, geometric)


def descend(
    s: Stats, theta: torch.Tensor, lr: float, epochs: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""``epochs`` steps of gradient descent from ``theta`` = :math:`[W; b]`, in closed form.

    Returns the losses of :math:`\theta_0, \dots, \theta_\text{epochs}` (each epoch's before its
    update, then the loss after the last update: ``epochs + 1`` values), and :math:`\theta`
    before and after the last update, in ``theta``'s dtype and device. Computed in float64 on the
    CPU, ``BLOCK`` epochs at a time: memory grows with ``epochs`` by the losses alone. With
    :math:`G = Q \operatorname{diag}(g) Q^\top`, a minimum :math:`\theta^\star = G^{+} c`, its
    residual :math:`\rho = c - G\theta^\star` (zero up to rounding) and the least loss
    :math:`\mathcal{L}^\star`, both from the centred statistics, :math:`r = 1 - a g` and
    :math:`\tilde\delta_0 = Q^\top (\theta_0 - \theta^\star)`,

    .. math::

        \begin{aligned}
        \tilde\delta_t &= r^t \tilde\delta_0 + a\, \frac{1 - r^t}{1 - r}\, \tilde\rho, \\
        \mathcal{L}_t &= \mathcal{L}^\star
        + \frac{\sum (g\, \tilde\delta_t - 2 \tilde\rho) \odot \tilde\delta_t}{N D_\text{out}} .
        \end{aligned}

    A loss that overflows stops the computation: the later losses are NaN.

    Raises
    ------
    ValueError
        If the statistics are not finite (the data's squares overflowed its dtype).

    Examples
    --------
    >>> s = stats(torch.tensor([[0.0], [1.0]]), torch.tensor([[1.0], [3.0]]))
    >>> losses, before, after = descend(s, torch.zeros(2, 1), lr=0.25, epochs=2)
    >>> losses, after.T  # by hand: theta_1 = a c, theta_2 = theta_1 - a (G theta_1 - c)
    (tensor([5.0000, 0.7812, 0.2441]), tensor([[1.0625, 1.3125]]))
    """
    if not isinstance(s, Stats):
        raise TypeError(f"s must be linreg.sufficient.Stats (from stats(X, y)), got {type(s).__name__}")
    lr, epochs = checks.learning_rate(lr), checks.epochs(epochs)
    theta = checks.tensor("theta", theta, 2)
    D_in, D_out = s.Sxy.shape
    if tuple(theta.shape) != (D_in + 1, D_out):
        raise ValueError(
            f"theta must have shape (D_in + 1, D_out) = {(D_in + 1, D_out)}, got {tuple(theta.shape)}"
        )
    parts = [t.detach().to("cpu", torch.float64) for t in (s.mean_x, s.mean_y, s.Sxx, s.Sxy, s.Syy)]
    if not bool(torch.isfinite(torch.cat([p.reshape(-1) for p in parts])).all()):
        raise ValueError(
            f"the statistics of X and y are not finite: the data's squares overflow {s.Sxx.dtype}; "
            "rescale X and y (for example, standardize them) or use float64"
        )
    mx, my, Sxx, Sxy, Syy = parts
    N, n = s.rows, s.n
    checks.losses_fit(epochs, theta.element_size(), torch.device("cpu"))
    losses = torch.full((epochs + 1,), float("nan"), dtype=theta.dtype)

    g, Q = torch.linalg.eigh(s.G)
    # A minimum, theta* = G^+ c over the eigenvectors that are not flat to rounding (float64);
    # its loss and its residual rho = c - G theta* from the centred statistics, which do not cancel.
    keep = g > g[-1].clamp_min(0) * (D_in + 1) * torch.finfo(s.Sxx.dtype).eps
    theta_star = (Q[:, keep] / g[keep]) @ (Q[:, keep].T @ s.c)
    W_star = theta_star[:-1]
    e = mx @ W_star + theta_star[-1] - my  # the mean residual at theta*: zero up to rounding
    top = Sxy - Sxx @ W_star - N * torch.outer(mx, e)
    rho = torch.cat([top, -N * e[None, :]])
    least = Syy - 2 * (W_star * Sxy).sum() + (W_star * (Sxx @ W_star)).sum() + N * (e * e).sum()

    a = 2.0 * lr / n
    ag = a * g  # 1 - r
    r = 1 - ag
    u = Q.T @ (theta.detach().to("cpu", torch.float64) - theta_star)  # (D, D_out)
    v = Q.T @ rho
    A, B, C = (u * u).sum(1), (u * v).sum(1), (v * v).sum(1)  # per eigenvector, summed over outputs

    def at(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # delta_t = p u + q v along each eigenvector, for the epochs t (a column)
        powers = _power(r, t)
        return powers, a * _geometric(ag, r, powers, t)

    ends = None  # p and q of the epochs before and after the last update, when the last block has both
    for start in range(0, epochs + 1, BLOCK):
        t = torch.arange(start, min(start + BLOCK, epochs + 1), dtype=torch.float64)[:, None]
        p, q = at(t)
        if start + len(t) == epochs + 1 and len(t) >= 2:
            ends = p[-2:], q[-2:]
        terms = g * (p * p * A + 2 * p * q * B + q * q * C) - 2 * (p * B + q * C)
        block = ((least + terms.sum(dim=1)) / n).to(theta.dtype)
        losses[start : start + len(t)] = block
        if not bool(torch.isfinite(block).all()):
            break
    losses = losses.to(theta.device)
    if not epochs:  # no step: theta itself, not its round trip through Q
        return losses, theta, theta
    p, q = ends or at(torch.tensor([[epochs - 1.0], [float(epochs)]], dtype=torch.float64))
    path = theta_star + Q @ (p[..., None] * u + q[..., None] * v)  # (2, D, D_out)
    before, after = path.to(theta.device, theta.dtype)
    return losses, before, after
