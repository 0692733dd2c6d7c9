"""The book's own Sphinx extension: what conf.py's settings cannot say by themselves.

- Outputs are never stale: jupyter-cache keys a notebook on its own cells only, so the cache
  lives in a folder named after a hash of everything else the cells depend on (the library,
  the seed reference, the pages' helper, the numeric stack's versions).
- Each executed page says, under its title, where it came from: the commit, the versions, the
  device, when it ran and how many values the build checked on it.
- An equation reference shows its equation when hovered or focused.
- Each page with code is offered as a notebook that runs anywhere (``export.py``), with a
  wheel of the very linreg that built it; the PDF of the book replaces the print dialog.
- KaTeX's stylesheet and fonts are served by the site; Font Awesome's 1.6 MB script is
  replaced by an empty one (the theme's CSS draws the same icons with its web fonts).

``sphinx()`` is the book's build command line, for the tests and the benchmarks.
"""

from __future__ import annotations

import atexit
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# What the pages' outputs depend on besides their own cells.
SOURCES = (
    ROOT / "src" / "linreg",
    ROOT / "reference",
    DOCS / "book.py",
    ROOT / "benchmarks" / "results",
    ROOT / "benchmarks" / "rows.py",
)
# The numeric stack: a new torch may print different digits.
PACKAGES = ("torch", "numpy", "matplotlib", "myst-nb", "ipykernel")
FLAGS = ("-W", "--keep-going", "-n")  # as `make book`: every warning is an error, every reference resolves


def sphinx(builder: str, out: Path, doctrees: Path, *options: str, source: Path = DOCS, **run: Any) -> Any:
    """Build the book with ``builder`` into ``out``, as `make book` does; the finished process.

    Its output goes through a file, not a pipe: a process the build leaves behind (a math
    renderer) cannot then keep the caller waiting for the end of the output.
    """
    command = [sys.executable, "-m", "sphinx", *FLAGS, "-b", builder, "-d", str(doctrees), *options]
    with tempfile.TemporaryFile("w+") as log:
        done = subprocess.run(
            [*command, str(source), str(out)], stdout=log, stderr=subprocess.STDOUT, text=True, **run
        )
        log.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, log.read(), "")


def source_files(roots: Iterable[Path] = SOURCES) -> list[Path]:
    """The files under ``roots`` that a kernel can read, bytecode caches left out."""
    found = [p for r in map(Path, roots) for p in ([r] if r.is_file() else r.rglob("*"))]
    return sorted(p for p in found if p.is_file() and "__pycache__" not in p.parts)


def source_hash(roots: Iterable[Path] = SOURCES, packages: Iterable[str] = PACKAGES) -> str:
    """A short hash of the files under ``roots`` (names and bytes) and of the packages' versions."""
    digest, roots = hashlib.sha256(), [Path(r) for r in roots]
    for path in source_files(roots):
        base = next(r for r in roots if path.is_relative_to(r)).parent
        digest.update(f"{path.relative_to(base).as_posix()}\0".encode() + path.read_bytes() + b"\0")
    for name in packages:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}=={version}\0".encode())
    digest.update(f"python=={platform.python_version()}\0".encode())
    return digest.hexdigest()[:16]


def commit() -> str:
    """The commit being built (Read the Docs says; else git), marked when the tree has changes."""
    if os.environ.get("READTHEDOCS_GIT_COMMIT_HASH"):
        return os.environ["READTHEDOCS_GIT_COMMIT_HASH"][:10]
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "src", "docs"], capture_output=True, text=True
    )
    return (head or "unknown") + (" with uncommitted changes" if changed.stdout.strip() else "")


def _configure(app: Any, config: Any) -> None:
    # The execution cache, keyed: an absolute path kept with the doctrees, shared by builders.
    key = source_hash()
    os.environ["LINREG_BOOK_CACHE_KEY"] = key
    config.nb_execution_cache_path = str(Path(app.doctreedir) / "jupyter_cache" / key)
    # The kernels import book.py (docs/) and reference/ (the root), not installed packages.
    paths = [str(ROOT), str(DOCS), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # ipykernel 7 warns at every start that its loopback TCP is unencrypted: the kernels get an
    # IPython profile of their own that logs errors only (and no reader's start-up files).
    profile = Path(app.doctreedir) / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text('c.IPKernelApp.log_level = "ERROR"\n')
    os.environ["IPYTHONDIR"] = str(profile.parent)
    # KaTeX's stylesheet and its WOFF2 fonts (what browsers load), from npm's katex package.
    dist = ROOT / "node_modules" / "katex" / "dist"
    if not (dist / "katex.min.css").is_file():
        raise RuntimeError(f"{dist / 'katex.min.css'} is missing: run `npm ci` in {ROOT} (the Makefile does)")
    static = Path(app.doctreedir) / "static"
    (static / "katex" / "fonts").mkdir(parents=True, exist_ok=True)
    for path in [dist / "katex.min.css", *(dist / "fonts").glob("*.woff2")]:
        shutil.copy2(path, static / "katex" / path.relative_to(dist))
    config.html_static_path.append(str(static))


def notebook_site(config: Any) -> str:
    """The site the runnable notebooks link and install linreg from: this build's address, or
    the hosted book where a local build has none (never a path of the building machine)."""
    return str(config.html_baseurl or config.book_site_url)


def _wheel_site(app: Any, config: Any) -> None:
    # Where the runnable notebooks install linreg from (export.py), for the pages that say so.
    config.myst_substitutions = {**config.myst_substitutions, "wheel_site": f"<{notebook_site(config)}dist/>"}


def _math_keeps_its_punctuation(app: Any, doctree: Any, docname: str) -> None:
    # Inline math and the punctuation right after it share a no-wrap box: no line opens with ".".
    from docutils import nodes

    for math in list(doctree.findall(nodes.math)):
        parent = math.parent
        at = parent.index(math)
        after = parent[at + 1] if at + 1 < len(parent) else None
        mark = re.match(r"[.,;:!?)’”]+", after.astext()) if isinstance(after, nodes.Text) else None
        if mark and after is not None:
            parent[at + 1] = nodes.Text(after.astext()[mark.end() :])
            kept = nodes.inline("", "", math.deepcopy(), nodes.Text(mark.group()), classes=["lr-nowrap"])
            parent[at] = kept


def _exercise_ids(app: Sphinx, doctree: Any, docname: str) -> None:
    # sphinx-exercise gives the body of every exercise and solution the same id (two on a page
    # are invalid HTML); nothing links to them: they go.
    from docutils import nodes

    for section in doctree.findall(nodes.section):
        section["ids"] = [i for i in section["ids"] if i not in ("exercise-content", "solution-content")]


def _pdf_offer(app: Any, doctree: Any, docname: str) -> None:
    # A sentence that promises the PDF (class `lr-pdf-offer`) stays only in a build that has one.
    from docutils import nodes

    if not app.config.book_pdf_url:
        for node in list(doctree.findall(nodes.Element)):
            if "lr-pdf-offer" in node.get("classes", []):
                node.parent.remove(node)


def _provenance(app: Any, doctree: Any, docname: str) -> None:
    # Under the title of each executed page: the commit, versions, device, date and checks.
    from docutils import nodes
    from myst_nb.sphinx_ import NbMetadataCollector

    executed = NbMetadataCollector.get_exec_data(app.env, docname)
    section = next(iter(doctree.findall(nodes.section)), None)
    if not executed or section is None:
        return
    glue = Path(app.env.mystnb_config.output_folder) / f"{docname}.glue.json"
    glued = json.loads(glue.read_text()) if glue.is_file() else {}

    def value(key: str) -> str:
        return str(glued[key]["data"]["text/plain"]).strip("'") if key in glued else "?"

    when = datetime.datetime.fromtimestamp(executed["mtime"], datetime.UTC)
    line = nodes.paragraph(classes=["lr-provenance"])
    line += nodes.Text(
        f"Executed {when:%Y-%m-%d %H:%M} UTC, commit {app.config.book_commit}, linreg {app.config.release}, "
        f"torch {metadata.version('torch')}, on the {value('device')}; {value('checked')} values checked. "
    )
    if app.builder.format == "html" and docname != "build":
        line += nodes.reference(
            "", "How this book was built", refuri=app.builder.get_relative_uri(docname, "build")
        )
    section.insert(1, line)


def _equation_latex(app: Any, doctree: Any) -> None:
    # Every labelled display equation's LaTeX, per document, for the previews of references to it.
    from docutils import nodes

    equations = {n["label"]: n.astext() for n in doctree.findall(nodes.math_block) if n.get("label")}
    app.env.book_equations = {**getattr(app.env, "book_equations", {}), app.env.docname: equations}


def _equation_references(app: Any, doctree: Any) -> None:
    # The equations each document refers to: a page whose equation changed re-writes them.
    from sphinx import addnodes

    refs = {n["reftarget"] for n in doctree.findall(addnodes.pending_xref) if n.get("reftype") == "eq"}
    app.env.book_eqrefs = {**getattr(app.env, "book_eqrefs", {}), app.env.docname: refs}


def _reading(app: Any, env: Any, docnames: list[str]) -> None:
    # What this build re-reads, or reads for the first time.
    env.book_reading = set(docnames)


def _purge_equations(app: Any, env: Any, docname: str) -> None:
    # A re-read or deleted document takes its equations and references with it.
    gone = set(getattr(env, "book_equations", {}).get(docname, {}))
    env.book_stale = getattr(env, "book_stale", set()) | gone
    for store in ("book_equations", "book_eqrefs"):
        getattr(env, store, {}).pop(docname, None)


def _merge_equations(app: Any, env: Any, docnames: Any, other: Any) -> None:
    # From a parallel reader, only the documents it read: its copies of the others may be stale.
    for store in ("book_equations", "book_eqrefs"):
        theirs = getattr(other, store, {})
        setattr(env, store, {**getattr(env, store, {}), **{d: theirs[d] for d in docnames if d in theirs}})


def _referring_pages(app: Any, env: Any) -> list[str]:
    # Pages that preview an equation of a re-read or deleted page are written again.
    changed = getattr(env, "book_stale", set()) | {
        k for d in getattr(env, "book_reading", ()) for k in getattr(env, "book_equations", {}).get(d, {})
    }
    reading: set[str] = getattr(env, "book_reading", set())
    env.book_stale = set()
    referring = getattr(env, "book_eqrefs", {}).items()
    return sorted(d for d, refs in referring if refs & changed and d not in reading)


def _equation_previews(app: Any, doctree: Any, docname: str) -> None:
    # An {eq} reference is a link to the equation; beside it, hidden until hovered or focused,
    # the equation itself (rendered by KaTeX like any other), so the reader need not leave.
    from docutils import nodes

    if app.builder.format != "html":
        return
    equations = {k: v for doc in getattr(app.env, "book_equations", {}).values() for k, v in doc.items()}
    for ref in list(doctree.findall(nodes.reference)):
        target = (ref.get("refuri") or "#" + ref.get("refid", "")).partition("#equation-")[2]
        if target in equations:
            preview = nodes.inline(
                "", "", nodes.math(equations[target], equations[target]), classes=["lr-eq-preview"]
            )
            ref.replace_self(nodes.inline("", "", ref.deepcopy(), preview, classes=["lr-eqref"]))


def _runnable(app: Sphinx, docname: str) -> bool:
    # A page that executes (a kernel in its front matter) and does not opt out (`runnable: false`).
    meta = app.env.metadata.get(docname, {})
    return "kernelspec" in meta and str(meta.get("runnable", "true")).lower() != "false"


def _downloads(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    # What the page's download menu (_templates/lr-downloads.html) offers: what runs anywhere.
    offered = []
    if doctree is not None and _runnable(app, pagename):
        url = context["pathto"](f"_sources/{pagename}.ipynb", 1)
        offered.append((url, ".ipynb", "download-notebook-button", "This page as a notebook", "fas fa-code"))
    if pdf := app.config.book_pdf_url:
        url = pdf if "://" in pdf else context["pathto"](pdf, 1)
        offered.append((url, ".pdf", "download-pdf-button", "The whole book as a PDF", "fas fa-file-pdf"))
    context["lr_downloads"] = offered


def _write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    # Once every page is written (and the theme's launch buttons have copied myst-nb's executed
    # notebooks to _sources/), each runnable page's notebook, from the page as Sphinx resolved it.
    from export import write_notebook

    if exception is None and app.builder.format == "html":
        pages = sorted(d for d in app.env.found_docs if _runnable(app, d))
        for folder in ("_sources", "notebooks"):  # a deleted page's notebook goes with it
            for left in (Path(app.outdir) / folder).glob("*.ipynb"):
                if left.stem not in pages:
                    left.unlink()
        for docname in pages:
            write_notebook(app, docname, app.env.get_and_resolve_doctree(docname, app.builder))


def _katex_server(app: Any) -> None:
    # sphinxcontrib-katex starts its Node server on first use and connects as soon as the socket
    # file exists, a moment before Node listens on it: on a busy machine the connection is refused
    # and the build fails (CI did, once). So the book starts it, connects once Node listens, and
    # gives each parallel writer (a fork) a connection of its own, so that replies never mix.
    from sphinxcontrib.katex import KaTeXServer

    if app.builder.format != "html" or not app.config.katex_prerender:
        return
    rundir = Path(tempfile.mkdtemp(prefix="linreg-katex-"))
    path = rundir / "katex.sock"
    command = [str(part) for part in KaTeXServer.build_command(socket=path)]
    node = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=rundir)

    def connect() -> Any:
        deadline = time.monotonic() + 60
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(path))
                return KaTeXServer(rundir, node, sock)
            except (FileNotFoundError, ConnectionRefusedError) as refused:
                sock.close()
                if node.poll() is not None or time.monotonic() > deadline:
                    node.kill()
                    raise RuntimeError(f"KaTeX's server did not start: {shlex.join(command)}") from refused
                time.sleep(0.01)

    KaTeXServer.katex_server = server = connect()
    owner = os.getpid()

    def reconnect() -> None:
        if KaTeXServer.katex_server is server:
            KaTeXServer.katex_server = connect()

    def stop() -> None:
        if os.getpid() == owner:
            server.terminate()

    os.register_at_fork(after_in_child=reconnect)
    atexit.register(stop)


def _wheel(app: Any) -> None:
    # The wheel of the linreg that built these pages, published with them: the notebooks install it.
    if app.builder.format == "html":
        # A failed execution's report (myst-nb's reports/, tracebacks with this machine's paths)
        # outlives the failure in the output folder: a build starts without the old ones.
        shutil.rmtree(Path(app.outdir) / "reports", ignore_errors=True)
        out = Path(app.outdir) / "dist"
        shutil.rmtree(out, ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"building the wheel of linreg failed:\n{done.stdout}\n{done.stderr}")


def repository_options(clone_url: str | None) -> dict[str, Any]:
    """Theme options for the repository, edit and launch buttons, from a git clone URL.

    Empty without a URL, or for a host the theme cannot link to (it knows GitHub, GitLab and
    Bitbucket). The launch buttons open ``docs/<page>.ipynb``, the committed runnable notebook.
    """
    if not clone_url:
        return {}
    url = re.sub(r"^git@([^:]+):", r"https://\1/", clone_url.strip()).removesuffix("/").removesuffix(".git")
    if not any(host in url for host in ("github.com", "gitlab.com", "bitbucket.org")):
        return {}
    launch = {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com"}
    if os.environ.get("LINREG_JUPYTERHUB_URL"):
        launch["jupyterhub_url"] = os.environ["LINREG_JUPYTERHUB_URL"]
    return {
        "repository_url": url,
        "repository_branch": os.environ.get("READTHEDOCS_GIT_IDENTIFIER", "main"),
        "path_to_docs": "docs",
        "use_repository_button": True,
        "use_edit_page_button": True,
        "use_source_button": True,
        "use_issues_button": True,
        "launch_buttons": {**launch, "notebook_interface": "jupyterlab"},
    }


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.add_config_value("book_commit", commit(), "html")
    app.add_config_value("book_pdf_url", "", "html")
    # Where the book is hosted: the notebooks of the launch buttons install linreg from there.
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    app.add_config_value("book_site_url", urls["Documentation"], "html")
    app.connect("config-inited", _configure)
    app.connect("config-inited", _wheel_site)
    app.connect("doctree-resolved", _pdf_offer)
    app.connect("doctree-resolved", _exercise_ids)
    app.connect("doctree-resolved", _math_keeps_its_punctuation)
    app.connect("builder-inited", _wheel)
    app.connect("doctree-read", _equation_latex)
    app.connect("doctree-read", _equation_references)
    app.connect("env-before-read-docs", _reading)
    app.connect("env-merge-info", _merge_equations)
    app.connect("env-purge-doc", _purge_equations)
    app.connect("env-updated", _referring_pages)
    app.connect("doctree-resolved", _provenance)
    app.connect("doctree-resolved", _equation_previews)
    app.connect("html-page-context", _downloads)
    app.connect("build-finished", _write_notebooks)
    app.connect("builder-inited", _katex_server, priority=900)  # after sphinxcontrib-katex's
    # env_version: a saved environment of another layout of the equation store is read afresh.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
