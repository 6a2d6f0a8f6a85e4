# Studio: `make run` to start, `make test` to check. See README.md.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HTMX_VERSION := 2.0.9
AXE_VERSION := 4.14.1

.PHONY: install lock run test test-faults test-fast bench lint format screenshots vendor-htmx vendor-axe browser-deps oidc-provider clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every dependency is pinned with pip-tools (`make lock`): requirements.lock holds what runs,
# requirements-dev.lock adds the test tools (compiled under the first as a constraint, so
# both installs agree on every shared version). `make run` installs only the first.
$(VENV)/.installed-run: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed: $(VENV)/.installed-run requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

# After a change of dependencies in pyproject.toml: pin them again (needs PyPI).
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian packages…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# A development server: DEBUG on unless the caller says otherwise (ensure_demo needs it).
run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	@$(BIN)/python manage.py ensure_demo
	@echo "Studio: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server and the worker)"
	$(BIN)/python manage.py runstudio --port $(PORT)

# The real OpenID Connect provider the sign-in tests start (npm's oidc-provider, run by node),
# installed from its lock file at install time so the tests themselves need no network.
OIDC_PROVIDER := tests/oidc/provider
$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package-lock.json
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --silent

oidc-provider: $(OIDC_PROVIDER)/node_modules/.package-lock.json

test: install browser-deps oidc-provider
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest

# Kills, outages and upstream faults against a real web server and worker (tests/faults).
test-faults: install
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -m faults tests/faults

test-fast: install oidc-provider
	$(BIN)/pytest -m "not browser and not e2e"

lint: install
	$(BIN)/ruff check studio tests bench
	$(BIN)/ruff format --check studio tests bench

format: install
	$(BIN)/ruff check --fix studio tests bench
	$(BIN)/ruff format studio tests bench

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/pipeline_burst.py
	$(BIN)/python bench/pipeline_burst.py --postgres
	$(BIN)/python bench/pipeline_memory.py
	$(BIN)/python bench/api.py

screenshots: install browser-deps
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python bench/screenshots.py

# Refresh the vendored htmx from the npm package (install time only; never a CDN).
vendor-htmx:
	cd $$(mktemp -d) && npm pack --silent htmx.org@$(HTMX_VERSION) && tar xzf htmx.org-$(HTMX_VERSION).tgz \
	  && cp package/dist/htmx.min.js $(CURDIR)/static/vendor/htmx.min.js
	@echo "static/vendor/htmx.min.js is htmx $(HTMX_VERSION)"

# axe-core for the browser tests' accessibility checks (loaded from our own static URL, so the
# Content-Security-Policy allows it); the file keeps its licence header.
vendor-axe:
	cd $$(mktemp -d) && npm pack --silent axe-core@$(AXE_VERSION) && tar xzf axe-core-$(AXE_VERSION).tgz \
	  && cp package/axe.min.js $(CURDIR)/static/vendor/axe.min.js
	@echo "static/vendor/axe.min.js is axe-core $(AXE_VERSION)"

clean:
	rm -rf $(VENV) .test-db* staticfiles
