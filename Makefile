# hmic-kg: two commands do all the set-up.
#   make serve   install, build the graph, serve it on http://127.0.0.1:5000 (embedded store)
#   make test    install (incl. Chromium for the browser tests), lint, build, run every test

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: serve test install build lint format chromium bench clean

$(BIN)/kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kg

install: $(BIN)/kg

build: install
	$(BIN)/kg build

serve: build
	$(BIN)/kg serve --host $(HOST) --port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is needed for the browser tests: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install chromium lint build
	$(BIN)/python -m pytest

bench: build
	$(BIN)/python bench/build_bench.py

clean:
	rm -rf out
