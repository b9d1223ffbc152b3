# Flotte: `make demo` serves the platform with demo data, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo run test test-services lint format check-migrations docs bench ci clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/flotte demo

run: $(STAMP)
	$(BIN)/flotte run

test: $(STAMP)
	$(BIN)/pytest

# The same suite on PostgreSQL, Redis and a real Celery worker (see .ci/run).
test-services: $(STAMP)
	bash .ci/services-tests

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src/flotte

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

check-migrations: $(STAMP)
	$(BIN)/flotte manage makemigrations --check --dry-run

docs: $(STAMP)
	$(BIN)/flotte params --markdown > docs/parameters.md

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

bench: $(STAMP)
	$(BIN)/flotte bench api --requests 200
