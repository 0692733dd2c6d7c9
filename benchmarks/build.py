"""The book's build, on a private copy of the repository: cold, no change, prose edit, library edit.

The copy holds the working tree's tracked and untracked-but-not-ignored files (what the next
commit could hold, others' work in progress included), so a run never touches ``docs/_build``
or anyone's files. Its library is imported from the copy (``PYTHONPATH=<copy>/src``, ahead of
the editable install), both by Sphinx and by the kernels, so that an edit there is seen.

Floors, measured in the same run and interleaved with the builds: a kernel start that imports
torch and pyplot, and a build of the same pages with execution off.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.table import Row, Target

PART = "build"
ROOT = Path(__file__).resolve().parents[1]
# The Makefile's `make book`, flag for flag (SPHINXOPTS defaults to -j auto).
SPHINX_FLAGS = ("-W", "--keep-going", "-n", "-j", "auto", "-b", "html")
JOBS = os.cpu_count() or 1
FLOOR_CODE = "import torch\nimport matplotlib.pyplot"
PROSE = "\n\nA sentence of prose appended by the benchmarks, run {n}.\n"
COMMENT = "\n# a comment appended by the benchmarks, run {n}\n"
PROSE_EDITS = 3  # per round, each to another page and each followed by a no-change rebuild
_EXECUTED = re.compile(r"Executed notebook in [\d.]+ seconds")
_EXECUTED_PAGE = re.compile(r"([^/\s]+)\.\w+: Executed notebook in ([\d.]+) seconds")
_CACHED = re.compile(r"Using cached notebook")
_CODE_CELL = re.compile(r"^(```+|:::+)\{code-cell\}", re.M)
_IMPORTS_LINREG = re.compile(r"^\s*(import linreg|from linreg[\s.])", re.M)


@dataclass(frozen=True)
class Build:
    """One sphinx-build: its wall time, what myst-nb executed or took from the cache, its exit."""

    seconds: float
    executed: int
    cached: int
    returncode: int
    log: str


def private_copy(dest: Path, root: Path = ROOT) -> Path:
    """Copy the files git would see (tracked, and untracked but not ignored) into ``dest``."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = root / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def environment(copy: Path) -> dict[str, str]:
    """The build's environment: the copy's library first on the path, for Sphinx and kernels."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(copy / "src"), env.get("PYTHONPATH")]))
    return env


def per_notebook(log: str) -> dict[str, float]:
    """Each executed notebook's execution time, kernel start included, as myst-nb logged it."""
    return {page: float(seconds) for page, seconds in _EXECUTED_PAGE.findall(log)}


def count(log: str) -> tuple[int, int]:
    """Notebooks myst-nb executed, and notebooks it took from the cache, as its log says."""
    return len(_EXECUTED.findall(log)), len(_CACHED.findall(log))


def sphinx(copy: Path, out: str = "docs/_build", *extra: str, strict: bool = True) -> Build:
    """Build the copy's book into ``out`` (html and doctrees beneath it); time it, count notebooks.

    ``strict=False`` drops ``-W --keep-going``: warnings are then only printed.
    """
    flags = [f for f in SPHINX_FLAGS if strict or f not in ("-W", "--keep-going")]
    cmd = [sys.executable, "-m", "sphinx", *flags, "-d", f"{out}/doctrees", *extra, "docs", f"{out}/html"]
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=copy, env=environment(copy), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = run.stdout + run.stderr
    return Build(seconds, *count(log), run.returncode, log)


def no_exec_build(copy: Path) -> Build:
    """The same pages from scratch with execution off: what Sphinx costs without the kernels.

    Without -W: with nothing executed, glued values are missing and say so in warnings.
    """
    out = copy / ".bench-noexec"
    shutil.rmtree(out, ignore_errors=True)
    return sphinx(copy, ".bench-noexec", "-D", "nb_execution_mode=off", strict=False)


def kernel_floor() -> float:
    """Start a Jupyter kernel and import torch and pyplot in it: every notebook pays this."""
    from jupyter_client.manager import start_new_kernel

    start = time.perf_counter()
    # log_level: ipykernel warns on every start that its loopback TCP is unencrypted (noise)
    manager, client = start_new_kernel(
        kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"]
    )
    try:
        reply = client.execute_interactive(FLOOR_CODE, timeout=120, output_hook=lambda msg: None)
        seconds = time.perf_counter() - start
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the kernel could not run {FLOOR_CODE!r}: {reply['content']}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return seconds


def notebook_pages(docs: Path) -> dict[str, bool]:
    """The pages with code cells (notebooks), each with whether its cells import linreg."""
    pages = {}
    for page in sorted(docs.rglob("*.md")):
        if "_build" in page.parts:
            continue
        text = page.read_text()
        if _CODE_CELL.search(text):
            pages[page.relative_to(docs).as_posix()] = bool(_IMPORTS_LINREG.search(text))
    return pages


def append(path: Path, text: str) -> None:
    """Append ``text`` to a file: the edits the benchmark makes."""
    with path.open("a") as f:
        f.write(text)


def outputs(copy: Path) -> dict[str, str]:
    """Each executed notebook's outputs as one text (what the kernels printed and displayed)."""
    found = {}
    for nb in sorted((copy / "docs" / "_build" / "jupyter_execute").rglob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        parts = []
        for cell in cells:
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                for value in out.get("data", {}).values():
                    parts.append(value if isinstance(value, str) else "".join(map(str, value)))
        found[nb.stem] = "\n".join(parts)
    return found


def stale_check(copy: Path) -> Row:
    """Change what the library returns (its version string) and look for the old one in outputs.

    Every notebook whose outputs showed ``linreg.__version__`` must show the new one after the
    rebuild: a kernel that had not re-run would still show the old one.
    """
    init = copy / "src" / "linreg" / "__init__.py"
    text = init.read_text()
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not match:
        return Row(
            PART,
            "a library edit that changes an output: no stale output",
            None,
            unit="",
            ok=None,
            expect="all updated",
            note="no __version__ line in src/linreg/__init__.py",
        )
    old, new = match.group(1), f"{match.group(1)}+bench{os.getpid()}"
    showing = {name for name, text in outputs(copy).items() if old in text}
    init.write_text(text.replace(match.group(0), f'__version__ = "{new}"'))
    build = sphinx(copy)
    after = outputs(copy)
    updated = {name for name in showing if new in after.get(name, "")}
    stale = sorted(showing - updated)
    note = f"linreg.__version__ {old} -> {new}; shown by: {', '.join(sorted(showing)) or 'no notebook'}"
    if stale:
        note += f"; STALE: {', '.join(stale)}"
    if build.returncode:
        note += f"; the build exited {build.returncode}"
    return Row(
        PART,
        "a library edit that changes an output: notebooks showing the new output",
        float(len(updated)),
        float(len(showing)) if showing else None,
        "notebooks showing the version",
        unit="",
        ok=bool(showing) and not stale,
        expect="all of them",
        note=note,
    )


def rows(quick: bool = False) -> list[Row]:
    """Cold, no-change, prose-edit and library-edit builds with their floors, ``repeats`` times each."""
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="linreg-bench-") as tmp:
        copy = private_copy(Path(tmp))
        docs = copy / "docs"
        pages = notebook_pages(docs)
        importing = sorted(p for p, uses in pages.items() if uses)
        # the prose edits go to pages that execute code and import linreg (the costly case),
        # a different one each run: pages differ in what else a re-read costs
        edited = importing or sorted(pages) or ["index.md"]
        module = copy / "src" / "linreg" / "model.py"

        runs: dict[str, list[Build]] = {k: [] for k in ("noexec", "cold", "nochange", "prose", "src")}
        kernels: list[float] = []
        prose_pages = []
        for n in range(repeats):
            runs["noexec"].append(no_exec_build(copy))
            kernels += [kernel_floor(), kernel_floor()]
            shutil.rmtree(docs / "_build", ignore_errors=True)  # the cache lives under the doctrees
            runs["cold"].append(sphinx(copy))
            runs["nochange"].append(sphinx(copy))
            # a prose edit and a no-change rebuild cost ~2 s each: several make a steadier median
            for k in range(PROSE_EDITS):
                prose_pages.append(edited[(n * PROSE_EDITS + k) % len(edited)])
                append(docs / prose_pages[-1], PROSE.format(n=f"{n}.{k}"))
                runs["prose"].append(sphinx(copy))
                runs["nochange"].append(sphinx(copy))
            append(module, COMMENT.format(n=n))
            runs["src"].append(sphinx(copy))
        stale = stale_check(copy)
    prose_page = describe(prose_pages, len(pages))
    return [*summarise(runs, statistics.median(kernels), pages, prose_page, module.name), stale]


def describe(edited: list[str], notebooks: int) -> str:
    """The pages the prose edits went to, for the table: named, or counted when all were."""
    unique = sorted(set(edited))
    if len(unique) == notebooks:
        return f"{len(edited)} edits over all {notebooks} notebook pages"
    return f"{len(edited)} edits: {', '.join(unique)}"


def median(builds: list[Build]) -> Build:
    """The build of median time (the counts of a typical run, not a mix of runs)."""
    ordered = sorted(builds, key=lambda b: b.seconds)
    return ordered[(len(ordered) - 1) // 2]


def none_executed(what: str, build: Build) -> Row:
    """The row saying how many notebooks a build that should execute none executed."""
    return Row(
        PART,
        f"{what}: notebooks executed",
        float(build.executed),
        unit="",
        target=Target("==", 0, on="value"),
    )


def summarise(
    runs: dict[str, list[Build]], kernel: float, pages: dict[str, bool], prose_page: str, module: str
) -> list[Row]:
    """The table's rows from the builds' medians and the floors."""
    noexec, cold, nochange, prose, src = (
        median(runs[k]) for k in ("noexec", "cold", "nochange", "prose", "src")
    )
    importing = sum(pages.values())
    workers = max(1, min(JOBS, cold.executed))
    floor = cold.executed * kernel / workers + noexec.seconds
    failed = sorted({k for k, bs in runs.items() if k != "noexec" for b in bs if b.returncode})
    spent = sorted(per_notebook(cold.log).items(), key=lambda item: -item[1])
    note = "notebooks (execution incl. kernel start): " + ", ".join(f"{p} {t:.1f} s" for p, t in spent)
    if failed:
        note += f"; the build exited non-zero in: {', '.join(failed)}"
    return [
        Row(
            PART,
            "kernel start importing torch and pyplot (floor)",
            kernel,
            note=f"median of {len(runs['cold']) * 2}",
        ),
        Row(PART, f"build with execution off, {len(pages)} notebook pages (floor)", noexec.seconds),
        Row(
            PART,
            f"cold build: {cold.executed} of {len(pages)} notebooks executed",
            cold.seconds,
            floor,
            f"{cold.executed} kernels / {workers} workers + no-exec build",
            target=Target("<=", 1.5),
            note=note,
        ),
        Row(
            PART,
            "no-change rebuild",
            nochange.seconds,
            noexec.seconds,
            "no-exec build",
            target=Target("<=", 1.2),
        ),
        none_executed("no-change rebuild", nochange),
        Row(
            PART,
            f"prose-only edit ({prose_page}; median)",
            prose.seconds,
            nochange.seconds,
            "no-change rebuild",
            target=Target("<=", 1.2),
        ),
        none_executed("prose-only edit", prose),
        Row(PART, f"edit in src/ (a comment in {module})", src.seconds, cold.seconds, "cold build"),
        Row(
            PART,
            "edit in src/: notebooks re-executed, of those importing linreg",
            float(src.executed),
            float(importing),
            "import linreg",
            unit="",
            target=Target(">=", 1.0),
        ),
    ]
