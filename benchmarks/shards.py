"""Beyond one tensor: streaming chunks against fit in memory; 2 processes against 1 (torchrun, gloo).

``python -m benchmarks.shards --worker`` is what each torchrun process runs: it times
``fit_sharded`` on its share of the rows with ``torch.utils.benchmark`` (a fixed number of
runs, the same on every rank: each run is a collective) and rank 0 prints the times as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.utils.benchmark import Timer

import linreg
from benchmarks.rows import Row
from linreg.shards import fit_chunks, fit_sharded

PART = "shards"
ROOT = Path(__file__).resolve().parents[1]
N, D_IN, CHUNK = 2**20, 64, 2**16
CPU = "cpu, 1 thread, CPU time"


def worker() -> None:
    dist.init_process_group("gloo")
    data, (W0, b0) = linreg.make_data(N, D_IN), linreg.init_params(D_IN)
    rows = torch.arange(N).tensor_split(dist.get_world_size())[dist.get_rank()]
    X, y = data.X[rows].clone(), data.y_true[rows].clone()
    scope = {"fit_sharded": fit_sharded, "X": X, "y": y, "W0": W0, "b0": b0}
    times = {}
    for method, epochs in (("sufficient", 40), ("analytic", 3)):
        timer = Timer(f"fit_sharded(X, y, W0, b0, 0.1, {epochs}, {method!r})", globals=scope)
        times[method] = timer.timeit(5).median  # wall time: the ranks wait for each other
        times[f"{method}_reduced"] = fit_sharded(X, y, W0, b0, 0.1, epochs, method).reduced
    if dist.get_rank() == 0:
        print(json.dumps(times))
    dist.destroy_process_group()


def launched(processes: int) -> dict[str, float]:
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={processes}"]
    done = subprocess.run([*command, "-m", "benchmarks.shards", "--worker"], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(quick: bool = False) -> list[Row]:
    data, (W0, b0) = linreg.make_data(N, D_IN), linreg.init_params(D_IN)
    scope = {"linreg": linreg, "fit_chunks": fit_chunks, "X": data.X, "y": data.y_true, "W0": W0, "b0": b0}
    stream = f"fit_chunks(zip(X.split({CHUNK}), y.split({CHUNK})), W0, b0, 0.1, 40)"
    memory = "linreg.fit(X, y, W0, b0, 0.1, 40, method='sufficient')"
    streamed, whole = (Timer(s, globals=scope, timer=time.process_time).blocked_autorange(min_run_time=1).median for s in (stream, memory))
    one, two = launched(1), launched(2)
    size = f"N=2^20, D_in={D_IN}"
    return [
        Row(PART, f"fit_chunks, chunks of 2^16 rows, against fit in memory, {size}", streamed, whole, "fit(method='sufficient')", op="<=", bound=1.25, device=CPU),
        *(
            Row(PART, f"fit_sharded({method!r}) on 2 processes against 1, {size}", two[method], one[method], "1 process", device="cpu, gloo on loopback, wall time", note=f"{int(two[method + '_reduced'])} numbers all-reduced per rank and fit")
            for method in ("sufficient", "analytic")
        ),
    ]


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
