"""One row per measurement, with its verdict; the table that prints rows and the JSON that keeps them."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import asdict, dataclass

OPS = {"<": operator.lt, "<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class Row:
    """``value`` against ``against`` (a floor or a reference), with a target on their ratio (or on
    ``value`` itself when ``on == "value"``), or a yes/no check's ``ok``."""

    part: str
    what: str
    value: float | None
    against: float | None = None
    against_what: str = ""
    unit: str = "s"
    op: str = ""
    bound: float = 0.0
    on: str = "ratio"
    ok: bool | None = None
    device: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.value is None or not self.against else self.value / self.against

    @property
    def target(self) -> str:
        if not self.op:
            return "identical" if self.ok is not None else ""
        return f"{self.op} {self.bound:g}" + ("×" if self.on == "ratio" else f" {self.unit}".rstrip())

    @property
    def verdict(self) -> str:
        x = self.ratio if self.on == "ratio" else self.value
        if self.ok is False or (self.op and x is not None and not OPS[self.op](x, self.bound)):
            return "FAIL"
        if self.ok or (self.op and x is not None):
            return "pass"
        return "info" if self.value is not None else "n/a"

    def as_json(self) -> dict[str, object]:
        """The row as benchmarks/results/*.json keep it (the scaling page reads them)."""
        kept = {k: v for k, v in asdict(self).items() if k not in ("op", "bound", "on", "ok")}
        return {**kept, "ratio": self.ratio, "target": self.target, "verdict": self.verdict}


def shown(x: float | None, unit: str) -> str:
    """A number as a reader wants it: times in µs, ms or s, 3 significant digits."""
    if x is None:
        return "—"
    if unit == "s":
        scale, name = next(
            (s, n) for s, n in ((1, "s"), (1e-3, "ms"), (1e-6, "µs"), (0, "ns")) if abs(x) >= s
        )
        return f"{x / (scale or 1e-9):#.3g}".rstrip(".") + f" {name}"
    text = f"{x:,.0f}" if float(x).is_integer() else f"{x:#.3g}".rstrip(".")
    return f"{text} {unit}".rstrip()


def table(rows: Sequence[Row]) -> str:
    """A Markdown table that also reads as plain text; a row's note is a numbered footnote."""
    body = [("what", "measured", "against", "ratio", "target", "verdict", "device")]
    notes: list[str] = []
    for r in rows:
        notes += [f"[{len(notes) + 1}] {r.note}"] if r.note else []
        against = f"{shown(r.against, r.unit)} ({r.against_what})" if r.against is not None else ""
        ratio = "—" if r.ratio is None else f"{r.ratio:,.0f}×" if r.ratio >= 100 else f"{r.ratio:#.3g}×"
        what = f"{r.part}: {r.what}" + (f" [{len(notes)}]" if r.note else "")
        body.append((what, shown(r.value, r.unit), against, ratio, r.target or "—", r.verdict, r.device))
    widths = [max(len(line[i]) for line in body) for i in range(len(body[0]))]
    lines = ["| " + " | ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) + " |" for line in body]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join([*lines, *([""] if notes else []), *notes])
