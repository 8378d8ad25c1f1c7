# One entry point per chore. `make help` lists them.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help install demo test lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(BIN)/seatctl: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/seatctl  ## create .venv and install seatctl with test and dev extras

SANDBOX_DB ?= .seatctl/sandbox.db

demo: install  ## the quick start: seed the sandbox org, validate the example policy, plan it
	$(BIN)/seatctl sandbox seed --demo --db $(SANDBOX_DB)
	$(BIN)/seatctl validate policies
	$(BIN)/seatctl plan policies --sandbox $(SANDBOX_DB) --out .seatctl/plan.json || [ $$? -eq 2 ]
	@echo
	@echo "Next: apply it to the sandbox and plan again:"
	@echo "  $(BIN)/seatctl apply .seatctl/plan.json --sandbox $(SANDBOX_DB)"
	@echo "  $(BIN)/seatctl plan policies --sandbox $(SANDBOX_DB)"

test: install  ## run the test suite
	$(BIN)/pytest

lint: install  ## ruff and mypy
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/mypy

bench: install  ## run the benchmarks and print their figures (see bench/README.md)
	$(BIN)/python -m bench

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
