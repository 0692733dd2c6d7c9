"""The built book: what its pages show, checked against the seed and independent computations.

The ``book`` fixture builds the whole site from scratch with forced execution, so every
number read here was computed in this test run. Expected values come from the seed
(``reference/``, which does not import linreg) or are computed here with numpy, never
copied from the library's output.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from reference import seed_notebook

import bookext

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOK_PAGES = ("walkthrough", "math", "checks", "general", "build")


def _article(book: Path, page: str) -> str:
    text = (book / f"{page}.html").read_text()
    return text[text.index("<article") : text.index("</article>")]


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _outputs(book: Path, page: str) -> str:
    """What the page's code cells printed, in order, as the reader sees it."""
    stream = r'<div class="output stream[^"]*"[^>]*>.*?<pre>(.*?)</pre>'
    blocks = re.findall(stream, _article(book, page), re.S)
    return "".join(html.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks)


@pytest.fixture(scope="module")
def seed() -> dict:
    """The seed's own code, run here: the independent reference."""
    return {k: v.detach().numpy().astype(np.float64) for k, v in seed_notebook.run().items()}


@pytest.fixture(scope="module")
def doctest_run(book: Path) -> subprocess.CompletedProcess[str]:
    """The doctest builder, sharing the html build's doctrees so nothing is re-read or re-executed."""
    out = book.parent
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-b", "doctest"]
    cmd += ["-d", str(out / "doctrees"), "-D", "nb_execution_mode=force", str(DOCS), str(out / "doctest")]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


# -- Every page executed, cleanly ---------------------------------------------------------


@pytest.mark.book
def test_every_notebook_page_is_executed_and_succeeds(book: Path) -> None:
    table = (book / "build.html").read_text()
    table = table[table.index("<table") : table.index("</table>")]
    rows = {_text(r).split()[0]: _text(r) for r in re.findall(r"<tr.*?</tr>", table, re.S)[1:]}
    for page in NOTEBOOK_PAGES:
        assert page in rows, f"{page} is missing from the execution table"
        assert "force" in rows[page], rows[page]
        assert "✅" in rows[page], rows[page]
    assert not list((book / "reports").glob("*.log")), "a notebook left an error report"


@pytest.mark.book
def test_no_page_shows_error_or_stderr_output(book: Path) -> None:
    for path in sorted(book.glob("*.html")):
        text = path.read_text()
        assert "output stderr" not in text, f"{path.name} shows stderr output"
        assert "output traceback" not in text, f"{path.name} shows a traceback"
        assert "Traceback (most recent call last)" not in text, path.name


@pytest.mark.book
def test_doctest_builder_runs_the_examples_and_passes(doctest_run: subprocess.CompletedProcess[str]) -> None:
    assert doctest_run.returncode == 0, doctest_run.stdout[-3000:] + doctest_run.stderr[-3000:]
    summary = doctest_run.stdout[doctest_run.stdout.rindex("Doctest summary") :]
    tests = int(re.search(r"(\d+) tests?\b", summary).group(1))  # type: ignore[union-attr]
    assert tests >= 2, summary
    assert re.search(r"\b0 failures in tests", summary), summary
    log = doctest_run.stdout + doctest_run.stderr
    assert "Executing notebook" not in log, "the doctest builder re-executed notebooks"


# -- The walkthrough's numbers are the seed's ----------------------------------------------


@pytest.mark.book
def test_walkthrough_prints_exactly_what_the_seed_printed(book: Path) -> None:
    shown = _outputs(book, "walkthrough")
    printed = seed_notebook.printed_outputs()
    assert printed in shown.replace("\n\n", "\n"), "the walkthrough's output differs from reference/seed.txt"


@pytest.mark.book
def test_walkthrough_prose_shows_the_seeds_final_numbers(book: Path, seed: dict) -> None:
    prose = _text(_article(book, "walkthrough"))
    W, b, loss = seed["W"].item(), seed["b"].item(), seed["loss"].item()
    first = np.mean((seed["X"] @ seed["W0"] + seed["b0"] - seed["y_true"]) ** 2)
    assert f"The loss fell from {first:.4f} to {loss:.4f} ( {loss:.6e} unrounded)" in prose
    assert rf"Gradient descent ends at \(W =\) {W:.4f} and \(b =\) {b:.4f}" in prose
    assert "at this learning rate 40 epochs are not enough" in prose


@pytest.mark.book
def test_walkthrough_checks_ran_in_its_kernel(book: Path) -> None:
    shown = _outputs(book, "walkthrough")
    assert "linreg.fit and the loop above agree bit for bit" in shown
    assert "are the seed's, character for character" in shown


@pytest.mark.book
def test_walkthrough_table_lists_the_seeds_predictions(book: Path, seed: dict) -> None:
    table = _text(_article(book, "walkthrough").split("sample by sample")[1])
    for x, t, p in zip(seed["X"][:, 0], seed["y_true"][:, 0], seed["y_hat"][:, 0], strict=True):
        assert f"{x:.4f} {t:.4f} {p:.4f} {p - t:+.4f}" in table


# -- Math: equations, references and the generated shapes ----------------------------------


@pytest.mark.book
def test_math_page_numbers_its_equations_and_resolves_references(book: Path) -> None:
    page = _article(book, "math")
    assert re.findall(r'<span class="eqno">\((\d+)\)', page) == ["1", "2", "3", "4", "5"]
    for label in ("eq-model", "eq-mse", "eq-grads", "eq-update"):
        assert f'id="equation-{label}"' in page
        assert f'href="#equation-{label}"' in page
    assert r"\nabla_W \mathcal{L} = \frac{2}{N D_\text{out}}\, X^\top R" in html.unescape(page)


@pytest.mark.book
def test_math_is_served_by_the_site_itself(book: Path) -> None:
    page = (book / "math.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page)
    assert scripts, "no MathJax on a page with equations"
    for src in scripts:
        assert not src.startswith(("http:", "https:", "//")), src
        assert (book / src.split("?")[0]).is_file(), src


def _shape_rows(book: Path, page: str) -> dict[str, tuple[str, str]]:
    article = _article(book, page)
    table = article[article.index("<table", article.index('id="the-shapes"')) :]
    table = table[: table.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr.*?</tr>", table, re.S)[1:]:
        cells = [_text(c) for c in re.findall(r"<td.*?</td>", row, re.S)]
        rows[cells[1]] = (cells[2], cells[3])
    return rows


@pytest.mark.book
def test_math_shapes_table_matches_the_seeds_tensors(book: Path, seed: dict) -> None:
    rows = _shape_rows(book, "math")

    def space(shape: tuple[int, ...]) -> str:
        dims = r" \times ".join(map(str, shape))
        return rf"\(\mathbb{{R}}^{{{dims}}}\)" if shape else "scalar"

    for code, tensor in (("X", "X"), ("y_true", "y_true"), ("W", "W"), ("b", "b"), ("y_hat", "y_hat")):
        assert rows[code][1] == space(seed[tensor].shape), (code, rows[code])
    assert rows["loss"][1] == "scalar"
    assert rows["X"][0] == r"\(\mathbb{R}^{N \times D_\text{in}}\)"
    assert rows["W"][0] == r"\(\mathbb{R}^{D_\text{in} \times D_\text{out}}\)"
    assert rows["dW"] == rows["W"]
    assert rows["db"] == rows["b"]


@pytest.mark.book
def test_general_page_shapes_table_is_for_three_inputs_two_outputs(book: Path) -> None:
    rows = _shape_rows(book, "general")
    assert rows["X"][1] == r"\(\mathbb{R}^{50 \times 3}\)"
    assert rows["W"][1] == r"\(\mathbb{R}^{3 \times 2}\)"
    assert rows["b"][1] == r"\(\mathbb{R}^{2}\)"
    assert rows["y_hat"][0] == r"\(\mathbb{R}^{N \times D_\text{out}}\)"


@pytest.mark.book
def test_general_page_shows_the_n_times_d_out_normalisation(book: Path) -> None:
    shown = _outputs(book, "general")
    by_mean = float(re.search(r"torch.mean:\s+([\d.]+)", shown).group(1))  # type: ignore[union-attr]
    by_N = float(re.search(r"sum of squares / N:\s+([\d.]+)", shown).group(1))  # type: ignore[union-attr]
    assert by_N == pytest.approx(2 * by_mean, abs=2e-6)


# -- Checks: figures, closed form, divergence ----------------------------------------------


@pytest.mark.book
def test_checks_page_shows_three_figures_with_alt_text(book: Path) -> None:
    images = re.findall(r'<img alt="([^"]*)" src="([^"]*)"', _article(book, "checks"))
    assert len(images) == 3
    for alt, src in images:
        path = book / src
        assert path.is_file(), src
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 10_000, f"{src} is suspiciously small"
        assert not alt.startswith("_images/"), "a figure has no alt text"


def _lambdas(X: np.ndarray) -> np.ndarray:
    Z = np.hstack([X, np.ones_like(X[:, :1])])
    return np.linalg.eigvalsh(2.0 / len(X) * Z.T @ Z)


@pytest.mark.book
def test_checks_page_states_the_stability_bound_and_shows_the_divergence(book: Path, seed: dict) -> None:
    lr_max = 2 / _lambdas(seed["X"])[-1]
    prose = _text(_article(book, "checks"))
    assert f"2/\\lambda_\\text{{max}} =\\) {lr_max:.4f}" in prose
    shown = _outputs(book, "checks")
    assert "DivergenceError: training diverged" in shown
    assert f"2/lambda_max = {lr_max:.6g}" in shown


@pytest.mark.book
def test_checks_page_predicted_rate_is_the_theorys(book: Path, seed: dict) -> None:
    lam_min = _lambdas(seed["X"])[0]
    prose = _text(_article(book, "checks"))
    assert f"(1 - \\eta\\lambda_\\text{{min}})^2 =\\) {(1 - 0.07 * lam_min) ** 2:.4f}" in prose


@pytest.mark.book
def test_checks_page_gradient_descent_heads_for_the_least_squares_solution(book: Path, seed: dict) -> None:
    Z = np.hstack([seed["X"], np.ones_like(seed["X"])])
    W_star, b_star = np.linalg.lstsq(Z, seed["y_true"], rcond=None)[0][:, 0]
    table = _text(_article(book, "checks").split("Where gradient descent is heading")[1])
    assert f"closed form (least squares) {W_star:.6f} {b_star:.6f}" in table
    assert f"gradient descent, 40 epochs {seed['W'].item():.6f} {seed['b'].item():.6f}" in table


# -- What readers get ----------------------------------------------------------------------


@pytest.mark.book
def test_notebook_pages_offer_their_executed_notebook_for_download(book: Path) -> None:
    for page in NOTEBOOK_PAGES:
        assert f'_sources/{page}.ipynb"' in (book / f"{page}.html").read_text(), page
        notebook = json.loads((book / "_sources" / f"{page}.ipynb").read_text())
        assert any(cell.get("outputs") for cell in notebook["cells"]), f"{page}.ipynb has no outputs"
    walkthrough = (book / "_sources" / "walkthrough.ipynb").read_text()
    assert f"Final Loss: {seed_notebook.printed('Final Loss')}" in walkthrough


@pytest.mark.book
def test_pages_have_copy_buttons_margin_notes_and_source_download(book: Path) -> None:
    page = (book / "walkthrough.html").read_text()
    assert "copybutton.js" in page
    assert '<aside class="margin sidebar">' in page
    assert '_sources/walkthrough.md"' in page


@pytest.mark.book
def test_no_repository_buttons_without_a_clone_url(book: Path) -> None:
    page = (book / "walkthrough.html").read_text()
    for label in ("repository-button", "edit-button", "launch-buttons", "source-file-button"):
        assert label not in page, label


def test_repository_buttons_follow_the_clone_url() -> None:
    assert bookext.repository_options(None) == {}
    assert bookext.repository_options("") == {}
    assert bookext.repository_options("https://git.example.org/team/linreg.git") == {}
    options = bookext.repository_options("https://github.com/team/linreg.git")
    assert options["repository_url"] == "https://github.com/team/linreg"
    assert options["use_edit_page_button"] is True
    assert options["launch_buttons"]["binderhub_url"]
    assert (
        bookext.repository_options("git@gitlab.com:team/linreg.git")["repository_url"]
        == "https://gitlab.com/team/linreg"
    )


# -- Stale outputs are impossible (cheap: no build) -----------------------------------------


def test_an_edit_in_the_library_changes_the_cache_key(tmp_path: Path) -> None:
    library = tmp_path / "linreg"
    shutil.copytree(ROOT / "src" / "linreg", library, ignore=shutil.ignore_patterns("__pycache__"))
    before = bookext.source_hash([library], packages=())
    assert bookext.source_hash([library], packages=()) == before
    model = library / "model.py"
    source = model.read_text()
    edited = source.replace("return X @ W + b", "return b + X @ W")  # the same model, other bytes
    assert edited != source, "the edit no longer applies to model.py: pick another"
    model.write_text(edited)
    assert bookext.source_hash([library], packages=()) != before
    (library / "new.py").write_text("")
    assert bookext.source_hash([library], packages=()) != before


def test_the_cache_key_covers_the_library_and_the_reference_but_not_the_prose() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in bookext.source_files()}
    assert "src/linreg/model.py" in files
    assert "src/linreg/train.py" in files
    assert "reference/seed.txt" in files
    assert "docs/shapes.py" in files
    assert not any(f.endswith(".md") and f.startswith("docs/") for f in files)


def test_the_cache_lives_under_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", "")
    monkeypatch.setenv("LINREG_BOOK_CACHE_KEY", "")
    config = SimpleNamespace(nb_execution_cache_path="")
    bookext._cache_per_source(SimpleNamespace(doctreedir=str(tmp_path)), config)
    assert Path(config.nb_execution_cache_path) == tmp_path / "jupyter_cache" / bookext.source_hash()


def test_the_api_page_documents_every_module_of_the_library() -> None:
    import pkgutil

    import linreg

    names = [m.name for m in pkgutil.iter_modules(linreg.__path__)]
    modules = {f"linreg.{name}" for name in names if not name.startswith("_")}
    documented = set(re.findall(r"^\.\. automodule:: (linreg\.\w+)", (DOCS / "api.md").read_text(), re.M))
    assert modules == documented, f"undocumented: {sorted(modules - documented)}"
