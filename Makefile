# The two commands: `make run` and `make test`. Both set everything up from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run run-daphne test install lint format migrate seed worker beat clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The server the Dockerfile runs, with the same options (see its CMD).
SERVE_OPTIONS := --lifespan off --ws websockets-sansio --ws-max-size 65536 --ws-per-message-deflate false \
	--limit-concurrency 4000 --timeout-graceful-shutdown 20

run: seed
	$(VENV)/bin/uvicorn arena.asgi:application --host $(HOST) --port $(PORT) $(SERVE_OPTIONS)

# daphne stays supported (runserver uses it too), but it buffers each request body in memory
# before the app can refuse it: see docs/SERVING.md.
run-daphne: seed
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) arena.asgi:application

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install
	$(VENV)/bin/celery -A arena worker --loglevel=info

beat: install
	$(VENV)/bin/celery -A arena beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 media private_media staticfiles
