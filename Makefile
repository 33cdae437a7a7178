# Telegram data lake: build, test and run the pipeline. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# The Lambda runtime is Python 3.13: use it for the venv when pyenv has it, else python3.
PYTHON_313 := $(shell PYENV_VERSION=3.13.0 python3.13 -c 'import sys' >/dev/null 2>&1 && echo 'env PYENV_VERSION=3.13.0 python3.13')
BOOTSTRAP_PYTHON ?= $(or $(PYTHON_313),python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# checkov pins an old boto3, so it lives in a venv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: help venv lint typecheck unit test bench clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(CHECKOV):
	$(BOOTSTRAP_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)

venv: $(STAMP) $(CHECKOV) ## Create .venv (project and dev tools) and .venv-checkov

lint: $(STAMP) ## ruff: lint and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP) ## mypy --strict
	$(VENV)/bin/mypy

unit: $(STAMP) $(CHECKOV) ## pytest only
	$(PY) -m pytest

test: lint typecheck unit ## Everything CI runs: lint, type check, tests

bench: $(STAMP) ## Throughput figures: the ETL end to end on moto
	$(PY) -m benchmarks.etl_moto 1000 10000

clean: ## Remove the venv, caches and build outputs
	rm -rf $(VENV) $(CHECKOV_VENV) dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
