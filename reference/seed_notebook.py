"""The seed notebook's own code, and its printed outputs read from ``seed.txt``.

An independent reference for tests and benchmarks: nothing here imports ``linreg``.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

SEED_TXT = Path(__file__).with_name("seed.txt")


def run(
    N: int = 10, D_in: int = 1, D_out: int = 1, lr: float = 0.07, epochs: int = 40
) -> dict[str, torch.Tensor]:
    """Cells In [37] to In [40] of the seed, as written; returns the tensors they end with."""
    torch.manual_seed(42)
    X = torch.randn(N, D_in)
    W_true = torch.tensor([[2.0]])
    b_true = torch.tensor(1.0)
    y_true = X @ W_true + b_true

    torch.manual_seed(42)
    W, b = (
        torch.randn(D_in, D_out, requires_grad=True),
        torch.randn(1, requires_grad=True),
    )
    W0, b0 = W.detach().clone(), b.detach().clone()

    loss, y_hat = loop(X, y_true, W, b, lr, epochs)
    return dict(X=X, y_true=y_true, W0=W0, b0=b0, W=W, b=b, loss=loss, y_hat=y_hat)


def loop(X: torch.Tensor, y_true: torch.Tensor, W, b, lr: float, epochs: int):  # type: ignore[no-untyped-def]
    """Cell In [40]'s loop, on given tensors (``W`` and ``b`` are leaves requiring grad).

    Updates ``W`` and ``b`` in place, as the seed does; returns the last epoch's loss and predictions.
    """
    loss = y_hat = None
    for i in range(epochs):
        y_hat = X @ W + b
        loss = torch.mean((y_hat - y_true) ** 2)
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
            b -= lr * b.grad

        W.grad.zero_()
        b.grad.zero_()
    return loss, y_hat


def printed_outputs() -> str:
    """Everything the seed's cells printed, in order, as one text (the notebook part only)."""
    notebook = SEED_TXT.read_text().split("## What this notebook is doing")[0]
    cells = re.split(r"^In \[\d+\]:\n", notebook, flags=re.M)[1:]
    printed = []
    for cell in cells:
        # A cell is its code, a blank line, then what it printed (if anything).
        blocks = [b.strip("\n") for b in cell.split("\n\n") if b.strip()]
        outputs = [b for b in blocks if not _is_code(b)]
        printed += outputs
    return "\n".join(printed)


def printed(label: str) -> str:
    """What the seed printed after ``label: ``, up to the next label (``printed("Final Loss")``)."""
    pattern = rf"^{re.escape(label)}: (.*?)(?=^[A-Z][\w ]*:|\Z)"
    match = re.search(pattern, printed_outputs(), flags=re.M | re.S)
    if match is None:
        raise KeyError(f"the seed printed no {label!r}")
    return match.group(1).strip()


def numbers(text: str) -> list[float]:
    """The decimal numbers in ``text``, in order (``"tensor([[1.9722]])"`` gives ``[1.9722]``)."""
    return [float(x) for x in re.findall(r"-?\d+\.\d+", text)]


LABELS = {"W": "Final W", "b": "Final b", "loss": "Final Loss", "y_hat": "Final y_hats"}


def check(**final: object) -> int:
    """Check a run's final ``W``, ``b``, ``loss`` or ``y_hat`` against the seed's; return how many numbers.

    Each one given (a tensor, a float or a list of floats) must hold the very bits the seed's
    own code ends on (:func:`run`, float32), and print as ``seed.txt`` printed it: rounded to
    4 decimals, as the seed's ``print`` shows them. Raises ``AssertionError`` naming what differs.
    """
    ref, problems, checked = run(), [], 0
    for name, value in final.items():
        theirs = ref[name].detach()
        mine = torch.as_tensor(value).detach().cpu().to(theirs.dtype).reshape(theirs.shape)
        if not torch.equal(mine, theirs):
            problems.append(
                f"{name} is {mine.flatten().tolist()}, not the seed's {theirs.flatten().tolist()}"
            )
        shown = [round(v, 4) for v in mine.flatten().tolist()]
        if shown != numbers(printed(LABELS[name])):
            problems.append(f"{name} prints as {shown}, the seed printed {printed(LABELS[name])!r}")
        checked += mine.numel()
    assert not problems, "; ".join(problems)
    return checked


def _is_code(block: str) -> bool:
    first = block.splitlines()[0]
    return first.startswith(" ") or bool(
        re.match(r"(import |[A-Za-z_][\w, ]*=|torch\.|print\(|for |lr, |#|W_true|b_true|y_true)", first)
    )
