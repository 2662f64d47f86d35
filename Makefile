# The commands the README names. Everything installs into .venv from PyPI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export MILEPOST_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint fmt install dev clean bench

$(BIN)/milepost: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/milepost
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/milepost

dev: $(VENV)/.dev

## Set up and start Milepost on the embedded SQLite database, with demo data and one worker.
run: $(BIN)/milepost
	$(BIN)/milepost migrate --noinput
	$(BIN)/milepost demo
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/milepost worker & worker=$$!; \
	$(BIN)/milepost serve

## Lint, check, then the whole suite on SQLite and again on PostgreSQL.
test: $(VENV)/.dev lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m django check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m django makemigrations --check --dry-run
	$(BIN)/python -m pytest --cov --cov-report=term:skip-covered --cov-fail-under=95 -q
	MILEPOST_TEST_POSTGRES=1 $(BIN)/python -m pytest -q -p no:cacheprovider

## Benchmark the REST API and pages (throwaway SQLite, 100,000 milestones; ARGS=--help), the
## alerts worker (throwaway PostgreSQL, 1,000,000 milestones; WORKER_ARGS=--help), then the
## critical path and the Monte Carlo forecast over 10,000 milestones (in memory; CP_ARGS,
## FORECAST_ARGS=--help).
bench: $(VENV)/.dev
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/api_bench.py $(ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/web_bench.py $(WEB_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/worker_bench.py $(WORKER_ARGS)
	$(BIN)/python bench/critical_path_bench.py $(CP_ARGS)
	$(BIN)/python bench/forecast_bench.py $(FORECAST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy milepost config

fmt: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
