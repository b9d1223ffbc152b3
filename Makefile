# Flotte: `make demo` serves the platform with demo data, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo run test test-services lint format check-migrations docs bench ci clean vendor messages

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

# Front-end packages, from the npm registry into a temporary folder, then
# their dist files and licences into the static files (committed: running
# Flotte needs no npm and no CDN). Change a version here and run `make vendor`.
VENDOR := src/flotte/web/static/web/vendor
# The invoices' PDF font (PDF/A wants every font embedded), from npm too.
FONTS := src/flotte/billing/fonts
# The accessibility checker the browser tests run in each page (tests only).
AXE := tests/web/browser/vendor/axe-core
NPM_PACKAGES := leaflet@1.9.4 uplot@1.6.32 htmx.org@2.0.11 dejavu-fonts-ttf@2.37.3 axe-core@4.14.1
vendor:
	@command -v npm >/dev/null || { echo "make vendor needs npm"; exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	npm install --prefix "$$tmp" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund $(NPM_PACKAGES); \
	nm="$$tmp/node_modules"; rm -rf $(VENDOR); mkdir -p $(VENDOR)/leaflet/images $(VENDOR)/uplot $(VENDOR)/htmx; \
	cp "$$nm/leaflet/dist/leaflet.js" "$$nm/leaflet/dist/leaflet.css" "$$nm/leaflet/LICENSE" $(VENDOR)/leaflet/; \
	cp "$$nm"/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/; \
	cp "$$nm/uplot/dist/uPlot.iife.min.js" "$$nm/uplot/dist/uPlot.min.css" "$$nm/uplot/LICENSE" $(VENDOR)/uplot/; \
	cp "$$nm/htmx.org/dist/htmx.min.js" "$$nm/htmx.org/LICENSE" $(VENDOR)/htmx/; \
	rm -rf $(FONTS); mkdir -p $(FONTS); \
	cp "$$nm/dejavu-fonts-ttf/ttf/DejaVuSans.ttf" "$$nm/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf" $(FONTS)/; \
	cp "$$nm/dejavu-fonts-ttf/LICENSE" $(FONTS)/LICENSE; \
	rm -rf $(AXE); mkdir -p $(AXE); \
	cp "$$nm/axe-core/axe.min.js" "$$nm/axe-core/LICENSE" $(AXE)/; \
	for p in leaflet uplot htmx.org dejavu-fonts-ttf axe-core; do \
	  node -e 'const p=require(process.argv[1]); console.log(p.name+" "+p.version+" "+p.license)' "$$nm/$$p/package.json"; \
	done > $(VENDOR)/VERSIONS
	@cat $(VENDOR)/VERSIONS

# The translation catalogues: gather the strings, then compile them after
# filling src/flotte/locale/fr/LC_MESSAGES/django.po (see docs/web.md).
messages: $(STAMP)
	cd src/flotte && ../../$(BIN)/flotte manage makemessages -l fr -l en --no-obsolete --add-location=file
	cd src/flotte && ../../$(BIN)/flotte manage compilemessages
