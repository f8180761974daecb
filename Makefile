# Two commands: `make run` (set up and run the embedded system) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The services suite and topology talk to these unless the environment says otherwise.
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/trading
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
# `make test-money`: how long the money harness runs (examples x steps per mode).
MONEY_EXAMPLES ?= 400
MONEY_STEPS ?= 60
# `make test-schema`: schemathesis examples per operation and phase, and the run's time budget (s).
SCHEMA_EXAMPLES ?= 30
SCHEMA_MAX_TIME ?= 90
SCHEMA_SERVICES_MAX_TIME ?= 75
SCHEMA_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/trading_openapi
SCHEMA_REDIS_URL ?= redis://127.0.0.1:6379/11

.PHONY: install run run-services test test-services test-money test-client test-client-services test-schema \
	test-schema-services schema schema-check lint check ci clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The dashboard's front-end libraries (package.json, pinned by package-lock.json): `npm ci`, then
# `npm run build` copies them into dashboard/static/dashboard/vendor/ (git-ignored). Without Node
# the API, admin and dashboard still run; the dashboard's charts say they are not built.
NODE_STAMP := node_modules/.dashboard-built
$(NODE_STAMP): package.json package-lock.json dashboard/build.mjs
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && npm run --silent build && touch $@; \
	else \
		echo ""; \
		echo "make install: Node.js (v20 or later) and npm were not found on PATH."; \
		echo "  The dashboard's charts (lightweight-charts from npm) are NOT built; the API, admin and"; \
		echo "  the rest of the dashboard work. Install Node 20 (apt install nodejs npm, or nodejs.org)"; \
		echo "  and run make install again."; \
		echo ""; \
	fi

install: $(BIN)/.installed $(NODE_STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# Web, engine, worker and beat on the local PostgreSQL and Redis (see README, services mode).
run-services: install
	mkdir -p .local
	export DATABASE_URL=$${DATABASE_URL:-$(SERVICES_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(SERVICES_REDIS_URL)}; \
		$(BIN)/python scripts/ensure_database.py && \
		$(BIN)/python manage.py migrate --noinput && \
		$(BIN)/python manage.py seed_demo && \
		PATH=$(CURDIR)/$(BIN):$$PATH WEB_HOST=$(HOST) WEB_PORT=$(PORT) $(BIN)/honcho start

test: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -m "not services" $(PYTEST_ARGS)

test-services: install
	bash scripts/ensure_services.sh
	DATABASE_URL=$${DATABASE_URL:-$(SERVICES_DATABASE_URL)} REDIS_URL=$${TEST_REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

# A long run of the money harness: SQLite first, then PostgreSQL with the racing threads.
test-money: install
	bash scripts/ensure_services.sh
	env -u DATABASE_URL -u REDIS_URL MONEY_EXAMPLES=$(MONEY_EXAMPLES) MONEY_STEPS=$(MONEY_STEPS) \
		$(BIN)/pytest tests/money -q $(PYTEST_ARGS)
	DATABASE_URL=$${DATABASE_URL:-$(SERVICES_DATABASE_URL)} REDIS_URL=$${TEST_REDIS_URL:-$(TEST_REDIS_URL)} \
		MONEY_EXAMPLES=$(MONEY_EXAMPLES) MONEY_STEPS=$(MONEY_STEPS) $(BIN)/pytest tests/money -q $(PYTEST_ARGS)

test-client: install  # the Python client and CLI (client/) against a real embedded server
	$(BIN)/pip install --quiet -e ./client && env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest client/tests $(PYTEST_ARGS)

# The same suite against the services topology (web, engine, a Celery worker; PostgreSQL, Redis).
test-client-services: install
	bash scripts/ensure_services.sh
	$(BIN)/pip install --quiet -e ./client && \
		DATABASE_URL=$${DATABASE_URL:-$(SERVICES_DATABASE_URL)} REDIS_URL=$${TEST_REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest client/tests $(PYTEST_ARGS)

# Schemathesis (all checks, stateful phase) against a live, seeded embedded server with a real key.
test-schema: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python scripts/schemathesis_run.py \
		--max-examples $(SCHEMA_EXAMPLES) --max-time $(SCHEMA_MAX_TIME)

# The same against the services topology (web + engine on PostgreSQL and Redis).
test-schema-services: install
	bash scripts/ensure_services.sh
	DATABASE_URL=$${DATABASE_URL:-$(SCHEMA_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(SCHEMA_REDIS_URL)} \
		$(BIN)/python scripts/schemathesis_run.py --services \
		--max-examples $(SCHEMA_EXAMPLES) --max-time $(SCHEMA_SERVICES_MAX_TIME)

# docs/openapi.yaml: `schema` regenerates it; `schema-check` fails when it is stale or breaks the
# previous version without a declaration in docs/api-changes.md (docs/api-versioning.md).
schema: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python scripts/schema_check.py --write

schema-check: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python scripts/schema_check.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	env -u DATABASE_URL -u REDIS_URL $(BIN)/mypy .

check: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py check --fail-level WARNING
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python scripts/check_deploy.py

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules dashboard/static/dashboard/vendor
