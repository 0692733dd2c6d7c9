"""docs/rebuild.py: a one-page rebuild reads in-process, and unchanged code keeps its highlighting."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sphinx.highlighting
from pygments import __version__ as pygments_version
from sphinx.highlighting import PygmentsBridge

import rebuild

DOCS = Path(__file__).resolve().parents[1] / "docs"
CODE = "from linreg import fit\nresult = fit(X, y, lr=0.07)  # the seed's rate\n"
LOGGER = sphinx.highlighting.logger.logger  # the logger Sphinx's highlighting warns on


class Counted:
    """A stand-in for PygmentsBridge.highlight_block that counts its calls."""

    def __init__(self, warn: bool = False) -> None:
        self.calls, self.warn = 0, warn

    def __call__(self, source: str, lang: str, opts: Any, force: bool, location: Any, **kwargs: Any) -> str:
        self.calls += 1
        if self.warn:
            sphinx.highlighting.logger.warning(
                "Lexing literal_block %r as %r resulted in an error", source, lang
            )
        return f"<pre class={lang!r}>{source}</pre>"


def kept(folder: Path, highlight: Any, salt: str = "salt") -> rebuild.Highlights:
    return rebuild.Highlights(highlight, folder, lambda: salt, LOGGER)


def test_a_kept_block_reads_back_exactly_what_pygments_wrote(tmp_path: Path) -> None:
    pygments = PygmentsBridge("html").highlight_block
    first = kept(tmp_path, pygments)(CODE, "ipython3")
    assert first == pygments(CODE, "ipython3")
    # The next build, in a new process: the block is read back, not highlighted again.
    again = Counted()
    assert kept(tmp_path, again)(CODE, "ipython3") == first
    assert again.calls == 0


def test_a_block_is_highlighted_again_when_anything_its_html_depends_on_changes(tmp_path: Path) -> None:
    highlight = Counted()
    calls = [
        (CODE, "ipython3", None, False, {}),
        (CODE + "\n", "ipython3", None, False, {}),  # the code
        (CODE, "python", None, False, {}),  # the language
        (CODE, "ipython3", {"stripall": True}, False, {}),  # the lexer's options
        (CODE, "ipython3", None, True, {}),  # relaxed lexing
        (CODE, "ipython3", None, False, {"linenos": True}),  # the formatter's options
    ]
    for source, lang, opts, force, kwargs in calls * 2:
        kept(tmp_path, highlight)(source, lang, opts, force, **kwargs)
    assert highlight.calls == len(calls)
    kept(tmp_path, highlight, salt="another Pygments")(CODE, "ipython3")  # the versions and style
    assert highlight.calls == len(calls) + 1


def test_a_block_whose_highlighting_warned_is_not_kept_so_it_warns_at_every_build(tmp_path: Path) -> None:
    highlight = Counted(warn=True)
    kept(tmp_path, highlight)(CODE, "ipython3")
    kept(tmp_path, highlight)(CODE, "ipython3")
    assert highlight.calls == 2
    assert list(tmp_path.iterdir()) == []


def test_sphinx_warns_on_the_watched_logger_when_lexing_fails(tmp_path: Path) -> None:
    # The real case behind the previous test: Sphinx retries a block that does not lex.
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    LOGGER.addHandler(handler)
    try:
        html = kept(tmp_path, PygmentsBridge("html").highlight_block)("x = 1 $ 2", "python")
    finally:
        LOGGER.removeHandler(handler)
    assert "x" in html
    assert [r.levelno for r in records] == [logging.WARNING]
    assert "resulted in an error" in records[0].getMessage()
    assert list(tmp_path.iterdir()) == []


def test_the_salt_names_the_versions_the_style_and_the_output_format() -> None:
    html = rebuild.salt(PygmentsBridge("html"))
    assert f"('pygments', '{pygments_version}')" in html
    assert "SphinxStyle" in html
    assert "ipython_pygments_lexers" in html  # the package that brings the ipython3 lexer
    assert rebuild.salt(PygmentsBridge("html", "monokai")) != html
    assert rebuild.salt(PygmentsBridge("latex")) != html


@pytest.mark.parametrize(("parallel", "pages", "during"), [(2, 1, 1), (2, 2, 2), (2, 0, 2), (1, 1, 1)])
def test_a_build_reads_in_process_only_when_it_has_one_page_to_read(
    parallel: int, pages: int, during: int
) -> None:
    app = SimpleNamespace(parallel=parallel)
    in_process = rebuild.InProcess()
    in_process.before_read(app, None, [f"page{i}" for i in range(pages)])
    assert app.parallel == during  # for the reading, and the writing after it
    in_process.finished(app, None)
    assert app.parallel == parallel


APP = """
import json, os, sys
from sphinx.application import Sphinx
src = sys.argv[1]
app = Sphinx(src, src, f"{src}/_build/html", f"{src}/_build/doctrees", "html", status=None)
print(json.dumps({
    "env-updated": [x.handler.__qualname__ for x in app.events.listeners["env-updated"]],
    "env-get-outdated": [x.handler.__qualname__ for x in app.events.listeners["env-get-outdated"]],
    "NBFORMAT_VALIDATOR": os.environ.get("NBFORMAT_VALIDATOR"),
}))
"""


def sphinx_app(folder: Path, **env: str) -> dict[str, Any]:
    """What a Sphinx app that loads myst_nb and rebuild has connected, and the validator it chose."""
    (folder / "conf.py").write_text('extensions = ["myst_nb", "rebuild"]\n')
    (folder / "index.md").write_text("# A page\n")
    environ = {k: v for k, v in os.environ.items() if k != "NBFORMAT_VALIDATOR"}
    environ["PYTHONPATH"] = os.pathsep.join([str(DOCS), environ.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, "-c", APP, str(folder)], capture_output=True, text=True, env={**environ, **env}
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return sphinx_app(tmp_path_factory.mktemp("app"))


def test_myst_nbs_execution_table_listener_is_replaced_by_the_one_that_compares_rows(app: dict) -> None:
    assert "update_exec_tables" not in app["env-updated"]
    assert "ExecTables.updated" in app["env-updated"]
    assert "ExecTables.outdated" in app["env-get-outdated"]


def test_notebooks_are_checked_by_jsonschema_unless_the_user_chose(app: dict, tmp_path: Path) -> None:
    assert app["NBFORMAT_VALIDATOR"] == "jsonschema"
    chosen = sphinx_app(tmp_path, NBFORMAT_VALIDATOR="fastjsonschema")
    assert chosen["NBFORMAT_VALIDATOR"] == "fastjsonschema"


def env_with(rows: dict[str, dict | None], table: str = "build") -> SimpleNamespace:
    """A build environment as myst-nb keeps it: per page, its execution data and table flag."""
    data: dict[str, dict] = defaultdict(dict)
    for doc, row in rows.items():
        if row is not None:
            data[doc]["exec_data"] = row
    data[table]["has_exec_table"] = True
    return SimpleNamespace(nb_metadata=data)


ROW = {
    "mtime": 1795694400.25,
    "runtime": 2.5,
    "method": "cache",
    "succeeded": True,
    "error": None,
    "traceback": None,
}


SAME, SHOWN_SAME = ROW, {**ROW, "mtime": ROW["mtime"] + 0.004}  # milliseconds: not shown
EXECUTED = {**ROW, "mtime": ROW["mtime"] + 600, "runtime": 3.1}


@pytest.mark.parametrize(
    ("after", "rewritten"),
    [
        pytest.param({"walkthrough": SAME, "math": ROW}, [], id="read-again-from-the-cache"),
        pytest.param({"walkthrough": SHOWN_SAME, "math": ROW}, [], id="first-read-after-execution"),
        pytest.param({"walkthrough": EXECUTED, "math": ROW}, ["build"], id="executed"),
        pytest.param({"walkthrough": ROW, "math": ROW, "general": ROW}, ["build"], id="added"),
        pytest.param({"walkthrough": ROW}, ["build"], id="removed"),
    ],
)
def test_the_execution_table_is_rewritten_only_when_a_row_changed(after: dict, rewritten: list[str]) -> None:
    tables = rebuild.ExecTables()
    tables.outdated(None, env_with({"walkthrough": ROW, "math": ROW}), set(), set(), set())
    assert tables.updated(None, env_with(after)) == rewritten


@pytest.mark.book
def test_the_book_shows_its_kept_blocks_verbatim(book: Path) -> None:
    blocks = sorted((book.parent / "doctrees" / rebuild.FOLDER).glob("*.html"))
    pages = "".join(p.read_text() for p in book.glob("*.html"))
    assert len(blocks) > 20  # every page with code keeps its blocks
    missing = [b.name for b in blocks if b.read_text() not in pages]
    assert missing == []
