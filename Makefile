# ShapeShop: `make run` starts the site, `make test` runs everything CI runs.
# Both work on a fresh clone: they create the virtualenv and install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.requirements.stamp
NODE_STAMP := node_modules/.package-lock.stamp
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test deps lint pytest pytest-postgres migrate browser-deps clean

$(PY_STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(PY_STAMP) $(NODE_STAMP)

# Browser tests drive Debian's Chromium; Playwright never downloads a browser of its own.
browser-deps:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: deps browser-deps
	$(BIN)/pytest

# The same suite again on PostgreSQL with the Redis broker, when those servers are reachable
# on loopback (started first if installed but stopped); skipped with a clear message otherwise.
pytest-postgres: deps browser-deps
	scripts/test_services.sh

test: deps browser-deps lint pytest pytest-postgres

migrate: $(PY_STAMP)
	$(BIN)/python manage.py migrate --no-input

# The web server and one task worker in the foreground; Ctrl-C stops both.
# HOST=0.0.0.0 PORT=8080 make run  listens elsewhere.
run: deps migrate
	$(BIN)/python scripts/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache
