"""`.readthedocs.yaml`: valid by Read the Docs' schema (check-jsonschema's copy), right where the
schema is silent, and its build replayed offline (tools/rtd_replay.py), under other CPU kernels
than the suite's own build: readers see the same book from either."""

from __future__ import annotations

import copy
import difflib
import html as html_module
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version
from tests.conftest import OTHER_KERNELS, other_kernels
from tests.pages import ROOT, notebook_pages

CONFIG = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BROKEN: dict[str, Callable[[dict[str, Any]], object]] = {
    "an unknown version": lambda c: c.update(version=3),
    "an unknown image": lambda c: c["build"].update(os="ubuntu-18.04"),
    "an unknown Python": lambda c: c["build"]["tools"].update(python="3.99"),
    "a misspelt build job": lambda c: c["build"]["jobs"].update(pre_instal=["true"]),
    "fail_on_warning as a string": lambda c: c["sphinx"].update(fail_on_warning="yes"),
    "an unknown format": lambda c: c.update(formats=["djvu"]),
}


def invalid(configs: dict[str, dict[str, Any]], folder: Path) -> set[str]:
    """The names of ``configs`` that check-jsonschema's built-in Read the Docs schema rejects."""
    files = {}
    for name, config in configs.items():
        files[name] = folder / (re.sub(r"\W+", "-", name) + ".yaml")
        files[name].write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "check_jsonschema",
        "--builtin-schema",
        "vendor.readthedocs",
        "-o",
        "json",
    ]
    done = subprocess.run([*command, *map(str, files.values())], capture_output=True, text=True)
    report = json.loads(done.stdout)
    bad = {error["filename"] for error in report.get("errors", [])} | {
        error["filename"] for error in report.get("parse_errors", [])
    }
    return {name for name, path in files.items() if str(path) in bad}


def test_the_config_is_valid_and_each_broken_copy_is_not(tmp_path: Path) -> None:
    broken = {}
    for name, breakage in BROKEN.items():
        broken[name] = copy.deepcopy(CONFIG)
        breakage(broken[name])
    assert invalid({"the config": CONFIG, **broken}, tmp_path) == set(BROKEN)


def pip_installs(commands: list[str]) -> list[list[str]]:
    return [shlex.split(c)[4:] for c in commands if shlex.split(c)[:4] == ["python", "-m", "pip", "install"]]


def test_torch_is_a_pinned_cpu_build_from_the_cpu_index_and_the_one_the_book_is_tested_with() -> None:
    ((args),) = pip_installs(CONFIG["build"]["jobs"]["pre_install"])
    assert args[args.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    (torch,) = [Requirement(a) for a in args if re.match(r"torch\b", a)]
    pinned = Version(next(iter(torch.specifier)).version)
    assert pinned.local == "cpu", f"{torch} admits a CUDA build"
    assert not torch.specifier.contains(pinned.public), f"{torch} admits a CUDA build"
    project = next(Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("torch"))
    assert project.specifier.contains(pinned), "the project's install would replace the CPU torch"
    tested = re.search(r"^TORCH \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert tested
    assert Requirement(tested.group(1)).specifier.contains(pinned.public)


def test_the_build_has_what_the_book_needs() -> None:
    assert CONFIG["build"]["tools"]["nodejs"], "KaTeX renders the math with Node at build time"
    assert any(c.startswith("npm ci") for c in CONFIG["build"]["jobs"]["post_install"])
    assert (ROOT / "package-lock.json").is_file()
    lock, install = CONFIG["python"]["install"]
    python = CONFIG["build"]["tools"]["python"]
    assert lock["requirements"] == f"lock/py{python}.txt", "the lock of the build's Python"
    assert (ROOT / lock["requirements"]).is_file()
    assert (ROOT / install["path"]).resolve() == ROOT
    assert install["extra_requirements"] == ["docs"]
    assert (ROOT / CONFIG["sphinx"]["configuration"]).is_file()
    assert CONFIG["sphinx"]["fail_on_warning"] is True
    assert CONFIG["formats"] == ["pdf"]
    assert not {"create_environment", "install", "build"} & CONFIG["build"]["jobs"].keys(), (
        "the replay follows the default steps"
    )


@pytest.mark.book
def test_read_the_docs_build_replayed_offline_builds_the_site_warning_free(
    rtd_replay: tuple[int, str, Path],
) -> None:
    """The replay (started when the tests were collected): Read the Docs' steps, on a clean clone of
    HEAD, in a fresh venv; the site and the PDF from one execution. (How long it takes depends on
    the machine and its load: no test of it here; the build benchmark times the book's builds.)"""
    code, log, work = rtd_replay
    summary = json.loads((work / "replay.json").read_text())
    assert code == 0, f"{summary['problems']}\n{log[-8000:]}"
    assert summary["ok"], f"{summary['problems']}\n{log[-8000:]}"
    assert summary["warnings"] == 0
    assert summary["locks"] == [f"lock/py{summary['python']}.txt"], "the replay installs its Python's lock"
    assert summary["executions"] == len(notebook_pages()), (
        "each notebook page runs once: the PDF reuses html's"
    )
    assert summary["torch"]["version"].endswith("+cpu")
    assert summary["torch"]["cuda"] is None
    assert len(summary["pdf"]) == 1
    html = Path(summary["html"])
    index = (html / "index.html").read_text()
    assert 'href="https://github.com/example/linreg"' in index, "no repository button on the hosted book"
    assert 'pip install "linreg @ https://linreg.readthedocs.io/en/latest/dist/linreg-' in re.sub(
        r"<[^>]+>", "", html_module.unescape(index)
    )
    assert "https://linreg.readthedocs.io/_/downloads/en/latest/pdf/" in index
    for page in ("walkthrough", "checks", "beyond"):
        text = (html / f"{page}.html").read_text()
        assert f"https://mybinder.org/v2/gh/example/linreg/main?urlpath=lab/tree/docs/{page}.ipynb" in text
        assert f"https://colab.research.google.com/github/example/linreg/blob/main/docs/{page}.ipynb" in text


# -- The same book under other CPU kernels ---------------------------------------------------------

# What differs between two builds by design, not by the kernels: when and from which tree.
BUILD_SPECIFIC = [
    (re.compile(r"Executed \d{4}-\d\d-\d\d \d\d:\d\d UTC"), "Executed WHEN UTC"),
    (re.compile(r"commit (?:[0-9a-f]{7,40}|unknown)(?: with uncommitted changes)?"), "commit COMMIT"),
]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
FIGURE_TOLERANCE = 0.5  # SVG units (pt): a figure may move by less than a pixel
ANCHOR = re.compile(r"^(\S+\.html)(#.*)?$")


def reading(html: Path, page: str) -> dict[str, Any]:
    """What a reader gets from ``page`` of the book in ``html``: its main text (the article's, with
    each figure, KaTeX's MathML copy, scripts and the build page's execution table left out), its
    glued values, its tables (row by row), its figures (inline SVG) and its embedded data."""
    text = (html / f"{page}.html").read_text()
    article = text[text.index("<article") : text.index("</article>")]
    if page == "build":  # the execution table: when each page ran, how, how long (the build's record)
        article = re.sub(r"<table.*?</table>", " ", article, count=1, flags=re.S)
    for pattern, replacement in BUILD_SPECIFIC:
        article = pattern.sub(replacement, article)
    figures = re.findall(r"<svg\b.*?</svg>", article, re.S)
    data = re.findall(r"<script\b[^>]*>(.*?)</script>", article, re.S)
    article = re.sub(r"<svg\b.*?</svg>", " [figure] ", article, flags=re.S)
    article = re.sub(r"<script\b.*?</script>", " ", article, flags=re.S)
    article = re.sub(r'<span class="katex-mathml">.*?</math></span>', " ", article, flags=re.S)

    def words(fragment: str) -> str:
        return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())

    return {
        "text": words(article),
        "glued values": [words(g) for g in re.findall(r'class="pasted-text">(.*?)</span>', article, re.S)],
        "tables": [
            [words(row) for row in re.findall(r"<tr.*?</tr>", table, re.S)]
            for table in re.findall(r"<table.*?</table>", article, re.S)
        ],
        "figures": figures,
        "embedded data": [json.loads(d) if d.strip().startswith(("{", "[")) else d for d in data],
    }


def word_changes(a: str, b: str, context: int = 4) -> list[str]:
    """Where ``b`` reads otherwise than ``a``: each changed run of words with a few words around it."""
    x, y = a.split(), b.split()
    changes = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
        if op != "equal":
            before = " ".join(x[max(0, i1 - context) : i1])
            changes.append(f"...{before} [{' '.join(x[i1:i2])} -> {' '.join(y[j1:j2])}]")
    return changes


def figure_changes(a: str, b: str) -> str | None:
    """How two SVG figures differ beyond FIGURE_TOLERANCE in any coordinate; None if they do not."""
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return "other markup (not only coordinates)"
    pairs = [(float(x), float(y)) for x, y in zip(NUMBER.findall(a), NUMBER.findall(b), strict=True)]
    worst = max((abs(x - y) for x, y in pairs), default=0.0)
    return None if worst <= FIGURE_TOLERANCE else f"a coordinate moved by {worst:.3g}"


def data_changes(a: Any, b: Any, where: str = "") -> list[str]:
    """The leaves at which two JSON values differ: ``path: a -> b``."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return [c for k in a for c in data_changes(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [c for i, (x, y) in pairs for c in data_changes(x, y, f"{where}[{i}]")]
    both_numbers = all(isinstance(v, float | int) and not isinstance(v, bool) for v in (a, b))
    if a == b or (both_numbers and math.isnan(a) and math.isnan(b)):
        return []
    return [f"{where or '.'}: {a!r} -> {b!r}"]


def outputs(cell: nbformat.NotebookNode) -> list[str]:
    """What a code cell shows: its streams and text results (figures are compared in the pages)."""
    shown = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            shown.append(output.text)
        elif "data" in output:
            shown += [v for k, v in output.data.items() if k.startswith("text/") and k != "text/html"]
    return shown


def book_differences(default: Path, other: Path) -> list[str]:
    """What readers of the book in ``other`` see otherwise than in ``default``: each difference."""
    found = []
    for page in notebook_pages():
        a, b = reading(default, page), reading(other, page)
        found += [f"{page}: text: {c}" for c in word_changes(a["text"], b["text"])]
        for what in ("glued values", "tables"):
            if a[what] != b[what]:
                pairs = zip(a[what], b[what], strict=False)
                shown: list[str] | str = [f"{x!r} -> {y!r}" for x, y in pairs if x != y] or [
                    f"{a[what]!r} -> {b[what]!r}"
                ]
                found.append(f"{page}: {what}: " + "; ".join(shown)[:1000])
        if len(a["figures"]) != len(b["figures"]):
            found.append(f"{page}: figures: {len(a['figures'])} -> {len(b['figures'])}")
        for i, (x, y) in enumerate(zip(a["figures"], b["figures"], strict=False), 1):
            if change := figure_changes(x, y):
                found.append(f"{page}: figure {i}: {change}")
        for x, y in zip(a["embedded data"], b["embedded data"], strict=False):
            if changes := data_changes(x, y):
                at = ", ".join(dict.fromkeys(re.sub(r"\[\d+\]", "[]", c.split(": ")[0]) for c in changes))
                shown = "; ".join(changes[:3])
                found.append(f"{page}: embedded data: {len(changes)} values differ (at {at}), e.g. {shown}")
        if (n := len(a["embedded data"])) != (m := len(b["embedded data"])):
            found.append(f"{page}: embedded data: {n} -> {m} blocks")
    # The launch buttons' notebooks (no outputs; they link the hosted book): byte for byte.
    launch = sorted(p.name for p in (default / "notebooks").glob("*.ipynb"))
    assert launch, f"no launch notebooks in {default}"
    for name in launch:
        x, y = default / "notebooks" / name, other / "notebooks" / name
        if not y.is_file() or x.read_text() != y.read_text():
            found.append(f"notebooks/{name}: the launch notebook differs")
    # The download buttons' notebooks (with outputs): every code cell the default build's shows
    # prints the same in the other's, cells matched by their code. Both are the reader's export (its
    # second cell installs linreg), with a repository URL too: nothing of the build in them.
    for name in sorted(p.name for p in (default / "_sources").glob("*.ipynb")):
        theirs = nbformat.read(other / "_sources" / name, as_version=4)
        if len(theirs.cells) < 2 or "%pip install" not in theirs.cells[1].source:
            found.append(f"_sources/{name}: not the reader's notebook (the build's, hidden cells and all)")
            continue
        by_code = {c.source: outputs(c) for c in theirs.cells if c.cell_type == "code"}
        for cell in nbformat.read(default / "_sources" / name, as_version=4).cells[2:]:
            if cell.cell_type != "code":
                continue
            if cell.source not in by_code:
                found.append(f"_sources/{name}: a code cell is missing: {cell.source[:80]!r}")
            elif outputs(cell) != by_code[cell.source]:
                shown = word_changes(" ".join(outputs(cell)), " ".join(by_code[cell.source]))
                found.append(f"_sources/{name}: a cell prints otherwise: " + "; ".join(shown)[:500])
    return found


def test_the_comparison_of_two_builds_sees_numbers_figures_and_data_not_when_or_what_commit(
    tmp_path: Path,
) -> None:
    """The comparison itself, on a small made-up page: build-specific lines pass, numbers do not."""
    page = (
        '<html><article><p class="lr-provenance">Executed 2026-12-01 20:21 UTC, commit {commit}</p>'
        '<p>final loss <span class="pasted-text">{loss}</span></p><table><tr><td>{loss}</td></tr></table>'
        '<svg><path d="M 1.0 {y}"/></svg><script type="application/json">{{"W": [{w}]}}</script></article>'
    )
    pages = {
        "same": dict(commit="abc1234 with uncommitted changes", loss="0.220126", y="2.0", w="1.5"),
        "default": dict(commit="abc1234", loss="0.220126", y="2.3", w="1.5"),
        "other": dict(commit="abc1234", loss="0.220127", y="9.0", w="1.25"),
    }
    for name, values in pages.items():
        for page_name in notebook_pages():
            (tmp_path / name).mkdir(exist_ok=True)
            (tmp_path / name / f"{page_name}.html").write_text(page.format(**values))
        for folder in ("notebooks", "_sources"):
            (tmp_path / name / folder).mkdir()
        (tmp_path / name / "notebooks" / "p.ipynb").write_text("{}")
    assert book_differences(tmp_path / "default", tmp_path / "same") == []
    found = "\n".join(book_differences(tmp_path / "default", tmp_path / "other"))
    assert "[0.220126 -> 0.220127]" in found
    assert "glued values: '0.220126' -> '0.220127'" in found
    assert "tables:" in found
    assert "figure 1: a coordinate moved by 6.7" in found
    assert "embedded data: 1 values differ (at .W[]), e.g. .W[0]: 1.5 -> 1.25" in found


def test_the_replay_runs_under_other_kernels_than_the_suite() -> None:
    assert other_kernels({"PATH": "/bin"}) == {"PATH": "/bin", **OTHER_KERNELS}
    assert other_kernels({"PATH": "/bin", **OTHER_KERNELS}) == {"PATH": "/bin"}
    assert other_kernels({"OMP_NUM_THREADS": "4"}) == OTHER_KERNELS


@pytest.mark.book
def test_the_book_built_under_other_cpu_kernels_shows_what_the_default_build_shows(
    book: Path, rtd_replay: tuple[int, str, Path]
) -> None:
    """Another CPU computes other float32 bits (another vector width, another split of a sum). The
    replay's build ran under the kernels of OTHER_KERNELS (or, where this session sets those, the
    default ones): every executed page must read the same as this session's build (its text, glued
    values, tables, embedded data, its figures to within FIGURE_TOLERANCE), and the launch and
    download notebooks must hold the same. A number that changes shows more digits than it has."""
    code, log, work = rtd_replay
    summary = json.loads((work / "replay.json").read_text())
    assert code == 0, f"{summary['problems']}\n{log[-3000:]}"
    here = {k: os.environ.get(k) for k in OTHER_KERNELS}
    assert summary["kernels"] != here, "the replay ran under this session's kernels"
    differences = book_differences(book, Path(summary["html"]))
    dirty = "with uncommitted changes" in (book / "index.html").read_text() or any(
        "with uncommitted changes" in (book / f"{p}.html").read_text() for p in notebook_pages()
    )
    note = " (the replay builds HEAD, this build has uncommitted changes: commit them first)" if dirty else ""
    assert not differences, (
        f"under {summary['kernels']} (this build: {here}) readers see{note}:\n" + "\n".join(differences)
    )
