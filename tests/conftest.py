"""Shared fixtures: the book built once per session, its PDF, the site served on loopback, the browser.

The book is built from scratch with forced execution, so every number it shows was computed in
this test run. The browser is Debian's Chromium under pytest-playwright's fixtures; every
request that leaves the served site is blocked and recorded. Two slow things that need nothing
from the rest start as soon as the tests are collected and run beside them: the replay of Read
the Docs' build, and a fresh virtual environment for running the downloaded notebooks.

The replay's build is the suite's second build of the book, and runs under other CPU kernels
than the first (``OTHER_KERNELS``: torch's unvectorised kernels, one thread, MKL's compatible
bits), so that a test can compare what readers see in the two (tests/test_readthedocs.py).
Tests that use a built book are marked ``book`` by the fixtures they use (``-m "not book"``).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.browsing import Seen, watch
from tests.pages import PDF

from bookext import sphinx

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole book, built from scratch with forced execution, with a PDF link; the html folder."""
    out = tmp_path_factory.mktemp("book")
    options = ("-j", "auto", "-D", "nb_execution_mode=force", "-D", f"book_pdf_url={PDF}")
    run = sphinx("html", out / "html", out / "doctrees", *options)
    assert run.returncode == 0, f"the book's build failed:\n{run.stdout[-5000:]}\n{run.stderr[-10000:]}"
    return out / "html"


@pytest.fixture(scope="session")
def pdf(book: Path) -> Path:
    """The book as a PDF (`make pdf`): the LaTeX builder on the html build's doctrees, then xelatex."""
    out = book.parent / "latex"
    run = sphinx(
        "latex", out, book.parent / "doctrees", "-D", "nb_execution_mode=force", "-D", f"book_pdf_url={PDF}"
    )
    assert run.returncode == 0, f"the LaTeX build failed:\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    assert "Executing notebook" not in run.stdout + run.stderr, "the LaTeX build re-executed notebooks"
    latexmk = subprocess.run(
        ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", PDF.replace(".pdf", ".tex")],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert latexmk.returncode == 0, latexmk.stdout[-5000:]
    shutil.copy2(out / PDF, book / PDF)
    return book / PDF


@pytest.fixture(scope="session")
def site(book: Path) -> Iterator[str]:
    """The built book served on loopback; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


# -- The browser: pytest-playwright's fixtures, on Debian's Chromium ---------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed: `make test` installs it with apt"
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    return {
        **browser_type_launch_args,
        "executable_path": chromium,
        "args": [*flags, "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "color_scheme": "light"}


@pytest.fixture
def seen(context: Any, site: str) -> Seen:
    """What the test's ``page`` (pytest-playwright's, in ``context``) did outside the site."""
    return watch(context, site)


# -- Started when the tests are collected, awaited by the tests that need them ---------------


@dataclass
class Background:
    process: subprocess.Popen[str]
    workdir: Path

    def wait(self, timeout: float = 1500) -> tuple[int, str]:
        self.process.wait(timeout=timeout)
        return self.process.returncode, (self.workdir / "log").read_text()


REPLAY_CLONE_URL = "https://github.com/example/linreg.git"
_started = pytest.StashKey[dict[str, Background]]()


# The kernels of another CPU, on this one: torch's scalar kernels instead of its vectorised ones,
# one thread (another split of parallel sums), MKL's reproducible code path (other matrix bits).
OTHER_KERNELS = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "MKL_CBWR": "COMPATIBLE"}
# The fixtures that await a job in the background, each started by `background`.
JOBS = ("rtd_replay", "reader_venv")
# The fixtures that build the book (directly or through another): a test using one is `book`.
BUILDS = {"book", "pdf", "site", *JOBS}


def other_kernels(environ: dict[str, str]) -> dict[str, str]:
    """The environment for a build under other kernels than ``environ`` chooses: OTHER_KERNELS, or,
    where ``environ`` sets those already, the default kernels (the variables removed)."""
    chosen = {k: v for k, v in environ.items() if k not in OTHER_KERNELS}
    if any(environ.get(k) != v for k, v in OTHER_KERNELS.items()):
        chosen |= OTHER_KERNELS
    return chosen


def background(config: pytest.Config, fixture: str) -> Background:
    """The job ``fixture`` awaits: the one started when the tests were collected, or, where none
    was (a test asked for the fixture with ``request.getfixturevalue``), one started now."""
    started = config.stash.setdefault(_started, {})
    if fixture in started:
        return started[fixture]
    env = None
    if fixture == "rtd_replay":
        command = [sys.executable, str(ROOT / "tools" / "rtd_replay.py"), "--clone-url", REPLAY_CLONE_URL]
        command, env = [*command, "--workdir"], other_kernels(dict(os.environ))
    elif fixture == "reader_venv":
        # A reader's environment: a fresh venv outside the repository with torch (the local CPU
        # wheel) and a kernel; the notebooks' own first cell installs the rest.
        pip = "pip install -q --no-compile --retries 1 torch==2.13.0 ipykernel"
        command = ["bash", "-c", f"{sys.executable} -m venv $0 && $0/bin/{pip}"]
    else:
        raise LookupError(f"no background job for the fixture {fixture!r} (conftest.JOBS: {JOBS})")
    workdir = Path(tempfile.mkdtemp(prefix=f"linreg-{fixture}-"))
    nice = ["nice", "-n", "15"]  # at a lower priority: the tests in the foreground come first
    with (workdir / "log").open("w") as log:
        process = subprocess.Popen(
            [*nice, *command, str(workdir / "work")], stdout=log, stderr=subprocess.STDOUT, text=True, env=env
        )
    started[fixture] = Background(process, workdir)
    return started[fixture]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Each job starts as soon as the tests are collected, if a selected test uses its fixture."""
    if session.config.option.collectonly:
        return
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    for fixture in needed.intersection(JOBS):
        background(session.config, fixture)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for background in session.config.stash.get(_started, {}).values():
        if background.process.poll() is None:  # the session ended first (-x, Ctrl-C)
            background.process.kill()
            background.process.wait()
        shutil.rmtree(background.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def rtd_replay(pytestconfig: pytest.Config) -> tuple[int, str, Path]:
    """The finished Read the Docs replay: its exit status, its log, its work folder."""
    job = background(pytestconfig, "rtd_replay")
    return (*job.wait(), job.workdir / "work")


@pytest.fixture(scope="session")
def reader_venv(pytestconfig: pytest.Config) -> Path:
    """The reader's fresh virtual environment (torch and a kernel only): its folder."""
    job = background(pytestconfig, "reader_venv")
    code, log = job.wait()
    assert code == 0, log[-3000:]
    return job.workdir / "work"
