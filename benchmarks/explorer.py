"""The learning-rate explorer's compute (issue 6): the sweep its page runs at build time.

The grid is the page's (docs/explorer.md): 99 learning rates up to 1.2 × 2/λmax and the seed's
0.07, 40 epochs each, on the seed's data. Target: under a second. For scale it is set against
one run of linreg.fit (40 epochs, the same analytic steps) and against the seed's own loop.
"""

from __future__ import annotations

import torch

import linreg
from benchmarks.table import Row, Target
from benchmarks.timing import interleaved, one_thread

PART = "explorer"


def grid(bound: float) -> list[float]:
    """The explorer page's learning rates: evenly up to 1.2 × the stability bound, with 0.07."""
    return sorted({*torch.linspace(1.2 * bound / 99, 1.2 * bound, 99, dtype=torch.float64).tolist(), 0.07})


def rows(quick: bool = False) -> list[Row]:
    """One row: the sweep's wall time (target < 1 s), against one fit of 40 epochs."""
    sweep = getattr(linreg, "sweep", None)
    if sweep is None:
        return [Row(PART, "learning-rate sweep (linreg.sweep)", None, note="linreg.sweep does not exist yet")]
    data, (W0, b0) = linreg.make_data(), linreg.init_params()
    lrs = grid(linreg.max_stable_lr(data.X))
    runs = [
        lambda: sweep(data.X, data.y_true, W0, b0, lrs, epochs=40),
        lambda: linreg.fit(data.X, data.y_true, W0, b0, 0.07, 40, method="analytic"),
    ]
    with one_thread():
        swept, one = interleaved(runs, repeats=5 if quick else 15)
    return [
        Row(
            PART,
            f"learning-rate sweep: {len(lrs)} rates × 40 epochs (linreg.sweep)",
            swept,
            one,
            "one fit(), 40 epochs",
            target=Target("<", 1.0, on="value", unit="s"),
            device="cpu, 1 thread, CPU time",
        )
    ]
