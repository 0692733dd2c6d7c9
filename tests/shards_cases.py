"""Run under `torchrun --nproc-per-node 2` by tests/test_shards.py: each rank records what it saw.

Every case runs on every rank; a rank writes, per case, the error it raised (or the numbers it
ended on) to ``<out>/rank<r>.json``, so the test can check that all ranks agree.
"""

import json
import sys
from collections.abc import Callable
from typing import cast

import torch
import torch.distributed as dist

import linreg
from linreg.shards import fit_sharded


def main(out: str) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    data, (W0, b0) = linreg.make_data(N=12, D_in=3, D_out=2), linreg.init_params(3, 2)
    mine = torch.arange(12).tensor_split(2)[rank]
    X, y = data.X[mine], data.y_true[mine]
    bad: dict[str, Callable[[], tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]] = {
        "D_in differs": lambda: (X[:, :2] if rank else X, y, W0[:2] if rank else W0, b0),
        "D_out differs": lambda: (
            X,
            y[:, :1] if rank else y,
            W0[:, :1] if rank else W0,
            b0[:1] if rank else b0,
        ),
        "dtype differs": lambda: (
            (X.double(), y.double(), W0.double(), b0.double()) if rank else (X, y, W0, b0)
        ),
        "a rank without rows": lambda: (X[:0] if rank else X, y[:0] if rank else y, W0, b0),
        "NaN in one shard": lambda: (X * float("nan") if rank else X, y, W0, b0),
    }
    seen: dict[str, object] = {}
    for name, inputs in bad.items():
        try:
            fit_sharded(*inputs(), lr=0.01, epochs=5, method="analytic")
            seen[name] = "no error"
        except ValueError as error:
            seen[name] = str(error)
    for method in linreg.METHODS:
        try:
            fit_sharded(X, y, W0, b0, lr=50.0, epochs=400, method=method)
            seen[f"diverges, {method}"] = "no error"
        except linreg.DivergenceError as error:
            seen[f"diverges, {method}"] = str(error)
        r = fit_sharded(X, y, W0, b0, lr=0.1, epochs=30, method=method)
        seen[method] = {
            "W": r.W.tolist(),
            "b": r.b.tolist(),
            "losses": r.losses.tolist(),
            "reduced": r.reduced,
            "rows": len(cast(torch.Tensor, r.y_hat)),
        }
    with open(f"{out}/rank{rank}.json", "w") as file:
        json.dump(seen, file)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
