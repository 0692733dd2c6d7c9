"""A page of the book as a notebook that runs anywhere: what the reader saw, nothing of the build.

Made from the notebook myst-nb executed (``jupyter_execute/<page>.ipynb``) and its glued values:

- code cells the page hides (``remove-cell``) go; a cell that shows only its output
  (``remove-input``) becomes a markdown cell holding that output (a table, or a picture);
- figures keep their PNG (the page's themed SVG needs the page's stylesheet);
- text marked ``[...]{.lr-site-only}`` (what needs the site: the explorer's slider) goes;
- the markdown loses MyST: glued values become their text, equation references their
  numbers (linked to the page that holds the equation, when it is another), margin notes
  quotes, and links to other pages point at the site;
- a first code cell installs what the notebook needs and a reader may lack: the wheel of
  linreg published with the site, and matplotlib where it plots.

Links and the wheel point at the site's address (``html_baseurl``, as on Read the Docs), or at
the hosted book where a local build has none: never at a path of the machine that built it.
Two copies: ``_sources/<page>.ipynb`` (the download button: outputs kept) and
``notebooks/<page>.ipynb`` under the site (outputs cleared), which ``make notebooks`` commits as
``docs/<page>.ipynb`` for the launch buttons.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

import nbformat
from jupyter_cache import get_cache

from bookext import notebook_site

ROLE = re.compile(r"(?<!`)\{([\w:-]+)\}`([^`]*)`")


def glued(output_folder: Path, page: str) -> dict[str, str]:
    """The page's glued values, as their text."""
    path = output_folder / f"{page}.glue.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    return {
        key: value["data"].get("text/markdown", value["data"].get("text/plain", ""))
        for key, value in data.items()
    }


def shown(value: str, spec: str) -> str:
    """A glued value's text with a `{glue:text}` format spec applied, as myst-nb does."""
    if not spec:
        return value.strip("'")
    number = float(value) if "." in value or "e" in value else int(value)
    return format(number, spec)


def markdown(text: str, values: dict[str, str], equation: Any, site: str) -> str:
    """A page's MyST markdown as plain Jupyter markdown."""

    def role(match: re.Match[str]) -> str:
        name, body = match.groups()
        if name in ("glue:text", "glue", "glue:md"):
            key, _, spec = body.partition(":")
            if key not in values:
                raise ValueError(f"the page glues no {key!r} (did a cell fail?)")
            return shown(values[key], spec)
        if name == "eq":
            return equation(body, reference=True)
        if name == "math":
            return f"${body}$"
        if name in ("py:func", "py:class", "py:mod", "mod", "func", "class"):
            return f"`{body}`"
        raise ValueError(f"no plain-markdown form for the role {{{name}}} in {match.group(0)!r}")

    text = re.sub(r"\[([^\]]*)\]\{\.lr-site-only\}\s*", "", text, flags=re.S)  # what needs the site
    text = ROLE.sub(role, text)
    text = re.sub(
        r"^\$\$\n(.*?)\n\$\$ \(([\w-]+)\)$",
        lambda m: f"$$\n{m[1]} \\tag{{{equation(m[2])}}}\n$$",
        text,
        flags=re.M | re.S,
    )
    text = re.sub(
        r"^:::\{margin\}\n(.*?)\n:::$",
        lambda m: "\n".join(f"> {line}" for line in m[1].splitlines()),
        text,
        flags=re.M | re.S,
    )
    text = re.sub(r"^```\{doctest\}$", "```python", text, flags=re.M)
    text = re.sub(
        r"^```\{nb-exec-table\}\n```$", "(The table of executions is on the site's page.)", text, flags=re.M
    )
    text = re.sub(r"\]\((\w+)\.md(#[\w-]+)?\)", lambda m: f"]({site}{m[1]}.html{m[2] or ''})", text)
    if leftover := re.search(r"^(```|:::)\{[\w-]+\}.*$", text, flags=re.M):
        raise ValueError(f"no plain-markdown form for the directive {leftover.group(0)!r}")
    return text


def output_as_markdown(cell: Any) -> Any:
    """A ``remove-input`` cell's output as a markdown cell: its markdown, or its picture attached."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/markdown" in data:
            return nbformat.v4.new_markdown_cell(data["text/markdown"])
        if "image/png" in data:
            png = (
                data["image/png"]
                if isinstance(data["image/png"], str)
                else base64.b64encode(data["image/png"]).decode()
            )
            alt = data.get("text/plain", "figure").strip("<>'")
            return nbformat.v4.new_markdown_cell(
                f"![{alt}](attachment:figure.png)", attachments={"figure.png": {"image/png": png}}
            )
    return None


def runnable(
    nb: Any, page: str, values: dict[str, str], equation: Any, site: str, wheel: str, outputs: bool
) -> Any:
    """The notebook a reader can run anywhere, from the page's executed notebook."""
    code = [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and not {"remove-cell", "remove-input"} & set(c.metadata.get("tags", []))
    ]
    needs = f'"linreg @ {wheel}"' + (" matplotlib" if any("matplotlib" in c for c in code) else "")
    cells = [
        nbformat.v4.new_markdown_cell(
            f"[{nb.metadata['title']}]({site}{page}.html), a page of the book Linear regression by gradient "
            "descent, as a notebook. The next cell installs what it needs besides torch: `linreg`, from the "
            f"wheel the book publishes at {wheel}"
            + (", and matplotlib" if "matplotlib" in needs else "")
            + "."
        ),
        nbformat.v4.new_code_cell(
            "# Without torch, pip takes PyPI's (with CUDA, several GB); for a CPU-only one first run\n"
            "# %pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
            f"%pip install --quiet {needs}"
        ),
    ]
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(markdown(cell.source, values, equation, site)))
        elif "remove-input" in tags:
            cells += [c for c in [output_as_markdown(cell)] if c is not None]
        elif "remove-cell" not in tags:
            kept = nbformat.v4.new_code_cell(cell.source)
            if outputs:
                kept.outputs = [
                    plain(o) for o in streams(cell.outputs) if "scrapbook" not in o.get("metadata", {})
                ]
                kept.execution_count = cell.execution_count
            cells.append(kept)
    for k, cell in enumerate(cells):
        cell.id = f"{page}-{k}"  # the same ids every build (nbformat would draw random ones)
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": nb.metadata.get("kernelspec", {})})


def streams(outputs: list[Any]) -> list[Any]:
    """Outputs with each stream once: myst-nb's nb_merge_streams appends a cell's later chunks to
    its first stream output in place and leaves them behind too, in the notebook it keeps."""
    first: dict[str, Any] = {}
    kept = []
    for output in outputs:
        if output.output_type != "stream":
            kept.append(output)
        elif output.name not in first:
            first[output.name] = output
            kept.append(output)
        elif output.text.strip() not in first[output.name].text:  # not merged: merge it
            first[output.name].text += output.text
    return kept


def plain(output: Any) -> Any:
    """An output without what needs the site: a figure keeps its PNG, not its themed SVG."""
    output = copy.deepcopy(output)
    data = output.get("data", {})
    if "image/png" in data:
        output["data"] = {k: v for k, v in data.items() if k in ("image/png", "text/plain")}
    return output


def write_notebook(app: Any, page: str) -> None:
    """Write the page's two runnable notebooks, ``_sources/<page>.ipynb`` and ``notebooks/<page>.ipynb``."""
    executed = Path(app.env.mystnb_config.output_folder)
    nb = nbformat.read(executed / f"{page}.ipynb", as_version=4)
    if not any(c.get("outputs") for c in nb.cells) and app.config.nb_execution_mode == "cache":
        # In cache mode myst-nb writes the notebook without outputs: they are in the cache.
        nb = get_cache(app.config.nb_execution_cache_path).merge_match_into_notebook(nb)[1]
    nb.metadata["title"] = app.env.titles[page].astext()
    values = glued(executed, page)
    math = app.env.get_domain("math")
    wheel = next((Path(app.outdir) / "dist").glob("linreg-*.whl")).name
    site = notebook_site(app.config)
    # The page of each equation, from the previews' store (bookext): a reference to another
    # page's equation links there, since the notebook holds only this page.
    home = {label: doc for doc, eqs in getattr(app.env, "book_equations", {}).items() for label in eqs}

    def equation(label: str, reference: bool = False) -> str:
        number = str(math.get_equation_number_for(label))
        if not reference:
            return number
        if home.get(label, page) == page:
            return f"({number})"
        return f"[({number})]({site}{home[label]}.html#equation-{label})"

    for folder, keep in (("_sources", True), ("notebooks", False)):
        notebook = runnable(nb, page, values, equation, site, f"{site}dist/{wheel}", keep)
        target = Path(app.outdir) / folder / f"{page}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
