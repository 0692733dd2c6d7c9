"""The book's build on a private copy of the repository: cold, no change, a prose edit, a library edit.

The copy holds the files git would see (tracked, and untracked but not ignored), so a run never
touches ``docs/_build``; its library comes first on ``PYTHONPATH``, for Sphinx and kernels alike.
Notebooks executed are counted from jupyter-cache's own records (a record created during a build
is an execution). Floors, measured in the same run: the notebooks the build executed, run straight
through nbclient (their cells' own cost), and a build of the same pages with execution off.
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
from tests.pages import notebook_pages

from benchmarks.rows import Row

PART = "build"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
from bookext import sphinx  # noqa: E402  (the one Sphinx command line, the README's `make book`)


def private_copy(dest: Path, root: Path = ROOT) -> Path:
    """Copy the files git would see into ``dest``, and link the npm packages the build needs."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=root, capture_output=True, check=True
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (root / name).is_file():  # a tracked file deleted in the working tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dest / name)
    if (root / "node_modules").is_dir():  # npm's packages (KaTeX): installed, not in git
        (dest / "node_modules").symlink_to(root / "node_modules")
    return dest


def build(copy: Path, *options: str) -> tuple[float, int]:
    """Build the copy's book as `make book` does: its wall time, and the notebooks it executed."""
    out, env = copy / "docs" / "_build", {**os.environ, "PYTHONPATH": str(copy / "src")}
    began = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # jupyter-cache's clock: naive UTC
    start = time.perf_counter()
    done = sphinx(
        "html", out / "html", out / "doctrees", "-j", "auto", *options, source=copy / "docs", env=env
    )
    seconds = time.perf_counter() - start
    if done.returncode and "nb_execution_mode=off" not in options:  # off: glued values are missing
        raise RuntimeError(f"the build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    caches = (out / "doctrees" / "jupyter_cache").glob("*/")
    return seconds, sum(r.created >= began for c in caches for r in get_cache(c).list_cache_records())


def notebooks_floor(copy: Path) -> float:
    """The notebooks the build executed, run straight through nbclient: what their cells cost."""
    import nbformat
    from nbclient import NotebookClient

    docs, doctrees = copy / "docs", copy / "docs" / "_build" / "doctrees"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(map(str, (copy / "src", copy, docs))),
        # What the build gives its kernels (bookext): the cache key the build page shows, a quiet profile.
        "LINREG_BOOK_CACHE_KEY": next((doctrees / "jupyter_cache").iterdir()).name,
        "IPYTHONDIR": str(doctrees / "ipython"),
    }
    start = time.perf_counter()
    for path in sorted((docs / "_build" / "jupyter_execute").glob("*.ipynb")):
        client = NotebookClient(
            nbformat.read(path, as_version=4), resources={"metadata": {"path": str(docs)}}
        )
        client.execute(env=env)
    return time.perf_counter() - start


def rows(quick: bool = False) -> list[Row]:
    t: dict[str, list[float]] = {k: [] for k in ("noexec", "notebooks", "cold", "nochange", "prose")}
    ran: dict[str, list[int]] = {k: [] for k in ("cold", "nochange", "prose", "library")}
    with tempfile.TemporaryDirectory(prefix="linreg-bench-") as tmp:
        copy = private_copy(Path(tmp))
        pages = sorted(copy / "docs" / f"{p}.md" for p in notebook_pages(copy / "docs"))
        for n in range(1 if quick else 3):
            t["noexec"].append(build(copy, "-D", "nb_execution_mode=off", "-E")[0])
            shutil.rmtree(copy / "docs" / "_build")
            for kind in ("cold", "nochange", "prose"):
                if kind == "prose":
                    pages[n % len(pages)].write_text(
                        pages[n % len(pages)].read_text() + f"\n\nProse, run {n}.\n"
                    )
                seconds, executed = build(copy)
                t[kind].append(seconds)
                ran[kind].append(executed)
                if kind == "cold":
                    t["notebooks"].append(notebooks_floor(copy))
            model = copy / "src" / "linreg" / "model.py"
            model.write_text(model.read_text() + f"\n# a comment, run {n}\n")
            ran["library"].append(build(copy)[1])
    cold, noexec, notebooks, nochange = (
        sorted(t[k])[len(t[k]) // 2] for k in ("cold", "noexec", "notebooks", "nochange")
    )
    workers, count = min(os.cpu_count() or 1, len(pages)), len(pages)
    return [
        Row(
            PART,
            f"cold build, {count} notebook pages",
            cold,
            noexec + notebooks / workers,
            f"no-exec build + the {count} notebooks run alone / {workers} workers",
            op="<=",
            bound=1.5,
        ),
        Row(PART, "no-change rebuild", nochange, noexec, "no-exec build"),
        Row(
            PART,
            "prose-only edit, one page",
            sorted(t["prose"])[len(t["prose"]) // 2],
            nochange,
            "no-change rebuild",
        ),
        Row(
            PART,
            "no-change rebuilds and prose edits: notebooks executed",
            max(ran["nochange"] + ran["prose"]),
            unit="",
            op="<=",
            bound=0,
            on="value",
        ),
        Row(
            PART,
            "cold builds and library edits: notebooks executed",
            min(ran["cold"] + ran["library"]),
            count,
            "notebook pages",
            unit="",
            op=">=",
            bound=1,
        ),
    ]
