# The two entry points of README: `make release` and `make test`. Both install into a local virtualenv first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install release test lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

release: install
	$(BIN)/hub-release release $(ARGS)

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider $(ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
