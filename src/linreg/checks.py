"""Input checks shared by every public function.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the
argument and what was expected, so a wrong input never becomes a quiet wrong answer.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real

import torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}
DEVICES = ("auto", "cpu", "cuda")


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """Return the torch dtype named by ``dtype`` (``"float32"`` or ``"float64"``)."""
    if isinstance(dtype, torch.dtype):
        if dtype in DTYPES.values():
            return dtype
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    return DTYPES[dtype]


def resolve_device(device: str | torch.device) -> torch.device:
    """Return the device named by ``device``; ``"auto"`` picks CUDA when there is one."""
    if not isinstance(device, str | torch.device):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    kind, _, index = name.partition(":")
    if kind not in DEVICES[1:] or (index and not index.isdigit()) or (kind == "cpu" and index):
        raise ValueError(
            f"device must be one of {list(DEVICES)} or 'cuda:<index>' (for example 'cuda:0'), got {device!r}"
        )
    resolved = torch.device(name)
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} was asked for, but CUDA is not available here: use 'cpu'")
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(
                f"device {name!r} was asked for, but there are {torch.cuda.device_count()} CUDA devices"
            )
    return resolved


def seed(value: object) -> int:
    """``value`` as a seed for ``torch.Generator.manual_seed``: an integer."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"seed must be an integer, got {type(value).__name__} {value!r}")
    return int(value)


def positive_int(name: str, value: object) -> int:
    """``value`` as an int that is at least 1."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def epochs(value: object) -> int:
    """``value`` as a number of epochs: an int that is at least 0."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"epochs must be an integer, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"epochs must be >= 0, got {value}")
    return int(value)


def learning_rate(value: object) -> float:
    """``value`` as a learning rate: a positive, finite real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"lr must be a real number, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and float(value) > 0):
        raise ValueError(f"lr must be a positive finite number, got {value!r}")
    return float(value)


def tensor(name: str, t: object, ndim: int | tuple[int, ...], values: bool = True) -> torch.Tensor:
    """Check that ``t`` is a non-empty, finite, floating-point tensor of rank ``ndim``.

    ``values=False`` skips the finiteness test, the one check that reads the whole tensor.
    """
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.is_meta:
        raise ValueError(f"{name} is on the meta device, which holds no values: create it on 'cpu' or 'cuda'")
    ranks = (ndim,) if isinstance(ndim, int) else ndim
    if t.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{name} must have rank {want}, got shape {tuple(t.shape)}")
    if t.dtype not in DTYPES.values():
        raise TypeError(f"{name} must be float32 or float64, got {t.dtype}")
    if t.ndim and t.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
    # NaN and infinities reach the minimum or the maximum: two numbers to test, not a mask
    # as large as t (an order of magnitude faster on a large X).
    if values and not bool(torch.isfinite(torch.stack(torch.aminmax(t))).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return t


def same_device_and_dtype(**tensors: torch.Tensor) -> None:
    """Inputs on different devices or dtypes are an error, never a silent copy."""
    (first, t0), *rest = tensors.items()
    for name, t in rest:
        if t.device != t0.device:
            raise ValueError(f"{name} is on {t.device} but {first} is on {t0.device}")
        if t.dtype != t0.dtype:
            raise TypeError(f"{name} is {t.dtype} but {first} is {t0.dtype}")


def same_rows(X: torch.Tensor, y: torch.Tensor) -> int:
    """One row of ``y`` for each row of ``X``; returns ``N``."""
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must match")
    return X.shape[0]


def problem(X: object, y: object, W: object, b: object) -> tuple[int, int, int]:
    """Check a regression problem's tensors together; return ``(N, D_in, D_out)``."""
    X = tensor("X", X, 2)
    y = tensor("y", y, 2)
    W = tensor("W", W, 2)
    b = tensor("b", b, 1)
    same_device_and_dtype(X=X, y=y, W=W, b=b)
    N, D_in, D_out = same_rows(X, y), X.shape[1], y.shape[1]
    if W.shape != (D_in, D_out):
        raise ValueError(f"W must have shape (D_in, D_out) = {(D_in, D_out)}, got {tuple(W.shape)}")
    if b.shape != (D_out,):
        raise ValueError(f"b must have shape (D_out,) = {(D_out,)}, got {tuple(b.shape)}")
    return N, D_in, D_out


def memory(device: torch.device) -> int:
    """The bytes of memory ``device`` has in all (the CPU's physical memory, or the GPU's)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[1])
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def losses_fit(epochs: int, itemsize: int, device: torch.device) -> None:
    """One loss per epoch (and one after the last), ``itemsize`` bytes each, must fit on ``device``."""
    need, have = (epochs + 1) * itemsize, memory(device)
    if need > have:
        raise ValueError(
            f"epochs={epochs} needs {need / 2**30:.3g} GiB for its losses alone, more than the "
            f"{have / 2**30:.3g} GiB of memory on {device}: run fewer epochs, or run them in parts "
            "(fit again from the result's W and b)"
        )
