# Two commands matter, on a fresh clone: `make book` builds the book, `make test` runs every test.
# Each sets up what it needs and reuses it after: .venv (re-installed when pyproject.toml changes),
# node_modules (npm ci, when package-lock.json changes) and, for the tests and the PDF, Debian's
# Chromium, TeX Live and poppler (apt-get, as root).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
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

.PHONY: book pdf notebooks test bench debian clean

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

test: $(STAMP) $(NODE) debian
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: $(STAMP) $(NODE) debian
	$(PY) -m benchmarks

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --retries 1 --index-url $(TORCH_INDEX) \
		--extra-index-url https://pypi.org/simple "$(TORCH)"
	$(PY) -m pip install --quiet --editable ".[docs,test]"
	touch $@

# KaTeX's stylesheet and fonts for the book; axe-core, the Nu checker and Lighthouse for the tests.
$(NODE): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser the tests drive (a test tool's own browser download is not used), TeX for the PDF.
debian:
	@missing=$$(for c in chromium xelatex latexmk pdftotext java; do command -v $$c >/dev/null || echo $$c; done); \
	if [ -n "$$missing" ]; then echo "installing from Debian for: $$missing"; apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN) >/dev/null; fi

clean:
	rm -rf $(BUILD) $(VENV) node_modules
