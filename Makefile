# Two commands do everything on a fresh clone: `make demo` and `make test`.
# `make test-fast` is the edit loop: no live server, browser, timing assertion or soak.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast bench soak lint system-deps clean

# System packages the browser tests and the Chinese charts need (Debian).
system-deps:
	@./.ci/system-deps

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

setup: $(STAMP) system-deps

demo: setup
	$(BIN)/surveykit demo

# Everything but the long soaks (tiers: markers in pyproject.toml, README "Tests"), on two
# pytest-xdist workers a test file at a time, so a file's module-scoped browser or server starts once
# (tests/conftest.py keeps the files that share a PostgreSQL lock on one worker).  TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile

test-fast: setup
	$(BIN)/python -m pytest -q -m "not server and not browser and not timing and not slow"

bench: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	$(BIN)/python benchmarks/run_all.py

soak: setup
	$(BIN)/python -m pytest -q -m slow --run-soak tests

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy
	# medium severity and up, as tests/security/test_static_analysis.py (T13); the low ones are
	# asserts that narrow types for mypy and the fixed-argument Chromium call that prints the PDF
	$(BIN)/bandit -q -ll -c pyproject.toml -r surveykit webform analysis

clean:
	rm -rf $(VENV) .pytest_cache
