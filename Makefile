# hmic-kg: two commands do all the set-up.
#   make serve   install, build the graph, serve it on http://127.0.0.1:5000 (embedded store)
#   make test    install (incl. the Debian packages the tests drive), lint, build, run every test

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
REPLICAS ?= 2

# Debian packages the tests drive (real servers and a real browser), one per line.
APT_PACKAGES = \
	chromium \
	nginx \
	virtuoso-opensource

.PHONY: serve test install build lint format system-deps sparql-clients frontend bench clean replicas

$(BIN)/kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kg

install: $(BIN)/kg frontend

# The query page's YASGUI and the browser tests' axe-core, from npm (web/frontend/); the
# prebuilt bundles are copied into web/static/build/ (ignored), served from this origin only.
frontend: web/static/build/yasgui/yasgui.min.js

web/static/build/yasgui/yasgui.min.js: web/frontend/package.json web/frontend/package-lock.json
	cd web/frontend && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf web/static/build && mkdir -p web/static/build/yasgui
	cp web/frontend/node_modules/@triply/yasgui/build/yasgui.min.css \
	   web/frontend/node_modules/@triply/yasgui/build/yasgui.min.js.LICENSE.txt \
	   web/frontend/node_modules/@triply/yasgui/LICENSE.txt web/static/build/yasgui/
	cp web/frontend/node_modules/@triply/yasgui/build/yasgui.min.js $@

build: install
	$(BIN)/kg build

serve: build
	$(BIN)/kg serve --host $(HOST) --port $(PORT)

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "The tests need these Debian packages: sudo apt-get install $$missing" >&2; exit 1; \
	  fi; \
	fi

# Third-party SPARQL clients the endpoint's tests drive (Comunica on its own Node.js >= 22.19,
# from the npm package `node`), pinned by tests/clients/package-lock.json.
CLIENTS := tests/clients
$(CLIENTS)/node_modules/.package-lock.json: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

sparql-clients: $(CLIENTS)/node_modules/.package-lock.json

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install system-deps sparql-clients lint build
	$(BIN)/python -m pytest

# REPLICAS kg serve processes behind nginx (load balancer and HTTP cache) on 127.0.0.1:PORT
replicas: build system-deps
	$(BIN)/python deploy/replicas.py --replicas $(REPLICAS) --port $(PORT)

bench: build
	$(BIN)/python bench/build_bench.py

clean:
	rm -rf out
