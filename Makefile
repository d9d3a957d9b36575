# leadsim: `make demo` runs the headline demo, `make test` runs the tests.
# Both set up a virtual environment in .venv on first use (demo: runtime packages only).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.runtime
# Tests and scripts call the console scripts (leadsim, leadsim-report, ...) by name.
export PATH := $(abspath $(BIN)):$(PATH)

# The second test environment: CPython 3.13 with the newest Mesa 3.x (the default
# .venv has the machine's python3, 3.11 with Mesa 3.3.1 on the reference machine).
# PY313 is python3.13 on PATH if it runs, else pyenv's 3.13 (also found without pyenv on
# PATH); empty if neither exists. `make test PY313=/path/to/python3.13` chooses one.
VENV313  := .venv313
STAMP313 := $(VENV313)/.installed
ifeq ($(origin PY313),undefined)
PY313 := $(shell for p in python3.13 "$$(pyenv prefix 3.13 2>/dev/null | head -n1)/bin/python3.13" \
                   $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 \
                            "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.13*/bin/python3.13 2>/dev/null); do \
                   "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 \
                   && { command -v "$$p"; break; }; done)
endif
# What runs on 3.13: the model, command line, API and sweeps (tests/{model,cli,sweep});
# the app, notebooks, validation and project checks run on .venv only.
PY313_TESTS ?= tests/model tests/cli tests/sweep

.PHONY: setup demo test test-py313 test-fast lint typecheck system-deps clean app notebooks validate studies bench bench-quick

setup: $(STAMP)

$(RUNTIME_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "leadsim needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1). Try: make PYTHON=python3.12"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Debian's chromium for the browser test of the classroom app (no browser downloads), and
# valgrind for the instruction-count benchmark's test.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/valgrind ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium valgrind >/dev/null; \
	  else echo "note: /usr/bin/chromium or /usr/bin/valgrind missing; their tests will be skipped (sudo apt-get install chromium valgrind)"; fi; \
	fi

demo: $(RUNTIME_STAMP)
	$(BIN)/leadsim-demo --out outputs/demo

# The whole suite on .venv, then the model/CLI/API/sweep tests on CPython 3.13 with the
# newest Mesa 3.x when such an interpreter exists (a note says so when it does not).
test: setup system-deps
	@echo "== make test: the whole suite on $$($(BIN)/python -c 'from simulation import compat; print(compat.describe())') (.venv)"
	$(BIN)/pytest -n 2 --dist loadgroup
	@if [ -n "$(PY313)" ]; then $(MAKE) --no-print-directory test-py313; \
	else echo "== make test: note: no CPython 3.13 found (python3.13 on PATH or pyenv's 3.13), so only .venv's tests ran; 'pyenv install 3.13' adds the second run"; fi

$(STAMP313): pyproject.toml
	@[ -n "$(PY313)" ] || { echo "no CPython 3.13 found (python3.13 on PATH or pyenv's 3.13); set PY313=/path/to/python3.13"; exit 2; }
	$(PY313) -m venv $(VENV313)
	$(VENV313)/bin/pip install --quiet --upgrade pip
	$(VENV313)/bin/pip install --quiet --upgrade -e ".[sweep,test]"
	touch $@

# Same seed, same metrics: test_compat compares a run here with the same run in .venv.
test-py313: $(STAMP313)
	@echo "== make test-py313: model, CLI, API and sweep tests on $$($(VENV313)/bin/python -c 'from simulation import compat; print(compat.describe())') (.venv313)"
	PATH="$(abspath $(VENV313)/bin):$$PATH" LEADSIM_OTHER_PYTHON="$(if $(wildcard $(BIN)/python),$(abspath $(BIN)/python))" \
	  $(VENV313)/bin/pytest -n 2 --dist loadgroup -p no:cacheprovider $(PY313_TESTS)

test-fast: setup
	$(BIN)/pytest -n 2 -m "not slow and not browser"

# Lint: ruff's rules and its formatter (pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Types of the model core (the files listed under [tool.mypy] in pyproject.toml).
typecheck: setup
	$(BIN)/mypy

app: setup
	$(BIN)/leadsim-app

validate: setup
	$(BIN)/python -m simulation.validation --out docs/figures/validation

studies: setup
	for e in h1_bottleneck h1_bottleneck_model1_leader h2_price h3_conditions h4_facilitation h5_learning; do \
	  $(BIN)/leadsim -m +experiment=$$e || exit 1; done

bench: setup
	$(BIN)/python benchmarks/bench_scaling.py
	$(BIN)/python benchmarks/bench_sweep.py

bench-quick: setup
	$(BIN)/python benchmarks/bench_scaling.py --quick --out outputs/bench --figure outputs/bench/scaling.png
	$(BIN)/python benchmarks/bench_sweep.py --quick --out outputs/bench

notebooks: setup
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf outputs multirun .pytest_cache .hypothesis .mypy_cache .ruff_cache
