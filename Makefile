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

# Lambda architecture of the layer; must equal Terraform's lambda_architecture.
ARCH ?= arm64
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
PACKAGING := $(wildcard telegram_datalake/packaging/*.py)
FUNCTION_COMMON := functions/__init__.py $(wildcard functions/common/*.py) functions/requirements.txt $(PACKAGING)
WHEEL := dist/telegram_datalake-$(VERSION)-py3-none-any.whl
SDIST := dist/telegram_datalake-$(VERSION).tar.gz
PACKAGE_SOURCES := pyproject.toml MANIFEST.in README.md $(shell git ls-files functions telegram_datalake sql 2>/dev/null)
ARTIFACTS := dist/ingest.zip dist/etl.zip dist/pyarrow-layer.zip $(WHEEL) $(SDIST)

.PHONY: help venv lint typecheck unit test bench build llvm-strip clean distclean demo serve webhook webhook-info query backfill import report

# The external engines and tools the tests run for real (the aws provider, Trino, linters): one file each.
include $(sort $(wildcard make/*.mk))

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(CHECKOV):
	$(BOOTSTRAP_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)

venv: $(STAMP) $(CHECKOV) ## Create .venv and .venv-checkov

lint: $(STAMP) ## ruff: lint and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP) ## mypy --strict
	$(VENV)/bin/mypy

unit: $(STAMP) $(CHECKOV) actionlint terraform-docs tflint provider trino chromium ## pytest (the engines and linters built or fetched first, when missing)
	$(PY) -m pytest

test: lint typecheck llvm-strip unit ## Everything CI runs: lint, type check, tests

build: $(ARTIFACTS) ## dist/: function zips, the pyarrow layer (ARCH=arm64|x86_64), sdist and wheel

dist/ingest.zip: $(FUNCTION_COMMON) $(wildcard functions/ingest/*.py) | $(STAMP)
	$(PY) -m telegram_datalake.packaging.function_zip ingest --output $@

dist/etl.zip: $(FUNCTION_COMMON) $(wildcard functions/etl/*.py) | $(STAMP)
	$(PY) -m telegram_datalake.packaging.function_zip etl --output $@

dist/pyarrow-layer.zip: layers/pyarrow/requirements.txt $(PACKAGING) build/arch-$(ARCH) | $(STAMP)
	@$(MAKE) --no-print-directory llvm-strip
	$(PY) -m telegram_datalake.packaging.pyarrow_layer --arch $(ARCH) --output $@

# One marker for the architecture of the last layer build: switching ARCH removes the other marker,
# so the layer is rebuilt for the new architecture, and only then.
build/arch-%:
	@mkdir -p build
	@rm -f build/arch-*
	@touch $@

$(WHEEL) $(SDIST) &: $(PACKAGE_SOURCES) | $(STAMP)
	SOURCE_DATE_EPOCH=315532800 $(PY) -m build --quiet --outdir dist .
	@ls -l $(WHEEL) $(SDIST)

llvm-strip: ## Install LLVM (for llvm-strip, which slims the layer) when it is missing
	@command -v llvm-strip >/dev/null || compgen -c llvm-strip- >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends llvm >/dev/null; \
	  else echo "llvm-strip is missing: install LLVM (apt-get install llvm, or brew install llvm)" >&2; exit 1; fi; }

demo: $(STAMP) ## The whole pipeline on this machine, no AWS account: a generated week through webhook, ETL, queries and the report
	$(VENV)/bin/telegram-datalake demo

serve: $(STAMP) ## Keep a local stack (moto S3 + webhook on 127.0.0.1) running until Ctrl-C; SERVE_ARGS="--port 8080"
	$(VENV)/bin/telegram-datalake serve $(SERVE_ARGS)

webhook: $(STAMP) ## Point the bot at the deployed webhook (needs TELEGRAM_BOT_TOKEN)
	$(VENV)/bin/telegram-datalake webhook set

webhook-info: $(STAMP) ## Telegram's view of the webhook: pending updates, last error
	$(VENV)/bin/telegram-datalake webhook info

query: $(STAMP) ## Run a saved query: make query Q=messages_per_day [ENGINE=duckdb] [FORMAT=csv]
	$(VENV)/bin/telegram-datalake query run $(Q) $(if $(ENGINE),--engine $(ENGINE)) $(if $(FORMAT),--format $(FORMAT))

backfill: $(STAMP) ## Reprocess days with the ETL: make backfill FROM=2026-01-01 TO=2026-01-31 [LOCAL=1]
	$(VENV)/bin/telegram-datalake backfill --from $(FROM) --to $(TO) $(if $(LOCAL),--local)

import: $(STAMP) ## Load a Telegram Desktop export: make import FILE=result.json [CHAT_ID=-100...] [LOCAL=1]
	$(VENV)/bin/telegram-datalake import "$(FILE)" $(if $(CHAT_ID),--chat-id=$(CHAT_ID)) $(if $(LOCAL),--local)

report: $(STAMP) ## The chat report as HTML: make report [OUT=report.html] [ENGINE=duckdb] [FROM=...] [TO=...] [CHAT_ID=-100...]
	$(VENV)/bin/telegram-datalake report --output "$(or $(OUT),report.html)" $(if $(ENGINE),--engine $(ENGINE)) \
	  $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) $(if $(CHAT_ID),--chat-id=$(CHAT_ID))

bench: $(STAMP) llvm-strip ## Benchmarks (a few minutes): ETL transform 10k-1M, ETL and ingest on moto, storage, cold start, a 1M-message export import, a year's report; JSON in .bench/
	$(PY) -m benchmarks

clean: ## Remove build outputs (dist/, build/) and test caches
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -not -path './.venv*' -exec rm -rf {} +

distclean: clean ## Also remove the venvs and the wheel download cache
	rm -rf $(VENV) $(CHECKOV_VENV) .cache
