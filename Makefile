# One entry point. `make demo` and `make test` do all set-up themselves: a .venv with pinned
# dependencies, then PostgreSQL and Redis (DATABASE_URL/REDIS_URL, else localhost, else embedded
# servers under .local/ that the same target stops again), migrations, and go.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := $(PY) -m scripts.devservices run --db-name livestreamsell --
PORT ?= 8000
WEB_CONCURRENCY ?= 2
PYTEST_ARGS ?=

.PHONY: help venv browser wrk test demo serve lint fmt bench migrate clean

help:
	@echo "make demo   - set up everything, create the demo seller and serve it on http://demo.localhost:$(PORT)/"
	@echo "make test   - set up everything and run the test suite"
	@echo "make lint   - ruff (lint + format check), mypy and the import contracts (lint-imports)"
	@echo "make bench  - benchmarks, printed as numbers"
	@echo "make serve  - production ASGI server on \$$PORT with \$$WEB_CONCURRENCY workers"

# The local intent engine compiled with mypyc (livestreams/intent/engine.py): rebuilt only when its sources
# change; without a C compiler or on failure the pure-Python engine is used.
venv: $(VENV)/.installed
	@$(PY) scripts/build_intent_native.py || echo "(continuing with the pure-Python intent engine)"

$(VENV)/.installed: requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: '$(PYTHON)' was not found (set PYTHON=...)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

# Debian's Chromium drives the browser tests (Playwright); installed when missing and we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests (Debian packages)…"; \
	    apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "Chromium is missing and cannot be installed here: browser tests will be skipped."; fi; }

wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: the ingest benchmark needs it (apt-get install wrk)."; fi; }

test: venv browser
	$(SERVICES) $(PY) -m pytest $(PYTEST_ARGS)

migrate: venv
	$(SERVICES) $(PY) manage.py migrate_platform

demo: venv
	$(SERVICES) sh -c '$(PY) manage.py migrate_platform -v0 && exec $(PY) manage.py demo --port $(PORT)'

# Production settings: without its secrets it refuses at once, naming every missing variable (exit 1).
serve: venv
	@export DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.production} PORT=$(PORT) \
	  WEB_CONCURRENCY=$(WEB_CONCURRENCY) && $(PY) manage.py collectstatic --noinput -v0 && exec $(PY) -m config.serve

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .
	$(VENV)/bin/lint-imports

fmt: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: venv wrk
	$(SERVICES) $(PY) bench/run.py

clean:
	-$(PY) -m scripts.devservices down
	rm -rf .local/static artifacts
