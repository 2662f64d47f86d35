# The commands the README names. Everything installs into .venv from PyPI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export MILEPOST_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test test-days lint fmt install dev clean bench

# The days `make test` runs the date-sensitive tests on again (MILEPOST_TEST_TODAY; README,
# "Start here"): a Sunday, 31 December, 1 January, the last day of a month (a Sunday), the
# spring and autumn clock changes in the UK, Easter Monday and 29 February.
TEST_DAYS ?= 2026-12-06 2026-12-31 2027-01-01 2027-02-28 2027-03-28 2027-03-29 2027-10-31 2028-02-29
# The tests whose outcome depends on the day the suite runs: they build their contracts and
# dates from today. Files that pin their own clock (schedule services, planning, changes,
# baselines, critical path, pages, selectors, the calendar, alert timing, engine and email)
# run on their fixed days whatever the date, and pure kernels have no today, so they are not
# repeated.
DAY_TESTS := tests/test_schedule_forecasts.py tests/test_schedule_forecast_refresh.py \
	tests/test_schedule_risks.py tests/test_alerts_feeds.py tests/test_alerts_inbox.py \
	tests/test_alerts_webhooks.py tests/test_reporting_dashboard.py tests/test_reporting_sort.py \
	tests/test_timeline.py tests/test_payments_services.py tests/test_approvals_services.py \
	tests/test_demo.py

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

## Lint, check, then the whole suite on SQLite and again on PostgreSQL, then the date-sensitive
## tests again on each of TEST_DAYS.
test: $(VENV)/.dev lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m django check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m django makemigrations --check --dry-run
	$(BIN)/python -m pytest --cov --cov-report=term:skip-covered --cov-fail-under=95 -q
	MILEPOST_TEST_POSTGRES=1 $(BIN)/python -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory test-days

## The date-sensitive tests on each of TEST_DAYS (SQLite, no coverage); every day runs, then the
## days that failed are named. One day: make test-days TEST_DAYS=2028-02-29
test-days: $(VENV)/.dev
	@failed=""; total=0; \
	for day in $(TEST_DAYS); do \
		echo "== date-sensitive tests on $$day"; started=$$(date +%s); \
		MILEPOST_TEST_TODAY=$$day $(BIN)/python -m pytest -q -p no:cacheprovider $(DAY_TESTS) \
			|| failed="$$failed $$day"; \
		took=$$(( $$(date +%s) - started )); total=$$(( total + took )); \
		echo "== $$day took $${took}s"; \
	done; \
	echo "== date-sensitive tests on $(words $(TEST_DAYS)) days took $${total}s"; \
	if [ -n "$$failed" ]; then echo "== failed on:$$failed"; exit 1; fi

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
