# The commands the README names. Everything installs into .venv from PyPI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export MILEPOST_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test test-days suite-sqlite suite-postgres suite-schemathesis lint fmt install dev clean bench eval-extraction load

# The days `make test` runs the date-sensitive tests on again (MILEPOST_TEST_TODAY; README,
# "Start here"): 31 December, 1 January, the last day of a month (a Sunday), the spring and
# autumn clock changes in the UK (Sundays too), Easter Monday and 29 February. (A plain Sunday,
# 2026-12-06, was dropped: three of these are Sundays.)
TEST_DAYS ?= 2026-12-31 2027-01-01 2027-02-28 2027-03-28 2027-03-29 2027-10-31 2028-02-29
# The day the whole PostgreSQL session runs on: every test on the other database, on 29
# February (the SQLite session runs on the real day).
PG_TEST_DAY ?= 2028-02-29
# The tests whose outcome depends on the day the suite runs: they build their contracts and
# dates from today (the `world` fixture starts its contract 60 days ago) and do not move the
# clock themselves. Files whose every test travels to a fixed moment (schedule services,
# planning, changes, baselines, critical path, pages, selectors, the calendar, alert timing,
# engine, email and the overdue path) give the same result on any day, pure kernels have no
# today, and files that check no date (tokens, profile, privacy, audit, input rules, query
# budgets, the API matrix, Schemathesis, the browser) are left out for time. Within these files
# a day run leaves out the tests that hold the clock from their start (`clock`, `w`:
# --day-dependent-only), and builds its tables from the models (--no-migrations: `make test`
# first checks that the migrations are up to date, and its whole-suite sessions migrate).
DAY_TESTS := tests/test_schedule_forecasts.py tests/test_schedule_forecast_refresh.py \
	tests/test_schedule_risks.py tests/test_alerts_feeds.py tests/test_alerts_inbox.py \
	tests/test_alerts_webhooks.py tests/test_alerts_rules_ui.py tests/test_reporting_dashboard.py \
	tests/test_reporting_sort.py tests/test_timeline.py tests/test_payments_services.py \
	tests/test_approvals_services.py tests/test_contracts_services.py tests/test_demo.py \
	tests/test_demo_loaded.py tests/test_demo_history.py tests/test_closed_milestones.py \
	tests/test_dates_range.py \
	tests/test_refused_forms.py tests/test_money_input.py tests/test_web_views.py \
	tests/test_web_forms.py tests/test_api.py tests/test_api_kinds.py tests/test_update_requests.py \
	tests/test_reports.py tests/test_sentences.py tests/test_schedule_submission.py \
	tests/test_pages_milestone.py tests/test_pages_contract.py tests/test_interchange_ocds.py \
	tests/test_finance_actions.py tests/test_finance_damages.py tests/test_extraction_services.py \
	tests/test_extraction_demo.py
DAY_RUNS := $(addprefix day-sqlite-,$(TEST_DAYS))
DAY_ONLY := --day-dependent-only --no-migrations

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

## Lint, check, then one queue of test sessions, TEST_JOBS at a time, longest first: the whole
## suite on PostgreSQL (on PG_TEST_DAY), the suite on SQLite (with coverage, on the real day,
## less the browser tests and Schemathesis), Schemathesis alone, then the date-sensitive tests
## again on each of TEST_DAYS (SQLite). No session waits for a phase to
## end, so both cores stay busy to the last. Each session has its own data directory and
## database and prints its slowest tests and its time; make names each that failed.
## More cores: make test TEST_JOBS=4 TEST_WORKERS=2 (pytest-xdist workers per session).
test: $(VENV)/.dev lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m django check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m django makemigrations --check --dry-run
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory -k -j$(TEST_JOBS) --output-sync=target suite-postgres \
		suite-sqlite suite-schemathesis $(DAY_RUNS); rc=$$?; \
	echo "== the suites and the days took $$(( $$(date +%s) - started ))s"; exit $$rc

# Sessions run at once by `make test` (the machine's cores by default), and pytest-xdist
# workers in each (0: none). On two cores two sessions fill both; xdist pays on more cores.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_WORKERS ?= 0
XDIST := $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

# Every test runs at least once. The suite on SQLite, with coverage, leaves out the browser
# tests (they run in the PostgreSQL session, on the production database) and Schemathesis (its
# own session, below): under coverage they cost a third of this session, and without them the
# floor still holds (95.18% against 95.36% with them).
suite-sqlite: $(VENV)/.dev
	@echo "== the suite on SQLite, with coverage (browser tests: PostgreSQL)"; \
	started=$$(date +%s); \
	$(BIN)/python -m pytest $(XDIST) --cov --cov-report=term:skip-covered --cov-fail-under=95 \
		-q -p no:cacheprovider --durations=30 --ignore=tests/browser \
		--deselect tests/test_schemathesis.py; rc=$$?; \
	echo "== the suite on SQLite took $$(( $$(date +%s) - started ))s"; exit $$rc

# Schemathesis runs once, alone, on SQLite without coverage: its ~11,000 requests took a
# quarter of a session's time, and the PostgreSQL specifics it could meet (NUL bytes, integer
# ranges) have their own tests in tests/test_api_input_rules.py.
suite-schemathesis: $(VENV)/.dev
	@echo "== Schemathesis against the live API (SQLite)"; started=$$(date +%s); \
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_schemathesis.py; rc=$$?; \
	echo "== Schemathesis took $$(( $$(date +%s) - started ))s"; exit $$rc

suite-postgres: $(VENV)/.dev
	@echo "== the whole suite (PostgreSQL, on $(PG_TEST_DAY))"; started=$$(date +%s); \
	MILEPOST_TEST_TODAY=$(PG_TEST_DAY) MILEPOST_TEST_POSTGRES=1 \
		$(BIN)/python -m pytest $(XDIST) -q -p no:cacheprovider \
		--durations=30 --deselect tests/test_schemathesis.py; \
	rc=$$?; echo "== the whole suite (PostgreSQL) took $$(( $$(date +%s) - started ))s"; exit $$rc

## The date-sensitive tests on each of TEST_DAYS (SQLite, no coverage), TEST_JOBS at a time
## (each session has its own data directory and database); every day runs, and make names each
## that failed. One day: make test-days TEST_DAYS=2028-02-29. On PostgreSQL, one day:
## make day-postgres-2027-03-28
test-days: $(VENV)/.dev
	@$(MAKE) --no-print-directory -k -j$(TEST_JOBS) --output-sync=target $(DAY_RUNS)

day-sqlite-%: $(VENV)/.dev
	@echo "== date-sensitive tests on $* (SQLite)"; started=$$(date +%s); \
	MILEPOST_TEST_TODAY=$* $(BIN)/python -m pytest $(XDIST) -q -p no:cacheprovider --durations=5 \
		$(DAY_ONLY) $(DAY_TESTS); rc=$$?; \
	echo "== $* (SQLite) took $$(( $$(date +%s) - started ))s"; exit $$rc

day-postgres-%: $(VENV)/.dev
	@echo "== date-sensitive tests on $* (PostgreSQL)"; started=$$(date +%s); \
	MILEPOST_TEST_TODAY=$* MILEPOST_TEST_POSTGRES=1 $(BIN)/python -m pytest $(XDIST) -q \
		-p no:cacheprovider --durations=5 $(DAY_ONLY) $(DAY_TESTS); rc=$$?; \
	echo "== $* (PostgreSQL) took $$(( $$(date +%s) - started ))s"; exit $$rc

## Benchmark the REST API and pages (throwaway SQLite, 100,000 milestones; ARGS=--help), the
## alerts worker (throwaway PostgreSQL, 1,000,000 milestones; WORKER_ARGS=--help), then the
## contract report of a 5,000-milestone contract, HTML and PDF (throwaway SQLite;
## REPORT_ARGS=--help), then the critical path and the Monte Carlo forecast over 10,000
## milestones (in memory; CP_ARGS, FORECAST_ARGS=--help), then importing 10,000 milestone rows
## from XLSX and exporting 100,000 milestones to XLSX and CSV (throwaway SQLite; IMPORT_ARGS,
## EXPORT_ARGS=--help), then the cash-flow S-curves and earned value of a 100,000-milestone
## portfolio (throwaway SQLite; MONEY_ARGS=--help), then reading a 60-page contract, PDF and
## DOCX, and extracting its proposals (no database; EXTRACT_ARGS=--help).
bench: $(VENV)/.dev
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/api_bench.py $(ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/web_bench.py $(WEB_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/worker_bench.py $(WORKER_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/report_bench.py $(REPORT_ARGS)
	$(BIN)/python bench/critical_path_bench.py $(CP_ARGS)
	$(BIN)/python bench/forecast_bench.py $(FORECAST_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/import_bench.py $(IMPORT_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/export_bench.py $(EXPORT_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/money_bench.py $(MONEY_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/extraction_bench.py $(EXTRACT_ARGS)

## Load-test over real HTTP (locust, headless; bench/load/): a mix of several organisations and
## roles (dashboard, filtered lists, contract and milestone pages, status updates, measurements,
## gate approvals, calendar feeds, API pages with a token) against `milepost serve` with 1, 2
## and 4 workers, on a throwaway PostgreSQL with 1,000,000 milestones (alone, then with a
## streaming replica taking the reads), then on SQLite with 100,000. Prints req/s, p50/p95/p99
## and failures per request kind. Small: LOAD_ARGS="--milestones 20000 --duration 20";
## LOAD_ARGS=--help lists the options.
load: $(VENV)/.load
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python bench/load/run.py $(LOAD_ARGS)

$(VENV)/.load: $(VENV)/.dev
	$(BIN)/pip install --quiet -e '.[load]'
	touch $@

## Precision and recall of the contract reader per corpus, kind and field, and the invented
## amounts (0 on the FAR clauses): the Accord samples, CUAD (expert labels and our milestone
## labels), FAR and our own clauses (tests/data/extraction). The conformance folder is
## ../shared/conformance unless MILEPOST_CONFORMANCE_DIR says otherwise; EVAL_ARGS=--misses
## lists every miss, --json prints the figures as JSON.
MILEPOST_CONFORMANCE_DIR ?= ../shared/conformance
eval-extraction: $(VENV)/.dev
	$(BIN)/python -m milepost.extraction.evaluation --conformance $(MILEPOST_CONFORMANCE_DIR) $(EVAL_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy milepost config
	$(BIN)/lint-imports --no-cache

fmt: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
