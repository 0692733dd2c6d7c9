r"""Full-batch gradient descent, :math:`W \leftarrow W - \eta \nabla_W \mathcal{L}`, three ways.

``"autograd"``
    The seed's loop: ``loss.backward()``, updates under ``torch.no_grad()``, then zeroed grads.
``"analytic"``
    The same steps with the gradients of :func:`linreg.model.gradients` in place of autograd
    (from :func:`linreg.model.residual_gradients`, sharing the residual with the loss).
``"sufficient"``
    One pass over the data forms centred statistics (means, and the co-moments about them); the
    epochs then follow from them in closed form (:mod:`linreg.sufficient`), whatever ``N`` is.
    Their losses are anchored on the loss of the returned ``W``, ``b``, measured on the rows.

All three follow one trajectory (to float tolerance); ``"autograd"`` is bit-identical to the seed.

Every loop keeps its losses on the device and tests them every ``CHECK_EVERY`` epochs: a run
stops within that many epochs of its first non-finite loss, and raises :class:`DivergenceError`.
A run whose loss grew above the largest stable learning rate is returned flagged
(``Result.diverging``) and warned of (:class:`UnstableWarning`); see :func:`fit`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import torch

from linreg import checks
from linreg.model import mse, predict, residual_gradients
from linreg.solve import max_stable_lr
from linreg.sufficient import descend, stats

METHODS = ("autograd", "analytic", "sufficient")

# The loops test their losses for a non-finite one every CHECK_EVERY epochs: a host sync per
# CHECK_EVERY epochs, not per epoch, and a run that overflowed stops at most CHECK_EVERY - 1
# epochs after it did.
CHECK_EVERY = 16

# A run's loss rose when the loss after its last update exceeds its lowest loss by more than
# rounding: RISE times that lowest loss, plus FLOOR times its first loss.
RISE, FLOOR = 2.0**-10, 2.0**-20

# Each method returns the final W, b and the last epoch's predictions (None after 0 epochs).
Trajectory = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]


class DivergenceError(ArithmeticError):
    """Training produced a non-finite loss: the learning rate is too large for the data."""

    def __init__(self, epoch: int, lr: float, max_lr: float) -> None:
        self.epoch, self.lr, self.max_stable_lr = epoch, lr, max_lr
        super().__init__(
            f"training diverged: the loss became non-finite at epoch {epoch} with lr={lr:g}; "
            f"the largest stable learning rate for this data is 2/lambda_max = {max_lr:.6g}"
        )


class UnstableWarning(UserWarning):
    r"""A run's loss grew because its learning rate is above :math:`2/\lambda_\text{max}`.

    Warned by :func:`fit`, :func:`linreg.shards.fit_chunks` and :func:`linreg.shards.fit_sharded`
    when they return a run with ``diverging`` set. A caller who runs above the bound on purpose
    silences it by category::

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", linreg.UnstableWarning)
            result = linreg.fit(X, y, W, b, lr=1.05 * linreg.max_stable_lr(X))
    """


class Losses:
    """The epochs' losses, written into one preallocated tensor as a loop computes them.

    ``append`` keeps each 0-d loss (no host sync) and, every ``CHECK_EVERY`` epochs, stacks them
    into place and tests them: it returns True once a loss is non-finite, so the loop can stop.
    ``epochs`` is the room foreseen; a loop that runs more (the steps of a stream of batches,
    whose length is not known in advance) grows it.
    """

    def __init__(self, epochs: int, like: torch.Tensor) -> None:
        checks.losses_fit(epochs, like.element_size(), like.device)
        self.epochs, self.like = epochs, like
        self.values: torch.Tensor | None = None  # allocated at the first flush
        self.count, self.pending, self.stopped = 0, list[torch.Tensor](), False
        self.after: float | None = None  # the loss after the last update, where a method predicts it

    def append(self, loss: torch.Tensor) -> bool:
        self.pending.append(loss)
        return len(self.pending) == CHECK_EVERY and self.flush()

    def flush(self) -> bool:
        if self.pending:
            block = torch.stack(self.pending)
            if self.values is None:
                self.values = self.like.new_empty(self.epochs)
            if self.count + len(block) > len(self.values):  # more than foreseen (a stream's steps): grow
                grown = self.like.new_empty(2 * (self.count + len(block)))
                grown[: self.count] = self.values[: self.count]
                self.values = grown
            self.values[self.count : self.count + len(block)] = block
            self.count += len(block)
            self.pending = []
            self.stopped = not bool(torch.isfinite(block).all())
        return self.stopped

    def trace(self) -> torch.Tensor:
        self.flush()
        return self.like.new_empty(0) if self.values is None else self.values[: self.count]


def verdict(
    losses: torch.Tensor, loss_after: float, lr: float, bound: Callable[[], float], dtype: torch.dtype
) -> float | None:
    r"""Judge a run from its losses: raise if one is not finite; the bound if the loss grew, else None.

    A run's loss *grew* when ``loss_after`` exceeds the run's lowest loss by more than rounding
    (``RISE`` of it, plus ``FLOOR`` of the first loss) and ``lr`` is above ``bound()``, the
    largest stable learning rate. ``bound`` is called only when the losses rose: a stable run
    pays for no eigenvalue. Below the bound, in exact arithmetic, every step lowers the loss,
    so a rise there is rounding.
    """
    if losses.numel():
        ends = torch.stack([losses.min(), losses[0], torch.isfinite(losses).all().to(losses.dtype)])
        low, first, finite = ends.tolist()
    else:
        low = first = loss_after
        finite = 1.0
    if not finite or not math.isfinite(loss_after):
        where = torch.isfinite(losses).logical_not().nonzero()
        epoch = int(where[0, 0]) + 1 if len(where) else len(losses) + 1
        max_lr = bound()
        too_large = (
            f"X, y, W or b are too large for {dtype} (their squares overflow); rescale X and y "
            "(for example, standardize them) or use float64"
        )
        if epoch == 1:
            raise ValueError(f"the loss of the initial W and b is not finite: {too_large}")
        if lr <= max_lr:
            raise ValueError(
                f"the loss is not finite at epoch {epoch} although lr={lr:g} is at or below the largest "
                f"stable learning rate {max_lr:.6g}: {too_large}"
            )
        raise DivergenceError(epoch, lr, max_lr)
    if not losses.numel() or loss_after <= low * (1 + RISE) + first * FLOOR:
        return None
    max_lr = bound()
    return max_lr if lr > max_lr else None


def unstable_message(lr: float, max_lr: float) -> str:
    """What :class:`UnstableWarning` and the CLI say of a run whose loss grew."""
    return (
        f"the loss grew: lr={lr:g} is above the largest stable learning rate for this data, "
        f"2/lambda_max = {max_lr:.6g}, so gradient descent diverges"
    )


@dataclass(frozen=True)
class Result:
    r"""What a run of :func:`fit` produced, and what was run.

    ``losses[i]`` is the loss of epoch ``i + 1``, computed before that epoch's update.
    ``final_loss`` and ``y_hat`` belong to the last epoch, before its update: they are
    the seed's "Final Loss" and "Final y_hats". ``loss_after`` is the loss of the
    returned ``W`` and ``b``, after the last update.

    ``diverging`` is True when the run's loss grew: ``loss_after`` is above the run's lowest
    loss by more than rounding (2**-10 of it, plus 2**-20 of the first loss) and ``lr`` is above
    :func:`linreg.solve.max_stable_lr`, which is then computed and kept in ``max_stable_lr``
    (None otherwise: a stable run never forms :math:`X^\top X`). Such a run also warns
    :class:`UnstableWarning`. A run above the bound whose loss has not yet risen (the slow
    directions still falling) is not flagged: run more epochs and it is.
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
    diverging: bool = False
    max_stable_lr: float | None = None

    @property
    def final_loss(self) -> float | None:
        """The last epoch's loss before its update (the seed's "Final Loss"); None if 0 epochs."""
        return float(self.losses[-1]) if self.epochs else None


# The loops take their steps from an iterable of (X, y) batches: fit's is the same rows every
# epoch (itertools.repeat), linreg.minibatch's a new batch every step.
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


class Appends(Protocol):
    """What the loops append each step's loss to (:class:`Losses`); True from it stops the loop."""

    def append(self, loss: torch.Tensor) -> bool: ...


def _autograd_steps(
    batches: Batches, W: torch.Tensor, b: torch.Tensor, lr: float, losses: Appends
) -> Trajectory:
    W, b = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    y_hat = None
    for X, y in batches:
        y_hat = X @ W + b
        loss = torch.mean((y_hat - y) ** 2)
        loss.backward()
        with torch.no_grad():  # the update is not part of the model: keep it off the graph
            W -= lr * W.grad  # type: ignore[operator]  # backward() has just set .grad
            b -= lr * b.grad  # type: ignore[operator]
        W.grad.zero_()  # type: ignore[union-attr]  # backward() accumulates: zero it each epoch
        b.grad.zero_()  # type: ignore[union-attr]
        if losses.append(loss.detach()):
            break  # non-finite: the epochs left would only repeat it
    return W.detach(), b.detach(), None if y_hat is None else y_hat.detach()


def _analytic_steps(
    batches: Batches, W: torch.Tensor, b: torch.Tensor, lr: float, losses: Appends
) -> Trajectory:
    # The loss and the gradients share one residual: two passes over X per epoch, not three.
    y_hat = None
    for X, y in batches:
        y_hat = predict(X, W, b)
        R = y_hat - y
        dW, db = residual_gradients(X, R)
        W, b = W - lr * dW, b - lr * db
        if losses.append(torch.mean(R**2)):  # linreg.model.mse, op for op
            break
    return W, b, y_hat


def _autograd(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, lr: float, epochs: int, losses: Losses
) -> Trajectory:
    return _autograd_steps(itertools.repeat((X, y), epochs), W, b, lr, losses)


def _analytic(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, lr: float, epochs: int, losses: Losses
) -> Trajectory:
    return _analytic_steps(itertools.repeat((X, y), epochs), W, b, lr, losses)


def _sufficient(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, lr: float, epochs: int, losses: Losses
) -> Trajectory:
    # One pass over X forms the statistics; the epochs then follow in closed form, whatever N is.
    trace, before, theta = descend(stats(X, y), torch.cat([W, b[None, :]]), lr, epochs)
    losses.values, losses.count, losses.after = trace[:-1], epochs, float(trace[-1])
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
    ``W`` and ``b`` are not modified, and nothing flows back into inputs that require grad:
    the run is not part of the caller's graph.

    Above the largest stable learning rate :math:`2/\lambda_\text{max}`
    (:func:`linreg.solve.max_stable_lr`) the error along the Hessian's top eigenvector grows by
    :math:`|1 - \eta\lambda_\text{max}| > 1` every epoch. At first the loss may still fall
    (the slower directions dominate it); once it rises, the run is returned flagged,
    ``result.diverging`` (see :class:`Result`), with an :class:`UnstableWarning`; once it
    overflows, :class:`DivergenceError` is raised, within ``CHECK_EVERY`` epochs of the first
    non-finite loss. Between :math:`1/\lambda_\text{max}` and :math:`2/\lambda_\text{max}` the
    run converges, the error along that eigenvector changing sign every epoch, and the loss
    never rises (in exact arithmetic it falls every epoch; in float32 it can reach 0 and stay):
    such a run is neither flagged nor warned of.

    Raises
    ------
    DivergenceError
        If a loss is non-finite; says at which epoch, and the largest stable ``lr``.
    ValueError
        If the loss is non-finite although ``lr`` is stable (the data overflow the dtype), or the
        epochs' losses could not fit in memory; for bad input, as :mod:`linreg.checks`.

    Examples
    --------
    >>> from linreg import make_data, init_params
    >>> data = make_data()
    >>> result = fit(data.X, data.y_true, *init_params(), lr=0.07, epochs=40)
    >>> print(f"Final Loss: {result.final_loss:.4f}")
    Final Loss: 0.0007
    >>> result.W, result.b
    (tensor([[1.9722]]), tensor([1.0117]))
    >>> result.diverging
    False
    """
    D_out = checks.problem(X, y, W, b)[2]
    lr, epochs = checks.learning_rate(lr), checks.epochs(epochs)
    if method not in _STEPS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    X, y = X.detach(), y.detach()  # the caller's graph is not ours to extend
    losses = Losses(epochs, X)
    W_out, b_out, y_hat = _STEPS[method](X, y, W.detach(), b.detach(), lr, epochs, losses)
    trace = losses.trace()
    loss_after = float(mse(predict(X, W_out, b_out), y))
    if losses.after is not None and math.isfinite(loss_after) and math.isfinite(losses.after):
        # The statistics give each loss as the least loss plus a sum of squares; the least loss is
        # the one number they compute by cancelling (it is Syy less what W* explains). The loss of
        # the returned W and b, measured on the rows, anchors it instead: no extra pass over X.
        trace = trace + (loss_after - losses.after)
    bound = lambda: max_stable_lr(X, D_out)  # noqa: E731
    return _judged(W_out, b_out, trace, y_hat, loss_after, lr, epochs, method, bound, stacklevel=2)


def _judged(
    W: torch.Tensor,
    b: torch.Tensor,
    losses: torch.Tensor,
    y_hat: torch.Tensor | None,
    loss_after: float,
    lr: float,
    epochs: int,
    method: str,
    bound: Callable[[], float],
    stacklevel: int,
) -> Result:
    """The run as a :class:`Result`, judged: a loss that grew is flagged and warned of (see fit)."""
    max_lr = verdict(losses, loss_after, lr, bound, W.dtype)
    if max_lr is not None:
        warnings.warn(unstable_message(lr, max_lr), UnstableWarning, stacklevel=stacklevel + 1)
    return Result(
        W=W,
        b=b,
        losses=losses,
        y_hat=y_hat,
        loss_after=loss_after,
        lr=lr,
        epochs=epochs,
        method=method,
        device=W.device,
        dtype=W.dtype,
        diverging=max_lr is not None,
        max_stable_lr=max_lr,
    )
