"""The book's pages, found one way: as Sphinx finds them, from the toctrees of ``docs/index.md``.

Pages are read with markdown-it-py (the parser MyST is built on) and its front-matter plugin: a
``{toctree}`` fence lists page names, one a line, after its ``:option:`` lines; a page executes
when its front matter says ``file_format: mystnb`` (MyST-NB's rule).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PDF = "linreg-book.pdf"  # the book's PDF, which the test build's pages link (``book_pdf_url``)


def tokens(page: Path) -> list[Token]:
    return MarkdownIt("commonmark").use(front_matter_plugin).parse(page.read_text())


def front_matter(page: str, docs: Path = DOCS) -> dict[str, Any]:
    """A page's front matter (``{}`` without one)."""
    found = [t.content for t in tokens(docs / f"{page}.md") if t.type == "front_matter"]
    return dict(yaml.safe_load(found[0]) or {}) if found else {}


def title(page: str, docs: Path = DOCS) -> str:
    """A page's title: the text of its first heading."""
    found = tokens(docs / f"{page}.md")
    return str(next(found[i + 1].content for i, t in enumerate(found) if t.type == "heading_open"))


def pages(docs: Path = DOCS) -> list[str]:
    """Every page the index's toctrees list, in their order (the index itself first)."""
    listed = ["index"]
    for t in tokens(docs / "index.md"):
        if t.type == "fence" and t.info.strip() == "{toctree}":
            listed += [line.strip() for line in t.content.splitlines() if line.strip() and line[0] != ":"]
    return listed


def script(page: str, docs: Path = DOCS) -> str:
    """The page's code cells, visible and hidden, as one Python script in which each line of code
    stands on its line of the page (every other line is blank; a cell's options and a magic are
    comments): a linter's line numbers are the page's."""
    lines = [""] * len((docs / f"{page}.md").read_text().splitlines())
    for t in tokens(docs / f"{page}.md"):
        if t.type == "fence" and t.info.startswith("{code-cell}") and t.map:
            body, start = t.content.splitlines(), t.map[0]
            options = body.index("---", 1) + 1 if body[:1] == ["---"] else 0
            while options < len(body) and body[options].startswith(":"):
                options += 1
            for n, line in enumerate(body, start + 1):
                lines[n] = line if n > start + options and not line.startswith(("%", "!")) else f"# {line}"
    return "\n".join(lines) + "\n"


def notebook_pages(docs: Path = DOCS) -> list[str]:
    """The pages the build executes: MyST-NB notebooks by their front matter."""
    return [p for p in pages(docs) if front_matter(p, docs).get("file_format") == "mystnb"]
