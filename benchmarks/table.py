"""One row per measurement, its verdict against a target, and the table that prints them."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field

_OPS = {"<": operator.lt, "<=": operator.le, ">=": operator.ge, "==": operator.eq}


@dataclass(frozen=True)
class Target:
    """``ratio <op> bound`` (or ``value <op> bound`` when ``on == "value"``)."""

    op: str
    bound: float
    on: str = "ratio"
    unit: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {sorted(_OPS)}, got {self.op!r}")
        if self.on not in ("ratio", "value"):
            raise ValueError(f"on must be 'ratio' or 'value', got {self.on!r}")

    def met(self, value: float | None, ratio: float | None) -> bool | None:
        """Whether the target is met; None when the number it is about was not measured."""
        x = ratio if self.on == "ratio" else value
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        return bool(_OPS[self.op](x, self.bound))

    def __str__(self) -> str:
        bound = f"{self.bound:g}"
        return (
            f"{self.op} {bound}×"
            if self.on == "ratio"
            else f"{self.op} {bound}{self.unit and ' ' + self.unit}"
        )


@dataclass(frozen=True)
class Row:
    """A measurement: ``value`` against ``against`` (a floor or a reference), and its verdict.

    ``value`` and ``against`` are in ``unit`` (``"s"`` for times, ``""`` for counts and
    plain numbers). ``ratio`` is ``value / against`` unless given (for rows whose ratio
    is not a plain quotient). A yes/no check gives ``ok`` and says what it expects in
    ``expect`` instead of a target.
    """

    part: str
    what: str
    value: float | None
    against: float | None = None
    against_what: str = ""
    unit: str = "s"
    target: Target | None = None
    device: str = "cpu"
    note: str = ""
    ratio: float | None = field(default=None)
    ok: bool | None = None
    expect: str = ""

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.against:
            object.__setattr__(self, "ratio", self.value / self.against)

    @property
    def verdict(self) -> str:
        """``pass``, ``FAIL``, ``info`` (nothing to check) or ``n/a`` (not measured).

        A row with both a target and ``ok`` passes only if both hold (a test command that
        failed fast is no pass however fast it was).
        """
        checks = [self.target.met(self.value, self.ratio)] if self.target else []
        if self.ok is not None:
            checks.append(self.ok)
        if not checks:
            return "info" if self.value is not None else "n/a"
        if False in checks:
            return "FAIL"
        return "n/a" if None in checks else "pass"


def quantity(x: float | None, unit: str) -> str:
    """A number as a reader wants it: times in µs, ms or s with 3 significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if unit == "s":
        for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
            if abs(x) >= scale or scale == 1e-9:
                return f"{x / scale:#.3g} {name}".replace(". ", " ")
    if float(x).is_integer():
        return f"{int(x)}{unit and ' ' + unit}"
    return f"{x:#.3g}{unit and ' ' + unit}"


def ratio_text(r: float | None) -> str:
    """A ratio with 3 significant digits (a thousandfold speed-up stays readable)."""
    if r is None or math.isnan(r):
        return "—"
    return f"{r:,.0f}×" if r >= 100 else f"{r:#.3g}×"


HEADER = ("part", "what", "measured", "against", "ratio", "target", "verdict", "device")


def cells(row: Row) -> tuple[str, ...]:
    """A row's cells, as printed."""
    against = quantity(row.against, row.unit)
    if row.against_what:
        against = f"{against} ({row.against_what})" if row.against is not None else row.against_what
    what = row.what
    target = str(row.target) if row.target else (row.expect or "—")
    return (
        row.part,
        what,
        quantity(row.value, row.unit),
        against,
        ratio_text(row.ratio),
        target,
        row.verdict,
        row.device,
    )


def render(rows: Sequence[Row]) -> str:
    """A Markdown table, aligned so that it also reads as plain text in a terminal.

    A row's note becomes a numbered footnote under the table, to keep the columns narrow.
    """
    body = [HEADER]
    notes = []
    for r in rows:
        part, what, *rest = cells(r)
        if r.note:
            notes.append(r.note)
            what = f"{what} [{len(notes)}]"
        body.append((part, what, *rest))
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADER))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    table = [line(body[0]), rule, *(line(v) for v in body[1:])]
    return "\n".join(table + ([""] if notes else []) + [f"[{i}] {n}" for i, n in enumerate(notes, 1)])


def failed(rows: Sequence[Row]) -> list[Row]:
    """The rows whose target was missed."""
    return [r for r in rows if r.verdict == "FAIL"]
