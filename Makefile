# One entry point for people and CI. Everything runs as local processes: no container engine.
SHELL := /bin/bash
PY_VERSION ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up down status demo test test-unit bench proto proto-check reference client lint lint-proto lint-python venv keycloak clean

$(STAMP): requirements.txt
	@command -v $(PY_VERSION) >/dev/null || { echo "Python 3.11 is missing: install python3.11 and run make again."; exit 1; }
	@test -x $(PY) || $(PY_VERSION) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# put the repo root and the generated stubs on the venv's import path (like an editable install)
	@printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/proto/gen" > $(VENV)/lib/python3.11/site-packages/zgov-platform.pth
	@touch $(STAMP)

venv: $(STAMP)

## Start the whole platform (PostgreSQL, NATS JetStream, Keycloak, every service). Idempotent.
up: venv
	$(PY) -m deploy.local up

## Stop everything 'make up' started; state stays in .run/.
down: venv
	$(PY) -m deploy.local down

status: venv
	$(PY) -m deploy.local status

## A month of the city's work through the public APIs (after 'make up'; a second run changes nothing).
demo: venv
	$(PY) -m deploy.local demo

## Unit and integration tests against real servers the tests start themselves, in TEST_WORKERS parallel
## workers (pytest-xdist; each has its own PostgreSQL and NATS, all share one Keycloak). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
# The chart's test on a real API server (tests/deploy/test_kube_real.py, about a minute) is on: the first
# `make test` on a machine builds the control plane first (make kube-tools: 41 minutes measured cold on 2 cores
# shared at load 9-14, once; later runs find it in ~/.cache/zgov/k8s). ZGOV_SKIP_KUBE=1 skips both, for a machine without Go.
export ZGOV_SKIP_KUBE ?= 0
test: venv proto-check $(if $(filter 1,$(ZGOV_SKIP_KUBE)),,kube-tools)
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=30

test-unit: venv
	$(PY) -m pytest tests/unit services -m "not integration"

# The load test's tools, pinned in requirements-bench.txt (not in the runtime image).
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): requirements-bench.txt
	@test -x $(PY) || $(MAKE) venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	@touch $(BENCH_STAMP)

## Benchmarks that print figures (never asserted in tests), the whole-platform load test (Locust) among
## them: its HTML report goes to .run/load-report.html.
bench: venv $(BENCH_STAMP) bench-tools
	$(PY) -m tests.bench

.PHONY: bench-tools
## The benches' programs outside Python: vegeta (the portal's load generator, pinned in
## deploy/local/tools.py), built with Go from the module proxy once into .cache/bin.
bench-tools: venv
	@$(PY) -m deploy.local.tools vegeta >/dev/null

## Regenerate the Python stubs from proto/ (reproducible: pinned grpcio-tools).
proto: venv
	$(PY) -m deploy.local.protogen

## Regenerate the API reference the portal serves under /developers (contracts, permissions, error reasons).
reference: venv
	$(PY) -m deploy.local.reference

## Build the typed Python client wheel (stubs + helpers) into dist/.
client: venv
	$(PY) -m deploy.local.client_wheel

## Fails when the committed stubs drift from proto/.
proto-check: venv
	$(PY) -m deploy.local.protogen --check

keycloak: venv
	$(PY) -m deploy.local fetch-keycloak

clean:
	rm -rf $(VENV) .pytest_cache

## Every static check: the contracts (buf) and the Python code (ruff, import contracts).
lint: lint-proto lint-python

## Proto lint and format (buf, pinned, installed from npm into .cache/npm).
lint-proto: venv
	@buf="$$($(PY) -m deploy.local.tools buf)" && cd proto && "$$buf" lint && "$$buf" format --diff --exit-code

# The lint tools, pinned in requirements-lint.txt (not in the runtime image).
LINT_STAMP := $(VENV)/.lint-installed
# Every Python file is kept as `ruff format` writes it (proto/gen excluded in pyproject.toml).
FORMATTED ?= .

$(LINT_STAMP): requirements-lint.txt
	@test -x $(PY) || $(MAKE) venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-lint.txt
	@touch $(LINT_STAMP)

## ruff (rules in pyproject.toml), ruff format on $(FORMATTED), import-linter contracts (.importlinter):
## no service imports another, shared/ imports no service, each service's layers import only downward.
lint-python: $(LINT_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check $(FORMATTED)
	PYTHONPATH="$(CURDIR)" $(VENV)/bin/lint-imports --config .importlinter

.PHONY: chart-check chart-realm kube-tools
## etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok for tests/deploy/test_kube_real.py,
## built from the Go module proxy once into ~/.cache/zgov/k8s (outside the checkout; ZGOV_KUBE_CACHE moves it).
kube-tools: venv
	$(PY) -m deploy.local.kube build

## helm lint, golden renders and the chart's realm copy (helm is built into .cache/bin once).
chart-check: venv
	$(PY) -m deploy.local.tools chart-check

## Copy deploy/keycloak/realm-zgov.json into the chart and rewrite the golden renders.
chart-realm: venv
	$(PY) -m deploy.local.tools chart-realm
