"""The book's own Sphinx extension: what conf.py's settings cannot say by themselves.

- Outputs are never stale: jupyter-cache keys a notebook on its own cells only, so the
  cache lives in a folder named after a hash of everything else the cells depend on
  (the library's source, the seed reference, the numeric stack's versions). An edit in
  ``src/linreg`` changes the config, Sphinx re-reads every page, and every page misses
  the cache. A prose-only edit changes nothing here: its page is re-read and its outputs
  come from the cache.
- MathJax is served from the site itself (the ``sphinx-mathjax-offline`` package's copy).
- The kernels run quietly, with an IPython profile of their own.
- The executed notebook of each page is offered for download, hosted or not.
- References to linreg's public names (`linreg.fit`) resolve to where the API page documents them.
- Repository, edit and launch buttons appear only where Read the Docs says where the
  repository is.

This module imports nothing from Sphinx at import time, so tests can call
:func:`source_hash` cheaply.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import re
import shutil
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# What the pages' outputs depend on besides their own cells.
SOURCES = (
    ROOT / "src" / "linreg",
    ROOT / "reference",
    ROOT / "docs" / "shapes.py",
    ROOT / "benchmarks" / "results",  # the GPU figures the scaling page shows
)
# The numeric stack: a new torch may print different digits.
PACKAGES = ("torch", "numpy", "matplotlib", "myst-nb", "ipykernel")


def source_files(roots: Iterable[Path] = SOURCES) -> list[Path]:
    """The files under ``roots`` that a kernel can read, bytecode caches left out."""
    files = []
    for root in map(Path, roots):
        found = [root] if root.is_file() else root.rglob("*")
        files += [p for p in found if p.is_file() and "__pycache__" not in p.parts]
    return sorted(files)


def source_hash(roots: Iterable[Path] = SOURCES, packages: Iterable[str] = PACKAGES) -> str:
    """A short hash of the files under ``roots`` (names and bytes) and of the packages' versions."""
    digest = hashlib.sha256()
    roots = [Path(r) for r in roots]
    for path in source_files(roots):
        base = next(r for r in roots if path.is_relative_to(r)).parent
        digest.update(f"{path.relative_to(base).as_posix()}\0".encode())
        digest.update(path.read_bytes() + b"\0")
    for name in packages:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}=={version}\0".encode())
    digest.update(f"python=={platform.python_version()}\0".encode())
    return digest.hexdigest()[:16]


def _cache_per_source(app: Any, config: Any) -> None:
    # An absolute path, kept with the doctrees so the html and doctest builders share it.
    key = source_hash()
    os.environ["LINREG_BOOK_CACHE_KEY"] = key
    config.nb_execution_cache_path = str(Path(app.doctreedir) / "jupyter_cache" / key)
    # The kernels check their outputs against reference/ (not an installed package).
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


def _quiet_kernels(app: Any, config: Any) -> None:
    # ipykernel 7 logs a warning about TCP transport at every start: noise in the build log.
    # The kernels get an IPython profile of their own that logs errors only; it also keeps
    # a reader's own IPython start-up files out of the book's kernels.
    profile = Path(app.doctreedir) / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text('c.IPKernelApp.log_level = "ERROR"\n')
    os.environ["IPYTHONDIR"] = str(profile.parent)


def _mathjax_served_locally(app: Any, config: Any) -> None:
    # The PyPI package `sphinx-mathjax-offline` vendors MathJax 3 but does not declare
    # itself parallel-safe (a warning, so an error under -W with -j); use its files only.
    package = importlib.util.find_spec("sphinx-mathjax-offline")
    if package is None or package.origin is None:
        raise RuntimeError("the book serves MathJax from the package sphinx-mathjax-offline: install it")
    config.html_static_path.append(str(Path(package.origin).parent / "static"))
    config.mathjax_path = "mathjax/tex-chtml.js"


def repository_options(clone_url: str | None) -> dict[str, Any]:
    """Theme options for the repository, edit and launch buttons, from a git clone URL.

    Empty without a URL, or for a host the theme cannot link to (it knows GitHub,
    GitLab and Bitbucket): no buttons then, and no warning.
    """
    if not clone_url:
        return {}
    url = re.sub(r"^git@([^:]+):", r"https://\1/", clone_url.strip())
    url = url.removesuffix("/").removesuffix(".git")
    if not any(host in url for host in ("github.com", "gitlab.com", "bitbucket.org")):
        return {}
    return {
        "repository_url": url,
        "repository_branch": os.environ.get("READTHEDOCS_GIT_IDENTIFIER", "main"),
        "path_to_docs": "docs",
        "use_repository_button": True,
        "use_edit_page_button": True,
        "use_source_button": True,
        "use_issues_button": True,
        "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    }


def _offer_executed_notebook(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    # The theme offers the executed .ipynb only when launch buttons are set; offer it always.
    executed = Path(app.env.mystnb_config.output_folder) / f"{pagename}.ipynb"
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}) or not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _public_names(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    # linreg's public names are re-exported by the package (`linreg.fit`), but the API page
    # documents each object once, in the module that defines it (`linreg.train.fit`). A
    # reference to `linreg.fit`, or to `fit` from within linreg, resolves to that one entry
    # when exactly one documented linreg object ends with that name; otherwise it stays unresolved.
    if node.get("refdomain") != "py":
        return None
    target, module = node.get("reftarget", ""), node.get("py:module") or ""
    if not (target.startswith("linreg.") or module.startswith("linreg")):
        return None
    from sphinx.util.nodes import make_refnode

    rest = target.removeprefix("linreg.")
    objects = env.get_domain("py").objects
    found = [k for k in objects if k.startswith("linreg.") and k.endswith(f".{rest}")]
    # The shallowest match: `fit` is linreg.train.fit, not a method `fit` of some class.
    found = [k for k in found if k.count(".") == min((f.count(".") for f in found), default=0)]
    if len(found) != 1:
        return None
    entry = objects[found[0]]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, found[0])


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _cache_per_source)
    app.connect("config-inited", _quiet_kernels)
    app.connect("config-inited", _mathjax_served_locally)
    # Before the theme's header buttons (priority 501) read `ipynb_source`.
    app.connect("html-page-context", _offer_executed_notebook, priority=500)
    app.connect("missing-reference", _public_names)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
