# The two commands of README.rst: `make demo` and `make test`.
# Both create .venv on first use; nothing needs to be installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-installed

# Extra prerequisites and steps contributed by mk/*.mk (docs, compliance,
# interop, bench). Each fragment appends to these variables.
TEST_PREREQS :=
TEST_STEPS :=

.PHONY: default venv demo test lint typecheck pytest clean

default: test

$(STAMP): pyproject.toml setup.py requirements/test.txt src/websockets/speedups.c src/websockets/speedups_head.c src/websockets/speedups_deadlines.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/test.txt
	$(BIN)/python -m pip install --quiet -e .
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python example/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests example compliance bench docs
	$(BIN)/ruff format --check src tests example compliance bench docs

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

pytest: $(STAMP)
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest -q -p no:cacheprovider
	$(BIN)/coverage report

clean:
	rm -rf $(VENV) build dist src/*.egg-info src/websockets/*.so .coverage htmlcov

include $(sort $(wildcard mk/*.mk))

# Declared after the fragments so that their additions are seen.
test: lint typecheck $(TEST_PREREQS) pytest $(TEST_STEPS)
