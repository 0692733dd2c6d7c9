"""A page of the book as a notebook that runs anywhere: what the reader saw, nothing of the build.

Made from the page as Sphinx resolved it (the doctree the HTML was written from), so a glued
value is its text, a reference its number or link, a directive its rendered content: whatever
the book can render, its notebook holds, and what has no markdown form falls back to its text.

- code cells are the cells the page shows; hidden ones (``remove-cell``) are not in the page;
  a cell that shows only its output (``remove-input``) becomes a markdown cell holding it;
- admonitions, exercises, solutions and margin notes become quotes under their titles;
- equations keep their numbers (``\\tag``); links to other pages point at the site;
- what the page marks ``lr-site-only`` (the explorer's slider) is left out;
- a first code cell installs what the notebook needs and a reader may lack: the wheel of
  linreg published with the site, and matplotlib where it plots.

The outputs come from the notebook myst-nb executed (PNG figures, not the page's themed SVG).
Two copies: ``_sources/<page>.ipynb`` (the download button: outputs kept) and
``notebooks/<page>.ipynb`` (outputs cleared), which ``make notebooks`` commits as
``docs/<page>.ipynb`` for the launch buttons.
"""

from __future__ import annotations

import base64
import copy
import posixpath
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from jupyter_cache import get_cache
from sphinx.application import Sphinx

from bookext import notebook_site

SITE_ONLY = {"lr-site-only", "lr-eq-preview", "lr-provenance"}  # what runs only on the site
SILENT = (nodes.target, nodes.comment, nodes.raw, nodes.substitution_definition, nodes.system_message)


def quote(blocks: list[str]) -> str:
    """Markdown blocks as one quote."""
    return "\n>\n".join("\n".join(f"> {line}".rstrip() for line in b.splitlines()) for b in blocks)


def tags(cell: Any) -> list[str]:
    return list(cell.metadata.get("tags", []))


class Markdown:
    """A resolved page as markdown blocks, with each code cell of the page where it stands."""

    def __init__(self, page: str, site: str) -> None:
        self.page, self.site = page, site

    def url(self, node: nodes.Element) -> str:
        if "refuri" in node:
            uri = node["refuri"]
            if "://" in uri or uri.startswith("mailto:"):
                return str(uri)
            if uri.startswith("#"):
                return f"{self.site}{self.page}.html{uri}"
            return self.site + posixpath.normpath(posixpath.join(posixpath.dirname(self.page), uri))
        return f"{self.site}{self.page}.html#{node.get('refid', '')}"

    def inline(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            return re.sub(r"([\\`*_\[\]<$])", r"\\\1", node.astext().replace("\n", " "))
        assert isinstance(node, nodes.Element)
        if SITE_ONLY & set(node["classes"]) or isinstance(node, SILENT):
            return ""
        inner = "".join(self.inline(child) for child in node.children)
        if isinstance(node, nodes.math):
            return f"${node.astext()}$".replace("\n", " ")
        if isinstance(node, nodes.literal):
            text = node.astext().replace("\n", " ")
            return f"`` {text} ``" if "`" in text else f"`{text}`"
        if isinstance(node, nodes.strong):
            return f"**{inner}**"
        if isinstance(node, nodes.emphasis):
            return f"*{inner}*"
        if isinstance(node, nodes.reference):
            if node.get("refid", "").startswith("equation-"):  # an equation of this page: its number
                return inner
            space = " " if inner[:1] == " " else ""
            return f"{space}[{inner.strip()}]({self.url(node)})"
        if isinstance(node, nodes.image):
            return f"![{node.get('alt', '')}]({self.site}_images/{Path(node['uri']).name})"
        return inner

    def blocks(self, node: nodes.Element, depth: int = 0) -> Iterator[str | nodes.Element]:
        """Markdown blocks, and each code cell (a myst-nb ``cell`` container) as it comes."""
        classes = set(node["classes"])
        if SITE_ONLY & classes or isinstance(node, SILENT):
            return
        if isinstance(node, nodes.container) and "cell" in classes:
            yield node
        elif isinstance(node, nodes.section):
            for child in node.children:
                yield from self.blocks(child, depth + 1)
        elif isinstance(node, nodes.title):
            yield "#" * max(depth, 1) + " " + self.inline(node)
        elif isinstance(node, nodes.math_block):
            tag = f" \\tag{{{node['number']}}}" if node.get("number") else ""
            yield f"$$\n{node.astext().strip()}{tag}\n$$"
        elif isinstance(node, nodes.literal_block | nodes.doctest_block):
            language = "python" if isinstance(node, nodes.doctest_block) else node.get("language", "")
            yield f"```{language.replace('ipython3', 'python')}\n{node.astext()}\n```"
        elif isinstance(node, nodes.table):
            yield self.table(node)
        elif isinstance(node, nodes.bullet_list | nodes.enumerated_list):
            yield from self.items(node, depth)
        elif isinstance(node, nodes.Admonition | nodes.sidebar | nodes.topic | nodes.block_quote):
            yield from self.quoted(node, depth)
        elif isinstance(node, nodes.TextElement):
            yield self.inline(node).strip()
        else:  # any other element: what it holds
            for child in node.children:
                if isinstance(child, nodes.Element):
                    yield from self.blocks(child, depth)

    def items(self, node: nodes.Element, depth: int) -> Iterator[str | nodes.Element]:
        for n, item in enumerate(node.children, start=1):
            mark = f"{n}. " if isinstance(node, nodes.enumerated_list) else "- "
            texts = [b for b in self.blocks(item, depth) if isinstance(b, str)]
            lines = "\n\n".join(texts).splitlines() or [""]
            yield "\n".join([mark + lines[0], *(" " * len(mark) + line for line in lines[1:])])

    def quoted(self, node: nodes.Element, depth: int) -> Iterator[str | nodes.Element]:
        # A note, an exercise, its solution, a margin note: one quote under its title (a code
        # cell inside, as in a solution, ends the quote and a new one follows it).
        name, lines = node.__class__.__name__, []
        untitled = node.next_node(nodes.title) is None
        if isinstance(node, nodes.Admonition) and name != "admonition" and untitled:
            lines.append(f"**{name.capitalize()}**")
        for child in node.children:
            if isinstance(child, nodes.title):
                inner: Iterable[str | nodes.Element] = [f"**{self.inline(child)}**"]
            else:
                inner = self.blocks(child, depth) if isinstance(child, nodes.Element) else []
            for block in inner:
                if isinstance(block, str):
                    lines += [block] if block.strip("* ") else []
                    continue
                if lines:
                    yield quote(lines)
                lines = []
                yield block
        if lines:
            yield quote(lines)

    def table(self, node: nodes.Element) -> str:
        rows = [
            [self.inline(entry).replace("|", "\\|") or " " for entry in row.findall(nodes.entry)]
            for row in node.findall(nodes.row)
        ]
        head = next(node.findall(nodes.thead), None)
        header = rows.pop(0) if head is not None else [" "] * len(rows[0])
        lines = [header, ["---"] * len(header), *rows]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def output_as_markdown(cell: Any) -> Any:
    """A ``remove-input`` cell's output as a markdown cell: its markdown, or its picture attached."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/markdown" in data:
            return nbformat.v4.new_markdown_cell(data["text/markdown"])
        if "image/png" in data:
            png = data["image/png"]
            png = png if isinstance(png, str) else base64.b64encode(png).decode()
            alt = data.get("text/plain", "figure").strip("<>'")
            return nbformat.v4.new_markdown_cell(
                f"![{alt}](attachment:figure.png)", attachments={"figure.png": {"image/png": png}}
            )
    return None


def plain(output: Any) -> Any:
    """An output without what needs the site: a figure keeps its PNG, not its themed SVG."""
    output = copy.deepcopy(output)
    data = output.get("data", {})
    if "image/png" in data:
        output["data"] = {k: v for k, v in data.items() if k in ("image/png", "text/plain")}
    return output


def streams(outputs: list[Any]) -> list[Any]:
    """Outputs with each stream once, merged as myst-nb's nb_merge_streams merges them, unless the
    first already ends with the later chunks (myst-nb merges in place, in the notebook it keeps,
    and leaves them behind too); ``\\r`` and ``\\b`` are not processed."""
    first: dict[str, Any] = {}
    later: dict[str, list[str]] = {}
    kept = []
    for output in outputs:
        if output.output_type != "stream":
            kept.append(output)
        elif output.name in first:
            later[output.name].append(output.text)
        else:
            first[output.name], later[output.name] = output, []
            kept.append(output)
    for name, texts in later.items():
        tail = "".join(t.rstrip() + "\n" for t in texts if t.rstrip())
        if not first[name].text.endswith(tail):  # a notebook myst-nb did not render: merge as it does
            first[name].text = first[name].text.rstrip() + "\n" + tail
    return kept


def runnable(doctree: nodes.document, executed: Any, page: str, site: str, wheel: str, outputs: bool) -> Any:
    """The notebook a reader can run anywhere: the resolved page, its cells' outputs from ``executed``."""
    shown = [c for c in executed.cells if c.cell_type == "code" and "remove-cell" not in tags(c)]
    parts = list(Markdown(page, site).blocks(doctree))
    cells_of_page = [p for p in parts if not isinstance(p, str)]
    if len(cells_of_page) != len(shown):
        raise ValueError(f"{page}: the page shows {len(cells_of_page)} code cells, its notebook {len(shown)}")
    plots = any("matplotlib" in c.source for c in shown if "remove-input" not in tags(c))
    title = doctree.next_node(nodes.title)
    cells = [
        nbformat.v4.new_markdown_cell(
            f"[{title.astext() if title else page}]({site}{page}.html), a page of the book Linear regression"
            " by gradient descent, as a notebook. The next cell installs what it needs besides torch:"
            f" `linreg`, from the wheel the book publishes at {wheel}"
            + (", and matplotlib." if plots else ".")
        ),
        nbformat.v4.new_code_cell(
            "# Without torch, pip takes PyPI's (with CUDA, several GB); for a CPU-only one first run\n"
            "# %pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
            f'%pip install --quiet "linreg @ {wheel}"' + (" matplotlib" if plots else "")
        ),
    ]
    text: list[str] = []
    cell_of = iter(shown)
    for part in [*parts, None]:
        if isinstance(part, str):
            text.append(part)
            continue
        if text:
            cells.append(nbformat.v4.new_markdown_cell("\n\n".join(t for t in text if t.strip())))
            text = []
        if part is None:
            break
        cell = next(cell_of)
        if "remove-input" in tags(cell):
            cells += [c for c in [output_as_markdown(cell)] if c is not None]
            continue
        kept = nbformat.v4.new_code_cell(cell.source)
        if outputs:
            glued = [o for o in cell.outputs if "scrapbook" in o.get("metadata", {})]  # myst-nb's glue
            kept.outputs = [plain(o) for o in streams(cell.outputs) if o not in glued]
            kept.execution_count = cell.execution_count
        cells.append(kept)
    for k, cell in enumerate(cells):
        cell.id = f"{page}-{k}"  # the same ids every build (nbformat would draw random ones)
    kernel = executed.metadata.get("kernelspec", {})
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernel})


def write_notebook(app: Sphinx, page: str, doctree: nodes.document) -> None:
    """Write the page's two runnable notebooks, ``_sources/<page>.ipynb`` and ``notebooks/<page>.ipynb``."""
    # Where myst-nb keeps the notebooks it executed (no documented interface says; the theme's
    # launch buttons read the same folder).
    ran = Path(app.env.mystnb_config.output_folder)  # type: ignore[attr-defined]
    executed = nbformat.read(ran / f"{page}.ipynb", as_version=4)
    if not any(c.get("outputs") for c in executed.cells) and app.config.nb_execution_mode == "cache":
        # In cache mode myst-nb writes the notebook without outputs: they are in the cache.
        executed = get_cache(app.config.nb_execution_cache_path).merge_match_into_notebook(executed)[1]
    wheel = next((Path(app.outdir) / "dist").glob("linreg-*.whl")).name
    site = notebook_site(app.config)
    for folder, keep in (("_sources", True), ("notebooks", False)):
        notebook = runnable(doctree, executed, page, site, f"{site}dist/{wheel}", keep)
        target = Path(app.outdir) / folder / f"{page}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
