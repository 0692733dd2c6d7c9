# Three commands matter, on a fresh clone: `make book` builds the book, `make check` runs the fast
# lane (no root, no Debian package), `make test` runs every test. Each sets up what it needs and
# reuses it after: .venv (the versions of lock/py<X.Y>.txt; re-installed when the lock or
# pyproject.toml changes), node_modules (npm ci, when package-lock.json changes) and, for
# `make test` and the PDF, Debian's Chromium, TeX Live and poppler (apt-get, as root).
# `make lock` refreshes the locks (uv pip compile, from pyproject's extras).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# The exact versions the book and the tests are tested with, one lock per Python (Linux): made by
# `make lock` from pyproject's `docs` and `test` extras; torch is not in them (installed first, below).
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
LOCK := lock/py$(PYVER).txt
LOCKED_PYTHONS := 3.11 3.12
UV ?= uv==0.13.9
# A CPU torch: the book and the tests need no CUDA, and a CPU wheel is ~0.2 GB against several GB.
# Where PyTorch's CPU index cannot be reached, pip falls back to its other indexes (here the local
# disk's wheel). TORCH pins what the book is tested with; a CUDA torch you install yourself stays.
TORCH ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
STAMP := $(VENV)/.installed
NODE := node_modules/.installed
BUILD := docs/_build
SPHINX := $(PY) -m sphinx -W --keep-going -n -j auto
PDF := -D book_pdf_url=linreg-book.pdf
DEBIAN := chromium texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
	fonts-freefont-otf latexmk poppler-utils default-jre-headless

.PHONY: book pdf notebooks check test bench debian lock clean

book: $(STAMP) $(NODE)
	$(SPHINX) -b html -d $(BUILD)/doctrees docs $(BUILD)/html
	@echo "The book is at $(BUILD)/html/index.html"

# The PDF, from the same execution as the pages (shared doctrees), and the pages that link it.
pdf: $(STAMP) $(NODE) debian
	$(SPHINX) -b latex -d $(BUILD)/doctrees $(PDF) docs $(BUILD)/latex
	cd $(BUILD)/latex && latexmk -xelatex -interaction=nonstopmode -halt-on-error -quiet linreg-book.tex
	$(SPHINX) -b html -d $(BUILD)/doctrees $(PDF) docs $(BUILD)/html
	cp $(BUILD)/latex/linreg-book.pdf $(BUILD)/html/
	@echo "The book is at $(BUILD)/html/index.html, its PDF at $(BUILD)/html/linreg-book.pdf"

# The launch buttons (Binder, Colab) open docs/<page>.ipynb: after editing a page or the library,
# commit what this copies (a test fails while they differ from the build's).
notebooks: book
	cp $(BUILD)/html/notebooks/*.ipynb docs/

# The fast lane: no root, no Debian package. Lint, types, the library's tests and doctests, the
# book's tests that need no build, then the book built once from scratch with forced execution
# (every page's hidden checks run; any warning fails it). Not run: the tests of the built book,
# its PDF, Chromium and the auditors (marked `browser`), the readers' notebooks, Read the Docs' replay (`make test`).
check: $(STAMP) $(NODE)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -m "not book and not browser"
	rm -rf $(BUILD)/check
	$(SPHINX) -b html -d $(BUILD)/check/doctrees -D nb_execution_mode=force docs $(BUILD)/check/html
	@echo "make check passed: the book it built is at $(BUILD)/check/html/index.html"

test: $(STAMP) $(NODE) debian
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: $(STAMP) $(NODE) debian
	$(PY) -m benchmarks

# torch first (a CPU build), then the lock's exact versions, then linreg itself without resolving
# anything again (--no-deps): the venv holds what the lock says, nothing newer.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --retries 1 --index-url $(TORCH_INDEX) \
		--extra-index-url https://pypi.org/simple "$(TORCH)"
	$(PY) -m pip install --quiet --requirement $(LOCK)
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $@

$(LOCK):
	@echo "no lock for Python $(PYVER) ($(LOCK)): the locks are for $(LOCKED_PYTHONS);"; \
	echo "use one of those (make PYTHON=python3.11 ...), or add it to LOCKED_PYTHONS and run make lock"; exit 1

# Refresh the locks: the newest versions that pyproject's ranges admit today, for Linux and each
# Python of LOCKED_PYTHONS, resolved by uv with torch's CPU dependencies (lock/uv.toml). Then run
# `make test` and commit lock/ if it passes.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(UV)"
	for v in $(LOCKED_PYTHONS); do \
		$(VENV)/bin/uv pip compile --quiet --config-file lock/uv.toml --override lock/torch.txt \
			--no-emit-package torch --python-version $$v --python-platform x86_64-manylinux_2_28 \
			--extra docs --extra test --custom-compile-command "make lock" \
			pyproject.toml --upgrade --output-file lock/py$$v.txt || exit 1; \
	done

# KaTeX's stylesheet and fonts for the book; axe-core, the Nu checker and Lighthouse for the tests.
$(NODE): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser the tests drive (a test tool's own browser download is not used), TeX for the PDF,
# poppler to read the PDF back, Java for the Nu checker: said before apt-get asks for root.
debian:
	@missing=$$(for c in chromium xelatex latexmk pdftotext java; do command -v $$c >/dev/null || echo $$c; done); \
	if [ -n "$$missing" ]; then \
	echo "make test needs programs that are not here:" $$missing; \
	echo "It installs these Debian packages with apt-get, as root:"; \
	echo "  chromium: the browser the tests read the book in (axe-core, Lighthouse, screenshots)"; \
	echo "  texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended"; \
	echo "  fonts-freefont-otf latexmk: the book's PDF (xelatex)"; \
	echo "  poppler-utils: pdftotext, to read the PDF back in its tests"; \
	echo "  default-jre-headless: java, for the Nu HTML checker"; \
	echo "Without root, \`make check\` runs the lint, the types, the library's tests and one checked build."; \
	if [ "$$(id -u)" != 0 ]; then echo "Not root: install them (apt-get install $(DEBIAN)), then make test again."; exit 1; fi; \
	apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN) >/dev/null; fi

clean:
	rm -rf $(BUILD) $(VENV) node_modules
