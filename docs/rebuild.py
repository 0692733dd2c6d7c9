"""Small rebuilds cost what they must: a prose-only edit pays for its own page and little more.

A rebuild after an edit to one page would otherwise pay for nothing in four ways:

- Worker processes. Since Sphinx 8.1 (sphinx-doc/sphinx#12796) a build with ``-j`` reads and
  writes in worker processes however few the pages are, so that slow notebooks execute side by
  side. With one page to read there is one chunk of work and nothing to run beside it, yet the
  whole environment is pickled to a worker and back. Such a build reads and writes its few
  pages in this process.
- Pygments' start-up. The first block a process highlights as ``ipython3`` costs ~80 ms
  (importing the lexer, compiling its rules), and every rebuild that writes a page with code
  paid it again for code that had not changed. The HTML of each block is kept on disk, keyed
  on the block and on everything its highlighting depends on. A block whose highlighting
  warned is not kept, so the warning comes back at every build.
- nbformat's schema compiler. By default nbformat validates notebooks with fastjsonschema,
  which first compiles the schema into Python: ~60 ms per process (two schema versions are
  used), before the first of a few millisecond-long checks. A rebuild checks one or two small
  notebooks, which the reference validator, jsonschema, does in a few milliseconds with
  nothing to compile. A cold build checks each notebook a few times and costs about the
  same either way. An ``NBFORMAT_VALIDATOR`` set by the user is kept.
- The execution table. myst-nb rewrites the pages that show it (``nb-exec-table``) after any
  notebook is read, also when the notebook came from the cache and no row changed (its own
  TODO says so). They are rewritten when a row, as the table shows it, did change: a
  notebook executed, or was added or removed.

Like jupyter-cache's, the folder of kept blocks (``<doctrees>/highlights``) is never pruned:
``make clean`` empties it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

FOLDER = "highlights"


class InProcess:
    """Read (and then write) in this process when a build has exactly one page to read."""

    def __init__(self) -> None:
        self.saved: int | None = None

    def before_read(self, app: Any, env: Any, docnames: list[str]) -> None:
        # app.parallel is read right after this event (for reading) and after reading (for writing)
        if len(docnames) == 1 and app.parallel > 1:
            self.saved, app.parallel = app.parallel, 1

    def finished(self, app: Any, exception: BaseException | None) -> None:
        if self.saved is not None:
            app.parallel, self.saved = self.saved, None


class ExecTables:
    """Rewrite the execution-table pages only when the table's rows changed in this build."""

    def __init__(self) -> None:
        self.before: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def rows(env: Any) -> dict[str, tuple[str, ...]]:
        """Each notebook's row as the table shows it, with myst-nb's own formatting.

        As shown, not as stored: the first read from the cache after an execution moves the
        stored time by milliseconds (the execution stamps its end, the cache its record's
        creation), which the table, to the minute, does not show.
        """
        from myst_nb.ext.execution_tables import _key2header, _key2transform
        from myst_nb.sphinx_ import NbMetadataCollector

        data = NbMetadataCollector.get_doc_data(env)
        return {
            doc: tuple(_key2transform[key](d["exec_data"].get(key)) for key in _key2header)
            for doc, d in data.items()
            if d.get("exec_data")
        }

    def outdated(self, app: Any, env: Any, added: set, changed: set, removed: set) -> list[str]:
        self.before = self.rows(env)  # before any page is purged or read
        return []

    def updated(self, app: Any, env: Any) -> list[str]:
        from myst_nb.ext.execution_tables import METADATA_KEY
        from myst_nb.sphinx_ import NbMetadataCollector

        if self.rows(env) == self.before:
            return []
        return [doc for doc, d in NbMetadataCollector.get_doc_data(env).items() if d.get(METADATA_KEY)]

    def replace_myst_nb_listener(self, app: Any) -> None:
        from myst_nb.ext.execution_tables import update_exec_tables

        theirs = [x for x in app.events.listeners["env-updated"] if x.handler is update_exec_tables]
        if len(theirs) != 1:
            raise RuntimeError(
                "rebuild.py replaces myst-nb's update_exec_tables listener, which this myst-nb "
                f"does not connect once (found {len(theirs)}): review rebuild.ExecTables"
            )
        app.disconnect(theirs[0].id)
        app.connect("env-get-outdated", self.outdated)
        app.connect("env-updated", self.updated)


class _Warned(logging.Filter):
    """Notes that the logger it is attached to logged a warning (and lets the record through)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        self.seen = self.seen or record.levelno >= logging.WARNING
        return True


class Highlights:
    """``highlight_block`` with its HTML kept in ``folder``: one file per block, named by its key.

    ``salt`` is what the HTML depends on besides the call's own arguments (versions, style,
    formatter). ``logger`` is the one the wrapped function warns on. Files are written whole and
    then renamed, so workers writing pages side by side never read half a block.
    """

    def __init__(
        self,
        highlight_block: Callable[..., str],
        folder: Path,
        salt: Callable[[], str],
        logger: logging.Logger,
    ) -> None:
        self.highlight_block, self.folder, self.salt, self.logger = highlight_block, folder, salt, logger
        self._salt: str | None = None

    def key(self, source: str, lang: str, opts: dict[str, Any] | None, force: bool, kwargs: dict) -> str:
        if self._salt is None:  # on first use: a build that writes no code never pays for it
            self._salt = self.salt()
        call = (self._salt, lang, sorted((opts or {}).items()), force, sorted(kwargs.items()), source)
        return hashlib.sha256(repr(call).encode()).hexdigest()

    def __call__(
        self,
        source: str,
        lang: str,
        opts: dict[str, Any] | None = None,
        force: bool = False,
        location: Any = None,
        **kwargs: Any,
    ) -> str:
        path = self.folder / f"{self.key(source, lang, opts, force, kwargs)}.html"
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        warned = _Warned()
        self.logger.addFilter(warned)
        try:
            html = self.highlight_block(source, lang, opts, force, location, **kwargs)
        finally:
            self.logger.removeFilter(warned)
        if not warned.seen:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.folder, delete=False) as f:
                f.write(html)
            os.replace(f.name, path)
        return html


def _qualname(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def salt(bridge: Any) -> str:
    """What a PygmentsBridge's HTML depends on besides the block: its settings, and the
    versions of Sphinx, Pygments and every package that adds lexers to Pygments."""
    from sphinx.highlighting import lexers

    plugins = {
        (ep.dist.name, ep.dist.version) for ep in metadata.entry_points(group="pygments.lexers") if ep.dist
    }
    parts = [
        ("sphinx", metadata.version("sphinx")),
        ("pygments", metadata.version("pygments")),
        *sorted(plugins),
        (bridge.dest, bridge.latex_engine, _qualname(bridge.formatter)),
        sorted(
            (k, _qualname(v) if isinstance(v, type) else repr(v)) for k, v in bridge.formatter_args.items()
        ),
        sorted((name, _qualname(type(lexer))) for name, lexer in lexers.items()),  # app.add_lexer's
    ]
    return repr(parts)


def _keep_highlights(app: Any) -> None:
    bridge = getattr(app.builder, "highlighter", None)  # html and latex builders have one
    if bridge is None:
        return
    import sphinx.highlighting

    bridge.highlight_block = Highlights(
        bridge.highlight_block,
        Path(app.doctreedir) / FOLDER,
        lambda: salt(bridge),
        sphinx.highlighting.logger.logger,
    )


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    ExecTables().replace_myst_nb_listener(app)
    os.environ.setdefault("NBFORMAT_VALIDATOR", "jsonschema")  # nbformat reads it at each check
    in_process = InProcess()
    app.connect("env-before-read-docs", in_process.before_read)
    app.connect("build-finished", in_process.finished)
    app.connect("builder-inited", _keep_highlights)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
