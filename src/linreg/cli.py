"""``python -m linreg``: train on the seed's data and print the seed's report.

Under ``torchrun`` (``torchrun --standalone --nproc-per-node 2 -m linreg``) each process
trains on its own rows with :func:`linreg.shards.fit_sharded` (gloo on the CPU, NCCL on CUDA)
and rank 0 prints the same report. Exit status: 0 on success; 1 when training diverges (the
loss overflowed, or it grew: ``lr`` above the largest stable learning rate), with the reason on
stderr and no report; 2 on bad input (every rank checks it, rank 0 says why).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
import warnings
from collections.abc import Sequence

import torch
import torch.distributed as dist

from linreg import checks
from linreg.data import Data, init_params, make_data
from linreg.report import seed_report
from linreg.shards import fit_sharded
from linreg.train import METHODS, DivergenceError, Result, UnstableWarning, fit, unstable_message

# A rank that stops answering (it crashed, it hangs) is an error after this long, not a hang.
TIMEOUT = datetime.timedelta(seconds=60)


def parser() -> argparse.ArgumentParser:
    """The command line's options: the problem's sizes and seed, lr, epochs, method, device, dtype."""
    p = argparse.ArgumentParser(
        prog="linreg",
        description="Linear regression by full-batch gradient descent; prints the seed notebook's report.",
        epilog="Under torchrun, every process trains on its share of the rows and rank 0 prints the report.",
    )
    p.add_argument("--lr", type=float, default=0.07, help="learning rate (default: 0.07)")
    p.add_argument("--epochs", type=int, default=40, help="epochs of gradient descent (default: 40)")
    p.add_argument(
        "--seed", type=int, default=42, help="seed for the data and the initial parameters (default: 42)"
    )
    p.add_argument("-N", "--N", dest="N", type=int, default=10, help="samples (default: 10)")
    p.add_argument("--D-in", dest="D_in", type=int, default=1, help="input features (default: 1)")
    p.add_argument("--D-out", dest="D_out", type=int, default=1, help="outputs per sample (default: 1)")
    p.add_argument("--method", choices=METHODS, default="autograd", help="how gradients are computed")
    p.add_argument("--device", choices=checks.DEVICES, default="cpu", help="auto picks CUDA when present")
    p.add_argument("--dtype", choices=sorted(checks.DTYPES), default="float32")
    return p


def train(args: argparse.Namespace, device: str) -> tuple[Data, torch.Tensor, torch.Tensor, Result]:
    """The data, the initial parameters and the run; under torch.distributed, this rank's share."""
    if dist.is_initialized() and dist.get_world_size() > args.N:
        raise ValueError(
            f"N={args.N} is fewer rows than processes ({dist.get_world_size()}): "
            f"use -N {dist.get_world_size()} or more, or fewer processes (--nproc-per-node)"
        )
    data = make_data(args.N, args.D_in, args.D_out, seed=args.seed, device=device, dtype=args.dtype)
    W0, b0 = init_params(args.D_in, args.D_out, seed=args.seed, device=device, dtype=args.dtype)
    if not dist.is_initialized():
        return (
            data,
            W0,
            b0,
            fit(data.X, data.y_true, W0, b0, lr=args.lr, epochs=args.epochs, method=args.method),
        )
    rows = torch.arange(args.N).tensor_split(dist.get_world_size())[dist.get_rank()]
    result = fit_sharded(data.X[rows], data.y_true[rows], W0, b0, args.lr, args.epochs, args.method)
    shares: list[torch.Tensor | None] = [None] * dist.get_world_size()
    dist.all_gather_object(shares, None if result.y_hat is None else result.y_hat.cpu())
    y_hat = None if shares[0] is None else torch.cat(shares).to(device)  # type: ignore[arg-type]
    return data, W0, b0, dataclasses.replace(result, y_hat=y_hat)


def main(argv: Sequence[str] | None = None) -> int:
    """Train and print the seed's report (rank 0 under torchrun); return the exit status: 0, 1 or 2."""
    args = parser().parse_args(argv)
    device, launched = args.device, dist.is_torchelastic_launched() and not dist.is_initialized()
    speaks = not launched or os.environ.get("RANK", "0") == "0"  # every rank trains, rank 0 reports
    try:
        if launched:
            cuda = checks.resolve_device(args.device).type == "cuda"
            if cuda:
                device = f"cuda:{os.environ['LOCAL_RANK']}"
                torch.cuda.set_device(device)
            dist.init_process_group("nccl" if cuda else "gloo", timeout=TIMEOUT)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnstableWarning)  # said below, as the exit status
            data, W0, b0, result = train(args, device)
    except DivergenceError as error:
        print(f"linreg: {error}", file=sys.stderr) if speaks else None
        return 1
    except (ValueError, TypeError) as error:
        print(f"linreg: error: {error}", file=sys.stderr) if speaks else None
        return 2
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    if result.diverging:
        assert result.max_stable_lr is not None  # diverging runs carry their bound
        print(
            f"linreg: training diverged: {unstable_message(result.lr, result.max_stable_lr)}", file=sys.stderr
        ) if speaks else None
        return 1
    if speaks:
        print(seed_report(data, W0, b0, result))
    return 0
