# The two commands: `make up` runs the system, `make test` checks it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv on the PATH, else the one `make uv` installs with pip (run as a module: found wherever
# pip put its script).
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export DATA_DIR ?= data/raw
export OUTPUT_DIR ?= var/etl
# part directory:python package, for the isolated-install check
PARTS := contracts:contracts etl-job:etl_job catalog-service:catalog_service recsys-service:recsys_service gateway:gateway eda:eda bench:bench harness:harness

.PHONY: help uv sync up down status etl eda demo bench clean test test-fast lint typecheck check-deps pytest \
	base-images images compose-smoke

help:
	@echo "make up      install, run the ETL on DATA_DIR, start the services, print the gateway URL"
	@echo "             (V=1: also the offline evaluation's table)"
	@echo "make down    stop the services started by make up"
	@echo "make clean   make down, and delete the run's Redis keys (REDIS_KEY_PREFIX only)"
	@echo "make test    lint, type-check, check each part installs alone, run the whole test suite"
	@echo "make test-fast  lint and the unit tests only (in-process; no real data, processes or deploy)"
	@echo "make etl     re-run the ETL (DATA_DIR, else the one make up used -> OUTPUT_DIR, Redis)"
	@echo "make eda     the exploratory report on OUTPUT_DIR/current: reports/eda.html + PNGs"
	@echo "make demo    call every gateway route (GATEWAY_URL) and explain the recommender"
	@echo "make bench   generated full-scale data, ETL/serving/memory/scaling benchmarks -> bench/*.json,"
	@echo "             rendered as bench/results.md"
	@echo "make images  build the four container images (Docker Engine; stand-in bases if no registry)"
	@echo "make compose-smoke  build, docker compose up on DATA_DIR, smoke-test via the gateway, down -v"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
	  (echo "uv not found: installing it with pip (python3 -m pip install --user uv)"; \
	   python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv)

sync: uv
	@$(UV) sync --locked --quiet

up: sync
	@$(UV) run --locked python scripts/stack.py up $(if $(V),-v)

down:
	@$(UV) run --locked python scripts/stack.py down

status:
	@$(UV) run --locked python scripts/stack.py status

# Re-run the whole ETL (catalog, evaluation, training, Redis publish) while the stack runs;
# recsys follows the new model at once, `make up` again reloads the catalog.
# On the DATA_DIR `make up` used (remembered in .run/) unless DATA_DIR names a dataset.
etl: sync
	@$(UV) run --locked python scripts/stack.py etl $(if $(V),-v)

# Stop the stack and delete this run's Redis keys (REDIS_KEY_PREFIX:* only, never FLUSHDB).
clean: sync
	@$(UV) run --locked python scripts/stack.py clean

# The exploratory report over the current ETL run: reports/eda.html plus its figures as PNG.
# Example recommendations from the gateway make up started (GATEWAY_URL, else GATEWAY_PORT).
eda: sync
	@$(UV) run --locked eda --run-dir "$(OUTPUT_DIR)/current" --out reports \
	  --gateway-url "$(or $(GATEWAY_URL),http://127.0.0.1:$(or $(GATEWAY_PORT),8000))"

# The guided demonstration against the stack `make up` started.
demo: sync
	@$(UV) run --locked python scripts/demo.py \
	  --gateway-url "$(or $(GATEWAY_URL),http://127.0.0.1:$(or $(GATEWAY_PORT),8000))" \
	  --recsys-url "$(or $(RECSYS_URL),http://127.0.0.1:$(or $(RECSYS_PORT),8102))"

# Benchmarks at full scale on GENERATED ratings (~15-25 min on 2 cores); never part of `make test`.
# Then the ETL at 1M/11M/33M ratings (bench/scaling.json; ~10 min more, 33M needs ~6 GB of
# memory): SCALING_ARGS="--rows 1000000,11000000" to stop earlier.
# Last, bench/results.md rendered from the two JSON files (python -m bench.report, seconds).
bench: sync
	@$(UV) run --locked python -m bench.run $(BENCH_ARGS)
	@$(UV) run --locked python -m bench.scaling $(SCALING_ARGS)
	@$(UV) run --locked python -m bench.report

# Containers (Docker Engine; as root: apt-get install docker.io docker-compose debootstrap).
# BASE_IMAGES=auto|official|stand-in: stand-ins are local images made from Debian's packages
# for when no registry answers (scripts/base_images.py).
base-images: sync
	@$(UV) run --locked python scripts/base_images.py

images: sync
	@$(UV) run --locked python scripts/images.py

# The whole compose stack on this host over the real data (DATA_DIR), smoke-tested through the
# published gateway (tests/deploy/test_compose_stack.py), then removed with its volumes.
compose-smoke: sync
	@$(UV) run --locked python scripts/compose_smoke.py

lint: sync
	$(UV) run --locked ruff check .

# mypy: strict on contracts/, the default checks elsewhere (settings in pyproject.toml).
typecheck: sync
	$(UV) run --locked mypy

check-deps: uv
	@for part in $(PARTS); do \
	  dir=$${part%%:*}; pkg=$${part##*:}; \
	  UV_PROJECT_ENVIRONMENT=.venv-isolated/$$dir $(UV) sync --locked --quiet --no-dev --all-extras --package $$dir && \
	  .venv-isolated/$$dir/bin/python scripts/check_isolated_imports.py $$pkg || exit 1; \
	done

pytest: sync
	$(UV) run --locked pytest

test: lint typecheck check-deps pytest

# The quick loop while coding (under a minute): tests marked unit by tests/conftest.py.
test-fast: lint
	$(UV) run --locked pytest -q -m "not e2e and not deploy and not slow"
