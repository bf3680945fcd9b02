# Lavande: `make run` serves the demo shop, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app eshop
HOST ?= 127.0.0.1
PORT ?= 5000
# localstripe, the fake Stripe `make run` takes card payments with (tests start theirs)
STRIPE_PORT ?= 8420
# pytest-xdist workers for `make test`: one per core (`auto`); TEST_WORKERS=0 runs in
# one process, for a debugger or a print.
TEST_WORKERS ?= auto

.PHONY: run test lint format translations outbox bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

translations: $(VENV)/.installed
	$(FLASK) translations compile

# The demo shop takes card payments from localstripe, never the real Stripe:
# tests/stripe_server.py starts it, points its webhooks at the shop and prints the
# STRIPE_* settings for the shell. The shop runs as a job the shell waits for, so the
# trap stops both on Ctrl-C, on a TERM from make, or when the shop exits.
run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) outbox flush
	@stripe_settings=$$($(BIN)/python -m tests.stripe_server --port $(STRIPE_PORT) \
	    --webhook http://$(HOST):$(PORT)/payments/stripe/webhook) || exit 1; \
	eval "$$stripe_settings"; \
	trap 'kill $$shop $$LOCALSTRIPE_PID 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT) & shop=$$!; \
	wait $$shop

test: $(VENV)/.installed translations
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

outbox: $(VENV)/.installed
	$(FLASK) outbox run

bench: $(VENV)/.installed translations
	$(BIN)/python benchmarks/storefront.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
