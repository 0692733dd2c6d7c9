"""The book's build on a private copy of the repository: cold, no change, prose edits, a library edit.

The copy holds the files git would see (tracked, and untracked but not ignored), so a run
never touches ``docs/_build``; the copy's library comes first on ``PYTHONPATH``, for Sphinx
and the kernels alike. Notebooks executed are counted from jupyter-cache's own records (a
record created during a build is an execution). Floors, measured in the same run: a kernel
start that imports torch and pyplot, and a build of the same pages with execution off.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_cache import get_cache

from benchmarks.rows import Row

PART = "build"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
from bookext import sphinx  # noqa: E402  (the one Sphinx command line: the README's `make book`)


def private_copy(dest: Path, root: Path = ROOT) -> Path:
    """Copy the files git would see into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root, capture_output=True, check=True
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (root / name).is_file():  # a tracked file deleted in the working tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dest / name)
    return dest


def build(copy: Path, *options: str) -> tuple[float, int]:
    """Build the copy's book as `make book` does; its wall time and the notebooks it executed."""
    out, env = copy / "docs" / "_build", {**os.environ, "PYTHONPATH": str(copy / "src")}
    began = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # jupyter-cache's clock: naive UTC
    start = time.perf_counter()
    done = sphinx("html", out / "html", out / "doctrees", "-j", "auto", *options, source=copy / "docs", env=env)
    seconds = time.perf_counter() - start
    if done.returncode and "nb_execution_mode=off" not in options:
        raise RuntimeError(f"the build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    caches = (out / "doctrees" / "jupyter_cache").glob("*/")
    return seconds, sum(r.created >= began for c in caches for r in get_cache(c).list_cache_records())


def kernel_floor() -> float:
    """Start a Jupyter kernel and import torch and pyplot in it: every notebook pays this."""
    from jupyter_client.manager import start_new_kernel

    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"])
    try:
        client.execute_interactive("import torch, matplotlib.pyplot", timeout=120, output_hook=lambda msg: None)
        return time.perf_counter() - start
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def rows(quick: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="linreg-bench-") as tmp:
        copy = private_copy(Path(tmp))
        pages = sorted(p.name for p in (copy / "docs").glob("*.md") if "{code-cell}" in p.read_text())
        t: dict[str, list[float]] = {k: [] for k in ("noexec", "kernel", "cold", "nochange", "prose")}
        executed: dict[str, list[int]] = {k: [] for k in ("cold", "prose", "src")}
        for n in range(1 if quick else 3):
            t["noexec"].append(build(copy, "-D", "nb_execution_mode=off", "-E")[0])
            t["kernel"].append(kernel_floor())
            shutil.rmtree(copy / "docs" / "_build")
            for kind in ("cold", "nochange", "prose"):
                if kind == "prose":
                    with (copy / "docs" / pages[n % len(pages)]).open("a") as page:
                        page.write(f"\n\nA sentence appended by the benchmarks, run {n}.\n")
                seconds, count = build(copy)
                t[kind].append(seconds)
                executed.setdefault(kind, []).append(count)
            with (copy / "src" / "linreg" / "model.py").open("a") as module:
                module.write(f"\n# a comment appended by the benchmarks, run {n}\n")
            executed["src"].append(build(copy)[1])
    cold, noexec, kernel = median(t["cold"]), median(t["noexec"]), median(t["kernel"])
    workers = min(os.cpu_count() or 1, len(pages))
    floor = noexec + kernel * len(pages) / workers
    return [
        Row(PART, f"cold build, {len(pages)} notebook pages", cold, floor, f"no-exec build + {len(pages)} kernels / {workers} workers", op="<=", bound=1.5),
        Row(PART, "no-change rebuild", median(t["nochange"]), noexec, "no-exec build"),
        Row(PART, "prose-only edit, one page", median(t["prose"]), median(t["nochange"]), "no-change rebuild"),
        Row(PART, "prose-only edit: notebooks executed", max(executed["prose"]), unit="", op="<=", bound=0, on="value"),
        Row(PART, "library edit: notebooks executed", min(executed["src"]), len(pages), "notebook pages", unit="", op=">=", bound=1.0),
        Row(PART, "cold build: notebooks executed", min(executed["cold"]), len(pages), "notebook pages", unit="", op=">=", bound=1.0),
    ]
