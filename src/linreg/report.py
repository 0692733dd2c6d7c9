"""The seed notebook's printed report, line for line, from a run of the library."""

from __future__ import annotations

import torch

from linreg.data import Data
from linreg.model import predict
from linreg.train import Result


def _held(t: torch.Tensor, result: Result) -> torch.Tensor:
    # The seed's parameters are leaves that require grad; show them as the method holds them.
    return t.detach().clone().requires_grad_(result.method == "autograd")


def _predictions(data: Data, result: Result, y_hat: torch.Tensor) -> str:
    # The seed's y_hat came out of X @ W + b on parameters that require grad, so it prints the
    # op autograd recorded for it; Result keeps it detached: name that op by running the model.
    W, b = _held(result.W, result), _held(result.b, result)
    grad_fn = predict(data.X, W, b).grad_fn
    text = repr(y_hat)
    return text if grad_fn is None else f"{text[:-1]}, grad_fn=<{type(grad_fn).__name__}>)"


def seed_report(data: Data, W0: torch.Tensor, b0: torch.Tensor, result: Result) -> str:
    """The lines the seed notebook prints, for this data, these initial parameters and this run.

    Examples
    --------
    >>> from linreg import fit, init_params, make_data
    >>> data, (W0, b0) = make_data(), init_params()
    >>> report = seed_report(data, W0, b0, fit(data.X, data.y_true, W0, b0))
    >>> for line in report.splitlines()[13:17]:
    ...     print(line)
    Final Loss: 0.0007
    Final W: tensor([[1.9722]], requires_grad=True)
    Final b: tensor([1.0117], requires_grad=True)
    Final y_hats: tensor([[ 1.6757],
    """
    W, b = _held(W0, result), _held(b0, result)
    lines = [
        f"X[:3]: {data.X[:3]}",
        f"X.shape: {data.X.shape}",
        f"W_true: {data.W_true}",
        f"b_true: {data.b_true}",
        "---- y_true[:3]:",
        f"{data.y_true[:3]}",
        f"W.shape: {W.shape}",
        f"W[:3]: {W[:3]}",
        f"b: {b}",
    ]
    if result.final_loss is not None:
        lines.append(f"Final Loss: {result.final_loss:.4f}")
    lines += [f"Final W: {_held(result.W, result)}", f"Final b: {_held(result.b, result)}"]
    if result.y_hat is not None:
        lines.append(f"Final y_hats: {_predictions(data, result, result.y_hat)}")
    lines.append(f"True y_hats: {data.y_true}")
    return "\n".join(lines)
