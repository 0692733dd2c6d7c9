"""The shapes table of the book's pages, generated from real tensors.

Imported by the pages' kernels (their working directory is docs/), so it is part of the
jupyter-cache key (bookext.SOURCES): an edit here re-executes the pages that use it.
"""

from IPython.display import Markdown

import linreg


def objects(data, W, b):
    """Each object of the math as (symbol, name in code, tensor), computed from ``data``, ``W``, ``b``."""
    X, y = data.X, data.y_true
    y_hat = linreg.predict(X, W, b)
    dW, db = linreg.gradients(X, y, W, b)
    return [
        ("X", "X", X),
        ("W_\\text{true}", "W_true", data.W_true),
        ("b_\\text{true}", "b_true", data.b_true),
        ("y_\\text{true}", "y_true", y),
        ("W", "W", W),
        ("b", "b", b),
        ("\\hat y", "y_hat", y_hat),
        ("\\mathcal{L}", "loss", linreg.mse(y_hat, y)),
        ("R", "y_hat - y_true", y_hat - y),
        ("\\nabla_W \\mathcal{L}", "dW", dW),
        ("\\nabla_b \\mathcal{L}", "db", db),
    ]


def space(shape, names=None):
    """$\\mathbb{R}^{a \\times b}$ for a shape; ``names`` maps sizes to symbols."""
    if not shape:
        return "scalar"
    dims = " \\times ".join(names[n] if names else str(n) for n in shape)
    return f"$\\mathbb{{R}}^{{{dims}}}$"


def shapes_table(case, probe=None):
    """Markdown table: each object, its shape in general and in ``case``, a (data, W, b) triple.

    The general shapes are read off ``probe``, a run whose N, D_in and D_out all differ
    (and differ from 1), so that each size names one dimension.
    """
    if probe is None:
        probe = (linreg.make_data(N=5, D_in=3, D_out=2), *linreg.init_params(3, 2))
    N, D_in = probe[0].X.shape
    names = {N: "N", D_in: "D_\\text{in}", probe[0].y_true.shape[1]: "D_\\text{out}"}
    assert len(names) == 3, "the probe's sizes must be distinct"
    assert 1 not in names, "the probe's sizes must not be 1"
    rows = ["| object | in code | in general | here |", "|---|---|---|---|"]
    for (symbol, code, t), (_, _, p) in zip(objects(*case), objects(*probe), strict=True):
        rows.append(f"| ${symbol}$ | `{code}` | {space(tuple(p.shape), names)} | {space(tuple(t.shape))} |")
    # The dimension check, in both runs: each gradient has the shape of its parameter.
    for data, W, b in (case, probe):
        dW, db = linreg.gradients(data.X, data.y_true, W, b)
        assert dW.shape == W.shape
        assert db.shape == b.shape
    return Markdown("\n".join(rows))
