# Two commands matter, on a fresh clone: `make book` builds the book, `make test` runs every test.
# Both create (once) and reuse the virtual environment .venv; pyproject.toml changes re-install into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# A CPU torch: the book and the tests need no CUDA, and a CPU wheel is ~0.2 GB against several GB.
# The CPU index holds CPU-only wheels; where it cannot be reached, pip falls back to the other
# indexes it knows (here the local disk's CPU wheel of torch 2.13.0). TORCH pins what the book is
# tested with; to use a CUDA torch, install it into .venv yourself: the range in pyproject.toml keeps it.
TORCH ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
STAMP := $(VENV)/.installed
BUILD := docs/_build
SPHINXOPTS ?= -j auto

.PHONY: book test bench clean chromium

book: $(STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -n $(SPHINXOPTS) -b html -d $(BUILD)/doctrees docs $(BUILD)/html
	@echo "The book is at $(BUILD)/html/index.html"

test: $(STAMP) chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --retries 1 --index-url $(TORCH_INDEX) \
		--extra-index-url https://pypi.org/simple "$(TORCH)"
	$(PY) -m pip install --quiet --editable ".[docs,test]"
	touch $@

# The browser tests drive Debian's Chromium; a test tool's own browser download is not used.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

clean:
	rm -rf $(BUILD) $(VENV)
