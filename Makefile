# Sora Studio: `make run` serves the product, `make test` runs every test.
# Both create .venv with the first Python >= 3.12 found and install requirements.txt;
# `make test` also creates .venv-litellm (`make litellm`): LiteLLM's real proxy, which the
# gateway tests start in front of the emulator, in a venv of its own so the product never
# imports it.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
LITELLM_VENV := .venv-litellm
LITELLM_STAMP := $(LITELLM_VENV)/.installed-requirements
# axe-core for the accessibility tests (videos/tests/test_accessibility.py), from npm,
# inside the git-ignored venv folder; the stamp names the version, so a new pin reinstalls.
AXE_CORE_VERSION := 4.14.1
AXE_DIR := $(VENV)/axe
AXE_STAMP := $(AXE_DIR)/.installed-axe-core-$(AXE_CORE_VERSION)

PYTHON := $(shell for p in python3.12 python3.13 python3.14 python3 python; do \
	if command -v $$p >/dev/null 2>&1 && \
	   $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	   echo $$p; break; fi; done)

.PHONY: run test lint format bench clean venv litellm

# $(call make_venv,DIR): (re)create DIR with $(PYTHON) unless it already holds a Python >= 3.12.
define make_venv
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Sora Studio needs Python 3.12 or newer (Django 6), and none was found on PATH." >&2; \
		echo "       Install one (e.g. 'pyenv install 3.12' or your system's python3.12) and run make again." >&2; \
		exit 1; fi
	@if [ ! -x $(1)/bin/python ] || ! $(1)/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Creating $(1) with $(PYTHON) ($$($(PYTHON) --version))"; \
		rm -rf $(1); $(PYTHON) -m venv $(1); fi
	$(1)/bin/python -m pip install --quiet --upgrade pip
endef

venv: $(STAMP)

$(STAMP): requirements.txt
	$(call make_venv,$(VENV))
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

# LiteLLM's proxy for the gateway tests (videos/tests/gateway_fixtures.py), installed once.
litellm: $(LITELLM_STAMP)

$(LITELLM_STAMP): requirements-litellm.txt
	$(call make_venv,$(LITELLM_VENV))
	$(LITELLM_VENV)/bin/python -m pip install --quiet -r requirements-litellm.txt
	@touch $(LITELLM_STAMP)

# A development .env (DEBUG=on, from .env.example) when there is none, so that
# `.venv/bin/python manage.py …` works as `make run` does; an existing .env is kept.
.env:
	cp .env.example .env
	@echo "Created .env from .env.example (DEBUG=on: for development only)"

# The offline demo: SQLite, the Sora emulator (unless OPENAI_API_KEY is set, in the
# environment or .env), the web server and the poller; one Ctrl-C stops all.
run: $(STAMP) .env
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@export DEBUG=$${DEBUG:-on} PATH="$(CURDIR)/$(BIN):$$PATH"; \
	if [ -n "$$OPENAI_API_KEY" ] || grep -qs '^OPENAI_API_KEY=.' .env; then \
		echo "Using the host at $${OPENAI_BASE_URL:-the configured OPENAI_BASE_URL}"; \
		exec honcho -f Procfile.dev start web worker; \
	else \
		echo "No OPENAI_API_KEY: starting the local emulator on 127.0.0.1:$${EMULATOR_PORT:-8001}," \
		     "behaving as $${SORA_HOST_PRESET:-openai} (SORA_HOST_PRESET)"; \
		export OPENAI_API_KEY=sk-local-emulator OPENAI_BASE_URL=http://127.0.0.1:$${EMULATOR_PORT:-8001}/v1; \
		exec honcho -f Procfile.dev start; \
	fi

# axe-core (npm) for the accessibility sweep, installed once per pinned version.
.PHONY: axe
axe: $(AXE_STAMP)

# After the venv: creating it anew would remove this folder inside it.
$(AXE_STAMP): | $(STAMP)
	@command -v npm >/dev/null || { echo "error: the accessibility tests need npm (Node.js) to install axe-core" >&2; exit 1; }
	rm -rf $(AXE_DIR)
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix $(AXE_DIR) axe-core@$(AXE_CORE_VERSION)
	@touch $(AXE_STAMP)

test: $(STAMP) $(LITELLM_STAMP) $(AXE_STAMP)
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
	rm -rf $(VENV) $(LITELLM_VENV) staticfiles .pytest_cache
