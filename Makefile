# Lianfang: `make run` starts the all-in-one server, `make test` runs the whole suite. `make help` lists the rest.
SHELL := /bin/bash
# Python keeps the modules it compiled, whatever the environment says (this machine's sets PYTHONDONTWRITEBYTECODE): without
# them each of the four test workers, and each server a test starts, compiles every module it imports again (2026-12-07:
# 53 CPU-s against 34 for the all-in-one kill test, a worker's collection 12 against 7).
unexport PYTHONDONTWRITEBYTECODE
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= .lianfang
USERS ?= 1000
DURATION ?= 2m
SPAWN_RATE ?= 100
# pytest-xdist workers for `make test` (0: one process); each has its own Redis database and RabbitMQ virtual host.
# Four on two cores: the tests wait for servers, browsers and subprocesses much of the time (embedded: 4:45 against
# 5:54 with two, 2026-12-07).
PYTEST_WORKERS ?= 4
LIANFANG_NGINX_HTTPS_PORT ?= 8443
# `make cluster SHARDS=2`: the records store on the shards of deploy/shards.toml behind Spider fronts.
SHARDS ?= 0
MEMBERS := libs/common $(wildcard services/*)
# web/shared first: the pages and the mini-program use it (a file: dependency), and its tests check the generated API types.
WEB_PAGES := web/shared web/admin web/h5 web/mp

.PHONY: help run test test-pages lint format migrate web types uv sync bench cluster cluster-stop cluster-setup loadtest compose-config alerts-check

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

uv:
	@command -v $(UV) >/dev/null 2>&1 || { echo "installing uv with pip"; python3 -m pip install --quiet --user uv; }

# The packages compiled once when installed, and our own modules: not by the four test workers at once on a first run.
sync: uv
	@$(UV) sync --frozen --quiet --compile-bytecode
	@$(UV) run --frozen python -m compileall -q -j0 libs services tests

# A page's npm packages, installed only when missing or when its lock file changed since they were (npm keeps a copy of it
# in node_modules): reinstalling all four took 48 s of every `make test`. Run in the page's folder.
NPM_PACKAGES := { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --silent; }

# A page's build, made again only when a file of the page or of web/shared changed since the last one (dist/.built), or
# when that one was for another mini-program server (LIANFANG_MP_API_ORIGIN): building all four unchanged took 23 s of
# every `make test`. Run in the page's folder.
PAGE_BUILD := { [ "$$(cat dist/.built 2>/dev/null)" = "origin=$$LIANFANG_MP_API_ORIGIN" ] && \
  [ -z "$$(find . ../shared \( -name node_modules -o -name dist \) -prune -o -type f -newer dist/.built -print -quit)" ]; } || \
  { npm run --silent build && echo "origin=$$LIANFANG_MP_API_ORIGIN" > dist/.built; }

# `$(call side_by_side,<label>,<pages>,<command>)`: the command in each page's folder, the pages side by side, each one's
# output shown whole once all are done; fails naming the pages that failed.
define side_by_side
logs=$$(mktemp -d); trap 'rm -rf "$$logs"' EXIT; failed=""; \
for page in $(2); do \
  if [ -f $$page/package.json ]; then (cd $$page && $(3)) > "$$logs/$${page//\//-}" 2>&1 || touch "$$logs/$${page//\//-}.failed" & fi; \
done; wait; \
for page in $(2); do \
  log="$$logs/$${page//\//-}"; [ -s "$$log" ] || [ -f "$$log.failed" ] || continue; \
  echo "$(1): $$page"; cat "$$log"; [ ! -f "$$log.failed" ] || failed="$$failed $$page"; \
done; \
if [ -n "$$failed" ]; then echo "$(1): failed:$$failed"; exit 1; fi
endef

# web/shared first, then the three that use it side by side: a fresh clone's `make sync web` took 83 s against 120 one after
# another (2026-12-07).
web: ## build the shared client, the admin SPA, the H5 pages and the mini-program (when Node is installed)
	@if command -v npm >/dev/null; then $(call side_by_side,web,web/shared,$(NPM_PACKAGES) && $(PAGE_BUILD)); fi
	@if command -v npm >/dev/null; then $(call side_by_side,web,$(filter-out web/shared,$(WEB_PAGES)),$(NPM_PACKAGES) && $(PAGE_BUILD)); fi

types: sync ## regenerate the API's TypeScript types (web/shared) from the services' OpenAPI documents
	@$(UV) run lianfang openapi web/shared/openapi
	@cd web/shared && $(NPM_PACKAGES) && npm run --silent types

run: sync web ## start the all-in-one server on http://$(HOST):$(PORT) with a demo and the dev login (ARGS=--no-demo to skip it)
	@LIANFANG_WECHAT_MODE=$${LIANFANG_WECHAT_MODE:-dev} $(UV) run lianfang run --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR) $(ARGS)

test: sync web ## the whole suite: pytest (also on MariaDB, RabbitMQ and Redis when LIANFANG_TEST_* are set), browser tests, vitest
	@deploy/install-packages.sh test
	@echo "test: pytest, from $$(date +%T)"
	@$(UV) run pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not e2e" $(PYTEST_ARGS)
	@# The end-to-end suite alone afterwards, as before: its cluster's timings are not shared with the other tests.
	@echo "test: the end-to-end suite, from $$(date +%T)"
	@$(UV) run pytest -m e2e tests/e2e $(PYTEST_ARGS)
	@echo "test: the pages' tests, from $$(date +%T)"
	@$(MAKE) --no-print-directory test-pages

# Side by side: 58 s against 77 one after another (2026-12-07).
test-pages: ## the pages' and the mini-program's own tests (type checks and vitest); part of `make test`
	@$(call side_by_side,test-pages,$(WEB_PAGES),npm run --silent test)

lint: sync ## ruff check, ruff format --check, mypy --strict, tsc --strict of the mini-program
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .
	@for member in $(MEMBERS); do \
	  paths=$$(for dir in lianfang tests migrations; do find $$member/$$dir -name '*.py' 2>/dev/null | grep -q . && echo $$member/$$dir; done); \
	  MYPYPATH=libs/common:$$member $(UV) run mypy --strict $$paths || exit 1; \
	done
	@$(UV) run mypy --strict tests
	@MYPYPATH=bench:libs/common:services/registry $(UV) run mypy --strict bench
	@MYPYPATH=bench:libs/common:services/allinone $(UV) run mypy --strict loadtests
	@if command -v npm >/dev/null; then for page in web/shared web/mp; do \
	  (cd $$page && $(NPM_PACKAGES) && npm run --silent $$([ $$page = web/shared ] && echo build || echo typecheck)) || exit 1; \
	done; fi

format: sync ## apply ruff's fixes and formatting
	@$(UV) run ruff check --fix .
	@$(UV) run ruff format .

bench: sync ## measure speed and memory; figures go to bench/results/ with the machine noted
	@for script in bench/posters.py bench/registry_import.py bench/ingest_drain.py bench/checkin_post.py bench/trace_queries.py bench/shards.py; do \
	  $(UV) run python $$script || exit 1; \
	done

migrate: sync ## apply every store's migrations to the databases in LIANFANG_*_DATABASE_URL
	@$(UV) run lianfang migrate

cluster-setup:
	@deploy/install-packages.sh cluster $(if $(filter-out 0,$(SHARDS)),shards)

cluster: sync web cluster-setup ## the cluster on this machine (nginx, 2 instances per service, the worker, Redis) at https://localhost:8443; SHARDS=2 shards the records store
	@LIANFANG_CLUSTER_SHARDS=$(SHARDS) $(UV) run lianfang cluster up

cluster-stop: sync ## stop the processes `make cluster` started (the shards' servers too)
	@$(UV) run lianfang cluster down

alerts-check: ## promtool: the alert rules of deploy/prometheus/ are valid and pass their unit tests; compose's Prometheus configuration
	@command -v promtool >/dev/null || { echo "alerts-check: promtool missing (deploy/install-packages.sh cluster installs Debian's prometheus)" >&2; exit 1; }
	@promtool check rules deploy/prometheus/alerts.yml
	@cd deploy/prometheus && promtool test rules alerts.test.yml
	@promtool check config --syntax-only deploy/prometheus/prometheus.compose.yml

compose-config: ## check docker-compose.yml (with the placeholders of deploy/compose.env.example)
	@if docker compose version >/dev/null 2>&1; then docker compose --env-file deploy/compose.env.example config -q; \
	elif command -v docker-compose >/dev/null; then docker-compose --env-file deploy/compose.env.example config -q; \
	else echo "compose-config: neither \`docker compose\` nor docker-compose is installed" >&2; exit 1; fi
	@echo "docker-compose.yml is valid"

loadtest: sync ## Locust against the running cluster, headless: USERS=1000 DURATION=2m (reports and figures in bench/results/)
	@$(UV) run python loadtests/fixture.py prepare
	@rm -rf bench/results/loadtest-confirmed
	@# Locust runs at a lower priority than the cluster (nice 10): on two shared cores the servers come first, and the
	@# report holds nginx's timings beside Locust's, with each process's CPU and memory sampled throughout. One Locust
	@# process, never a master with workers: a worker starved of CPU misses its heartbeats and the master hands its users
	@# to the other worker, which starts them again (new logins) while the first still runs them.
	@trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	.venv/bin/python loadtests/sampler.py bench/results/loadtest-$(USERS)_processes.csv & sampler=$$!; \
	nice -n 10 .venv/bin/locust -f loadtests/locustfile.py --headless -u $(USERS) -r $(SPAWN_RATE) -t $(DURATION) \
	  --stop-timeout 45 -H https://127.0.0.1:$(LIANFANG_NGINX_HTTPS_PORT) --csv bench/results/loadtest-$(USERS) \
	  --html bench/results/loadtest-$(USERS).html --only-summary --exit-code-on-error 0; \
	kill $$sampler; wait $$(jobs -p)
	@$(UV) run python loadtests/fixture.py count --users $(USERS) --duration $(DURATION) --prefix bench/results/loadtest-$(USERS)
