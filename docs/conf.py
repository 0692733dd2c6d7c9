"""Sphinx configuration of the book. Every setting here says why it is set."""

import os
import sys
from importlib import metadata
from pathlib import Path

# bookext.py, beside this file: the cache key, provenance lines, equation previews, notebooks.
sys.path.insert(0, str(Path(__file__).parent))
from bookext import repository_options

project = "Linear regression by gradient descent"
author = "The linreg book team"
copyright = "2026, the linreg book team"
# From the installed metadata: importing linreg would import torch (~2 s) on every build.
release = version = metadata.version("linreg")

extensions = [
    "myst_nb",  # MyST markdown pages that are notebooks, executed at build time
    "sphinx.ext.autodoc",  # the API page is the library's own docstrings
    "sphinx.ext.napoleon",  # which are numpy-style
    "sphinx.ext.doctest",  # reader-facing examples are run by `-b doctest`
    "sphinx_copybutton",
    "sphinxcontrib.katex",  # math rendered to HTML when the book is built, not in the browser
    "sphinxext.opengraph",  # a meta description per page, from its opening lines
    # The theme's `margin` directive is registered by its setup(), which only the html
    # builder runs for a theme: as an extension it is known to `-b doctest` too.
    "sphinx_book_theme",
    "sphinx_exercise",  # exercises and their solutions, numbered, in the pages, the PDF and notebooks
    "sphinx_togglebutton",  # a solution is closed until the reader opens it (`:class: dropdown`)
    "bookext",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md", "*.ipynb"]
html_static_path = ["_static"]
# layout.html: each page that shows math preloads the KaTeX fonts it uses (no layout shift when they
# come); lr-downloads.html: the page's download menu (bookext).
templates_path = ["_templates"]
html_css_files = ["book.css"]
# Without one, every reader's browser asks for /favicon.ico and logs a 404.
html_favicon = "_static/favicon.svg"
# Read the Docs gives the hosted URL: pages then carry a canonical link to it.
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")

# -- Every warning is an error (the build runs with -W --keep-going), and so is every
#    unresolved cross-reference (-n). Intersphinx would need the network; without it the
#    types of torch and of the standard library in signatures cannot resolve, so they are
#    the only references let through.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"torch\..*"), (r"py:class", r"(argparse|collections\.abc|typing)\.\w+")]

# -- MyST: math in $...$ and $$...$$ (numbered with a label), and ::: fences for margins.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "substitution", "attrs_inline"]
myst_dmath_double_inline = True
math_number_all = False
math_eqref_format = "({number})"
myst_heading_anchors = 2
katex_prerender = True  # Node renders each formula once, at build time: no script, no layout shift
katex_css_path = "katex/katex.min.css"  # served by the site (bookext copies it from npm's katex)

# The front page's install command: the wheel this build publishes (bookext), from this site.
wheel = f"linreg-{release}-py3-none-any.whl"
repository = repository_options(
    os.environ.get("READTHEDOCS_GIT_CLONE_URL") or os.environ.get("LINREG_REPOSITORY_URL")
)
myst_substitutions = {
    "install": (
        f'```sh\npip install "linreg @ {html_baseurl}dist/{wheel}"\n```'
        if html_baseurl
        else f'Download <a href="dist/{wheel}">its wheel</a>, then `pip install {wheel}`.'
    )
    + (
        f"\n\nThe source, its issues and its tests are in [the repository]({repository['repository_url']})."
        if repository
        else ""
    ),
}

# -- Execution. `cache`: a prose-only edit re-executes nothing; the cache's location is
#    keyed on the library's source (bookext.py), so a library edit re-executes everything.
#    Tests override this with -D nb_execution_mode=force.
nb_execution_mode = "cache"
# A failing cell must not crash Sphinx (the traceback would be lost, myst-nb issue 616):
# it is a warning, -W fails the build, and the log shows the cell's traceback.
nb_execution_raise_on_error = False
nb_execution_show_tb = True
nb_execution_allow_errors = False
nb_execution_timeout = 120
# Anything a cell writes to stderr (a warning, a log line) is a warning too, so the build fails.
nb_output_stderr = "warn"
nb_merge_streams = True
# Tables that cells build (shapes, predictions) are markdown with math: render them as MyST.
nb_render_markdown_format = "myst"
# The kernel is the interpreter that runs Sphinx: jupyter_client starts the `python3`
# kernelspec with sys.executable, so the kernels import the same linreg as autodoc.
nb_kernel_rgx_aliases = {".*": "python3"}

# -- Doctest: the `{doctest}` blocks of the pages. Docstring examples pulled in by autodoc
#    would run in the page's namespace and fail; pytest --doctest-modules runs them instead.
doctest_test_doctest_blocks = ""

# -- API reference.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"  # the docstrings describe the parameters; types stay in the signature
autodoc_typehints_format = "short"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
# The docstrings' type lines are prose for readers ("tensor of shape (N, D_in)", `{"cpu",
# "cuda"}`): show them as written, not as cross-references that cannot resolve.
napoleon_use_param = False
napoleon_preprocess_types = False
# Dataclass fields (Result.losses, Data.X) are part of the API even without a docstring.
autodoc_default_options = {"undoc-members": True}

# -- Meta description: the page's opening, for search results and link previews.
ogp_site_url = html_baseurl
ogp_enable_meta_description = True
ogp_social_cards = {"enable": False}  # a card image per page would need matplotlib at build time for nothing

# -- PDF: Read the Docs builds one (formats: pdf) and serves it at its downloads address; `make pdf`
#    puts one beside the pages (-D book_pdf_url=linreg-book.pdf). Every page's download menu links it.
if os.environ.get("READTHEDOCS"):
    host = html_baseurl.split("/")[2]
    book_pdf_url = f"https://{host}/_/downloads/{os.environ['READTHEDOCS_LANGUAGE']}/{os.environ['READTHEDOCS_VERSION']}/pdf/"
# xelatex for the book's Unicode (λ, ×, ≤); the book's own table of contents.
latex_engine = "xelatex"
latex_use_xindy = False
latex_documents = [("index", "linreg-book.tex", project, author, "manual")]
latex_elements = {"printindex": "", "sphinxsetup": "verbatimwrapslines=true, verbatimforcewraps=true"}

# -- Theme.
html_theme = "sphinx_book_theme"
# The pages' sources hold build-only cells: the site offers their runnable notebooks instead.
html_copy_source = False
html_show_sourcelink = False
html_title = "Linear regression by gradient descent"
html_last_updated_fmt = ""
# Without a default, pydata-sphinx-theme logs "Got invalid theme mode" to the console for a
# reader who never picked a mode: a console error on every page.
html_context = {"default_mode": "auto"}
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    # The theme's menu offers the page's source (build-only cells and all) and the print dialog:
    # ours (bookext, _templates/lr-downloads.html) offers the runnable notebook and the PDF.
    "use_download_button": False,
    "article_header_end": ["article-header-buttons.html", "lr-downloads.html"],
    "use_sidenotes": True,  # footnotes become margin notes
    # Repository, edit and launch buttons where the repository is known: Read the Docs says,
    # or LINREG_REPOSITORY_URL for a local build.
    **repository,
}
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
