# Crane Bench. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama.cpp must be built portable: the native build picks up CPU instructions these
# machines advertise but do not allow, and OpenMP makes speed flip between requests.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF
LLAMA_CPP_SPEC := llama-cpp-python[server]>=0.3.16,<0.4

.PHONY: help install llama-server check test lint format docs eval robustness load report bench fuzz serve clean image docker-test

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python ## Create .venv and install everything (builds llama.cpp twice: about 9 minutes the first time)
	@echo "==> llama-cpp-python: building llama.cpp from source if pip has no cached wheel (about 3 min on 2 cores)"
	$(BIN)/pip install --verbose "$(LLAMA_CPP_SPEC)" 2>&1 \
	  | sed -unE -e 's#^ *\[([0-9]+/[0-9]+)\] .* -o ([^ ]*/)?([^ /]+) .*#  [\1] \3#p' \
	      -e '/Successfully|Using cached|already satisfied|Stored in directory|ERROR|error:/p' || true
	@$(BIN)/python -c "import llama_cpp" || { echo "llama-cpp-python did not install"; exit 1; }
	@echo "==> crane-bench and its dependencies"
	$(BIN)/pip install --progress-bar off -e ".[dev]"
	$(MAKE) --no-print-directory llama-server
	@$(BIN)/python -m crane_bench.cli.app llm models
	@$(BIN)/python -m crane_bench.cli.app llm prepare

llama-server: $(BIN)/python ## Build llama.cpp's llama-server into .venv/bin (about 6 min once, then cached)
	PYTHON=$(BIN)/python scripts/build-llama-server.sh $(BIN)/llama-server

# What `make check` leaves out: the real model, Chromium, the wheel's virtualenvs, the gold
# gates, the image, and every test that starts a real server or subprocess (integration).
CHECK_MARKERS := not (llm or browser or wheel or evaluation or container or integration)

# pytest-xdist for `make check`: one worker per core; TEST_WORKERS=0 runs in one process.
# `make test` stays in one process: two llama.cpp servers from two workers (2 threads each,
# spin-waiting) on 2 cores slowed a 200-token completion past its 120 s timeout.
TEST_WORKERS ?= auto

check: ## The fast tests for the inner loop: no real model, browser or server
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "$(CHECK_MARKERS)"

test: ## Run the whole test suite (unit, integration, evaluation gates)
	$(BIN)/pytest

lint: ## ruff (lint and format check) and mypy strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: ## Format and autofix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: ## Build the documentation site into site/ (mkdocs build --strict: a broken link fails)
	$(BIN)/python scripts/config_docs.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

eval: ## Run the gold suite with the pattern, llm and hybrid planners (offline)
	$(BIN)/crane-bench eval --planners pattern,llm,hybrid

robustness: ## Measure the hand-written robustness sets (PLANNERS=pattern,hybrid by default; llm takes about an hour)
	$(BIN)/crane-bench robustness run --planners $(or $(PLANNERS),pattern,hybrid)

load: ## Load the service with locust (mixed scenario, 60 s)
	$(BIN)/crane-bench load --scenario mixed --run-time 60s

report: ## Rebuild the HTML report of every run under runs/ and the trend page runs/history.html
	$(BIN)/crane-bench report --history runs $$(ls -d runs/*/ 2>/dev/null)

bench: ## Print speed figures (never fails on a time)
	$(BIN)/python -m bench

fuzz: ## Fuzz the calculator with 100,000 inputs; print crashes (non-CalculatorError) and the slowest
	$(BIN)/python -m bench.fuzz $(or $(COUNT),100000)

serve: ## Run the service on 127.0.0.1:8000
	$(BIN)/crane-bench serve

clean: ## Remove caches and build files (keeps .venv and runs/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache build site *.egg-info

IMAGE ?= crane-bench:latest

image: ## Build the service's image (docker, or podman with a local Debian base image)
	IMAGE=$(IMAGE) containers/build.sh

docker-test: ## Build the image with podman, run it offline, plan, drain on SIGTERM (minutes)
	containers/base-image.sh
	CRANE_CONTAINER_REQUIRED=1 $(BIN)/pytest -m container -s -p no:cacheprovider tests/test_container.py
