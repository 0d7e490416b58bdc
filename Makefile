# The two commands: `make run` and `make test`. Both set everything up from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.DEFAULT_GOAL := help
.PHONY: help run run-daphne test cov sdk bench install lint format migrate seed worker beat clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "==> Installing Python dependencies into $(VENV) (the first run downloads ~150 MB: a few minutes)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed  ## create .venv and install the pinned dependencies

migrate: install  ## apply database migrations
	@echo "==> Migrating the database"
	$(PY) manage.py migrate --noinput

seed: migrate  ## create the demo accounts and tournament (idempotent)
	@echo "==> Seeding the demo"
	$(PY) manage.py seed_demo

# The server the Dockerfile runs, with the same options (see its CMD). --no-access-log: arena.logs
# writes one access line per request in the project's format, with the request id.
# --ws-ping-*: the heartbeat the AsyncAPI document states (realtime/protocol.py; daphne's defaults are the same).
SERVE_OPTIONS := --lifespan off --ws websockets-sansio --ws-max-size 65536 --ws-per-message-deflate false \
	--ws-ping-interval 20 --ws-ping-timeout 30 \
	--limit-concurrency 4000 --timeout-graceful-shutdown 20 --no-access-log
# FRONTEND_URL and SITE_URL name this server's own port, so links in emails and checkout links open here.
SERVE_ENV := FRONTEND_URL=$${FRONTEND_URL:-http://$(HOST):$(PORT)} SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}

run: seed  ## install, migrate, seed, serve HTTP + WebSockets on $(HOST):$(PORT) (uvicorn)
	@echo "==> Serving on http://$(HOST):$(PORT)/"
	$(SERVE_ENV) $(VENV)/bin/uvicorn arena.asgi:application --host $(HOST) --port $(PORT) $(SERVE_OPTIONS)

# daphne stays supported (runserver uses it too), but it buffers each request body in memory
# before the app can refuse it: see docs/SERVING.md.
run-daphne: seed  ## the same with daphne
	$(SERVE_ENV) $(VENV)/bin/daphne --verbosity 0 --ping-interval 20 --ping-timeout 30 -b $(HOST) -p $(PORT) arena.asgi:application

test: install  ## run the whole test suite
	$(PY) -m pytest

cov: install  ## the test suite with a coverage report (htmlcov/index.html)
	$(PY) -m pytest --cov --cov-report=term:skip-covered --cov-report=html

sdk: install  ## generate the TypeScript client from the OpenAPI document and type-check sdk/usage.ts
	$(PY) -m pytest -q tests/api/test_sdk.py

lint: install  ## ruff check + format check + the import contracts (pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install  ## ruff fix + format
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Starts its own servers on its own PostgreSQL database and Redis db (BENCH_DATABASE_URL, BENCH_REDIS_URL;
# both wiped), rewrites bench/RESULTS.md. BENCH_QUICK=1 for a smaller smoke run. Needs `wrk` (apt) for REST.
bench: install  ## the load benchmarks (bench/RESULTS.md)
	$(PY) -m bench.run

worker: install  ## a Celery worker (needs REDIS_URL)
	$(VENV)/bin/celery -A arena worker --loglevel=info

beat: install  ## Celery beat (needs REDIS_URL)
	$(VENV)/bin/celery -A arena beat --loglevel=info

clean:  ## remove .venv, the SQLite database and local media
	rm -rf $(VENV) db.sqlite3 media private_media staticfiles htmlcov .coverage
