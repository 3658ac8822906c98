# Sora Studio: `make run` serves the product, `make test` runs every test, `make lint`
# checks style (ruff) and types (mypy with django-stubs, configured in .mypy.ini).
# Both create .venv with the first Python >= 3.12 found and install the production lock
# (requirements.txt) and the development lock (requirements-dev.txt) with
# `pip install --require-hashes`; `make test` also creates .venv-litellm (`make litellm`,
# requirements-litellm.txt, hashed too): LiteLLM's real proxy, which the gateway tests start
# in front of the emulator, in a venv of its own so the product never imports it.
#
# Dependencies: edit requirements.in (production), requirements-dev.in (tests, lint, tools)
# or requirements-litellm.in, then run `make lock`: the one command that regenerates every
# lock (pip-compile: every package pinned, with its hashes). Never edit a .txt by hand.
# `make lock LOCK_ARGS="--upgrade-package idna"` also moves an unlisted dependency.
# `make lock-check` (run by CI) fails when a lock is not what `make lock` would write.

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

.PHONY: run test lint format bench clean venv litellm lock lock-check

# The locks, each compiled from its .in; in this order, since requirements-dev.in is
# constrained by requirements.txt.
LOCKS := requirements requirements-dev requirements-litellm
# pip-compile as `make lock` runs it. PIP_CONFIG_FILE=/dev/null and no PIP_FIND_LINKS: the
# lock is made from the package index alone, whatever pip configuration (a local mirror, a
# folder of wheels) the machine has, so it is the same everywhere and names no local path.
PIP_COMPILE = PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" env -u PIP_FIND_LINKS \
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--resolver=backtracking --no-emit-index-url --no-emit-find-links

# $(call make_venv,DIR): (re)create DIR with $(PYTHON) unless it already holds a Python >= 3.12.
define make_venv
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Sora Studio needs Python 3.12 or newer (Django 6), and none was found on PATH." >&2; \
		echo "       Install one (e.g. 'pyenv install 3.12' or your system's python3.12) and run make again." >&2; \
		exit 1; fi
	@if [ ! -x $(1)/bin/python ] || ! $(1)/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Creating $(1) with $(PYTHON) ($$($(PYTHON) --version))"; \
		rm -rf $(1); $(PYTHON) -m venv $(1); fi
endef
# (No unpinned `pip install --upgrade pip`: the venv's own pip installs the hashed locks,
# and the development lock pins pip itself, with hashes.)

venv: $(STAMP)

# Both locks, hash-checked: a package whose file does not match its recorded hash, or one
# not in the locks at all, stops the install.
$(STAMP): requirements.txt requirements-dev.txt
	$(call make_venv,$(VENV))
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

# LiteLLM's proxy for the gateway tests (videos/tests/gateway_fixtures.py), installed once.
litellm: $(LITELLM_STAMP)

# Installed by .venv's pip (the development lock's, pinned and hashed) into the other venv
# (`pip --python`): the older pip a new venv brings resolves LiteLLM's `httpx[http2]` to
# the newest httpx on the index instead of the pinned one, and then refuses it as unpinned.
$(LITELLM_STAMP): requirements-litellm.txt | $(STAMP)
	$(call make_venv,$(LITELLM_VENV))
	$(BIN)/python -m pip --python $(LITELLM_VENV)/bin/python install --quiet --require-hashes \
		-r requirements-litellm.txt
	@touch $(LITELLM_STAMP)

# Regenerate every lock from its .in. Existing pins are kept where the .in still allows
# them (pip-compile prefers them), so only what changed in a .in moves.
lock: $(STAMP)
	@for name in $(LOCKS); do \
		echo "pip-compile $$name.in -> $$name.txt"; \
		$(PIP_COMPILE) $(LOCK_ARGS) --output-file $$name.txt $$name.in || exit 1; \
	done

# Fail when a lock is not what `make lock` would write from its .in: each .in is compiled
# again into a file holding only the lock's package==version lines (so the same pins are
# preferred; its hashes are checked below, not by pip-compile), then
#  - the package==version lines must be the same set (a package added to or removed from
#    a .in, a changed pin, a hand-edited version all differ), and
#  - every hash the lock gives a version that stays must be one the index publishes for it
#    (a new wheel uploaded later for a pinned release adds a hash and is not a failure).
# Needs the package index (as installing does).
lock-check: $(STAMP)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; failed=; \
	pins() { awk '/^[A-Za-z0-9]/ { print tolower($$1) }' "$$1" | sort; }; \
	hashes() { awk '/^[A-Za-z0-9]/ { p = tolower($$1) } \
		{ for (i = 1; i <= NF; i++) if ($$i ~ /^--hash=/) print p, substr($$i, 8) }' "$$1" | sort; }; \
	for name in $(LOCKS); do \
		awk '/^[A-Za-z0-9]/ { print $$1 }' $$name.txt > "$$tmp/$$name.txt"; \
		if ! $(PIP_COMPILE) --output-file "$$tmp/$$name.txt" $$name.in; then \
			echo "error: pip-compile could not compile $$name.in (above); fix it, then run 'make lock'." >&2; \
			exit 1; fi; \
		if ! diff <(pins $$name.txt) <(pins "$$tmp/$$name.txt") > "$$tmp/$$name.diff"; then \
			echo "$$name.txt disagrees with $$name.in (< in the lock, > what pip-compile makes):" >&2; \
			sed 's/^/    /' "$$tmp/$$name.diff" >&2; failed=1; fi; \
		unknown=$$(comm -23 <(hashes $$name.txt) <(hashes "$$tmp/$$name.txt") \
			| awk 'NR == FNR { fresh[$$1]; next } $$1 in fresh' <(pins "$$tmp/$$name.txt") -); \
		if [ -n "$$unknown" ]; then \
			echo "$$name.txt has hashes the index does not publish for those versions:" >&2; \
			sed 's/^/    /' <<< "$$unknown" >&2; failed=1; fi; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "error: the locks are out of date: run 'make lock' and commit the requirements*.txt it writes." >&2; \
		exit 1; fi; \
	echo "lock-check: $(foreach n,$(LOCKS),$(n).txt) agree with their .in files"

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
		processes="web worker"; \
	else \
		echo "No OPENAI_API_KEY: starting the local emulator on 127.0.0.1:$${EMULATOR_PORT:-8001}," \
		     "behaving as $${SORA_HOST_PRESET:-openai} (SORA_HOST_PRESET)"; \
		export OPENAI_API_KEY=sk-local-emulator OPENAI_BASE_URL=http://127.0.0.1:$${EMULATOR_PORT:-8001}/v1; \
		export SORA_HOST_NAME="$${SORA_HOST_NAME:-Local emulator}"; \
		export RENDER_SECONDS_PER_VIDEO_SECOND="$${RENDER_SECONDS_PER_VIDEO_SECOND:-5}"; \
		processes=""; \
	fi; \
	honcho -f Procfile.dev start $$processes; status=$$?; \
	if [ $$status -eq 130 ]; then echo "Stopped."; else exit $$status; fi

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

# ruff (lint rules, then formatting), then mypy on accounts, sora_site, videos and bench
# (.mypy.ini): a type error fails the target, and so CI. django-stubs' plugin imports the
# settings, which refuse to load without a SECRET_KEY unless DEBUG is on: lint-only
# defaults here, as pytest.ini gives the tests; values already in the environment win.
LINT_SECRET_KEY := lint-only-secret-key-for-importing-the-settings-0123456789abcdef

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY="$${SECRET_KEY:-$(LINT_SECRET_KEY)}" DEBUG="$${DEBUG:-off}" $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# Mutation testing (docs/mutation-testing.md): mutmut mutates services, the poller, the
# lost-submit lookup, the upstream client with its errors and downloads, the content
# view, Range parsing and the archive (.ci/mutants/mutmut.cfg), each mutant tested by the
# tests that reach it, in a temporary copy of the committed HEAD (MUTANTS_FROM=worktree:
# the working tree as it is), under `nice -n 19`, on SQLite. Prints the score per module
# and overall and every surviving mutant (file:line, the mutation); fails only below
# MUTANTS_MIN % killed. Slow (about an hour on 2 cores), so neither CI nor `make test`
# runs it. MUTANTS_MODULES narrows it ("videos/ranges.py"); MUTANTS_KEEP=1 keeps the copy;
# MUTANTS_RESUME=<the copy> carries on with an interrupted run.
MUTANTS_FROM ?= HEAD
MUTANTS_JOBS ?= 2
MUTANTS_MIN ?= 90

.PHONY: mutants
mutants: $(STAMP)
	MUTANTS_FROM="$(MUTANTS_FROM)" MUTANTS_JOBS="$(MUTANTS_JOBS)" MUTANTS_MIN="$(MUTANTS_MIN)" \
		$(BIN)/python .ci/mutants/run_mutants.py

clean:
	rm -rf $(VENV) $(LITELLM_VENV) staticfiles .pytest_cache .mypy_cache
