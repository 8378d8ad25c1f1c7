# One entry point per chore. `make help` lists them.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help install demo test test-calendar lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

# Two stamps: the demo needs only seatctl's runtime dependencies; tests and lint need the
# test and dev extras too. Either one re-runs when pyproject.toml changes.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(RUNTIME)

install: $(DEV)  ## create .venv and install seatctl with test and dev extras

SANDBOX_DB ?= .seatctl/sandbox.db
# The day the example policy and the demo org are written for (reconciler.sandbox.demo.
# DEMO_DATE): the sandbox org lives on it, so the demo shows the same plan on any date.
DEMO_AT := 2026-11-25

demo: $(RUNTIME)  ## the quick start (runtime dependencies only): seed the sandbox org, validate the example policy, plan it
	$(BIN)/seatctl sandbox seed --demo --sandbox $(SANDBOX_DB)
	$(BIN)/seatctl validate policies --at $(DEMO_AT)
	$(BIN)/seatctl plan policies --sandbox $(SANDBOX_DB) --out .seatctl/plan.json || [ $$? -eq 2 ]
	@echo
	@echo "Next: apply it to the sandbox and plan again:"
	@echo "  $(BIN)/seatctl apply .seatctl/plan.json --sandbox $(SANDBOX_DB)"
	@echo "  $(BIN)/seatctl plan policies --sandbox $(SANDBOX_DB)"

test: install  ## run the test suite
	$(BIN)/pytest

# Every Python process of the run (pytest, seatctl subprocesses, served sandboxes) lives
# CLOCK_SHIFT_DAYS ahead (tests/timeshift/sitecustomize.py): a test that wrote today's
# date into a golden or an expectation fails here.
CALENDAR_SHIFTS ?= 366 1096
# The shifts run at once (the suite mostly waits on paced requests and servers), each
# with its own temporary folder; each one's output is printed when it ends.
test-calendar: install  ## run the test suite with the clock moved +1 and +3 years
	@tmp=$$(mktemp -d); for days in $(CALENDAR_SHIFTS); do \
	  ( CLOCK_SHIFT_DAYS=$$days PYTHONPATH="$(CURDIR)/tests/timeshift" \
	    $(BIN)/pytest -p no:cacheprovider -W ignore::pytest.PytestAssertRewriteWarning \
	    --basetemp="$$tmp/run-$$days" > "$$tmp/$$days.log" 2>&1; echo $$? > "$$tmp/$$days.rc" ) & \
	done; wait; rc=0; for days in $(CALENDAR_SHIFTS); do \
	  echo "== the suite with the clock moved $$days days ahead"; tail -n 40 "$$tmp/$$days.log"; \
	  [ "$$(cat "$$tmp/$$days.rc")" = 0 ] || rc=1; \
	done; rm -rf "$$tmp"; exit $$rc

lint: install  ## ruff and mypy
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/mypy

bench: install  ## run the benchmarks and print their figures (see bench/README.md)
	$(BIN)/python -m bench

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
