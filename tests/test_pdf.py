"""The book as a PDF (`make pdf`): every page's outputs, its figures, numbered equations, code not cut."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from reference import seed_notebook
from tests.pages import pages, title


@pytest.fixture(scope="module")
def text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_pdf_holds_the_seeds_final_numbers_and_a_table_of_contents(text: str) -> None:
    assert f"Final Loss: {seed_notebook.printed('Final Loss')}" in text
    assert seed_notebook.printed("Final W") in text
    assert seed_notebook.printed("Final b") in text
    assert re.search(r"1\.1 The data( \.)+", text), "no table of contents"
    flat = " ".join(text.split())
    for page in pages()[1:]:  # each chapter (the index is the front matter)
        assert title(page) in flat, page


def test_every_figure_is_in_the_pdf(pdf: Path, book: Path) -> None:
    figures = sum(
        p.read_text().count('class="lr-figure"') + p.read_text().count('class="lr-explorer"')
        for p in book.glob("*.html")
    )
    listed = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    images = [line for line in listed.splitlines()[2:] if line.split()[2] == "image"]
    assert figures >= 5, (figures, listed)
    assert len(images) >= figures, (figures, listed)


def test_equations_are_numbered_in_the_pdf_and_referenced_by_number(text: str) -> None:
    numbers = re.findall(r"\((2\.[1-5])\)\s*$", text, re.M)  # the math page's five, by chapter
    assert sorted(set(numbers)) == ["2.1", "2.2", "2.3", "2.4", "2.5"]
    referenced = re.findall(r"\((2\.[1-5])\)(?!\s*$)", text, re.M)  # in a sentence, not at a line's end
    assert referenced, "no equation is referenced by its number"


def test_no_line_of_code_is_cut(text: str, book: Path) -> None:
    flat = " ".join(text.split())
    for path in sorted((book / "_sources").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells[2:]:
            if cell.cell_type == "code":
                for line in filter(str.strip, cell.source.splitlines()):
                    assert " ".join(line.split()) in flat, f"{path.stem}: {line!r} is not whole in the PDF"


def test_every_page_links_the_pdf(book: Path, pdf: Path) -> None:
    assert pdf.parent == book, "the PDF is not where the pages link it"
    for page in sorted(book.glob("*.html")):
        if page.name not in ("genindex.html", "search.html", "py-modindex.html"):
            assert 'href="linreg-book.pdf"' in page.read_text(), page.name
