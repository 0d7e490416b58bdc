# The two commands: `make run` and `make test`. Both set everything up from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test install lint format migrate seed worker beat clean bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) arena.asgi:application

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Starts its own servers on its own PostgreSQL database and Redis db (BENCH_DATABASE_URL, BENCH_REDIS_URL;
# both wiped), rewrites bench/RESULTS.md. BENCH_QUICK=1 for a ~2 min smoke run. Needs `wrk` (apt) for REST.
bench: install
	$(PY) -m bench.run

worker: install
	$(VENV)/bin/celery -A arena worker --loglevel=info

beat: install
	$(VENV)/bin/celery -A arena beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 media private_media staticfiles
