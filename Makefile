# Lianfang: `make run` starts the all-in-one server, `make test` runs the whole suite. `make help` lists the rest.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= .lianfang
MEMBERS := libs/common $(wildcard services/*)

.PHONY: help run test lint format migrate web uv sync bench

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

uv:
	@command -v $(UV) >/dev/null 2>&1 || { echo "installing uv with pip"; python3 -m pip install --quiet --user uv; }

sync: uv
	@$(UV) sync --frozen --quiet

web: ## build the admin SPA and the H5 pages (when Node is installed)
	@for page in web/admin web/h5; do \
	  if [ -f $$page/package.json ] && command -v npm >/dev/null; then (cd $$page && npm ci --silent && npm run --silent build); fi; \
	done

run: sync web ## start the all-in-one server on http://$(HOST):$(PORT) with a demo (ARGS=--no-demo to skip it)
	@$(UV) run lianfang run --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR) $(ARGS)

test: sync ## the whole suite (also on MariaDB, RabbitMQ and Redis when LIANFANG_TEST_* are set)
	@$(UV) run pytest $(PYTEST_ARGS)

lint: sync ## ruff check, ruff format --check, mypy --strict
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .
	@for member in $(MEMBERS); do \
	  paths=$$(for dir in lianfang tests migrations; do find $$member/$$dir -name '*.py' 2>/dev/null | grep -q . && echo $$member/$$dir; done); \
	  MYPYPATH=libs/common:$$member $(UV) run mypy --strict $$paths || exit 1; \
	done
	@$(UV) run mypy --strict tests
	@MYPYPATH=bench:libs/common:services/registry $(UV) run mypy --strict bench

format: sync ## apply ruff's fixes and formatting
	@$(UV) run ruff check --fix .
	@$(UV) run ruff format .

bench: sync ## measure speed and memory; figures go to bench/results/ with the machine noted
	@for script in bench/posters.py bench/registry_import.py bench/ingest_drain.py bench/checkin_post.py bench/trace_queries.py; do \
	  $(UV) run python $$script || exit 1; \
	done

migrate: sync ## apply every store's migrations to the databases in LIANFANG_*_DATABASE_URL
	@$(UV) run lianfang migrate
