# Sora Studio: `make run` serves the product, `make test` runs every test.
# Both create .venv with the first Python >= 3.12 found and install requirements.txt.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements

PYTHON := $(shell for p in python3.12 python3.13 python3.14 python3 python; do \
	if command -v $$p >/dev/null 2>&1 && \
	   $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	   echo $$p; break; fi; done)

.PHONY: run test lint format bench clean venv

venv: $(STAMP)

$(STAMP): requirements.txt
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Sora Studio needs Python 3.12 or newer (Django 6), and none was found on PATH." >&2; \
		echo "       Install one (e.g. 'pyenv install 3.12' or your system's python3.12) and run make again." >&2; \
		exit 1; fi
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"; \
		rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

# The offline demo: SQLite, the Sora emulator (unless OPENAI_API_KEY is set, in the
# environment or .env), the web server and the poller; one Ctrl-C stops all.
run: $(STAMP)
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@export DEBUG=$${DEBUG:-on} PATH="$(CURDIR)/$(BIN):$$PATH"; \
	if [ -n "$$OPENAI_API_KEY" ] || grep -qs '^OPENAI_API_KEY=.' .env; then \
		echo "Using OpenAI at $${OPENAI_BASE_URL:-the configured OPENAI_BASE_URL}"; \
		exec honcho -f Procfile.dev start web worker; \
	else \
		echo "No OPENAI_API_KEY: starting the local Sora emulator on 127.0.0.1:8001"; \
		export OPENAI_API_KEY=sk-local-emulator OPENAI_BASE_URL=http://127.0.0.1:8001/v1; \
		exec honcho -f Procfile.dev start; \
	fi

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
