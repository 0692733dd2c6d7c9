r"""Mini-batch gradient descent: each step descends the loss of a batch of rows, not of all ``N``.

.. math::

    \begin{gathered}
    W \leftarrow W - \eta \nabla_W \mathcal{L}_B, \\
    \mathcal{L}_B = \frac{1}{|B| D_\text{out}} \sum_{i \in B} \lVert x_i W + b - y_i \rVert^2
    \end{gathered}

An epoch reads every row once, in batches of ``batch_size`` rows; when ``batch_size`` does not
divide ``N`` the last batch is smaller, and its step, like every other, uses its own batch's mean
gradient (a ``DataLoader(..., drop_last=False)`` loop's step). Averaged over an epoch's
equal-size batches at one point, the batch gradients are the full gradient
(:func:`linreg.model.gradients`): each is a mean over its rows, and the full gradient the mean of
those means.

:func:`fit_minibatch`
    Rows in tensors ``X``, ``y``, reshuffled every epoch by a seeded ``torch.Generator`` of its
    own (never the global random state): one seed, one run.
:func:`fit_batches`
    Any re-iterable of ``(X, y)`` batches, read once per epoch: a ``torch.utils.data.DataLoader``
    (its own sampler shuffles), a list, an object reading a file.

Both step as :func:`linreg.train.fit` does (``method="autograd"``, the seed's step, or
``"analytic"``): with one batch of all ``N`` rows, unshuffled, they *are* ``fit``, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field

import torch

from linreg import checks
from linreg.model import mse, predict
from linreg.shards import _pair
from linreg.solve import max_stable_lr
from linreg.train import Losses, Result, _analytic_steps, _autograd_steps, _judged

# fit's methods that take their steps from the rows (the statistics take none)
_STEPPERS = {"autograd": _autograd_steps, "analytic": _analytic_steps}
STEPPERS = tuple(_STEPPERS)


@dataclass(frozen=True)
class MiniBatch(Result):
    r"""What a run of :func:`fit_minibatch` or :func:`fit_batches` produced.

    As in :class:`linreg.train.Result`, each loss is computed before its update:

    - ``batch_losses[s]`` is step ``s + 1``'s loss on its own batch, before that step, and
      ``batch_rows[s]`` the batch's rows (``batch_rows.cumsum(0)`` are the rows read);
    - ``losses[i]``, of :func:`fit_minibatch`, is ``fit``'s: the loss on all ``N`` rows of the
      ``W``, ``b`` that epoch ``i + 1`` starts from (one more pass over ``X`` an epoch, unless the
      epoch is one batch, whose step computes it). :func:`fit_batches` holds no rows: its
      ``losses[i]`` is epoch ``i + 1``'s batch losses weighted by their rows, the loss a
      ``DataLoader`` loop reports. With one batch an epoch the two are the same; with more, the
      second runs above the first near the minimum (each batch is met where the other batches'
      steps left ``W`` and ``b``).
    - ``loss_after`` is the loss of the returned ``W``, ``b`` on all the rows; ``y_hat`` the
      last step's predictions of its batch, before its update.

    ``diverging`` and ``max_stable_lr`` are judged as ``fit`` judges them, with the bound of the
    steps taken: the least, over the last epoch's batches, of each batch's
    :math:`2/\lambda_\text{max}` (:func:`linreg.solve.max_stable_lr` of its rows). Below it no
    step enlarges the error in ``W`` and ``b`` along any direction; it is at most the full-batch
    bound (the full Hessian is the batches' Hessians averaged by rows). One batch of all the rows
    has ``fit``'s bound.
    """

    batch_losses: torch.Tensor = field(default_factory=lambda: torch.empty(0))
    batch_rows: torch.Tensor = field(default_factory=lambda: torch.empty(0, dtype=torch.int64))
    batch_size: int | None = None  # None for fit_batches: the batches chose their own sizes
    shuffle: bool = False
    seed: int | None = None


class _Epoch:
    """The steps' losses of one epoch, kept as the run's :class:`linreg.train.Losses` takes them."""

    def __init__(self, run: Losses) -> None:
        self.run, self.losses, self.rows = run, list[torch.Tensor](), list[int]()

    def append(self, loss: torch.Tensor) -> bool:
        self.losses.append(loss)
        return self.run.append(loss)

    def counted(
        self, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for X_B, y_B in batches:
            self.rows.append(len(X_B))
            yield X_B, y_B


def _descend(
    epoch_batches: Callable[[], Iterable[tuple[torch.Tensor, torch.Tensor]]],
    W: torch.Tensor,
    b: torch.Tensor,
    lr: float,
    epochs: int,
    method: str,
    like: torch.Tensor,
    steps: int,
    all_rows: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor, list[int]]:
    """The epochs, each a run of fit's loop over its batches, one step each.

    An epoch's loss is ``all_rows(W, b)`` at its start where given, else its batch losses
    weighted by their rows (a weight of 1.0 for one batch: exact). Returns ``W``, ``b``,
    ``y_hat``, the epochs' losses, the steps' losses and the steps' rows.
    """
    step, run = _STEPPERS[method], Losses(steps, like)
    rows, epoch_losses, y_hat = list[int](), list[torch.Tensor](), None
    for _ in range(epochs):
        epoch = _Epoch(run)
        before = None if all_rows is None else all_rows(W, b)
        W, b, y_hat = step(epoch.counted(epoch_batches()), W, b, lr, epoch)
        if not epoch.rows:
            raise ValueError("the batches held no rows: an epoch read nothing")
        if before is None:
            weights = like.new_tensor([n / sum(epoch.rows) for n in epoch.rows])
            before = (torch.stack(epoch.losses) * weights).sum()
        epoch_losses.append(before)
        rows += epoch.rows
        if run.stopped:
            break  # non-finite: the epochs left would only repeat it
    losses = torch.stack(epoch_losses) if epoch_losses else like.new_empty(0)
    return W, b, y_hat, losses, run.trace(), rows


def _method(method: str) -> str:
    if method not in STEPPERS:
        raise ValueError(
            f"method must be one of {list(STEPPERS)} for mini-batches, got {method!r}"
            + ("; sufficient statistics take no steps on batches" if method == "sufficient" else "")
        )
    return method


def fit_minibatch(
    X: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    batch_size: int,
    lr: float = 0.07,
    epochs: int = 40,
    *,
    shuffle: bool = True,
    seed: int = 42,
    method: str = "autograd",
) -> MiniBatch:
    r"""Run ``epochs`` epochs of mini-batch gradient descent: one step per batch of ``batch_size`` rows.

    ``X``, ``y``, ``W``, ``b``, ``lr``, ``epochs`` and ``method`` are :func:`linreg.train.fit`'s, with
    its checks and errors; ``W`` and ``b`` are not modified. Each epoch reads the rows in a new
    order, ``torch.randperm(N)`` drawn from a ``torch.Generator`` seeded with ``seed`` once per
    run (the global random state is neither read nor advanced); ``shuffle=False`` reads them in
    order, every epoch. The last batch of an epoch holds the ``N % batch_size`` rows left, if any.

    Divergence is judged as ``fit`` judges it (see :class:`MiniBatch` for the bound):
    :class:`linreg.train.DivergenceError` within ``CHECK_EVERY`` steps of a non-finite loss, or
    ``diverging`` with an :class:`linreg.train.UnstableWarning` when the loss grew above the bound.

    Raises
    ------
    ValueError
        For bad input, as :func:`linreg.train.fit` (and ``batch_size`` not a positive integer, or
        ``method="sufficient"``); if a loss is non-finite although ``lr`` is below the bound.
    TypeError
        As ``fit``; and for a ``shuffle`` that is not a bool, or a ``seed`` that is not an integer.

    Examples
    --------
    >>> from linreg import fit, init_params, make_data
    >>> data = make_data()
    >>> one = fit_minibatch(data.X, data.y_true, *init_params(), batch_size=10, shuffle=False)
    >>> bool(torch.equal(one.W, fit(data.X, data.y_true, *init_params()).W))  # one batch: fit
    True
    >>> run = fit_minibatch(data.X, data.y_true, *init_params(), batch_size=4, seed=0)
    >>> run.batch_rows[:3].tolist(), len(run.batch_losses)  # 4 + 4 + 2 rows an epoch
    ([4, 4, 2], 120)
    """
    N, _, D_out = checks.problem(X, y, W, b)
    B = checks.positive_int("batch_size", batch_size)
    lr, epochs = checks.learning_rate(lr), checks.epochs(epochs)
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {type(shuffle).__name__} {shuffle!r}")
    seed, method = checks.seed(seed), _method(method)
    X, y = X.detach(), y.detach()
    generator = torch.Generator().manual_seed(seed)
    parts: list[torch.Tensor | slice] = [slice(k, k + B) for k in range(0, N, B)]  # unshuffled: views

    def epoch_batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        nonlocal parts
        if shuffle:
            parts = list(torch.randperm(N, generator=generator).to(X.device).split(B))
        return ((X[i], y[i]) for i in parts)

    # each epoch's loss on all the rows, at its start; one batch of all rows computes it in its step
    all_rows = None if len(parts) == 1 else lambda W, b: mse(predict(X, W, b), y)
    W_out, b_out, y_hat, losses, batch_losses, rows = _descend(
        epoch_batches, W.detach(), b.detach(), lr, epochs, method, X, epochs * len(parts), all_rows
    )
    loss_after = float(mse(predict(X, W_out, b_out), y))
    bound = lambda: min(max_stable_lr(X[i], D_out) for i in parts)  # noqa: E731  # the last epoch's
    result = _judged(W_out, b_out, losses, y_hat, loss_after, lr, epochs, method, bound, stacklevel=2)
    return MiniBatch(
        **vars(result),
        batch_losses=batch_losses,
        batch_rows=torch.tensor(rows, dtype=torch.int64),
        batch_size=B,
        shuffle=shuffle,
        seed=seed,
    )


def fit_batches(
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    W: torch.Tensor,
    b: torch.Tensor,
    lr: float = 0.07,
    epochs: int = 40,
    method: str = "autograd",
) -> MiniBatch:
    """Mini-batch gradient descent on ``batches``, read once per epoch: one step per ``(X, y)`` batch.

    ``batches`` is anything that can be iterated again for each epoch: a
    ``torch.utils.data.DataLoader`` (``shuffle=True`` with a seeded ``generator`` gives one run
    per seed), a list of pairs, an object whose ``__iter__`` reads a file. An iterator or a
    generator can be read only once, so it is refused. Each batch is checked as ``fit`` checks
    its tensors, every epoch (a stream may change), and an error names the batch. The steps, the
    losses and the verdict are :func:`fit_minibatch`'s (see :class:`MiniBatch`); ``loss_after``
    and, if the loss rose, the bound cost one more pass over the batches each.

    Examples
    --------
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from linreg import init_params, make_data
    >>> data = make_data()
    >>> loader = DataLoader(TensorDataset(data.X, data.y_true), batch_size=4)
    >>> run = fit_batches(loader, *init_params(), lr=0.07, epochs=40)
    >>> run.batch_rows[:3].tolist()
    [4, 4, 2]
    """
    lr, epochs, method = checks.learning_rate(lr), checks.epochs(epochs), _method(method)
    if isinstance(batches, torch.Tensor) or not isinstance(batches, Iterable):
        raise TypeError(
            f"batches must be an iterable of (X, y) pairs, got {type(batches).__name__}; "
            "for tensors X, y call linreg.fit_minibatch"
        )
    if isinstance(batches, Iterator):  # not iter(batches): a DataLoader's iter draws from its generator
        raise TypeError(
            f"batches is an iterator ({type(batches).__name__}), which can be read only once; each "
            "epoch reads the batches again: pass a DataLoader, a list, or an object with __iter__"
        )
    checks.tensor("W", W, 2)
    checks.tensor("b", b, 1)
    epoch = 0

    def epoch_batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        nonlocal epoch
        epoch += 1
        return _checked(batches, W, b, f"epoch {epoch}, ")

    steps = epochs * len(batches) if isinstance(batches, Sized) else epochs  # a stream grows it
    W_out, b_out, y_hat, losses, batch_losses, rows = _descend(
        epoch_batches, W.detach(), b.detach(), lr, epochs, method, W, steps
    )
    # All the rows' loss of the result: one more pass, each batch's loss weighted by its rows.
    pairs = [(float(mse(predict(X_B, W_out, b_out), y_B)), len(X_B)) for X_B, y_B in _checked(batches, W, b)]
    N = sum(n for _, n in pairs)
    loss_after = sum(loss * (n / N) for loss, n in pairs)
    D_out = W.shape[1]
    bound = lambda: min(max_stable_lr(X_B, D_out) for X_B, _ in _checked(batches, W, b))  # noqa: E731
    result = _judged(W_out, b_out, losses, y_hat, loss_after, lr, epochs, method, bound, stacklevel=2)
    return MiniBatch(
        **vars(result), batch_losses=batch_losses, batch_rows=torch.tensor(rows, dtype=torch.int64)
    )


def _checked(
    batches: Iterable[object], W: torch.Tensor, b: torch.Tensor, where: str = ""
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The batches as detached ``(X, y)`` pairs, each checked as fit checks its tensors."""
    for k, batch in enumerate(batches):
        try:
            X, y = _pair(k, batch)
            checks.problem(X, y, W, b)
        except (ValueError, TypeError) as error:
            message = str(error).removeprefix(f"chunk {k}: ").replace("each chunk", "each batch")
            raise type(error)(f"{where}batch {k}: {message}") from None
        yield X.detach(), y.detach()
