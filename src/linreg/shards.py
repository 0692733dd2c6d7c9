r"""Beyond one tensor: rows streamed in chunks, or sharded across the processes of a group.

The loss and its gradients depend on the data only through sums over rows
(:mod:`linreg.sufficient`), and sums can be taken piece by piece:

:func:`fit_chunks`
    One pass over an iterable of ``(X, y)`` chunks (a ``torch.utils.data.DataLoader``, a
    generator reading a file) adds up the statistics; the epochs then run on them. Memory:
    one chunk, plus the statistics, :math:`D_\text{in}^2 + D_\text{in} D_\text{out} + D_\text{in}
    + D_\text{out} + 1` numbers, whatever ``N`` is.
:func:`fit_sharded`
    Each process of a ``torch.distributed`` group (started by ``torchrun``) holds some rows.
    ``method="sufficient"`` gathers every rank's centred statistics once and merges them in rank
    order (so every rank holds the same bits), then every rank runs the same epochs;
    ``"analytic"`` and ``"autograd"`` are the data-parallel loop, which all-reduces the gradient
    sums every epoch, as ``DistributedDataParallel`` does.

Both follow :func:`linreg.train.fit`'s trajectory on all the rows to float tolerance, not bit for bit:
sums taken in another order round differently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist

from linreg import checks
from linreg.model import predict
from linreg.sufficient import Stats, descend, merge, stats
from linreg.train import METHODS, Losses, Result, _judged


@dataclass(frozen=True)
class Sharded(Result):
    """A :class:`linreg.train.Result` of :func:`fit_sharded`; ``y_hat`` holds this rank's rows only."""

    reduced: int = 0  # the numbers this rank sent to collectives, the first exchange of shapes not counted


def _bound(s: Stats) -> Callable[[], float]:
    # 2 / lambda_max of the Hessian 2 G / n (linreg.hessian), G from the statistics
    return lambda: s.n / float(torch.linalg.eigvalsh(s.G)[-1])


def _from_stats(
    s: Stats, W: torch.Tensor, b: torch.Tensor, lr: float, epochs: int, X: torch.Tensor | None = None
) -> Result:
    losses, before, theta = descend(s, torch.cat([W.detach(), b.detach()[None, :]]), lr, epochs)
    y_hat = predict(X, before[:-1], before[-1]) if X is not None and epochs else None
    return _judged(
        theta[:-1], theta[-1], losses[:-1], y_hat, float(losses[-1]), lr, epochs, "sufficient", _bound(s), 3
    )


def _pair(k: int, chunk: object) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(chunk, tuple | list) or len(chunk) != 2:
        what = (
            f"a {len(chunk)}-{type(chunk).__name__}"
            if isinstance(chunk, tuple | list)
            else type(chunk).__name__
        )
        raise TypeError(f"chunk {k}: each chunk must be a pair (X, y), got {what}; yield (X, y) tuples")
    return chunk[0], chunk[1]


def fit_chunks(
    chunks: Iterable[tuple[torch.Tensor, torch.Tensor]],
    W: torch.Tensor,
    b: torch.Tensor,
    lr: float = 0.07,
    epochs: int = 40,
) -> Result:
    """Gradient descent on all the rows of ``chunks``, read once; ``y_hat`` is None (no rows are kept).

    Each chunk is a pair ``(X, y)``; their centred statistics are merged pairwise
    (``+`` of :class:`linreg.sufficient.Stats`). Divergence is judged as :func:`linreg.train.fit`
    judges it: ``DivergenceError`` or ``diverging`` with an :class:`linreg.train.UnstableWarning`.

    Examples
    --------
    >>> from linreg import fit, init_params, make_data
    >>> data = make_data()
    >>> chunks = zip(data.X.split(4), data.y_true.split(4))  # 4 + 4 + 2 rows
    >>> print(f"Final Loss: {fit_chunks(chunks, *init_params()).final_loss:.4f}")
    Final Loss: 0.0007
    """
    lr, epochs = checks.learning_rate(lr), checks.epochs(epochs)
    if isinstance(chunks, torch.Tensor) or not isinstance(chunks, Iterable):
        raise TypeError(
            f"chunks must be an iterable of (X, y) pairs, got {type(chunks).__name__}; "
            "for one tensor, pass [(X, y)] or call linreg.fit"
        )
    total = None
    for k, chunk in enumerate(chunks):
        X, y = _pair(k, chunk)
        try:
            checks.problem(X, y, W, b)
        except (ValueError, TypeError) as error:
            raise type(error)(f"chunk {k}: {error}") from None
        total = stats(X, y) if total is None else total + stats(X, y)
    if total is None:
        raise ValueError("chunks held no rows: the iterable was empty")
    return _from_stats(total, W, b, lr, epochs)


def fit_sharded(
    X: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    lr: float = 0.07,
    epochs: int = 40,
    method: str = "sufficient",
) -> Sharded:
    """Gradient descent on the rows of every rank of the default process group; call it on every rank.

    Each rank passes its own rows ``X``, ``y`` and the same ``W``, ``b``, ``lr``, ``epochs``,
    ``method``; every rank returns the same ``W``, ``b`` and losses. Bad input on any rank
    raises the same ``ValueError`` on every rank, naming the rank, before any training.
    """
    if not dist.is_initialized():
        raise RuntimeError(
            "fit_sharded needs torch.distributed: call init_process_group first, or run torchrun"
        )
    # Check locally, then agree: a rank that raised alone would leave the others waiting.
    try:
        N, D_in, D_out = checks.problem(X, y, W, b)
        lr, epochs = checks.learning_rate(lr), checks.epochs(epochs)
        if method not in METHODS:
            raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
        mine: tuple[str | None, int, str] = (None, N, f"D_in={D_in}, D_out={D_out}, {X.dtype}")
    except (ValueError, TypeError) as error:
        mine = (f"{type(error).__name__}: {error}", 0, "")
    everyone: list[tuple[str | None, int, str]] = [mine] * dist.get_world_size()
    dist.all_gather_object(everyone, mine)
    problems = [f"rank {r}: {problem}" for r, (problem, _, _) in enumerate(everyone) if problem]
    if not problems and len({shape for _, _, shape in everyone}) > 1:
        problems = [
            "the ranks' shards disagree: "
            + "; ".join(f"rank {r}: {s}" for r, (_, _, s) in enumerate(everyone))
        ]
    if problems:
        raise ValueError("; ".join(problems))

    n = sum(rows for _, rows, _ in everyone) * D_out  # the entries the loss averages over
    reduced = 0
    X, y = X.detach(), y.detach()

    def all_reduce(*parts: torch.Tensor) -> list[torch.Tensor]:
        # One collective for several sums: each part comes back summed over the ranks.
        nonlocal reduced
        flat = torch.cat([p.detach().reshape(-1) for p in parts])
        dist.all_reduce(flat)
        reduced += flat.numel()
        return [
            t.reshape(p.shape) for t, p in zip(flat.split([p.numel() for p in parts]), parts, strict=True)
        ]

    def merged(local: Stats) -> Stats:
        # Every rank's centred statistics, gathered, then merged pairwise in rank order: the same
        # bits on every rank (sums of co-moments about different means would not be centred).
        nonlocal reduced
        parts = (local.mean_x, local.mean_y, local.Sxx, local.Sxy, local.Syy)
        flat = torch.cat([p.reshape(-1) for p in parts])
        gathered = [torch.empty_like(flat) for _ in everyone]
        dist.all_gather(gathered, flat)
        reduced += flat.numel()
        sizes = [p.numel() for p in parts]
        each = [
            Stats(rows, *(t.reshape(p.shape) for t, p in zip(theirs.split(sizes), parts, strict=True)))
            for (_, rows, _), theirs in zip(everyone, gathered, strict=True)
        ]
        return merge(each)

    if method == "sufficient":
        result = _from_stats(merged(stats(X, y)), W, b, lr, epochs, X)
        return Sharded(**vars(result), reduced=reduced)

    W, b, y_hat = W.detach(), b.detach(), None
    losses = Losses(epochs, X)
    for _ in range(epochs):
        if method == "analytic":
            y_hat = predict(X, W, b)
            R = y_hat - y
            XR, R1, RR = all_reduce(X.T @ R, R.sum(dim=0), (R**2).sum())
            W, b = W - lr * 2 / n * XR, b - lr * 2 / n * R1
        else:  # autograd, as DistributedDataParallel: each rank's backward(), then the sum
            W_, b_ = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
            y_hat = predict(X, W_, b_)
            squares = ((y_hat - y) ** 2).sum()
            (squares / n).backward()
            dW, db, RR = all_reduce(W_.grad, b_.grad, squares)  # type: ignore[arg-type]
            W, b = W - lr * dW, b - lr * db
        # the losses are sums over every rank: every rank stops at the same epoch
        if losses.append(RR / n):
            break
    trace = losses.trace()
    (after,) = all_reduce(((predict(X, W, b) - y) ** 2).sum())
    y_hat = None if y_hat is None else y_hat.detach()

    def bound() -> float:
        return _bound(merged(stats(X, y)))()  # every rank reaches here, or none: the losses agree

    result = _judged(W, b, trace, y_hat, float(after) / n, lr, epochs, method, bound, 2)
    return Sharded(**vars(result), reduced=reduced)
