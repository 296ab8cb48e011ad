# Two commands on a fresh machine: `make demo` and `make test`.
# The first Python 3.11 or newer on PATH (python3.11, 3.12, 3.13 or python3 itself).
PY ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench eval-classifier clean agent-dist

venv: $(STAMP)

# torch first, and its CPU build (+cpu), so nothing pulls a CUDA build: from the wheels this
# machine's pip already finds, else from PyTorch's CPU index (PyPI has no +cpu builds).
TORCH_VERSION ?= 2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "make: no Python 3.11 or newer on PATH"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==$(TORCH_VERSION)+cpu 2>/dev/null \
	  || $(BIN)/pip install -q torch==$(TORCH_VERSION)+cpu --extra-index-url $(TORCH_INDEX)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/ai-cost demo

# Lint, the suite, then the tests marked `dated` again on a suite clock 60 days ahead
# (tests/clock.py), so a test that passes only on the day it is written fails that very day;
# that second run on SQLite only (DATED_BACKENDS=sqlite,postgresql for both), to stay quick.
# pytest exits 5 when no test is selected: no test marked dated is not a failure here.
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set (__pycache__ is ignored): the
# second run, and every `ai-cost` subprocess of a test, reuse the compiled modules.
DATED_AHEAD ?= +60d
# Tests run on every core (pytest-xdist): each worker has its own databases and ports.
JOBS ?= auto
DATED_BACKENDS ?= sqlite
test: venv lint
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(JOBS)
	@echo "tests marked dated, the suite clock $(DATED_AHEAD) ahead, on $(DATED_BACKENDS):"
	PYTHONDONTWRITEBYTECODE= AI_COST_TEST_NOW=$(DATED_AHEAD) \
	AI_COST_TEST_BACKENDS=$(DATED_BACKENDS) $(BIN)/pytest -q -n $(JOBS) -m dated; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no test is marked dated: none to run $(DATED_AHEAD)"; rc=0; fi; \
	exit $$rc

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: venv
	$(BIN)/python -m bench

# The slim agent's wheel (ai-cost-agent: the node agent and the collectors; what goes in:
# deploy/agent/stage.py) in $(AGENT_BUILD)/dist/. Any Python 3.11+ with pip: not the
# product's venv.
AGENT_BUILD ?= build
agent-dist:
	@test -n "$(PY)" || { echo "make: no Python 3.11 or newer on PATH"; exit 1; }
	mkdir -p $(AGENT_BUILD)/dist
	$(PY) deploy/agent/stage.py $(AGENT_BUILD)/agent
	$(PY) -m pip wheel -q --no-deps -w $(AGENT_BUILD)/dist $(AGENT_BUILD)/agent

# docs/classifier.md and the shipped card.json: the classifier against the rules on held-out jobs.
eval-classifier: venv
	$(BIN)/python -m analyzers.classifier.evaluate

clean:
	rm -rf out ai-cost.db ai-cost.db-* .pytest_cache .mypy_cache .ruff_cache
