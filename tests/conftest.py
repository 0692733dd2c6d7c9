"""Shared fixtures: the book built once per session, served on loopback, and a browser page.

The book is built from scratch with forced execution, so every number it shows was
computed in this test run. The browser is Debian's Chromium driven by Playwright; every
request that leaves the served site is blocked and recorded.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Test artifacts (screenshots) live under the build folder, beside the book `make book` builds.
ARTIFACTS = DOCS / "_build" / "test-artifacts"


def sphinx(builder: str, out: Path, doctrees: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run one Sphinx builder the way the README's build does: warnings are errors."""
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-b", builder]
    cmd += ["-d", str(doctrees), *options, str(DOCS), str(out)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole book, built from scratch with forced execution; returns the html folder."""
    out = tmp_path_factory.mktemp("book")
    run = sphinx("html", out / "html", out / "doctrees", "-j", "auto", "-D", "nb_execution_mode=force")
    assert run.returncode == 0, f"the book's build failed:\n{run.stdout[-5000:]}\n{run.stderr[-10000:]}"
    return out / "html"


@pytest.fixture(scope="session")
def site(book: Path) -> Iterator[str]:
    """The built book served on loopback; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Seen:
    """What a page did: requests blocked for leaving the site, failed requests, console errors.

    ``failed`` holds the site's requests that failed (network error, aborted) and those it
    answered with an HTTP error status (``404 http://...``): a reader's browser shows both as
    broken resources.
    """

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Headless Debian Chromium (installed by `make test`), driven by Playwright."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed: `make test` installs it with apt"
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@contextlib.contextmanager
def watched_page(browser, site: str, **context_options):  # type: ignore[no-untyped-def]
    """A fresh browser context and page; every request outside ``site`` is blocked and recorded.

    The routing is on the context, so popups and new tabs opened from the page are watched
    too. ``context_options`` go to ``browser.new_context`` (e.g. ``color_scheme="dark"``).
    """
    options = {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light", **context_options}
    context = browser.new_context(**options)
    seen = Seen()

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith((site, "data:", "blob:")):
            r.continue_()
        else:
            seen.blocked.append(r.request.url)
            r.abort()

    def response(r):  # type: ignore[no-untyped-def]
        if r.url.startswith(site) and r.status >= 400:
            seen.failed.append(f"{r.status} {r.url}")

    context.route("**/*", route)
    context.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    context.on("weberror", lambda e: seen.console_errors.append(str(e.error)))
    context.on("requestfailed", lambda r: seen.failed.append(r.url) if r.url.startswith(site) else None)
    context.on("response", response)
    tab = context.new_page()
    tab.seen = seen
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def open_page(browser, site: str):  # type: ignore[no-untyped-def]
    """``open_page(**context_options)``: a context manager for a watched page (see ``watched_page``),
    for tests that need several pages or non-default context options."""
    return functools.partial(watched_page, browser, site)


@pytest.fixture
def page(browser, site: str):  # type: ignore[no-untyped-def]
    """A fresh page whose requests outside the served site are blocked and recorded in ``page.seen``."""
    with watched_page(browser, site) as tab:
        yield tab


# -- The Read the Docs replay, started early ------------------------------------------------------
# tools/rtd_replay.py (a clone, a fresh venv, Read the Docs' installs and its serial build) takes
# ~90 s, mostly on one core. When its test is selected it starts as soon as the tests are
# collected and runs beside the others; the test waits for it and judges what it did.
REPLAY_TEST = "test_read_the_docs_build_replayed_offline_builds_the_site_warning_free"
REPLAY_CLONE_URL = "https://github.com/example/linreg.git"
_replay = pytest.StashKey[tuple[subprocess.Popen[str], Path]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly or not any(i.name == REPLAY_TEST for i in session.items):
        return
    workdir = Path(tempfile.mkdtemp(prefix="linreg-rtd-replay-"))
    command = [sys.executable, str(ROOT / "tools" / "rtd_replay.py"), "--workdir", str(workdir / "rtd")]
    command += ["--clone-url", REPLAY_CLONE_URL]
    with (workdir / "replay.log").open("w") as log:  # the replay writes to its own copy of the file
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    session.config.stash[_replay] = (process, workdir)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _replay in session.config.stash:
        process, workdir = session.config.stash[_replay]
        if process.poll() is None:  # the session ended first (a failure with -x, Ctrl-C)
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Replayed:
    returncode: int
    log: str
    workdir: Path  # the replay's own: its checkout, and replay.json
    clone_url: str = REPLAY_CLONE_URL  # READTHEDOCS_GIT_CLONE_URL in the replayed build


@pytest.fixture(scope="session")
def rtd_replay(pytestconfig: pytest.Config) -> Replayed:
    """The finished Read the Docs replay, started when the tests were collected."""
    process, workdir = pytestconfig.stash[_replay]
    process.wait(timeout=1500)
    return Replayed(process.returncode, (workdir / "replay.log").read_text(), workdir / "rtd")
