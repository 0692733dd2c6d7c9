"""Training: linreg's loop against the seed's, each method against the floor of two passes over X.

Run on the CPU, and on CUDA where there is one (then the seed's numbers are checked there too).
"""

from __future__ import annotations

import torch
from reference import seed_notebook as seed

import linreg
from benchmarks.table import Row, Target
from benchmarks.timing import calibrate, interleaved, one_thread, seconds
from linreg import train

PART = "training"
# The seed's final numbers in float32, exactly (from the seed's own code on torch 2.13 CPU,
# 2.11 CPU and 2.11 CUDA; shared/NOTES-stack.md). Printed as the seed prints them they are
# the "Final ..." lines of reference/seed.txt, which check_seed compares too.
SEED_LOSS, SEED_W, SEED_B = 0.0006732554757036269, 1.9721688032150269, 1.0116870403289795
# Largest N for a float32 X of N × 64 that stays small on a laptop: 2**20 rows are 256 MiB.
BIG_N, BIG_D = 2**20, 64
# Float tolerance of the sufficient-statistics trajectory against autograd's, relative to the
# size of what is compared: G and c are sums of N products, rounded differently.
TRAJECTORY_RTOL = 1e-4


def devices() -> list[torch.device]:
    """The CPU, and the first CUDA device where there is one."""
    return [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])


def describe(device: torch.device) -> str:
    """The device as the table prints it: ``cpu`` with its thread count, or the GPU's name."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    threads = torch.get_num_threads()
    return f"cpu, {threads} thread{'s' if threads > 1 else ''}, CPU time"


def seed_rows(device: torch.device, repeats: int, epochs: int = 400) -> list[Row]:
    """linreg.fit against the seed's hand-written loop on the seed's data (N=10), per epoch."""
    data, (W0, b0) = linreg.make_data(device=device), linreg.init_params(device=device)
    X, y = data.X, data.y_true

    def seed_loop(n: int) -> None:
        seed.loop(X, y, W0.clone().requires_grad_(True), b0.clone().requires_grad_(True), 0.07, n)

    ours, theirs, ours40, theirs40 = interleaved(
        [
            lambda: linreg.fit(X, y, W0, b0, 0.07, epochs),
            lambda: seed_loop(epochs),
            lambda: linreg.fit(X, y, W0, b0, 0.07, 40),
            lambda: seed_loop(40),
        ],
        repeats,
        device,
    )
    where = describe(device)
    return [
        Row(
            PART,
            f"fit() per epoch, N=10 ({epochs} epochs a call)",
            ours / epochs,
            theirs / epochs,
            "the seed's loop",
            target=Target("<=", 1.05),
            device=where,
        ),
        Row(
            PART,
            "fit(), whole call at the seed's 40 epochs (input checks, result)",
            ours40,
            theirs40,
            "the seed's loop",
            device=where,
        ),
        check_seed(device),
    ]


def check_seed(device: torch.device) -> Row:
    """The seed's own loop and linreg.fit on ``device`` give the seed's numbers bit for bit."""
    ref = seed.run()  # the seed's cells as written, on the CPU
    X, y = ref["X"].to(device), ref["y_true"].to(device)
    # clones: on the CPU .to() returns the very tensor, and the seed's loop updates in place
    W = ref["W0"].to(device).clone().requires_grad_(True)
    b = ref["b0"].to(device).clone().requires_grad_(True)
    seed.loop(X, y, W, b, 0.07, 40)
    fitted = linreg.fit(X, y, ref["W0"].to(device), ref["b0"].to(device), 0.07, 40)
    pairs = [
        (W.detach(), ref["W"].detach()),
        (b.detach(), ref["b"].detach()),
        (fitted.W, ref["W"].detach()),
        (fitted.b, ref["b"].detach()),
        (fitted.losses[-1], ref["loss"].detach()),
    ]
    same = all(torch.equal(a.cpu(), r) for a, r in pairs)
    exact = (fitted.final_loss, float(fitted.W), float(fitted.b)) == (SEED_LOSS, SEED_W, SEED_B)
    printed = set(seed.printed_outputs().splitlines())
    lines = [  # as the seed prints them: its W and b are leaves that require grad
        f"Final Loss: {fitted.final_loss:.4f}",
        f"Final W: {W.detach().cpu().requires_grad_(True)!r}",
        f"Final b: {b.detach().cpu().requires_grad_(True)!r}",
    ]
    shown = all(line in printed for line in lines)
    return Row(
        PART,
        "the seed's final loss, W, b: bit-identical, and as printed in seed.txt",
        None,
        unit="",
        ok=same and exact and shown,
        expect="identical",
        device=describe(device),
        note=f"loss {fitted.final_loss!r}, W {float(fitted.W)!r}, b {float(fitted.b)!r}",
    )


def big_rows(
    device: torch.device, repeats: int, N: int = BIG_N, D_in: int = BIG_D, epochs: int = 3
) -> list[Row]:
    """Each method's epochs at large N against two passes over X, the floor of full-batch GD."""
    data, (W0, b0) = linreg.make_data(N=N, D_in=D_in, device=device), linreg.init_params(D_in, device=device)
    X, y, lr = data.X, data.y_true, 0.1
    size = f"N=2^{N.bit_length() - 1}, D_in={D_in}"

    def loop(method: str, n: int) -> object:
        # fit()'s own loop, without fit()'s one-off input checks and result
        return train.run_epochs(X, y, W0, b0, lr, n, method)

    floor, autograd, analytic = interleaved(
        [lambda: X.T @ (X @ W0), lambda: loop("autograd", epochs), lambda: loop("analytic", epochs)],
        repeats,
        device,
    )
    autograd, analytic = autograd / epochs, analytic / epochs

    # Sufficient statistics: one pass forms G and c; then each epoch costs O(D²).
    G, c, yy, n = train.sufficient_statistics(X, y)
    setup = min(
        seconds(lambda: train.sufficient_statistics(X, y), device) for _ in range(max(1, repeats // 2))
    )
    theta = torch.cat([W0, b0[None, :]])

    def epochs_of(k: int) -> object:
        return train.sufficient_epochs(G, c, yy, n, theta, lr, k, [])

    k = calibrate(epochs_of, 0.02, device)
    (per_epoch,) = interleaved([lambda: epochs_of(k)], repeats, device)
    per_epoch /= k

    where = describe(device)
    two_passes = "X@W then X.T@R"
    return [
        Row(
            PART,
            f"autograd per epoch, {size}",
            autograd,
            floor,
            two_passes,
            target=Target("<=", 3.0),
            device=where,
        ),
        Row(
            PART,
            f"analytic per epoch, {size}",
            analytic,
            floor,
            two_passes,
            target=Target("<=", 1.5),
            device=where,
        ),
        Row(
            PART,
            f"analytic per epoch against autograd's, {size}",
            analytic,
            autograd,
            "autograd",
            target=Target("<=", 1.0),
            device=where,
        ),
        Row(
            PART,
            f"sufficient statistics: forming Z'Z, Z'y once, {size}",
            setup,
            floor,
            two_passes,
            device=where,
        ),
        Row(
            PART,
            f"autograd per epoch against sufficient statistics' ({k} epochs timed), {size}",
            autograd,
            per_epoch,
            "sufficient",
            target=Target(">=", 1000),
            device=where,
        ),
        trajectory_row(X, y, W0, b0, lr, where),
    ]


def trajectory_gap(
    X: torch.Tensor, y: torch.Tensor, W0: torch.Tensor, b0: torch.Tensor, lr: float, epochs: int = 10
) -> float:
    """The largest relative difference between sufficient statistics' and autograd's losses, W and b.

    Each difference is divided by the size of what it compares (the largest |entry|), so
    that a loss of 300 and a b of 1 are held to the same float tolerance.
    """
    ours = linreg.fit(X, y, W0, b0, lr, epochs, method="sufficient")
    ref = linreg.fit(X, y, W0, b0, lr, epochs, method="autograd")
    gaps = [
        float((a - r).abs().max() / r.abs().max().clamp_min(torch.finfo(r.dtype).tiny))
        for a, r in ((ours.losses, ref.losses), (ours.W, ref.W), (ours.b, ref.b))
    ]
    return max(gaps)


def trajectory_row(
    X: torch.Tensor, y: torch.Tensor, W0: torch.Tensor, b0: torch.Tensor, lr: float, where: str
) -> Row:
    """Sufficient statistics follow autograd's trajectory to float tolerance."""
    gap = trajectory_gap(X, y, W0, b0, lr)
    return Row(
        PART,
        f"sufficient statistics' trajectory against autograd's (10 epochs, {X.dtype})",
        gap,
        unit="",
        target=Target("<=", TRAJECTORY_RTOL, on="value"),
        device=where,
        note="largest relative gap of losses, W, b",
    )


def rows(quick: bool = False) -> list[Row]:
    """All the training rows, on every device there is."""
    out: list[Row] = []
    with one_thread():
        for device in devices():
            out += seed_rows(device, repeats=7 if quick else 25)
            # BIG_N even when quick: the 1000× target is for that size (a few seconds on a CPU)
            out += big_rows(device, repeats=3 if quick else 5)
    return out
