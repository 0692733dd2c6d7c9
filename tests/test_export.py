"""The notebooks a reader takes away: nothing of the build, and they run anywhere.

The download button's notebook of each page (``_sources/<page>.ipynb`` of the test build) holds
the code the reader saw, markdown without MyST, and a first cell that installs the wheel the
build published. It runs top to bottom in a fresh virtual environment outside the repository
(torch and a kernel only; the notebook installs the rest) and prints what the page printed.
The launch buttons' copies, committed as ``docs/<page>.ipynb``, are what this build makes.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from tests.pages import ROOT, front_matter, notebook_pages

HOSTED = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Documentation"]
BUILD_ONLY = re.compile(r"^\s*(from|import)\s+(book|bookext|myst_nb|reference)\b", re.M)


def notebooks(folder: Path) -> dict[str, nbformat.NotebookNode]:
    found = {p.stem: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}
    assert found, f"no notebooks in {folder}"
    return found


def printed(nb: nbformat.NotebookNode) -> list[str]:
    """What each code cell printed to stdout, cell by cell."""
    return [
        "".join(o.text for o in c.outputs if o.output_type == "stream" and o.name == "stdout")
        for c in nb.cells
        if c.cell_type == "code"
    ]


def test_every_page_with_code_has_a_notebook_without_the_build(book: Path) -> None:
    pages = {p for p in notebook_pages() if front_matter(p).get("runnable", True)}
    found = notebooks(book / "_sources")
    assert set(found) == pages
    wheel = next((book / "dist").glob("linreg-*.whl"))
    for page, nb in found.items():
        nbformat.validate(nb)
        # Nothing of the machine that built it: the wheel and the links are the hosted book's.
        assert "file:///" not in nbformat.writes(nb), page
        assert str(ROOT) not in nbformat.writes(nb), page
        install = nb.cells[1].source
        assert f'"linreg @ {HOSTED}dist/{wheel.name}"' in install, page
        assert f"{HOSTED}dist/{wheel.name}" in nb.cells[0].source, f"{page}: where does linreg come from?"
        assert ("matplotlib" in install) == any(
            "matplotlib" in c.source for c in nb.cells[2:] if c.cell_type == "code"
        ), page
        for cell in nb.cells[2:]:
            assert not BUILD_ONLY.search(cell.source), f"{page} imports a build-only module:\n{cell.source}"
            if cell.cell_type == "markdown":
                assert not re.search(r"(?<!`)\{[\w:-]+\}`|^(```|:::)\{", cell.source, re.M), (
                    f"{page} keeps MyST:\n{cell.source}"
                )
        code = [c for c in nb.cells[2:] if c.cell_type == "code"]
        assert all(c.execution_count for c in code), f"{page}: a code cell without its outputs"
    # A reference to another page's equation links to it: the notebook holds only its own page.
    checks = " ".join(c.source for c in found["checks"].cells if c.cell_type == "markdown")
    assert f"[(4)]({HOSTED}math.html#equation-eq-grads)" in checks


def test_the_download_menu_offers_only_what_runs_anywhere(book: Path) -> None:
    for path in sorted(book.glob("*.html")):
        page = path.read_text()
        assert "download-source-button" not in page, path.name
        for href in re.findall(r'href="(_sources/[^"]+)"', page):
            assert href.endswith(".ipynb"), f"{path.name} offers {href}"
            assert (book / href).is_file(), f"{path.name} offers {href}, which is not there"
    assert not list((book / "_sources").glob("*.md*")), "the pages' sources, build-only cells and all"


def test_the_launch_buttons_notebooks_are_committed_as_built(book: Path) -> None:
    """`make notebooks` copies them to docs/; an edit to a page or the library needs a new copy."""
    built, committed = notebooks(book / "notebooks"), notebooks(ROOT / "docs")
    assert set(built) == set(committed)
    for page, nb in built.items():
        assert nbformat.writes(nb) == nbformat.writes(committed[page]), (
            f"docs/{page}.ipynb is stale: run `make notebooks`"
        )
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert "https://linreg.readthedocs.io/en/latest/dist/linreg-" in nb.cells[1].source


def test_downloaded_notebooks_run_in_a_fresh_environment_and_print_what_the_pages_show(
    book: Path, site: str, reader_venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "kernels" / "reader"
    spec.mkdir(parents=True)
    argv = [str(reader_venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "reader", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    work = tmp_path / "work"  # outside the repository: nothing of it is importable from here
    work.mkdir()
    for page, shown in notebooks(book / "_sources").items():
        # Offline, the hosted book is this build served on loopback: the same wheel at /dist/.
        ran = nbformat.reads(nbformat.writes(shown).replace(HOSTED, site), as_version=4)
        NotebookClient(
            ran, kernel_name="reader", timeout=300, resources={"metadata": {"path": str(work)}}
        ).execute()
        assert printed(ran)[1:] == printed(shown)[1:], page  # the install cell's output aside
    probe = NotebookClient(
        nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("import linreg, sys; print(linreg.__file__)")]
        ),
        kernel_name="reader",
    )
    assert str(reader_venv) in printed(probe.execute())[0], "linreg did not come from the wheel"
