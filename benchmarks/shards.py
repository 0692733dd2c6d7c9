"""Beyond one tensor: chunks streamed against fit in memory; 2 processes against 1 (torchrun, gloo).

``python -m benchmarks.shards --worker`` is what each torchrun process runs: it times
``fit_sharded`` on its share of the rows, a fixed number of runs (each run is a collective, so
every rank must run as many), and rank 0 prints the times as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.benchmark import Timer

import linreg
from benchmarks.build import ROOT
from benchmarks.rows import Row
from linreg.shards import fit_chunks, fit_sharded

PART, N, D_IN = "shards", 2**20, 64
RUNS = {"sufficient": 40, "analytic": 3}  # epochs a run


def worker() -> None:
    dist.init_process_group("gloo")
    data, (W0, b0) = linreg.make_data(N, D_IN), linreg.init_params(D_IN)
    rows = torch.arange(N).tensor_split(dist.get_world_size())[dist.get_rank()]
    X, y = data.X[rows].clone(), data.y_true[rows].clone()
    scope = {"fit": fit_sharded, "X": X, "y": y, "W0": W0, "b0": b0}
    times = {
        m: Timer(f"fit(X, y, W0, b0, 0.1, {e}, {m!r})", globals=scope).timeit(5).median
        for m, e in RUNS.items()
    }
    reduced = {m: fit_sharded(X, y, W0, b0, 0.1, e, m).reduced for m, e in RUNS.items()}
    if dist.get_rank() == 0:
        print(json.dumps({"times": times, "reduced": reduced}))
    dist.destroy_process_group()


def launched(processes: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={processes}",
        "-m",
        "benchmarks.shards",
    ]
    done = subprocess.run([*command, "--worker"], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def rows(quick: bool = False) -> list[Row]:
    data, (W0, b0) = linreg.make_data(N, D_IN), linreg.init_params(D_IN)
    scope = {"linreg": linreg, "chunks": fit_chunks, "X": data.X, "y": data.y_true, "W0": W0, "b0": b0}
    stmts = (
        "chunks(zip(X.split(2**16), y.split(2**16)), W0, b0, 0.1, 40)",
        "linreg.fit(X, y, W0, b0, 0.1, 40, 'sufficient')",
    )
    streamed, whole = (
        Timer(s, globals=scope, timer=time.process_time).blocked_autorange(min_run_time=1).median
        for s in stmts
    )
    one, two = launched(1), launched(2)
    size, wall = f"N=2^20, D_in={D_IN}", "cpu, gloo on loopback, wall time"
    return [
        Row(
            PART,
            f"fit_chunks, chunks of 2^16 rows, against fit in memory, {size}",
            streamed,
            whole,
            "fit, sufficient",
            op="<=",
            bound=1.25,
            device="cpu, 1 thread, CPU time",
        ),
        *(
            Row(
                PART,
                f"fit_sharded({m!r}) on 2 processes against 1, {size}",
                two["times"][m],
                one["times"][m],
                "1 process",
                device=wall,
                note=f"{two['reduced'][m]} numbers all-reduced per rank and fit",
            )
            for m in RUNS
        ),
    ]


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
