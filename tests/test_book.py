"""The built book: what its pages show, checked against the seed and independent computations.

The ``book`` fixture builds the whole site from scratch with forced execution, so every number
read here was computed in this test run. Expected values come from the seed (``reference/``,
which does not import linreg) or are computed here with numpy, never copied from the library.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import shutil
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from reference import seed_notebook
from tests.pages import ROOT, notebook_pages

import bookext

DOCS = ROOT / "docs"
NOTEBOOK_PAGES = notebook_pages()
# The tests that use the `book` fixture are marked `book` by it (conftest.py); the others are cheap.


def article(book: Path, page: str) -> str:
    text = (book / f"{page}.html").read_text()
    return text[text.index("<article") : text.index("</article>")]


def visible_text(fragment: str) -> str:
    """The visible text of an HTML fragment, KaTeX's MathML copy left out, whitespace collapsed."""
    fragment = re.sub(r'<span class="katex-mathml">.*?</math></span>', " ", fragment, flags=re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("\u200b", "").split())
    return re.sub(r"\( ", "(", re.sub(r" ([.,;:)])", r"\1", text))


def said(text: str, *parts: str) -> bool:
    """Whether one sentence (or line) of ``text`` shows ``parts`` in this order, numbers whole (0.41 is
    not in 0.414): the tests check a page's numbers and where they stand, not its wording."""
    pattern = r".*?".join(rf"(?<![\d.]){re.escape(part)}(?!\d|\.\d)" for part in parts)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z#])|\n", text.replace("\u2212", "-"))
    return any(re.search(pattern, sentence) for sentence in sentences)


def table_rows(fragment: str) -> list[str]:
    """The visible text of every table row in ``fragment``."""
    return [visible_text(row) for row in re.findall(r"<tr.*?</tr>", fragment, re.S)]


def outputs(book: Path, page: str) -> str:
    """What the page's code cells printed, in order, as the reader sees it."""
    blocks = re.findall(
        r'<div class="output stream[^"]*"[^>]*>.*?<pre>(.*?)</pre>', article(book, page), re.S
    )
    return "".join(html.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks)


def code_cells(book: Path, page: str) -> list[str]:
    """The source of every code cell a reader sees on the page."""
    cells = re.findall(r'<div class="cell_input[^"]*">.*?<pre>(.*?)</pre>', article(book, page), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in cells]


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    """The seed's own code, run here: the independent reference."""
    return {k: v.detach().numpy().astype(np.float64) for k, v in seed_notebook.run().items()}


# -- Every page executed, cleanly, and saying what it checked -----------------------------------


def test_every_notebook_page_is_executed_and_succeeds(book: Path) -> None:
    table = article(book, "build")
    table = table[table.index("<table") : table.index("</table>")]
    rows = {visible_text(r).split()[0]: visible_text(r) for r in re.findall(r"<tr.*?</tr>", table, re.S)[1:]}
    assert sorted(rows) == sorted(NOTEBOOK_PAGES)
    assert all("force" in row and "✅" in row for row in rows.values()), rows
    assert not (book / "reports").exists(), "a notebook left an error report"


def test_no_page_shows_error_or_stderr_output(book: Path) -> None:
    for path in sorted(book.glob("*.html")):
        text = path.read_text()
        assert "output stderr" not in text, path.name
        assert "Traceback (most recent call last)" not in text, path.name


def test_every_executed_page_says_where_it_came_from_and_how_much_was_checked(book: Path) -> None:
    """Under the title, the provenance line: when, the versions, how many values were checked (its
    last whole number); at the end, the summary: that total, then each claim with its own count."""
    versions = (metadata.version("linreg"), metadata.version("torch"))
    for page in NOTEBOOK_PAGES:
        part = article(book, page)
        (line,) = re.findall(r'<p class="lr-provenance">(.*?)</p>', part, re.S)
        assert re.search(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b", line), f"{page}: when was it executed?"
        assert all(said(visible_text(line), v) for v in versions), f"{page}: {visible_text(line)}"
        checked = int(re.findall(r"(?<![\w.])\d+(?![\w.]*\d)", visible_text(line))[-1])
        last = re.findall(r'<div class="cell_output docutils container">(.*?)</div>\s*</div>', part, re.S)[-1]
        total, *_ = map(int, re.findall(r"\d+", visible_text(last)))
        claims = re.findall(r"\((\d+)\)(?=[;.])", visible_text(last))
        assert checked == total == sum(map(int, claims)) > 0, (page, checked, total, claims)
        if page != "build":
            assert 'href="build.html"' in line, f"{page}: the provenance line does not link the build page"


def test_readers_see_teaching_code_that_fits_the_column(book: Path) -> None:
    """Checks and glue run out of sight; the code readers see is at most 80 characters wide."""
    for page in NOTEBOOK_PAGES:
        cells = code_cells(book, page)
        assert cells, page
        for cell in cells:
            for harness in ("glue(", "check(", "check.", "import book", "assert "):
                assert harness not in cell, f"{page} shows {harness!r} in:\n{cell}"
            wide = [line for line in cell.splitlines() if len(line) > 80]
            assert not wide, f"{page}: lines wider than 80 characters: {wide}"


def test_doctest_builder_runs_the_examples_and_passes(book: Path) -> None:
    out = book.parent
    run = bookext.sphinx("doctest", out / "doctest", out / "doctrees", "-D", "nb_execution_mode=force")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = run.stdout[run.stdout.rindex("Doctest summary") :]
    assert int(re.search(r"(\d+) tests?\b", summary).group(1)) >= 2, summary  # type: ignore[union-attr]
    assert re.search(r"\b0 failures in tests", summary), summary
    assert "Executing notebook" not in run.stdout + run.stderr, "the doctest builder re-executed notebooks"


# -- The walkthrough's numbers are the seed's ------------------------------------------------


def test_walkthrough_prints_exactly_what_the_seed_printed(book: Path) -> None:
    assert seed_notebook.printed_outputs() in outputs(book, "walkthrough").replace("\n\n", "\n")


def test_walkthrough_prose_shows_the_seeds_final_numbers(book: Path, seed: dict[str, Any]) -> None:
    prose = visible_text(article(book, "walkthrough"))
    W, b, loss = seed["W"].item(), seed["b"].item(), seed["loss"].item()
    first = np.mean((seed["X"] @ seed["W0"] + seed["b0"] - seed["y_true"]) ** 2)
    assert said(prose, f"{first:.4f}", f"{loss:.4f}", "40"), "the loss's fall in 40 epochs"
    assert said(prose, f"{W:.4f}", f"{b:.4f}"), "the final W and b"


def test_walkthrough_table_lists_the_seeds_predictions_and_the_prose_reads_it_right(
    book: Path, seed: dict[str, Any]
) -> None:
    page = article(book, "walkthrough")
    rows = table_rows(page)
    x, t, p = seed["X"][:, 0], seed["y_true"][:, 0], seed["y_hat"][:, 0]
    for row in zip(x, t, p, strict=True):
        # the miss is that of the numbers shown: a reader checks it by subtracting them
        shown = "{:.4f} {:.4f} {:.4f} {:+.4f}".format(*row, round(row[2], 4) - round(row[1], 4))
        assert any(said(r, shown) for r in rows), shown
    # The misses lie on the line of the last epoch's W and b (before its update): its zero.
    slope, intercept = np.polyfit(x, p - t, 1)
    zero, worst = -intercept / slope, int(np.abs(p - t).argmax())
    prose = visible_text(page)
    # in one sentence: where the line crosses zero, the largest miss and its input
    assert said(prose, f"{zero:.3f}", f"{p[worst] - t[worst]:+.4f}", f"{x[worst]:.4f}")


# -- Math: equations rendered at build time, numbered, referenced ----------------------------


def test_math_page_numbers_its_equations_and_resolves_references(book: Path) -> None:
    page = article(book, "math")
    assert re.findall(r'<span class="eqno">\((\d+)\)', page) == ["1", "2", "3", "4", "5"]
    for label in ("eq-model", "eq-mse", "eq-grads", "eq-update"):
        assert f'id="equation-{label}"' in page
        assert f'href="#equation-{label}"' in page


def test_math_is_rendered_when_the_book_is_built(book: Path) -> None:
    for path in sorted(book.glob("*.html")):
        text = path.read_text()
        assert "katex-error" not in text, path.name
        assert not re.search(r"<script[^>]*(mathjax|katex)", text, re.I), f"{path.name} loads math JavaScript"
    assert 'class="katex"' in (book / "math.html").read_text()


def test_equation_references_carry_their_equation(book: Path) -> None:
    page = article(book, "checks")
    preview = re.search(
        r'<span class="lr-eqref">.*?href="math.html#equation-eq-grads".*?'
        r'<span class="lr-eq-preview">(.*?)</span></span>',
        page,
        re.S,
    )
    assert preview
    assert "katex" in preview.group(1)


def shape_rows(book: Path, page: str) -> dict[str, tuple[str, str]]:
    part = article(book, page)
    table = part[part.index("<table", part.index('id="the-shapes"')) :]
    rows = {}
    for row in re.findall(r"<tr.*?</tr>", table[: table.index("</table>")], re.S)[1:]:
        cells = re.findall(r"<td.*?</td>", row, re.S)
        rows[visible_text(cells[1])] = (visible_text(cells[2]), visible_text(cells[3]))
    return rows


def test_math_shapes_table_matches_the_seeds_tensors(book: Path, seed: dict[str, Any]) -> None:
    rows = shape_rows(book, "math")
    for code in ("X", "y_true", "W", "b", "y_hat"):
        assert rows[code][1] == "R " + " × ".join(map(str, seed[code].shape)), (code, rows[code])
    assert rows["loss"][1] == "scalar"
    assert rows["b_true"][1] == "scalar"
    assert rows["X"][0] == "R N × D in"
    assert rows["b_true"][0] == "R D out or scalar"
    assert rows["dW"] == rows["W"]
    assert rows["db"] == rows["b"]


def test_general_page_shapes_table_is_for_three_inputs_two_outputs(book: Path) -> None:
    rows = shape_rows(book, "general")
    assert rows["X"][1] == "R 50 × 3"
    assert rows["W"][1] == "R 3 × 2"
    assert rows["b"][1] == "R 2"
    assert rows["b_true"] == ("R D out or scalar", "R 2")


def test_general_page_shows_the_n_times_d_out_normalisation(book: Path) -> None:
    shown = outputs(book, "general")
    by_mean = float(re.search(r"torch.mean:\s+([\d.]+)", shown).group(1))  # type: ignore[union-attr]
    by_N = float(re.search(r"sum of squares / N:\s+([\d.]+)", shown).group(1))  # type: ignore[union-attr]
    assert by_N == pytest.approx(2 * by_mean, abs=2e-4)  # both printed to 4 decimals


# -- Checks: closed form, rate, bound -------------------------------------------------------


def lambdas(X: np.ndarray) -> np.ndarray:
    Z = np.hstack([X, np.ones_like(X[:, :1])])
    return np.linalg.eigvalsh(2.0 / len(X) * Z.T @ Z)


def test_checks_page_states_the_bound_the_rate_and_the_divergence(book: Path, seed: dict[str, Any]) -> None:
    lam_min, lam_max = lambdas(seed["X"])
    prose, shown = visible_text(article(book, "checks")), outputs(book, "checks")
    assert said(prose, f"{2 / lam_max:.4f}"), "the bound"
    assert said(prose, f"{lam_min:.4f}", f"{(1 - 0.07 * lam_min) ** 2:.4f}"), "the slowest rate, from λmin"
    assert said(shown, f"{lam_min:.4f}", f"{lam_max:.4f}")
    assert "DivergenceError" in shown
    assert said(shown.replace("\n", " "), f"{2 / lam_max:.6g}")


def test_checks_page_table_shows_least_squares_and_the_loss_after_the_last_update(
    book: Path, seed: dict[str, Any]
) -> None:
    Z = np.hstack([seed["X"], np.ones_like(seed["X"])])
    W_star, b_star = np.linalg.lstsq(Z, seed["y_true"], rcond=None)[0][:, 0]
    rows = table_rows(article(book, "checks"))
    assert any(said(row, f"{W_star:.6f}", f"{b_star:.6f}") for row in rows), "no row of least squares"
    W, b = seed["W"].item(), seed["b"].item()
    after = np.mean((seed["X"] * W + b - seed["y_true"]) ** 2)
    assert any(said(row, "40", f"{W:.6f}", f"{b:.6f}", f"{after:.3e}") for row in rows), (
        "no row of the seed's run"
    )


def test_scaling_page_counts_flops_and_shows_saved_results(book: Path) -> None:
    shown = outputs(book, "scaling")
    for N in (10, 1_000, 100_000):
        assert re.search(rf"^\s*{N}\s+{4 * N * 64:,}\s+{4 * N * 64:,}\s+0$", shown, re.M), N
    page = visible_text(article(book, "scaling"))
    for saved in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        result = json.loads(saved.read_text())
        assert said(page, result["machine"], result["date"]), saved.name


# -- Stale outputs are impossible (cheap: no build) -------------------------------------------


def test_an_edit_in_the_library_changes_the_cache_key(tmp_path: Path) -> None:
    library = tmp_path / "linreg"
    shutil.copytree(ROOT / "src" / "linreg", library, ignore=shutil.ignore_patterns("__pycache__"))
    before = bookext.source_hash([library], packages=())
    assert bookext.source_hash([library], packages=()) == before
    model = library / "model.py"
    edited = model.read_text().replace("return X @ W + b", "return b + X @ W")  # the same model, other bytes
    assert edited != model.read_text(), "the edit no longer applies to model.py: pick another"
    model.write_text(edited)
    assert bookext.source_hash([library], packages=()) != before
    (library / "new.py").write_text("")
    assert bookext.source_hash([library], packages=()) != before


def test_the_cache_key_covers_the_library_the_reference_and_the_helpers_but_not_the_prose() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in bookext.source_files()}
    assert {"src/linreg/model.py", "src/linreg/shards.py", "reference/seed.txt", "docs/book.py"} <= files
    assert "benchmarks/results/cpu-2026-11-28.json" in files
    assert not any(f.endswith(".md") and f.startswith("docs/") for f in files)


def test_equation_previews_follow_an_edit_and_a_deletion_in_an_incremental_build(tmp_path: Path) -> None:
    """The previews' store is kept per document: purged, merged from parallel readers, and the
    pages that preview an edited or deleted page's equation are written again."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'docs')!r})\n"
        "extensions = ['myst_nb', 'sphinxcontrib.katex', 'bookext']\n"
        "myst_enable_extensions = ['dollarmath', 'amsmath']\n"
        "katex_prerender = False\n"
        "nb_execution_mode = 'off'\n"
    )
    (src / "eqs.md").write_text("# Eqs\n\n$$\nx = 1\n$$ (eq-a)\n\n$$\nz = 3\n$$ (eq-z)\n")
    (src / "gone.md").write_text("# Gone\n\n$$\ng = 7\n$$ (eq-g)\n")
    pages = [f"ref{k}" for k in range(6)]  # more than five: Sphinx reads them in parallel
    for page in pages:
        (src / f"{page}.md").write_text(f"# {page}\n\nSee {{eq}}`eq-a`.\n")
    toctree = "\n".join(["eqs", "gone", *pages])
    (src / "index.md").write_text(f"# Index\n\n```{{toctree}}\n{toctree}\n```\n")

    def build() -> None:
        run = bookext.sphinx("html", out, tmp_path / "doctrees", "-j", "2", source=src)
        assert run.returncode == 0, run.stdout[-3000:]

    build()
    assert all("x = 1" in (out / f"{page}.html").read_text() for page in pages)
    (src / "eqs.md").write_text("# Eqs\n\n$$\nx = 2\n$$ (eq-a)\n")  # edited; eq-z deleted
    (src / "gone.md").unlink()
    (src / "index.md").write_text(f"# Index\n\n```{{toctree}}\neqs\n{toctree.split(chr(10), 2)[2]}\n```\n")
    build()
    for page in pages:
        html = (out / f"{page}.html").read_text()
        assert "x = 2" in html, page
        assert "x = 1" not in html, page
    pickled = (tmp_path / "doctrees" / "environment.pickle").read_bytes()
    assert b"g = 7" not in pickled
    assert b"z = 3" not in pickled


class _MathThenPunctuation(HTMLParser):
    """Finds inline math (KaTeX's span.katex) followed by punctuation outside a no-wrap box."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []  # the class of each open span
        self.closed_math = False
        self.loose: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.closed_math = False
        if tag == "span":
            self.stack.append(dict(attrs).get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.stack:
            self.closed_math = self.stack.pop() == "katex"
        else:
            self.closed_math = False

    def handle_data(self, data: str) -> None:
        if self.closed_math and data[:1] in ".,;:)" and "lr-nowrap" not in self.stack:
            self.loose.append(data[:20])
        self.closed_math = False


def test_no_line_can_open_with_the_punctuation_after_inline_math(book: Path) -> None:
    for page in NOTEBOOK_PAGES:
        found = _MathThenPunctuation()
        found.feed(article(book, page))
        assert not found.loose, f"{page}: punctuation that can wrap away from its math: {found.loose}"


def test_the_pdf_is_promised_only_by_a_build_that_has_one() -> None:
    from docutils import nodes

    def page() -> Any:
        doctree = nodes.document("", None)
        offer = nodes.inline("", "And a PDF.", classes=["lr-pdf-offer"])
        doctree += nodes.paragraph("", "Notebooks. ", offer)
        return doctree

    for pdf, kept in (("", False), ("linreg-book.pdf", True)):
        doctree = page()
        bookext._pdf_offer(SimpleNamespace(config=SimpleNamespace(book_pdf_url=pdf)), doctree, "build")
        assert ("a PDF" in doctree.astext()) == kept, pdf


def test_the_build_page_offers_the_pdf_its_menu_offers(book: Path) -> None:
    page = (book / "build.html").read_text()
    assert "download-pdf-button" in page
    assert 'class="lr-pdf-offer"' in article(book, "build")


def test_the_cache_lives_under_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", "")
    monkeypatch.setenv("IPYTHONDIR", "")
    config = SimpleNamespace(nb_execution_cache_path="", html_static_path=[])
    bookext._configure(SimpleNamespace(doctreedir=str(tmp_path)), config)
    assert Path(config.nb_execution_cache_path) == tmp_path / "jupyter_cache" / bookext.source_hash()
    assert (tmp_path / "static" / "katex" / "katex.min.css").is_file()


def test_the_katex_server_is_used_once_it_listens_not_once_its_socket_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import sys
    import tempfile

    from sphinxcontrib.katex import KaTeXServer

    # A server that creates its socket file (bind), then listens half a second later: Node does
    # both in one call, but a busy machine can pause it in between (CI's failed build).
    server = tmp_path / "slow_server.py"
    server.write_text(
        "import socket, sys, time\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "s.bind(sys.argv[sys.argv.index('--socket') + 1])\n"
        "time.sleep(0.5)\n"
        "s.listen()\n"
        "s.settimeout(5)\n"
        "s.accept()\n"
        "time.sleep(5)\n"
    )
    command = lambda cls, socket: [sys.executable, str(server), "--socket", str(socket)]  # noqa: E731
    monkeypatch.setattr(KaTeXServer, "build_command", classmethod(command))
    monkeypatch.setattr(KaTeXServer, "katex_server", None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the server's folder goes
    # (sphinxcontrib-katex's own KaTeXServer.start() raises ConnectionRefusedError here, and leaves
    # its process running: once it waits for the server, _katex_server can go.)
    builder = SimpleNamespace(format="html")
    bookext._katex_server(SimpleNamespace(builder=builder, config=SimpleNamespace(katex_prerender=True)))
    started = KaTeXServer.katex_server  # stopped at exit, as in a build
    assert started is not None
    assert started.sock.getpeername() == str(started.rundir / "katex.sock")
    child = os.fork()  # as Sphinx forks its parallel writers
    if child == 0:
        try:
            own = KaTeXServer.katex_server
            os._exit(0 if own is not started and own.sock.getpeername() == started.sock.getpeername() else 1)
        finally:
            os._exit(2)
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0, "a fork must connect on its own"


def test_the_api_page_documents_every_module_of_the_library() -> None:
    import pkgutil

    import linreg

    modules = {
        f"linreg.{m.name}" for m in pkgutil.iter_modules(linreg.__path__) if not m.name.startswith("_")
    }
    documented = set(re.findall(r"^\.\. automodule:: (linreg\.\w+)", (DOCS / "api.md").read_text(), re.M))
    assert modules == documented, f"undocumented: {sorted(modules - documented)}"


def test_repository_buttons_follow_the_clone_url() -> None:
    assert bookext.repository_options(None) == {} == bookext.repository_options("")
    assert bookext.repository_options("https://git.example.org/team/linreg.git") == {}
    options = bookext.repository_options("https://github.com/team/linreg.git")
    assert options["repository_url"] == "https://github.com/team/linreg"
    assert set(options["launch_buttons"]) == {"binderhub_url", "colab_url", "notebook_interface"}
    assert (
        bookext.repository_options("git@gitlab.com:team/linreg.git")["repository_url"]
        == "https://gitlab.com/team/linreg"
    )


def test_no_repository_buttons_without_a_clone_url(book: Path) -> None:
    page = (book / "walkthrough.html").read_text()
    for label in ("repository-button", "edit-button", "launch-buttons", "source-file-button"):
        assert label not in page, label


def merge_streams(chunks: list[str]) -> str:
    """What myst-nb's nb_merge_streams shows of a stream's chunks: each one's trailing white space
    stripped and one newline put back, an empty one after the first dropped."""
    first, *later = chunks
    return first.rstrip() + "\n" + "".join(c.rstrip() + "\n" for c in later if c.rstrip())


def test_what_a_cell_prints_reads_the_same_wherever_the_kernel_cuts_it_into_chunks() -> None:
    """book.WholeLines hands the kernel only whole lines: merged, any chunks read as printed."""
    import book

    printed = ["loss", " = 0.25", "\n", "\n", "a row  ", "\n", "x\n\ny", "\n\n", "  indented\n", "end"]

    def reads(writes: list[str]) -> set[str]:
        """The merged text for each way the kernel's timer can cut ``writes`` into chunks."""
        seen = set()
        for cuts in itertools.product([False, True], repeat=len(writes) - 1):
            chunks = [writes[0]]
            for cut, text in zip(cuts, writes[1:], strict=True):
                chunks[-1:] = [chunks[-1], text] if cut else [chunks[-1] + text]
            seen.add(merge_streams(chunks))
        return seen

    class Kernel(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.writes: list[str] = []

        def write(self, text: str) -> int:
            self.writes.append(text)
            return len(text)

    kernel = Kernel()
    stream = book.WholeLines(kernel)
    for text in printed:
        stream.write(text)
    stream.flush()
    assert "".join(kernel.writes) == "".join(printed)
    assert reads(kernel.writes) == {"".join(printed).rstrip() + "\n"}
    assert len(reads(printed)) > 1  # the writes as printed, cut and merged, read otherwise


def test_no_page_describes_itself_to_a_link_preview_in_tex(book: Path) -> None:
    """The description and og:description meta tags (search engines, link previews) are prose."""
    described: dict[str, list[str]] = {}
    for page in sorted(book.glob("*.html")):
        metas = re.findall(r"<meta [^>]*>", page.read_text())
        described[page.name] = [
            re.findall(r'content="([^"]*)"', m)[0] for m in metas if re.search(r'"(og:)?description"', m)
        ]
    assert all(described[p] for p in ("index.html", "api.html", "math.html")), described
    tex = {name: tags for name, tags in described.items() if any("\\" in t for t in tags)}
    assert not tex, tex
    # nor the line under the title that says when the page was executed
    built = {name: tags for name, tags in described.items() if any("values checked" in t for t in tags)}
    assert not built, built


NUMBER_ALONE = re.compile(r"[−-]?\d[\d.,]*(e[−+-]?\d+)?\s*[×%]?")


def test_a_number_in_bold_is_one_the_page_pasted_from_its_cells(book: Path) -> None:
    """The front page says so: glued values are bold (myst-nb's style); no number is bolded by hand."""
    typed = {}
    for page in sorted(book.glob("*.html")):
        strong = re.findall(r"<strong>([^<]*)</strong>", page.read_text())
        typed[page.name] = [text for text in strong if NUMBER_ALONE.fullmatch(text.strip())]
    assert not any(typed.values()), typed
