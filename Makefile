# Two entry points that work on a fresh clone; both create .venv on first use.
#   make preview   offline preview of the bundled example (no cloud account, no Pulumi CLI)
#   make test      the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: preview preview-prod test lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

preview: $(STAMP)
	$(BIN)/proliferate-infra preview --offline examples/proliferate --preset dev

preview-prod: $(STAMP)
	$(BIN)/proliferate-infra preview --offline examples/proliferate --preset prod

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/pyright

docs: $(STAMP)
	$(BIN)/python -m proliferate_components.docgen && $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/preview_bench.py

clean:
	rm -rf $(VENV) dist build site .pytest_cache
