"""Training: linreg's loop against the seed's; each method against one and two passes over X.

Timed with ``torch.utils.benchmark`` on one thread: on the CPU in processor time (a shared
machine's load does not count), on CUDA in wall time with the device synchronized. An
epoch's cost is the difference between ``fit`` with 3 epochs and with 1, so that what ``fit``
does once per call (checks, the result) does not count.
"""

from __future__ import annotations

import time

import torch
from reference import seed_notebook as seed
from torch.utils.benchmark import Timer

import linreg
from benchmarks.rows import Row
from linreg.sufficient import descend, stats

PART = "training"


def where(device: torch.device) -> str:
    return f"cuda: {torch.cuda.get_device_name(device)}" if device.type == "cuda" else "cpu, 1 thread, CPU time"


def medians(stmts: dict[str, str], scope: dict[str, object], device: torch.device, rounds: int) -> dict[str, float]:
    """The median seconds of each statement, timed in turns, ``rounds`` times each."""
    clock = {"timer": time.process_time} if device.type == "cpu" else {}
    timers = {k: Timer(stmt, globals=scope, num_threads=1, **clock) for k, stmt in stmts.items()}
    runs: dict[str, list[float]] = {k: [] for k in stmts}
    for _ in range(rounds):
        for k, timer in timers.items():
            runs[k].append(timer.blocked_autorange(min_run_time=0.2).median)
    return {k: sorted(v)[len(v) // 2] for k, v in runs.items()}


def seed_rows(device: torch.device, rounds: int) -> list[Row]:
    """fit() against the seed's own loop on the seed's data, per epoch; and the seed's bits."""
    data, (W0, b0) = linreg.make_data(device=device), linreg.init_params(device=device)
    scope = {"linreg": linreg, "seed": seed, "X": data.X, "y": data.y_true, "W0": W0, "b0": b0}
    leaf = "{}.clone().requires_grad_(True)"
    t = medians(
        {
            "fit": "linreg.fit(X, y, W0, b0, 0.07, 400)",
            "seed": f"seed.loop(X, y, {leaf.format('W0')}, {leaf.format('b0')}, 0.07, 400)",
        },
        scope,
        device,
        rounds,
    )
    result = linreg.fit(data.X, data.y_true, W0, b0)
    try:
        ok, note = True, f"{seed.check(W=result.W, b=result.b, loss=result.final_loss, y_hat=result.y_hat)} numbers"
    except AssertionError as error:
        ok, note = False, str(error)
    return [
        Row(PART, "fit() per epoch, N=10", t["fit"] / 400, t["seed"] / 400, "the seed's loop", op="<=", bound=1.05, device=where(device)),
        Row(PART, "the seed's final loss, W, b, y_hat: the seed's bits, printed as seed.txt", None, ok=ok, device=where(device), note=note),
    ]


def big_rows(device: torch.device, rounds: int, N: int, D_in: int = 64) -> list[Row]:
    """Each method's epoch against two passes over X; sufficient statistics' 40 epochs against one."""
    data, (W0, b0) = linreg.make_data(N, D_in, device=device), linreg.init_params(D_in, device=device)
    X, y = data.X, data.y_true
    s, theta = stats(X, y), torch.cat([W0, b0[None, :]])
    scope = {"linreg": linreg, "stats": stats, "descend": descend, "X": X, "y": y, "W0": W0, "b0": b0, "s": s, "theta": theta}
    fits = {f"{m}{k}": f"linreg.fit(X, y, W0, b0, 0.1, {k}, '{m}')" for m in ("autograd", "analytic") for k in (1, 3)}
    t = medians({"one": "X @ W0", "two": "X.T @ (X @ W0)", "stats": "stats(X, y)", "epochs": "descend(s, theta, 0.1, 40)", **fits}, scope, device, rounds)
    autograd, analytic = ((t[f"{m}3"] - t[f"{m}1"]) / 2 for m in ("autograd", "analytic"))
    size, dev = f"N=2^{N.bit_length() - 1}, D_in={D_in}", where(device)
    two, one = "two passes, X.T @ (X @ W)", "one pass, X @ W"
    gap = trajectory_gap(X, y, W0, b0)
    return [
        Row(PART, f"autograd per epoch, {size}", autograd, t["two"], two, op="<=", bound=3.0, device=dev),
        Row(PART, f"analytic per epoch, {size}", analytic, t["two"], two, op="<=", bound=1.5, device=dev),
        Row(PART, f"sufficient statistics: forming Z'Z, Z'y once, {size}", t["stats"], t["two"], two, device=dev),
        Row(PART, f"sufficient statistics: the 40 epochs after that pass, {size}", t["epochs"], t["one"], one, op="<", bound=1.0, device=dev),
        Row(PART, f"autograd's epoch against sufficient statistics', {size}", autograd, t["epochs"] / 40, "sufficient", op=">=", bound=1000, device=dev),
        Row(PART, f"sufficient statistics' trajectory against autograd's, {size}", gap, unit="", op="<=", bound=1e-4, on="value", device=dev, note="largest gap of 10 epochs' losses, W and b, relative to their size"),
    ]


def trajectory_gap(X: torch.Tensor, y: torch.Tensor, W0: torch.Tensor, b0: torch.Tensor, epochs: int = 10) -> float:
    """The largest difference between sufficient statistics' and autograd's losses, W and b, relative to their size."""
    ours, ref = (linreg.fit(X, y, W0, b0, 0.1, epochs, method=m) for m in ("sufficient", "autograd"))
    pairs = ((ours.losses, ref.losses), (ours.W, ref.W), (ours.b, ref.b))
    return max(float((a - r).abs().max() / r.abs().max()) for a, r in pairs)


def rows(quick: bool = False) -> list[Row]:
    out: list[Row] = []
    for device in [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else []):
        out += seed_rows(device, rounds=3 if quick else 9)
        for N in [2**20] + ([2**24] if device.type == "cuda" else []):
            out += big_rows(device, rounds=1 if quick else 3, N=N)
    return out
