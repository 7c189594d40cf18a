# Solidaria: `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/solidaria
PYTEST_WORKERS ?= 2
PORT   ?= 8000

.PHONY: install translations migrate demo serve test test-pg e2e federation-test fuzz faults load bench bench-quick lint format messages clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(BIN)/solidaria compiletranslations

migrate: translations
	$(BIN)/solidaria migrate --noinput

demo: migrate
	$(BIN)/solidaria demo 127.0.0.1:$(PORT)

serve: migrate
	$(BIN)/solidaria runserver 127.0.0.1:$(PORT) --insecure

test: translations
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider src

test-pg: translations
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider src

e2e: translations
	$(BIN)/pytest -p no:cacheprovider e2e

# Three instances on loopback (trunk T, leaves A and B, databases solidaria_fed_*):
# Murmurations profiles, credit between networks, faults and recovery (bench/federation_test.py).
federation-test: translations
	$(BIN)/python -m bench.federation_test

# The REST API under schemathesis on PostgreSQL with the demo network, a steward's and a
# member's token (bench/fuzz.py); fails on any server error or response-schema violation.
FUZZ_EXAMPLES ?= 20
FUZZ_SECONDS  ?= 120
fuzz: translations
	$(BIN)/python -m bench.fuzz --max-examples $(FUZZ_EXAMPLES) --max-time $(FUZZ_SECONDS)

# SIGKILL of gunicorn during payment and clearing bursts, and a PostgreSQL stop/start
# under load, on a cluster of its own (bench/faults.py; needs root and postgresql-common).
faults: translations
	timeout 600 $(BIN)/python -m bench.faults

# 50 locust users against gunicorn on PostgreSQL with the demo network plus 100,000
# organisations (bench/load/); writes bench/results/load.{json,md}. Not run in CI.
# Locust gets a virtualenv of its own (var/loadenv): its pins never touch the project's.
LOAD_SECONDS ?= 60
LOAD_VENV    := var/loadenv
load: translations
	test -x $(LOAD_VENV)/bin/locust || ( $(PYTHON) -m venv $(LOAD_VENV) \
	  && $(LOAD_VENV)/bin/python -m pip install -q -r requirements-load.txt )
	LOAD_SECONDS=$(LOAD_SECONDS) $(BIN)/python -m bench.load

bench: translations
	$(BIN)/python -m bench.run

bench-quick: translations
	$(BIN)/python -m bench.run --quick

lint: install
	$(BIN)/ruff check src bench e2e
	$(BIN)/ruff format --check src bench e2e
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src bench e2e
	$(BIN)/ruff check --fix src bench e2e

messages: install
	cd src/solidaria && ../../$(BIN)/solidaria makemessages -l es -l bn --no-obsolete --ignore 'tests/*'

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
