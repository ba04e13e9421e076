# The two entry points of README: `make release` and `make test`. Both install into a local virtualenv first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser release test lint

# Quiet: pip's output goes to $(VENV)/install.log, shown only when the install fails.
$(STAMP): pyproject.toml
	@echo "Installing into $(VENV) (log: $(VENV)/install.log) ..."
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/python -m pip install -q --upgrade pip && $(BIN)/python -m pip install -q -e '.[dev]'; } \
		> $(VENV)/install.log 2>&1 || { tail -n 40 $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the Space's browser test (Playwright drives it; `playwright install` cannot download here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "note: /usr/bin/chromium missing and not root: the browser test will be skipped"; fi; \
	fi

release: install
	@$(BIN)/hub-release release $(ARGS)

test: install browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider $(ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports
