"""Timing on a shared, noisy machine: processor time, interleaved repeats, medians.

On the CPU the clock is the process's processor time (``time.process_time``) and torch runs
on one thread (:func:`one_thread`): on a machine shared with other work, wall time also counts
the moments the process waited for a core, and a second torch thread that waits for a busy
core stalls every operation on a large tensor (seen here: an epoch at N=2^16 twenty times
slower with two threads than with one, under load). On CUDA the clock is the wall clock,
with the device's queue drained before and after.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator, Sequence

import torch


def synchronize(device: torch.device | str) -> None:
    """Wait for the device's queued work: a CUDA timing without it measures only the launch."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def clock(device: torch.device | str) -> Callable[[], float]:
    """Processor time for the CPU, wall time for a GPU (the CPU only waits for it)."""
    return time.process_time if torch.device(device).type == "cpu" else time.perf_counter


def seconds(fn: Callable[[], object], device: torch.device | str = "cpu") -> float:
    """The time of one call of ``fn`` on ``device``'s clock, its queue drained before and after."""
    now = clock(device)
    synchronize(device)
    start = now()
    fn()
    synchronize(device)
    return now() - start


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one CPU thread for the duration (see the module's docstring for why)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def interleaved(
    fns: Sequence[Callable[[], object]], repeats: int, device: torch.device | str = "cpu"
) -> list[float]:
    """The median time of each of ``fns``, measured in turns (a, b, c, a, b, c, ...).

    Taking turns spreads a burst of load from another process over all of them, so that
    their ratio stays meaningful when the absolute times drift.
    """
    times: list[list[float]] = [[] for _ in fns]
    for fn in fns:  # warm-up: first calls pay for allocation and lazy initialisation
        fn()
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            times[i].append(seconds(fn, device))
    return [statistics.median(t) for t in times]


def calibrate(fn: Callable[[int], object], at_least: float, device: torch.device | str = "cpu") -> int:
    """The smallest power of two ``k`` such that ``fn(k)`` takes ``at_least`` seconds (up to 2**20)."""
    k = 1
    while k < 2**20 and seconds(lambda k=k: fn(k), device) < at_least:
        k *= 2
    return k
