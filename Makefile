# leadsim: `make demo` runs the headline demo, `make test` runs the tests.
# Both set up a virtual environment in .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests and scripts call the console scripts (leadsim, leadsim-report, ...) by name.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup demo test test-fast system-deps clean app notebooks validate studies bench bench-quick

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Debian's chromium for the browser test of the classroom app (no browser downloads).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: /usr/bin/chromium missing; browser tests will be skipped (sudo apt-get install chromium)"; fi; \
	fi

demo: setup
	$(BIN)/leadsim-demo --out outputs/demo

test: setup system-deps
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: setup
	$(BIN)/pytest -n 2 -m "not slow and not browser"

app: setup
	$(BIN)/leadsim-app

validate: setup
	$(BIN)/python -m simulation.validation --out docs/figures/validation

studies: setup
	for e in h1_bottleneck h2_price h3_conditions h4_facilitation h5_learning; do \
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
	rm -rf outputs multirun .pytest_cache .hypothesis
