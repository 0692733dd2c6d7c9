r"""The data of the seed notebook, in general shapes.

.. math::

    \begin{gathered}
    X \in \mathbb{R}^{N \times D_\text{in}}, \\
    y_\text{true} = X W_\text{true} + b_\text{true} \in \mathbb{R}^{N \times D_\text{out}}
    \end{gathered}

Random numbers are drawn in float32 on the CPU from a generator seeded here, then
cast to the requested dtype and moved to the requested device: so the seed's numbers
are the same on every device, and a float64 run starts from the very same ``X``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from linreg import checks


@dataclass(frozen=True)
class Data:
    """A regression problem: inputs ``X``, targets ``y_true`` and the truth behind them."""

    X: torch.Tensor
    y_true: torch.Tensor
    W_true: torch.Tensor
    b_true: torch.Tensor


def _randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=generator, dtype=torch.float32)


def _as_tensor(name: str, value: object, shape: tuple[int, ...]) -> torch.Tensor:
    t = value if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=torch.float32)
    t = checks.tensor(name, t, (0, len(shape)))
    if t.ndim and tuple(t.shape) != shape:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(t.shape)}")
    return t.detach().cpu().float()


def make_data(
    N: int = 10,
    D_in: int = 1,
    D_out: int = 1,
    W_true: torch.Tensor | float | None = None,
    b_true: torch.Tensor | float | None = None,
    seed: int = 42,
    device: str | torch.device = "cpu",
    dtype: str | torch.dtype = "float32",
) -> Data:
    r"""Draw ``X`` from a standard normal and compute ``y_true = X @ W_true + b_true``.

    Parameters
    ----------
    N, D_in, D_out : int
        Samples, input features, outputs per sample.
    W_true : torch.Tensor or float, optional
        Shape (D_in, D_out). Defaults to 2 everywhere (the seed's ``[[2.0]]``).
    b_true : torch.Tensor or float, optional
        Shape (D_out,), or a scalar. Defaults to the scalar 1 (the seed's
        ``torch.tensor(1.0)``), broadcast over outputs.
    seed : int
        Seeds the generator that draws ``X``.
    device : {"cpu", "cuda", "auto"}
    dtype : {"float32", "float64"}

    Examples
    --------
    >>> data = make_data()
    >>> data.X[:3]
    tensor([[0.3367],
            [0.1288],
            [0.2345]])
    >>> make_data(N=5, D_in=3, D_out=2).y_true.shape
    torch.Size([5, 2])
    """
    N, D_in, D_out = (checks.positive_int(k, v) for k, v in (("N", N), ("D_in", D_in), ("D_out", D_out)))
    seed = checks.seed(seed)
    where, precision = checks.resolve_device(device), checks.resolve_dtype(dtype)
    W_true = torch.full((D_in, D_out), 2.0) if W_true is None else _as_tensor("W_true", W_true, (D_in, D_out))
    if W_true.ndim != 2:
        raise ValueError(f"W_true must have shape {(D_in, D_out)}, got a scalar")
    b_true = torch.tensor(1.0) if b_true is None else _as_tensor("b_true", b_true, (D_out,))
    X = _randn(torch.Generator().manual_seed(seed), N, D_in).to(precision)
    W_true, b_true = W_true.to(precision), b_true.to(precision)
    y_true = X @ W_true + b_true
    return Data(*(t.to(where) for t in (X, y_true, W_true, b_true)))


def init_params(
    D_in: int = 1,
    D_out: int = 1,
    seed: int = 42,
    device: str | torch.device = "cpu",
    dtype: str | torch.dtype = "float32",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw the initial ``W`` (D_in, D_out) and ``b`` (D_out,) as the seed does.

    The seed re-seeds 42 before this draw, so with its defaults ``W`` and ``b``
    equal ``X[0]`` and ``X[1]``.

    Examples
    --------
    >>> W, b = init_params()
    >>> W, b
    (tensor([[0.3367]]), tensor([0.1288]))
    """
    D_in, D_out = checks.positive_int("D_in", D_in), checks.positive_int("D_out", D_out)
    seed = checks.seed(seed)
    where, precision = checks.resolve_device(device), checks.resolve_dtype(dtype)
    generator = torch.Generator().manual_seed(seed)
    W, b = _randn(generator, D_in, D_out), _randn(generator, D_out)
    return W.to(where, precision), b.to(where, precision)
