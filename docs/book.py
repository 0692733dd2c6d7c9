"""What the pages' hidden cells import: checks that count themselves, themed figures, the shapes table.

Build-only: no visible cell imports it, so a downloaded notebook runs without it. It is part
of the execution cache's key (``bookext.SOURCES``): an edit here re-executes every page.

- :class:`Checks` asserts a page's claims and counts them by what they are checked against;
  its summary ends the page, and the build's provenance line reports the count.
- Importing this module styles matplotlib for the book and makes every figure a page
  displays carry, besides its PNG (for the PDF and the notebooks), an inline SVG whose
  colours are the page's CSS variables: it follows the light and dark themes without a reload.
"""

from __future__ import annotations

import io
import itertools
import re
import sys
import typing
from collections import defaultdict

import matplotlib.pyplot as plt
import torch
from IPython import get_ipython
from IPython.display import Markdown
from matplotlib.figure import Figure
from myst_nb import glue

import linreg

AGAINST = {
    "seed": "the seed notebook (its own code, run here, and what it printed)",
    "independent": "an independent computation",
    "theory": "the theory (a formula or a theorem)",
}


class Checks:
    """A page's checks: each asserts a claim the page makes and is counted by what it compares with."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = defaultdict(list)

    def __call__(self, claim: object, against: str, what: str) -> None:
        """Assert ``claim``: a bool, or one bool per value compared (a list or a tensor of them).

        The page's count is the number of values compared, so it is counted here, not typed.
        """
        assert against in AGAINST, against
        if isinstance(claim, torch.Tensor):
            held = [bool(v) for v in claim.flatten().tolist()]
        elif isinstance(claim, (list, tuple)):
            held = [bool(v) for v in claim]
        else:
            held = [bool(claim)]
        assert held, f"nothing compared: {what}"
        assert all(held), f"not so: {what} ({held.count(False)} of {len(held)} values fail)"
        self.seen[against] += [what] * len(held)

    def seed(self, what: str, **final: object) -> None:
        """``final`` (W, b, loss, y_hat) are the seed's bits and print as the seed printed them."""
        from reference import seed_notebook

        self([True] * seed_notebook.check(**final), "seed", what)  # it counts what it compared

    def summary(self) -> Markdown:
        """The page's last words: how many values this build checked, and against what."""
        _none_left_behind(shell.execution_count + 1)
        if _problems:  # IPython shows a formatter's error as an output and goes on: fail here
            raise ValueError("; ".join(_problems))
        total = sum(len(v) for v in self.seen.values())
        glue("checked", total, display=False)
        glue("device", "CPU" if linreg.make_data().X.device.type == "cpu" else "GPU", display=False)
        counts = [f"{len(whats)} against {AGAINST[kind]}" for kind, whats in self.seen.items()]
        lines = [
            f"**What this build checked on this page**: {total} values, "
            + (", ".join(counts[:-1]) + " and " if len(counts) > 1 else "")
            + counts[-1]
            + ". Each claim, with how many values it compared:",
            "",
        ]
        for kind, whats in self.seen.items():
            claims = "; ".join(f"{what} ({whats.count(what)})" for what in dict.fromkeys(whats))
            lines.append(f"- against {AGAINST[kind]}: {claims}.")
        return Markdown("\n".join(lines))


def text(key: str, value: str) -> None:
    """Glue ``value`` as markdown, for ``{glue:md}``: a glued str would show its quotes."""
    glue(key, Markdown(value), display=False)


# -- Figures -----------------------------------------------------------------------------------

# Each colour a figure may use, by the CSS variable that themes it (docs/_static/book.css).
COLOURS = {"#000000": "ink", "#808080": "muted", "#b0b0b0": "grid", "#cccccc": "grid", "#ffffff": "paper"}
COLOURS |= {c: f"c{i}" for i, c in enumerate(["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"])}
plt.rcParams.update(
    {
        "figure.figsize": (4.8, 3.2),  # 346 pt: on a phone about its own size, so 13 pt labels stay 13 px
        "font.size": 13,
        "legend.fontsize": 12,
        "figure.facecolor": "none",  # the page's background shows through, light or dark
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "svg.fonttype": "none",  # text stays text: sharp, searchable, and coloured by CSS
        "svg.hashsalt": "linreg",  # the same ids in every build
        "figure.dpi": 96,
    }
)
_figures = itertools.count(1)
# The alternative text of the figure each cell shows, by the cell's execution count: a cell's while
# it runs and while its figures are shown (IPython counts it up before it runs the cell).
_alts: dict[int, str] = {}
_problems: list[str] = []  # what a figure's formatter found wrong


def _figure_problem(message: str) -> ValueError:
    _problems.append(message)
    return ValueError(message)


def _none_left_behind(cell: int) -> None:
    if left := [n for n in _alts if n < cell]:
        raise ValueError(f"cell {left[0]} showed no figure for its alternative text {_alts[left[0]]!r}")


def alt(text: str) -> None:
    """The alternative text of the figure the next cell shows (every figure needs one)."""
    _none_left_behind(shell.execution_count + 1)
    _alts[shell.execution_count + 1] = text


def themed_svg(fig: Figure) -> str:
    """The figure as inline SVG, its colours replaced by the page's CSS variables."""
    if shell.execution_count not in _alts:
        raise _figure_problem("a figure without alternative text: call book.alt(...) in the cell before it")
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)

    def colour(match: re.Match[str]) -> str:
        name = COLOURS.get(match[2].lower())
        if name is None:
            raise _figure_problem(
                f"the colour {match[2]} has no theme variable: add it to book.COLOURS and book.css"
            )
        return f"{match[1]}: var(--lr-{name}, {match[2]})"

    svg = re.sub(r"(fill|stroke): (#[0-9a-fA-F]{6})", colour, svg)
    # Figures share a page: their ids (and the references to them) get the figure's number.
    prefix = f"fig{next(_figures)}-"
    svg = re.sub(r'(id="|href="#|url\(#)', lambda m: m[1] + prefix, svg)
    label = _alts.pop(shell.execution_count).replace('"', "&quot;")
    return (
        '<figure class="lr-figure">'
        + svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
        + "</figure>"
    )


class WholeLines(io.TextIOBase):
    """A stream that hands ``stream`` only text that ends in a newline right after a character
    other than white space.

    The kernel sends what a cell prints in chunks cut by a timer, and myst-nb's
    ``nb_merge_streams`` strips each chunk's trailing white space and ends it with one newline:
    a chunk cut mid-line, or after a blank line, read otherwise from one build to the next.
    Chunks cut here lose nothing to that; the rest goes at a flush (a display, the cell's end).
    """

    def __init__(self, stream: typing.TextIO) -> None:
        self.stream, self.held = stream, ""

    def write(self, text: str) -> int:
        self.held += text
        if whole := re.match(r".*\S\n", self.held, re.DOTALL):
            self.stream.write(whole[0])
            self.held = self.held[whole.end() :]
        return len(text)

    def flush(self) -> None:
        if self.held:  # nothing to write at the kernel's shutdown, when its loop is closed
            self.stream.write(self.held)
            self.held = ""
        self.stream.flush()

    def fileno(self) -> int:
        return self.stream.fileno()

    def __getattr__(self, name: str) -> typing.Any:  # the kernel's own: whose cell the output is
        return getattr(self.stream, name)


shell = get_ipython()
if shell is not None:  # in a kernel: every figure displayed also gets its themed SVG, and a sharp PNG
    sys.stdout, sys.stderr = WholeLines(sys.stdout), WholeLines(sys.stderr)

    def flush(result: object) -> None:  # what a cell left held goes out with the cell, not the next
        sys.stdout.flush()
        sys.stderr.flush()

    shell.events.register("post_run_cell", flush)
    # (loading and configuring the inline backend reset every formatter of figures: they come first)
    shell.enable_matplotlib("inline")
    shell.run_line_magic(
        "config",
        "InlineBackend.print_figure_kwargs = {'bbox_inches': 'tight', 'dpi': 192, 'facecolor': 'white'}",
    )
    shell.display_formatter.formatters["text/html"].for_type(Figure, themed_svg)


# -- The shapes table --------------------------------------------------------------------------


def objects(data: linreg.Data, W: torch.Tensor, b: torch.Tensor) -> list[tuple[str, str, torch.Tensor]]:
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


def space(shape: tuple[int, ...], names: dict[int, str] | None = None) -> str:
    """$\\mathbb{R}^{a \\times b}$ for a shape; ``names`` maps sizes to symbols."""
    if not shape:
        return "scalar"
    return "$\\mathbb{R}^{" + " \\times ".join(names[n] if names else str(n) for n in shape) + "}$"


def shapes_table(case: tuple[linreg.Data, torch.Tensor, torch.Tensor], check: Checks) -> Markdown:
    """Markdown table: each object's shape in general and in ``case``, a (data, W, b) triple.

    The general shapes are read off a probe whose N, D_in and D_out all differ (and differ
    from 1), so that each size names one dimension. A scalar ``b_true`` broadcasts: its
    general shape is "scalar or $\\mathbb{R}^{D_\\text{out}}$", whichever was given.
    """
    small = linreg.make_data(N=5, D_in=3, D_out=2, b_true=torch.tensor([1.0, -1.0]))
    probe = (small, *linreg.init_params(3, 2))
    N, D_in = probe[0].X.shape
    names = {N: "N", D_in: "D_\\text{in}", probe[0].y_true.shape[1]: "D_\\text{out}"}
    rows = ["| object | in code | in general | here |", "|---|---|---|---|"]
    for (symbol, code, t), (_, _, p) in zip(objects(*case), objects(*probe), strict=True):
        general = space(tuple(p.shape), names) + (" or scalar" if code == "b_true" else "")
        rows.append(f"| ${symbol}$ | `{code}` | {general} | {space(tuple(t.shape))} |")
    for data, W, b in (case, probe):
        dW, db = linreg.gradients(data.X, data.y_true, W, b)
        shapes = [dW.shape == W.shape, db.shape == b.shape]
        check(shapes, "theory", "the gradients have the parameters' shapes")
    return Markdown("\n".join(rows))
