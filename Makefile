# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench eval-classifier clean

venv: $(STAMP)

# torch first, from the CPU build on this machine, so nothing pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/ai-cost demo

test: venv lint
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: venv
	$(BIN)/python -m bench

# docs/classifier.md and the shipped card.json: the classifier against the rules on held-out jobs.
eval-classifier: venv
	$(BIN)/python -m analyzers.classifier.evaluate

clean:
	rm -rf out ai-cost.db ai-cost.db-* .pytest_cache .mypy_cache .ruff_cache
