# tflint and its AWS ruleset, both built from their Go modules (pinned in tools/go/tflint and
# tools/go/tflint-ruleset-aws): the plugin goes where TFLINT_PLUGIN_DIR points, as tflint-ruleset-aws,
# since plugins are otherwise downloaded from GitHub releases (`tflint --init`). .tflint.hcl enables
# the terraform (recommended preset) and aws plugins. tests/test_tflint.py runs `make tflint` itself.
TOOLS_BIN ?= .cache/tools/bin
TFLINT_BIN := $(TOOLS_BIN)/tflint
TFLINT_PLUGIN_DIR := .cache/tools/tflint.d/plugins
TFLINT_AWS_PLUGIN := $(TFLINT_PLUGIN_DIR)/tflint-ruleset-aws

.PHONY: tflint lint-terraform

tflint: $(TFLINT_BIN) $(TFLINT_AWS_PLUGIN) ## Build tflint and its AWS ruleset plugin (Go) when missing or re-pinned

$(TFLINT_BIN): tools/go/tflint/go.mod tools/go/tflint/go.sum tools/go/install
	tools/go/install tflint $(TOOLS_BIN)

$(TFLINT_AWS_PLUGIN): tools/go/tflint-ruleset-aws/go.mod tools/go/tflint-ruleset-aws/go.sum tools/go/install
	tools/go/install tflint-ruleset-aws $(TFLINT_PLUGIN_DIR)

lint-terraform: tflint ## tflint (terraform recommended preset + AWS rules) over every Terraform module
	TFLINT_PLUGIN_DIR="$(abspath $(TFLINT_PLUGIN_DIR))" $(TFLINT_BIN) --chdir=terraform --recursive \
	  --config="$(abspath .tflint.hcl)"
