# s3-enricher — `make demo` and `make test` work on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Nothing may download at run time: tldextract's suffix list comes from its bundled copy.
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
# Bytecode is cached (uv, unlike pip, compiles nothing at install): with PYTHONDONTWRITEBYTECODE
# set, as on some CI hosts, every test process and `enricher` run would compile pyatlan,
# scikit-learn and the rest from source again (10 s to 23 s for the imports of a scan).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo test coverage lint typecheck unit services browser promtool screenshots lake settings-doc train bench bench-pii bench-atlan bench-category bench-lineage bench-memory bench-cli bench-datasets clean

# uv (from PyPI, pinned) installs the same versions pip resolves, in seconds rather than two
# minutes; pip does it alone when uv cannot run here. `make demo` installs the runtime package
# only (RUNTIME_STAMP); `make test` adds the dev extras (STAMP) to the same venv.
UV_VERSION    := 0.13.9
RUNTIME_STAMP := $(VENV)/.runtime-stamp
define venv_install
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==$(UV_VERSION) \
	  && $(BIN)/uv pip install -q --python $(BIN)/python -e '$(1)' \
	  || $(BIN)/python -m pip install -q -e '$(1)'
endef
$(STAMP): pyproject.toml
	$(call venv_install,.[dev])
	touch $(RUNTIME_STAMP) $(STAMP)

# The dev install holds the runtime one: a venv made by `make test` serves `make demo` as is.
$(RUNTIME_STAMP): pyproject.toml
	$(call venv_install,.)
	touch $(RUNTIME_STAMP)

install: $(STAMP)

## Run the main job on the bundled sample lake: local files, local SQLite catalog. Then load
## the lake's declared lineage (PostgreSQL -> lake -> Snowflake), draft data contracts of two
## datasets from what was observed (contracts/), and write the month's compliance report of
## what it found (compliance/: HTML, CSV, JSON).
demo: $(RUNTIME_STAMP)
	$(BIN)/enricher scan examples/lake --force --report report.json; \
	  status=$$?; [ $$status -eq 0 ] || [ $$status -eq 3 ]
	$(BIN)/enricher lineage load --declared examples/lineage.yaml
	$(BIN)/enricher contract init examples/lake/hr/employees.csv -o contracts/hr-employees.yaml --force
	$(BIN)/enricher contract init examples/lake/crm/customers/ -o contracts/crm-customers.yaml --force
	$(BIN)/enricher report compliance --period $$(date -u +%Y-%m) --contracts contracts -o compliance

## Everything CI runs: services, lint (with the import contract), types, the whole test suite,
## then the line coverage of worker/, classifiers/ and models/ by the unit and fuzz tests (files
## not fully covered). `make coverage` adds branches and measures the integration tests too (it
## doubles their CPU time). The unit, fuzz and integration tests run on TEST_WORKERS processes
## (pytest-xdist, idle workers steal queued tests); the tests marked `serial` (Celery workers,
## recovery and latency bounded in real time) run afterwards one at a time, except those also
## marked `beside`, which bound no latency (the whole-worker kill test,
## which spends 80 of its 95 s waiting out the broker's visibility timeout, the metrics scrape
## and the dashboard render): they run one after another in the background beside the parallel
## integration tests (their report follows theirs). mypy runs beside the unit tests (its report
## follows them). Each test
## process claims its own Redis databases (tests/support/redis_dbs.py) and starts its own
## servers on free ports, so two processes or two runs on one host do not collide. The CLI
## tests fork `enricher` from a preloaded server (tests/support/cli.py; S3E_CLI_FORK=0 runs the
## console script itself). `make test COV=` skips coverage.
TEST_WORKERS    ?= 2
COV             ?= --cov --cov-report=
INTEGRATION_COV ?=
INTEGRATION      = $(BIN)/python -m pytest tests/integration $(INTEGRATION_COV) --cov-append
test: install services browser promtool lint
	$(BIN)/mypy > .mypy.log 2>&1 & types=$$!; \
	  $(BIN)/python -m pytest tests/unit tests/fuzz -n $(TEST_WORKERS) --dist worksteal $(COV); \
	  unit=$$?; \
	  wait $$types; types=$$?; echo "--- mypy"; cat .mypy.log; \
	  COVERAGE_FILE=.coverage.beside $(INTEGRATION) -m beside > .beside.log 2>&1 & beside=$$!; \
	  $(INTEGRATION) -n $(TEST_WORKERS) --dist worksteal -m "not serial"; parallel=$$?; \
	  wait $$beside; beside=$$?; echo "--- serial, beside (ran in the background)"; \
	  cat .beside.log; \
	  $(INTEGRATION) -m "serial and not beside"; serial=$$?; \
	  $(if $(INTEGRATION_COV),$(BIN)/python -m coverage combine --append .coverage.beside;) \
	  $(if $(COV),$(BIN)/python -m coverage report;) \
	  [ $$types -eq 0 ] && [ $$unit -eq 0 ] && [ $$parallel -eq 0 ] && [ $$beside -eq 0 ] \
	    && [ $$serial -eq 0 ]

## The whole suite with branch coverage, measured in the integration tests too.
coverage:
	$(MAKE) test COV="--cov --cov-branch --cov-report=" INTEGRATION_COV="--cov --cov-branch --cov-report="

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

## The unit tests alone, in parallel (no services needed but PostgreSQL for a few).
unit: install
	$(BIN)/python -m pytest tests/unit -n $(TEST_WORKERS)

## Start the local services the suite needs (Redis, PostgreSQL) if they are down.
services:
	bash scripts/ensure-services.sh

## Debian's Chromium for the browser tests (installed with apt when missing; never downloaded
## by Playwright).
browser:
	bash scripts/ensure-browser.sh

## promtool (Debian's prometheus package) for the checks of deploy/prometheus/ (apt when missing).
promtool:
	bash scripts/ensure-promtool.sh

## Regenerate the bundled sample lake (committed; a test checks it matches).
lake: install
	$(BIN)/python scripts/make_sample_lake.py --out examples/lake

## Regenerate docs/settings.md from the settings models (committed; a test checks it matches).
settings-doc: install
	$(BIN)/python scripts/settings_doc.py --out docs/settings.md

## Retrain the business models into models/artifacts (byte-identical; a test checks it).
## STEWARD_EXAMPLES=file.jsonl (from `enricher train export`) adds stewards' approvals.
## Rebuilds the PII name gazetteer from Faker's person providers (byte-identical too).
train: install
	$(BIN)/python -m training.train --out models/artifacts \
	  $(if $(STEWARD_EXAMPLES),--steward-examples $(STEWARD_EXAMPLES))
	$(BIN)/python -m training.name_gazetteer --out models/artifacts

## Regenerate the review UI screenshots in docs/ (a real browser session, see the test).
screenshots: install services browser
	S3E_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/integration/test_review_browser.py \
	  tests/integration/test_ask_browser.py

## Lineage: impact on a generated 10,000-edge graph; inference accuracy on held-out schemas.
bench-lineage: install
	$(BIN)/python bench/lineage.py
	$(BIN)/python bench/lineage_infer.py

## Business categories and column types against majority and keyword baselines.
bench-category: install
	$(BIN)/python bench/category.py

## Sampling benchmark against SeaweedFS (bytes read, GETs, time).
bench: install
	$(BIN)/python bench/sampling.py

## PII accuracy (test split) and speed against presidio-structured and a DIY Presidio.
bench-pii: install
	$(BIN)/python bench/accuracy.py --split test --markdown
	$(BIN)/python bench/speed.py

## Atlan writes: mutating requests and time for 1,000 objects, then an unchanged re-scan.
bench-atlan: install
	$(BIN)/python bench/atlan.py

## Peak RSS of one enrich_object call per hostile and large object, fresh process each, models
## loaded (target: at most 300 MiB over the warmed process). Linux only.
bench-memory: install
	$(BIN)/python bench/memory.py

## Start-up of `enricher --help` and two group helps against `python -c pass` (target < 0.5 s).
bench-cli: install
	$(BIN)/python bench/cli_startup.py

## Dataset grouping of a generated 1,000,000-key listing against iterating it (targets: < 60 s,
## < 300 MiB peak RSS).
bench-datasets: install
	$(BIN)/python bench/datasets.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache enricher.db report.json .coverage .coverage.*
