r"""Gradient descent for many learning rates at once: one run per :math:`\eta`, side by side.

Every run starts from the same ``W`` and ``b`` on the same data; only the step size differs.
The runs are stacked on a leading learning-rate axis and advance together: on the seed's data
a sweep of a hundred learning rates costs about two runs of :func:`linreg.train.fit`, not a
hundred. A run that diverges is kept, not raised: its growing (or overflowing) loss is what a
sweep is for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from linreg import checks
from linreg.model import residual_gradients
from linreg.solve import max_stable_lr


@dataclass(frozen=True)
class Sweep:
    r"""Runs of gradient descent, one per learning rate, stacked on the first axis.

    For the run with learning rate ``lrs[i]``: ``losses[i, t]`` is the loss of epoch
    ``t + 1`` computed before that epoch's update (as :attr:`linreg.train.Result.losses`);
    ``W[i, t]`` and ``b[i, t]`` are the parameters after ``t`` updates, so ``W[i, 0]``
    is the start and ``W[i, -1]`` the end; ``loss_after[i]`` is the loss at the end.
    Non-finite values are kept as they came out of the arithmetic.
    """

    lrs: torch.Tensor
    losses: torch.Tensor
    loss_after: torch.Tensor
    W: torch.Tensor
    b: torch.Tensor
    epochs: int
    max_stable_lr: float

    @property
    def final_loss(self) -> torch.Tensor | None:
        """The last epoch's loss before its update, per run (the seed's "Final Loss"); None if 0 epochs."""
        return self.losses[:, -1] if self.epochs else None

    @property
    def finite(self) -> torch.Tensor:
        """Whether each run kept every loss and parameter finite."""
        flat = (t.reshape(len(self.lrs), -1) for t in (self.losses, self.loss_after[:, None], self.W, self.b))
        return torch.cat([torch.isfinite(t) for t in flat], dim=1).all(dim=1)

    @property
    def diverged(self) -> torch.Tensor:
        """Whether each run overflowed, or ended with a higher loss than it started with.

        Measured on the runs, not predicted: compare :attr:`unstable`. A run just above
        the bound can need more epochs than were run before its loss passes its start.
        """
        start = self.losses[:, 0] if self.epochs else self.loss_after
        return ~self.finite | (self.loss_after > start)

    @property
    def unstable(self) -> torch.Tensor:
        r"""Whether each run's ``lr`` is above :math:`2/\lambda_\text{max}`, where its error grows."""
        return self.lrs > self.max_stable_lr

    def index(self, lr: float) -> int:
        """The position of the run whose learning rate is exactly ``lr``."""
        hits = (self.lrs == lr).nonzero()
        if len(hits) == 0:
            raise KeyError(f"lr={lr!r} is not one of the swept learning rates")
        return int(hits[0, 0])


def sweep(
    X: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    lrs: Sequence[float] | torch.Tensor,
    epochs: int = 40,
) -> Sweep:
    r"""Run ``epochs`` steps of full-batch gradient descent from ``W``, ``b`` for each of ``lrs``.

    Each run takes the steps of :func:`linreg.train.fit` with ``method="analytic"``: the loss
    :func:`linreg.model.mse` before the update, then
    :math:`W \leftarrow W - \eta \nabla_W \mathcal{L}`,
    :math:`b \leftarrow b - \eta \nabla_b \mathcal{L}`; the learning rates are one more
    tensor axis, so all runs advance together. Unlike :func:`linreg.train.fit`, divergence
    neither raises nor warns: runs above the bound are what a sweep is for, so each run is
    flagged instead, by :attr:`Sweep.diverged` (measured) and :attr:`Sweep.unstable` (predicted).

    Parameters
    ----------
    X : tensor of shape (N, D_in)
    y : tensor of shape (N, D_out)
    W : tensor of shape (D_in, D_out)
        The start of every run; not modified.
    b : tensor of shape (D_out,)
    lrs : sequence of float, or a 1-D tensor
        Positive, finite learning rates, kept exactly (float64) in :attr:`Sweep.lrs`;
        each run computes in ``X``'s dtype, as :func:`linreg.train.fit` does.
    epochs : int

    Returns
    -------
    Sweep
        Per-run losses and (W, b) paths, with ``max_stable_lr`` for the data.

    Examples
    --------
    >>> from linreg import init_params, make_data
    >>> data = make_data()
    >>> runs = sweep(data.X, data.y_true, *init_params(), lrs=[0.07, 0.5, 1.0], epochs=40)
    >>> runs.losses.shape, runs.W.shape, runs.b.shape
    (torch.Size([3, 40]), torch.Size([3, 41, 1, 1]), torch.Size([3, 41, 1]))
    >>> print(f"Final Loss: {runs.final_loss[runs.index(0.07)]:.4f}")
    Final Loss: 0.0007
    >>> round(runs.max_stable_lr, 4), runs.unstable, runs.diverged
    (0.9127, tensor([False, False,  True]), tensor([False, False,  True]))
    """
    _, D_in, D_out = checks.problem(X, y, W, b)
    epochs = checks.epochs(epochs)
    X, y = X.detach(), y.detach()
    if isinstance(lrs, torch.Tensor) and lrs.ndim != 1:
        raise ValueError(f"lrs must be one-dimensional, got shape {tuple(lrs.shape)}")
    if isinstance(lrs, str) or not isinstance(lrs, Iterable):
        raise TypeError(
            f"lrs must be a sequence of learning rates or a 1-D tensor, got {type(lrs).__name__} {lrs!r}; "
            f"for one learning rate pass [{lrs!r}], or call linreg.fit"
        )
    values = lrs.tolist() if isinstance(lrs, torch.Tensor) else list(lrs)
    if not values:
        raise ValueError("lrs must hold at least one learning rate")
    exact = torch.tensor([checks.learning_rate(v) for v in values], dtype=torch.float64)

    # One column per run: lr of shape (L, 1, 1) scales each run's gradient alone.
    lr = exact.to(X.device, X.dtype)[:, None, None]
    W_t = W.detach().expand(len(values), D_in, D_out)
    b_t = b.detach().expand(len(values), D_out)
    losses, W_path, b_path = [], [W_t], [b_t]
    for _ in range(epochs):
        R = (X @ W_t + b_t[:, None, :]) - y
        losses.append((R**2).mean(dim=(1, 2)))
        dW, db = residual_gradients(X, R)
        W_t = W_t - lr * dW
        b_t = b_t - lr[:, 0] * db
        W_path.append(W_t)
        b_path.append(b_t)
    R = (X @ W_t + b_t[:, None, :]) - y
    return Sweep(
        lrs=exact,
        losses=torch.stack(losses, dim=1) if losses else X.new_empty(len(values), 0),
        loss_after=(R**2).mean(dim=(1, 2)),
        W=torch.stack(W_path, dim=1),
        b=torch.stack(b_path, dim=1),
        epochs=epochs,
        max_stable_lr=max_stable_lr(X, D_out),
    )
