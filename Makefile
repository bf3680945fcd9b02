# Lavande: `make run` serves the demo shop, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app eshop
HOST ?= 127.0.0.1
PORT ?= 5000
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

run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) outbox flush
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed translations
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

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
