"""The author's guide (CONTRIBUTING.md, "Writing a page") is true: its example page, added to a
copy of the book as the guide says, builds, checks its claim, and gives a notebook that runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from bookext import sphinx

ROOT = Path(__file__).resolve().parents[1]
# What a copy of docs/ reads from the repository around it (bookext finds them beside docs/).
AROUND = ("src", "reference", "benchmarks", "lock", "node_modules", "pyproject.toml", "LICENSE", "README.md")


def example() -> str:
    """The guide's example page: its only ````md block that starts with a notebook's front matter."""
    blocks = re.findall(r"^````md\n(.*?)^````$", (ROOT / "CONTRIBUTING.md").read_text(), re.M | re.S)
    pages: list[str] = [b for b in blocks if b.startswith("---\n") and "\nfile_format: mystnb\n" in b]
    assert len(pages) == 1, "the guide has one example page"
    return pages[0]


@pytest.mark.book
def test_the_guides_example_page_builds_and_its_notebook_runs(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("_build", "*.ipynb"))
    for name in AROUND:
        (tmp_path / name).symlink_to(ROOT / name)
    docs = tmp_path / "docs"
    (docs / "twenty.md").write_text(example())
    index = (docs / "index.md").read_text()
    (docs / "index.md").write_text(index.replace("\nwalkthrough\n", "\nwalkthrough\ntwenty\n", 1))
    out = tmp_path / "html"
    run = sphinx("html", out, tmp_path / "doctrees", "-j", "auto", source=docs)
    assert run.returncode == 0, run.stdout[-5000:]

    html = (out / "twenty.html").read_text()
    assert 'class="admonition note"' in html
    assert 'href="math.html#equation-eq-model"' in html
    assert re.search(r'<svg role="img" aria-label="The loss of each of the 200 epochs', html)
    assert re.search(r'<span class="pasted-text">1e-03</span>', html)  # the glued bound
    assert "; 2 values checked." in html  # W and b, counted by the check

    nb = nbformat.read(out / "notebooks" / "twenty.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "> **Note**" in markdown
    assert "math.html#equation-eq-model" in markdown
    assert "import book" not in "\n".join(c.source for c in nb.cells)
    # Run it, its install cell aside (here linreg and matplotlib are installed already).
    nb.cells = [c for c in nb.cells if "%pip install" not in c.source]
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    printed = [o.text for c in code for o in c.outputs if o.get("name") == "stdout"]
    assert re.match(r"W = 2\.0000, b = 1\.0000", printed[0]), printed


def test_the_theme_still_ships_the_script_the_book_replaces() -> None:
    """docs/_static/scripts/fontawesome.js shadows the theme's file of that name: once the theme
    no longer ships it (pydata/pydata-sphinx-theme#2494), the book's empty copy must go."""
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    assert (theme / "scripts" / "fontawesome.js").is_file()
    assert (ROOT / "docs" / "_static" / "scripts" / "fontawesome.js").stat().st_size < 1000


def small_book(src: Path, execution: str) -> None:
    """A book of bookext's with no theme and no prerendered math: ``src/conf.py``."""
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'docs')!r})\n"
        "extensions = ['myst_nb', 'sphinxcontrib.katex', 'bookext']\n"
        f"nb_execution_mode = {execution!r}\nnb_execution_show_tb = True\nkatex_prerender = False\n"
    )


def notebook_page(title: str, *cells: str) -> str:
    """A MyST notebook page: its title, then one code cell per string."""
    kernel = "kernelspec:\n  name: python3\n  display_name: Python 3\n  language: python\n"
    body = "".join(f"```{{code-cell}} python\n{c}\n```\n\n" for c in cells)
    return f"---\nfile_format: mystnb\n{kernel}---\n\n# {title}\n\n{body}"


def test_a_deleted_page_leaves_no_notebook_behind(tmp_path: Path) -> None:
    """An incremental build after a page is deleted: its notebooks go, the others stay."""
    src, out = tmp_path / "src", tmp_path / "out"
    small_book(src, "off")
    for page in ("kept", "gone"):
        (src / f"{page}.md").write_text(notebook_page(page, "print(1)"))
    (src / "index.md").write_text("# Index\n\n```{toctree}\nkept\ngone\n```\n")
    for step in ("first", "after the deletion"):
        run = sphinx("html", out, tmp_path / "doctrees", source=src)
        assert run.returncode == 0, f"{step}: {run.stdout[-3000:]}"
        if step == "first":
            assert {p.stem for p in (out / "notebooks").glob("*.ipynb")} == {"kept", "gone"}
            (src / "gone.md").unlink()
            (src / "index.md").write_text("# Index\n\n```{toctree}\nkept\n```\n")
    for folder in ("_sources", "notebooks"):
        assert {p.stem for p in (out / folder).glob("*.ipynb")} == {"kept"}, folder


def test_a_figure_without_alternative_text_fails_the_build(tmp_path: Path) -> None:
    """As the guide says: IPython shows a formatter's error as an output and goes on, so the
    page's summary raises what the figure's formatter found."""
    src = tmp_path / "src"
    small_book(src, "force")
    (src / "index.md").write_text(
        notebook_page(
            "A figure",
            "import book\nimport matplotlib.pyplot as plt\n\n"
            "check = book.Checks()\ncheck(True, 'theory', 'x')",
            "plt.plot([1, 2])\nplt.show()",
            "check.summary()",
        )
    )
    run = sphinx("html", tmp_path / "out", tmp_path / "doctrees", source=src)
    assert run.returncode != 0
    assert "a figure without alternative text" in re.sub(r"\x1b\[[0-9;]*m", "", run.stdout)
