"""``python -m linreg``: train on the seed's data and print the seed's report.

Exit status: 0 on success, 1 when training diverges, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from linreg import checks
from linreg.data import init_params, make_data
from linreg.report import seed_report
from linreg.train import METHODS, DivergenceError, fit


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="linreg",
        description="Linear regression by full-batch gradient descent; prints the seed notebook's report.",
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        data = make_data(args.N, args.D_in, args.D_out, seed=args.seed, device=args.device, dtype=args.dtype)
        W0, b0 = init_params(args.D_in, args.D_out, seed=args.seed, device=args.device, dtype=args.dtype)
        result = fit(data.X, data.y_true, W0, b0, lr=args.lr, epochs=args.epochs, method=args.method)
    except DivergenceError as error:
        print(f"linreg: {error}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as error:
        print(f"linreg: error: {error}", file=sys.stderr)
        return 2
    print(seed_report(data, W0, b0, result))
    return 0
